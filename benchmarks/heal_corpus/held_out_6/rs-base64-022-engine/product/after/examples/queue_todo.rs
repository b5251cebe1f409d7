use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::{engine::general_purpose, Engine as _};
use submillisecond::Router;

const NEWLINE: &[u8] = b"\n";
const HEADER_ADD: u8 = b'+';
const HEADER_DONE: u8 = b'-';

struct FileLog {
    path: PathBuf,
    file: File,
}

impl FileLog {
    fn open(path: &Path) -> io::Result<FileLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(FileLog { path: path.to_path_buf(), file })
    }

    pub fn append(&mut self, header: u8, data: &[u8]) {
        let encoded = general_purpose::STANDARD.encode(data);
        let buf = [&[header], encoded.as_bytes(), NEWLINE].concat();
        match self.file.write_all(&buf) {
            Err(why) => panic!("couldn't write to {}: {}", self.path.display(), why),
            Ok(_) => (),
        }
    }

    /// Entries added and not yet marked done, still encoded.
    fn pending(&self) -> Vec<String> {
        let reader = BufReader::new(File::open(&self.path).expect("log readable"));
        let mut todos: Vec<String> = Vec::new();
        for line in reader.lines() {
            let line = line.expect("utf-8 log");
            let (header, payload) = line.split_at(1);
            match header.as_bytes()[0] {
                HEADER_ADD => todos.push(payload.to_string()),
                HEADER_DONE => todos.retain(|t| t != payload),
                other => panic!("bad header {other}"),
            }
        }
        todos
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("queue_todo_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("todos.log");
    let _ = std::fs::remove_file(&path);

    let mut log = FileLog::open(&path).unwrap();
    log.append(HEADER_ADD, "write the docs".as_bytes());
    log.append(HEADER_ADD, "ship 0.3 ✓".as_bytes());
    log.append(HEADER_DONE, "write the docs".as_bytes());

    let router = Router::new().route("GET", "/todos", |_| (200, String::new()));
    let (status, _) = router.handle("GET", "/todos", "");
    let pending = log.pending();
    println!("{status} {:?}", pending);
    print!("{}", std::fs::read_to_string(&path).unwrap());
    assert_eq!(pending, vec!["c2hpcCAwLjMg4pyT".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}
