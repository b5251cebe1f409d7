use std::ffi::CString;
use std::os::raw::c_char;

#[unsafe(no_mangle)]
pub extern "C" fn greeting() -> *mut c_char {
    CString::new("hello").unwrap().into_raw()
}

#[unsafe(no_mangle)]
pub extern "C" fn greeting_free(ptr: *mut c_char) {
    if !ptr.is_null() {
        drop(unsafe { CString::from_raw(ptr) });
    }
}
