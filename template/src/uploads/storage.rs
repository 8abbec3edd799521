//! Where uploaded bytes live: object_store behind one small type, so the rest of the app does not
//! care whether that is a folder or a bucket.

use std::sync::Arc;

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use object_store::{
    ObjectStore, ObjectStoreExt as _, aws::AmazonS3Builder, buffered::BufWriter,
    local::LocalFileSystem, path::Path, prefix::PrefixStore,
};
use secrecy::ExposeSecret as _;

use super::{StorageBackend, StorageConfig};

/// Objects are written in parts of this size: files up to it go up in one request, larger ones
/// as a multipart upload, so an upload never holds more than this in memory. (5 MiB is the
/// smallest part S3 accepts.)
const PART_BYTES: usize = 5 * 1024 * 1024;

/// The uploads' object storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    /// The storage `config` describes. The local folder is created if missing; an S3 bucket must
    /// exist (`doctor` checks that it can be written).
    pub fn from_config(config: &StorageConfig) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match config.backend {
            StorageBackend::Local => {
                let dir = &config.local_dir;
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create {}", dir.display()))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(dir)
                        .with_context(|| format!("could not use {} for uploads", dir.display()))?,
                )
            }
            StorageBackend::S3 => {
                crate::server::use_ring_for_tls();
                let s3 = &config.s3;
                // The standard AWS_… variables fill what the configuration leaves empty.
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(&s3.bucket)
                    .with_allow_http(s3.allow_http);
                if !s3.region.is_empty() {
                    builder = builder.with_region(&s3.region);
                }
                if !s3.endpoint.is_empty() {
                    builder = builder.with_endpoint(&s3.endpoint);
                }
                if !s3.access_key_id.is_empty() {
                    builder = builder.with_access_key_id(&s3.access_key_id);
                }
                let secret = s3.secret_access_key.expose_secret();
                if !secret.is_empty() {
                    builder = builder.with_secret_access_key(secret);
                }
                let bucket = builder.build().context("the S3 settings are not usable")?;
                if s3.prefix.is_empty() {
                    Arc::new(bucket)
                } else {
                    Arc::new(PrefixStore::new(bucket, s3.prefix.as_str()))
                }
            }
        };
        Ok(Self { store })
    }

    /// A writer for a new object named `key`: feed it with `put`, end with `shutdown` (from
    /// `tokio::io::AsyncWriteExt`), or `abort` it.
    pub fn writer(&self, key: &str) -> BufWriter {
        BufWriter::with_capacity(self.store.clone(), path(key), PART_BYTES)
    }

    /// The object's size and its bytes as a response body, streamed from storage (not read into
    /// memory first).
    pub async fn read(&self, key: &str) -> anyhow::Result<(u64, Body)> {
        let object = self
            .store
            .get(&path(key))
            .await
            .with_context(|| format!("could not read the object {key}"))?;
        Ok((object.meta.size, Body::from_stream(object.into_stream())))
    }

    /// Whether an object named `key` exists.
    pub async fn exists(&self, key: &str) -> anyhow::Result<bool> {
        match self.store.head(&path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error).with_context(|| format!("could not look up the object {key}")),
        }
    }

    /// Whether no upload is stored at all.
    pub async fn is_empty(&self) -> anyhow::Result<bool> {
        let listed = self
            .store
            .list_with_delimiter(Some(&Path::from(FOLDER)))
            .await
            .context("could not list the stored objects")?;
        Ok(listed.objects.is_empty() && listed.common_prefixes.is_empty())
    }

    /// Deletes the object named `key`; one that is already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error).with_context(|| format!("could not delete the object {key}")),
        }
    }

    /// Writes, reads back and deletes a small object: what `doctor` runs to prove the storage
    /// works with these settings.
    pub async fn check(&self) -> anyhow::Result<()> {
        let key = format!("doctor-{}", super::new_key()?);
        let probe = Bytes::from_static(b"doctor");
        self.store
            .put(&path(&key), probe.clone().into())
            .await
            .context("could not write an object")?;
        let read = self
            .store
            .get(&path(&key))
            .await
            .context("could not read it back")?;
        let read = read.bytes().await.context("could not read it back")?;
        self.delete(&key).await?;
        anyhow::ensure!(
            read == probe,
            "an object read back differs from what was written"
        );
        Ok(())
    }
}

/// Where uploads are, so a bucket can hold other things too.
const FOLDER: &str = "files";

/// Where the object named `key` is.
fn path(key: &str) -> Path {
    Path::from_iter([FOLDER, key])
}
