//! The uploads' settings (`[uploads]` in `config/default.toml`), read with the rest by
//! `crate::config`.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadsConfig {
    /// Larger files get a 413.
    pub max_file_bytes: u64,
    /// MIME types, as found in a file's first bytes.
    pub allowed_types: Vec<String>,
    pub storage: StorageConfig,
}

impl UploadsConfig {
    /// The body limit of the upload route: the largest file, plus room for the form around it.
    pub fn request_limit_bytes(&self) -> usize {
        usize::try_from(self.max_file_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024)
    }

    /// What must hold, each with the message that names the key to fix (see
    /// `crate::config::Config::load`).
    pub fn checks(&self) -> [(bool, &'static str); 3] {
        [
            (
                self.max_file_bytes > 0,
                "uploads.max_file_bytes must be above 0",
            ),
            (
                !self.allowed_types.is_empty()
                    && self
                        .allowed_types
                        .iter()
                        .all(|mime| infer::is_mime_supported(mime)),
                "uploads.allowed_types must list MIME types that can be recognised by their \
                 content, such as \"image/png\" (see the `infer` crate's list)",
            ),
            (
                self.storage.backend != StorageBackend::S3 || !self.storage.s3.bucket.is_empty(),
                "uploads.storage.s3.bucket is needed with uploads.storage.backend = \"s3\"",
            ),
        ]
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub backend: StorageBackend,
    pub local_dir: PathBuf,
    pub s3: S3Config,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    Local,
    S3,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub allow_http: bool,
}
