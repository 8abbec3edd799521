//! Pieces several pages share.

pub mod flash;
