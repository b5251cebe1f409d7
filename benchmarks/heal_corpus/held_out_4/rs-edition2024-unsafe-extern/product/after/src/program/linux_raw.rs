//! The parts of program startup and exit that talk to the C runtime.

use core::ffi::{c_char, c_int};
use std::sync::Mutex;

static EXIT_HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());
static HOOKS_RUN: Mutex<usize> = Mutex::new(0);

/// The id of this process, as the C runtime reports it.
pub fn process_id() -> u32 {
    unsafe {
        // The C runtime's own view of the process, used to label the
        // startup trace.
        unsafe extern "C" {
            fn getpid() -> c_int;
        }

        getpid() as u32
    }
}

/// The length of a NUL-terminated argument, as the C runtime measures it.
pub fn arg_len(arg: &core::ffi::CStr) -> usize {
    unsafe {
        // Measure with strlen, as the startup code does for argv entries
        // before it builds the Rust strings.
        unsafe extern "C" {
            fn strlen(s: *const c_char) -> usize;
        }

        strlen(arg.as_ptr())
    }
}

/// Register a function to run at exit, in reverse order.
pub fn at_exit(f: fn()) {
    EXIT_HOOKS.lock().unwrap().push(f);
}

/// Run the registered exit hooks (last registered first); return how many ran.
pub fn run_exit_hooks() -> usize {
    let hooks: Vec<fn()> = EXIT_HOOKS.lock().unwrap().drain(..).collect();
    for f in hooks.iter().rev() {
        f();
    }
    *HOOKS_RUN.lock().unwrap() += hooks.len();
    hooks.len()
}

pub fn exit_hooks_run() -> usize {
    *HOOKS_RUN.lock().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_matches_std() {
        assert_eq!(process_id(), std::process::id());
    }

    #[test]
    fn strlen_of_arg() {
        assert_eq!(arg_len(c"--verbose"), 9);
    }

    #[test]
    fn hooks_run_in_reverse() {
        fn a() {}
        fn b() {}
        at_exit(a);
        at_exit(b);
        assert_eq!(run_exit_hooks(), 2);
        assert_eq!(exit_hooks_run(), 2);
    }
}
