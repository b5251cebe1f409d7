use std::os::raw::c_char;

#[no_mangle]
pub extern "C" fn rust_free_ptr(ptr: *mut c_char) {
    let _ = ptr;
}
