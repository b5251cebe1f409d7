mod linux_raw;

pub use linux_raw::{at_exit, exit_hooks_run, process_id, run_exit_hooks, arg_len};
