use codegen::{Field, Record, render};

fn main() {
    let point = Record { name: "Point", fields: vec![Field { name: "x", ty: "f64" }, Field { name: "y", ty: "f64" }] };
    print!("{}", render(&[point]));
}
