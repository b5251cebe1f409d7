//! The naming side of a pastebin: where an uploaded file is stored.

pub mod paste;
pub mod random;
