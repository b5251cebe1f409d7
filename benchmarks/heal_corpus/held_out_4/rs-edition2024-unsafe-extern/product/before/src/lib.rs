//! Program startup and shutdown helpers.

pub mod program;
