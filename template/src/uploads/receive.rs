//! Receiving one file: its bytes stream from the request to storage while they are counted,
//! hashed and, from the first few kilobytes, identified.

use axum::{
    body::Bytes,
    extract::multipart::{Field, MultipartError},
    http::StatusCode,
};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use super::Storage;

/// How much of the start of a file is read before its type is decided: enough for the magic
/// bytes of every type `infer` knows.
const SNIFF_BYTES: usize = 8 * 1024;

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub max_bytes: u64,
    /// MIME types, as `infer` names them (`image/png`).
    pub allowed_types: &'a [String],
}

impl Rules<'_> {
    fn allows(&self, mime: &str) -> bool {
        self.allowed_types.iter().any(|allowed| allowed == mime)
    }
}

/// A file now in storage.
#[derive(Debug)]
pub struct Received {
    /// The object's name in storage.
    pub key: String,
    /// Found in the content.
    pub content_type: &'static str,
    pub size: u64,
    /// SHA-256, in hexadecimal.
    pub checksum: String,
}

/// Why a file was not stored. Nothing of it is left in storage.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("no file was chosen")]
    Empty,
    #[error("the file is over the size limit")]
    TooLarge,
    /// `found` is the file extension of the type the content shows, if any.
    #[error("the content is not an allowed type (found {found:?})")]
    NotAllowed { found: Option<&'static str> },
    /// The request broke off or is not valid multipart: the client's doing.
    #[error("the upload could not be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Storage(anyhow::Error),
}

/// Streams `field` into a new object. Whatever goes wrong, the partial object is removed.
pub async fn receive(
    field: Field<'_>,
    storage: &Storage,
    rules: Rules<'_>,
) -> Result<Received, Rejected> {
    let key = super::new_key().map_err(Rejected::Storage)?;
    let mut upload = Upload {
        writer: storage.writer(&key),
        started: false,
        completed: false,
    };
    match stream(field, &mut upload, rules).await {
        Ok((content_type, size, checksum)) => Ok(Received {
            key,
            content_type,
            size,
            checksum,
        }),
        Err(rejected) => {
            upload.abort(storage, &key).await;
            Err(rejected)
        }
    }
}

/// The object being written: whether any of it was, and whether it was completed.
struct Upload {
    writer: object_store::buffered::BufWriter,
    started: bool,
    completed: bool,
}

impl Upload {
    async fn put(&mut self, bytes: Bytes) -> Result<(), Rejected> {
        self.started = true;
        self.writer
            .put(bytes)
            .await
            .map_err(|error| Rejected::Storage(error.into()))
    }

    /// Writes what is still buffered and completes the object.
    async fn complete(&mut self) -> Result<(), Rejected> {
        self.completed = true;
        self.writer
            .shutdown()
            .await
            .map_err(|error| Rejected::Storage(error.into()))
    }

    /// Drops what was written: a multipart upload in progress, or a completed object.
    async fn abort(mut self, storage: &Storage, key: &str) {
        if !self.started {
            return;
        }
        // A writer that was asked to complete can no longer be aborted, only deleted.
        if !self.completed
            && let Err(error) = self.writer.abort().await
        {
            tracing::warn!(key, error = %error, "could not abort a rejected upload");
        }
        if let Err(error) = storage.delete(key).await {
            tracing::warn!(
                key,
                error = format!("{error:#}"),
                "a rejected upload left an object"
            );
        }
    }
}

async fn stream(
    mut field: Field<'_>,
    upload: &mut Upload,
    rules: Rules<'_>,
) -> Result<(&'static str, u64, String), Rejected> {
    let mut head = Vec::new();
    let mut content_type = None;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = field.chunk().await? {
        size += chunk.len() as u64;
        if size > rules.max_bytes {
            return Err(Rejected::TooLarge);
        }
        hasher.update(&chunk);
        if content_type.is_some() {
            upload.put(chunk).await?;
            continue;
        }
        head.extend_from_slice(&chunk);
        if head.len() >= SNIFF_BYTES {
            content_type = Some(allowed_type(&head, rules)?);
            upload.put(Bytes::from(std::mem::take(&mut head))).await?;
        }
    }
    if size == 0 {
        return Err(Rejected::Empty);
    }
    let content_type = match content_type {
        Some(found) => found,
        None => {
            let found = allowed_type(&head, rules)?;
            upload.put(Bytes::from(head)).await?;
            found
        }
    };
    upload.complete().await?;
    Ok((content_type, size, format!("{:x}", hasher.finalize())))
}

/// The type the file's first bytes show, if the rules allow it.
fn allowed_type(head: &[u8], rules: Rules<'_>) -> Result<&'static str, Rejected> {
    let found = infer::get(head);
    match found.map(|kind| kind.mime_type()) {
        Some(mime) if rules.allows(mime) => Ok(mime),
        _ => Err(Rejected::NotAllowed {
            found: found.map(|kind| kind.extension()),
        }),
    }
}

/// A body over the request's size limit (the file and the form around it) reads as "too large";
/// anything else is a broken request.
impl From<MultipartError> for Rejected {
    fn from(error: MultipartError) -> Self {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::Unreadable(error.body_text())
        }
    }
}
