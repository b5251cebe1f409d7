//! Generate Rust code for the services of .proto files: a small builder
//! (`Config`) that writes one module per proto package, and a hook
//! (`ServiceGenerator`) that lets the caller add code for each service.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A service of a proto file: its name and its methods.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub package: String,
    pub name: String,
    pub methods: Vec<String>,
}

/// Called for every service, to append code to its package's module.
pub trait ServiceGenerator {
    fn generate(&mut self, service: Service, buf: &mut String);
    fn finalize(&mut self, _buf: &mut String) {}
}

#[derive(Default)]
pub struct Config {
    service_generator: Option<Box<dyn ServiceGenerator>>,
    include_file: Option<PathBuf>,
    out_dir: Option<PathBuf>,
}

impl Config {
    pub fn new() -> Self {
        Config::default()
    }

    pub fn service_generator(&mut self, service_generator: Box<dyn ServiceGenerator>) -> &mut Self {
        self.service_generator = Some(service_generator);
        self
    }

    pub fn include_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.include_file = Some(path.as_ref().to_path_buf());
        self
    }

    pub fn out_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(path.as_ref().to_path_buf());
        self
    }

    /// Read the `package` and `service ... { rpc ... }` lines of each proto file,
    /// and write `<package>.rs` for each package (none for a package without services).
    pub fn compile_protos(&mut self, protos: &[impl AsRef<Path>]) -> io::Result<()> {
        let out_dir = self.out_dir.clone().expect("out_dir is required");
        let mut packages: Vec<(String, String)> = Vec::new();
        for proto in protos {
            let text = fs::read_to_string(proto)?;
            let mut package = String::from("_");
            let mut service: Option<Service> = None;
            let mut buf = String::new();
            for line in text.lines().map(str::trim) {
                if let Some(p) = line.strip_prefix("package ") {
                    package = p.trim_end_matches(';').to_string();
                } else if let Some(s) = line.strip_prefix("service ") {
                    let name = s.trim_end_matches('{').trim().to_string();
                    service = Some(Service { package: package.clone(), name, methods: vec![] });
                } else if let (Some(r), Some(svc)) = (line.strip_prefix("rpc "), service.as_mut()) {
                    svc.methods.push(r.split('(').next().unwrap_or("").trim().to_string());
                } else if line == "}" {
                    if let (Some(svc), Some(g)) = (service.take(), self.service_generator.as_mut()) {
                        g.generate(svc, &mut buf);
                    }
                }
            }
            if let Some(g) = self.service_generator.as_mut() {
                g.finalize(&mut buf);
            }
            if !buf.is_empty() {
                packages.push((package, buf));
            }
        }
        for (package, buf) in &packages {
            fs::write(out_dir.join(format!("{package}.rs")), buf)?;
        }
        if let Some(include) = &self.include_file {
            let body: String = packages.iter().map(|(p, _)| format!("pub mod {p} {{ include!(\"{p}.rs\"); }}\n")).collect();
            fs::write(out_dir.join(include), body)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Default)]
    struct MockState {
        service_names: Vec<String>,
        package_names: Vec<String>,
        finalized: u32,
    }

    struct MockServiceGenerator {
        state: Rc<RefCell<MockState>>,
    }

    impl MockServiceGenerator {
        fn new(state: Rc<RefCell<MockState>>) -> Self {
            Self { state }
        }
    }

    impl ServiceGenerator for MockServiceGenerator {
        fn generate(&mut self, service: Service, buf: &mut String) {
            let mut state = self.state.borrow_mut();
            state.service_names.push(service.name.clone());
            state.package_names.push(service.package.clone());
            buf.push_str(&format!("pub struct {}Client; // {}\n", service.name, service.methods.join(", ")));
        }

        fn finalize(&mut self, _buf: &mut String) {
            self.state.borrow_mut().finalized += 1;
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("prost-build-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_proto(dir: &Path, file: &str, text: &str) -> PathBuf {
        let path = dir.join(file);
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn smoke_test() {
        let tempdir = tempdir("smoke");
        let proto = write_proto(&tempdir, "helloworld.proto", "package helloworld;\nservice Greeter {\n  rpc SayHello (HelloRequest) returns (HelloReply);\n}\n");

        let state = Rc::new(RefCell::new(MockState::default()));
        let gen = MockServiceGenerator::new(Rc::clone(&state));

        Config::new()
            .service_generator(Box::new(gen))
            .include_file("_protos.rs")
            .out_dir(&tempdir)
            .compile_protos(&[proto])
            .unwrap();

        let state = state.borrow();
        assert_eq!(state.service_names, ["Greeter"]);
        assert_eq!(state.package_names, ["helloworld"]);
        assert_eq!(state.finalized, 1);
        assert!(fs::read_to_string(tempdir.join("_protos.rs")).unwrap().contains("pub mod helloworld"));
    }

    #[test]
    fn test_generate_no_empty_outputs() {
        let state = Rc::new(RefCell::new(MockState::default()));
        let gen = MockServiceGenerator::new(Rc::clone(&state));
        let include_file = "_include.rs";
        let tempdir = tempdir("no-empty");
        let previously_empty_proto_path = tempdir.join("google.protobuf.rs");
        let empty = write_proto(&tempdir, "empty.proto", "package google.protobuf;\nmessage Empty {\n}\n");

        Config::new()
            .service_generator(Box::new(gen))
            .include_file(include_file)
            .out_dir(&tempdir)
            .compile_protos(&[empty])
            .unwrap();

        assert!(!previously_empty_proto_path.exists());
        assert_eq!(fs::read_to_string(tempdir.join(include_file)).unwrap(), "");
    }

    #[test]
    fn deterministic_include_file() {
        let tempdir = tempdir("deterministic");
        let a = write_proto(&tempdir, "a.proto", "package alpha;\nservice A {\n  rpc Get (Req) returns (Resp);\n}\n");
        let b = write_proto(&tempdir, "b.proto", "package beta;\nservice B {\n  rpc Put (Req) returns (Resp);\n}\n");
        let mut previous = None;

        for _ in 1..10 {
            let state = Rc::new(RefCell::new(MockState::default()));
            let gen = MockServiceGenerator::new(Rc::clone(&state));
            let include_file = "_include.rs";

            Config::new()
                .service_generator(Box::new(gen))
                .include_file(include_file)
                .out_dir(&tempdir)
                .compile_protos(&[&a, &b])
                .unwrap();

            let contents = fs::read_to_string(tempdir.join(include_file)).unwrap();
            if let Some(previous) = &previous {
                assert_eq!(previous, &contents);
            }
            previous = Some(contents);
        }
    }
}
