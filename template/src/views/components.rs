//! Pieces several pages share.

pub mod confirm;
pub mod flash;
pub mod form;
pub mod list;
pub mod scroll;
pub mod value;
