//! Print the absolute difference of two integers parsed by the C runtime.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_long};

extern "C" {
    fn atoi(s: *const c_char) -> c_int;
    fn labs(x: c_long) -> c_long;
}

fn parse(s: &str) -> i32 {
    let c = CString::new(s).expect("no NUL in argument");
    unsafe { atoi(c.as_ptr()) }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = parse(args.first().map(String::as_str).unwrap_or("0"));
    let b = parse(args.get(1).map(String::as_str).unwrap_or("0"));
    let d = unsafe { labs((a - b) as c_long) };
    println!("|{} - {}| = {}", a, b, d);
}
