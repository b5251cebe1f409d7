//! The C interface.

use std::os::raw::c_long;
use std::sync::atomic::{AtomicI64, Ordering};

static TOTAL: AtomicI64 = AtomicI64::new(0);

#[unsafe(no_mangle)]
pub extern "C" fn counter_add(step: c_long) -> c_long {
    let before = TOTAL.fetch_add(step as i64, Ordering::SeqCst);
    let now = before + step as i64;

    now as c_long
}

/// Reset to zero and return the value it had.
/// Safe to call from any thread.
/// Used by the tests of the C side.
/// Cheap: one atomic swap.
#[unsafe(no_mangle)]
pub extern "C" fn counter_reset() -> c_long {
    TOTAL.swap(0, Ordering::SeqCst) as c_long
}
