//! Small helpers over C strings that lean on the C library.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

mod sys {
    use super::*;

    extern "C" {
        pub fn strlen(s: *const c_char) -> usize;
        pub fn strcmp(a: *const c_char, b: *const c_char) -> c_int;
    }
}

extern "C" {
    fn toupper(c: c_int) -> c_int;
}

pub fn c_len(s: &CStr) -> usize {
    unsafe { sys::strlen(s.as_ptr()) }
}

pub fn c_cmp(a: &CStr, b: &CStr) -> std::cmp::Ordering {
    let r = unsafe { sys::strcmp(a.as_ptr(), b.as_ptr()) };
    r.cmp(&0)
}

pub fn shout(s: &str) -> String {
    s.bytes().map(|b| unsafe { toupper(b as c_int) } as u8 as char).collect()
}

pub fn owned(s: &str) -> CString {
    CString::new(s).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_order() {
        assert_eq!(c_len(&owned("abc")), 3);
        assert_eq!(c_cmp(&owned("a"), &owned("b")), std::cmp::Ordering::Less);
    }

    #[test]
    fn upper() {
        assert_eq!(shout("hey!"), "HEY!");
    }
}
