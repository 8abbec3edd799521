//! The cache: typed values under string keys, each kept for a time to live, shared by every
//! request{% if cache == "redis" %} and, through Redis, by every instance of the app{% endif %}.
//!
//! ```ignore
//! // Read through: compute on a miss, once however many requests miss at the same moment.
//! let put = Put::ttl(Duration::from_secs(60)).tag("users");
//! let stats: Stats = app.cache.get_or_compute("home:stats", put, || Stats::count(&app.db)).await?;
//! // After a change to users, every entry tagged "users" is gone.
//! app.cache.invalidate_tag("users").await?;
//! ```
//!
//! Values are stored as JSON, so any `Serialize + DeserializeOwned` type can be cached, and a
//! value that no longer reads as its type (after a deployment changed the type) is a miss, not an
//! error. Prefix keys and tags by what they hold: `home:stats`, `user:42`.
//!
//! Whole pages have a cache of their own, in this process's memory: see [`pages`].
{%- if cache == "redis" %}
//!
//! The store is Redis (`cache.url`). Every key starts with `cache.key_prefix`, so several apps can
//! share one server, and `flush` deletes only this app's keys.
{%- else %}
//!
//! The store is this process's memory (moka), bounded by `cache.max_capacity_mb`: when it is
//! full, the entries least likely to be used again go first. Each instance of the app has its
//! own; the template's `cache = redis` option makes one cache for several instances.
{%- endif %}

use std::{future::Future, time::Duration};

use serde::{Serialize, de::DeserializeOwned};

use crate::config::CacheConfig;

mod compressed;
pub mod pages;
{%- if cache == "redis" %}
mod redis;

use pages::PageCache;
use redis::Store;
{%- else %}
mod memory;

use memory::Store;
use pages::PageCache;
{%- endif %}

/// The app's cache. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Cache {
    store: Store,
    pages: PageCache,
}

/// How a value is put in the cache: for how long, and under which tags.
#[derive(Clone, Debug)]
pub struct Put {
    ttl: Duration,
    tags: Vec<String>,
}

impl Put {
    /// Kept for `ttl`, then gone.
    pub fn ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            tags: Vec::new(),
        }
    }

    /// Also removed when `tag` is invalidated ([`Cache::invalidate_tag`]).
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
}

/// The store could not be reached or did not answer as expected.
#[derive(Debug, thiserror::Error)]
#[error("the cache failed: {0}")]
pub struct CacheError(String);

impl Cache {
    /// Connects to the configured store.
    pub async fn new(config: &CacheConfig) -> anyhow::Result<Self> {
        Ok(Self {
            store: Store::new(config).await?,
            pages: PageCache::new(config.page_capacity_mb),
        })
    }

    /// The value under `key`, if there is one, not expired, and still readable as a `T`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, CacheError> {
        let json = self.store.get(key).await?;
        Ok(json.and_then(|json| serde_json::from_slice(&json).ok()))
    }

    /// Puts `value` under `key`, replacing what was there.
    pub async fn set<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        put: Put,
    ) -> Result<(), CacheError> {
        let json = serde_json::to_vec(value)
            .map_err(|e| CacheError(format!("{key} cannot be written as JSON: {e}")))?;
        self.store.set(key, json, &put).await
    }

    /// Removes `key`.
    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.store.delete(key).await
    }

    /// Removes every entry put with `tag`.
    pub async fn invalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        self.store.invalidate_tag(tag).await
    }

    /// Removes every entry{% if cache == "redis" %} of this app (the keys under `cache.key_prefix`){% endif %},
    /// and every page this process keeps.
    pub async fn flush(&self) -> Result<(), CacheError> {
        self.pages.clear();
        self.store.flush().await
    }

    /// Whole pages kept for visitors without a session: see [`pages`].
    pub fn pages(&self) -> &PageCache {
        &self.pages
    }

    /// The value under `key`; on a miss, `compute`s it and puts it. Concurrent misses of the same
    /// key{% if cache == "redis" %}, from any instance,{% endif %} compute it once: the first caller computes while the others wait,
    /// then they read its result.
    ///
    /// An error of `compute` is returned and nothing is cached. When the store fails, the value
    /// is computed without it (and the failure logged): a broken cache slows the app down, it
    /// does not take it down.
    pub async fn get_or_compute<T, E, F, Fut>(
        &self,
        key: &str,
        put: Put,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match self.get(key).await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => return without_cache(key, &error, compute).await,
        }
        // One caller at a time past this point, per key; the others wait here.
        let lock = match self.store.lock(key).await {
            Ok(lock) => lock,
            Err(error) => return without_cache(key, &error, compute).await,
        };
        // Whoever held the lock before may have put the value meanwhile.
        if let Ok(Some(value)) = self.get(key).await {
            self.store.unlock(lock).await;
            return Ok(value);
        }
        let computed = compute().await;
        if let Ok(value) = &computed
            && let Err(error) = self.set(key, value, put).await
        {
            tracing::warn!(%error, key, "could not put a computed value in the cache");
        }
        self.store.unlock(lock).await;
        computed
    }
}

async fn without_cache<T, E, Fut>(
    key: &str,
    error: &CacheError,
    compute: impl FnOnce() -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    tracing::warn!(%error, key, "the cache failed: computing the value without it");
    compute().await
}
