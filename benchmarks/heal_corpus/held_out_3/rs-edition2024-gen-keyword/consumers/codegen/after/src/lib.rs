//! Emit Rust source for simple record types.

pub struct Field {
    pub name: &'static str,
    pub ty: &'static str,
}

/// Something that can emit Rust source.
pub trait Emit {
    fn r#gen(&self, out: &mut String);
}

pub struct Record {
    pub name: &'static str,
    pub fields: Vec<Field>,
}

impl Emit for Field {
    fn r#gen(&self, out: &mut String) {
        out.push_str(&format!("    pub {}: {},\n", self.name, self.ty));
    }
}

impl Emit for Record {
    fn r#gen(&self, out: &mut String) {
        out.push_str(&format!("#[derive(Debug, Clone)]\npub struct {} {{\n", self.name));
        for field in &self.fields {
            field.r#gen(out);
        }
        out.push_str("}\n");
    }
}

/// The source of all the records, one after another.
pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for record in records {
        record.r#gen(&mut out);
    }
    out
}
