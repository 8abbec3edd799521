//! Pieces several pages share.

pub mod flash;
pub mod form;
pub mod scroll;
