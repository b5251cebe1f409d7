use std::env;
use std::ffi::OsStr;
use std::thread;

#[test]
fn same_as_args_os() {
    let expected: Vec<_> = env::args_os().collect();
    let actual: Vec<&'static OsStr> = argv::iter().collect();
    assert_eq!(expected.len(), actual.len());
    for (e, a) in expected.iter().zip(&actual) {
        assert_eq!(e.as_os_str(), *a);
    }
}

#[test]
fn exact_size_and_threads() {
    let len = argv::iter().len();
    assert!(len >= 1);
    let handles: Vec<_> = (0..4).map(|_| thread::spawn(|| argv::iter().count())).collect();
    for h in handles {
        assert_eq!(len, h.join().unwrap());
    }
}
