//! Counters exported to C.

pub mod c;
