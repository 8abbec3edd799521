//! File uploads: checked as they stream in, kept in object storage, tracked in the `files` table.
//!
//! - [`Storage`] holds the bytes, through object_store: a local folder by default, an
//!   S3-compatible bucket by configuration (`[uploads.storage]` in `config/default.toml`).
//! - [`receive`] streams one multipart field into a new object under a random key, counting
//!   its bytes against `uploads.max_file_bytes` and deciding its type from its first bytes (not
//!   its name or what the browser claims) against `uploads.allowed_types`. A rejected file
//!   leaves nothing behind.
//! - [`clean_file_name`] and [`content_disposition`] make the uploader's file name safe to keep
//!   and to send back.
//! - The rows are `crate::models::file`; the pages (upload, list, download, delete) are
//!   `crate::routes::files`.

mod names;
mod receive;
mod settings;
mod storage;

pub use self::{
    names::{clean_file_name, content_disposition},
    receive::{Received, Rejected, Rules, receive},
    settings::{S3Config, StorageBackend, StorageConfig, UploadsConfig},
    storage::Storage,
};

/// A new random object key: 128 bits, URL-safe (22 characters), so keys cannot be guessed from
/// one another.
pub fn new_key() -> anyhow::Result<String> {
    crate::random::token::<16>()
}
