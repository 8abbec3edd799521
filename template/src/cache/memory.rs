//! The cache in this process's memory: moka, weighed in bytes, with a time to live per entry.
//!
//! Tags are versions: each entry remembers the version of its tags when it was put, and
//! invalidating a tag moves its version on, which makes every older entry of the tag a miss. No
//! list of keys per tag to keep up to date, and nothing left behind when entries expire.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use moka::{Expiry, future::Cache as Moka};
use tokio::sync::OwnedMutexGuard;

use super::{CacheError, Put};
use crate::config::CacheConfig;

#[derive(Clone, Debug)]
pub struct Store {
    entries: Moka<String, Entry>,
    /// Tag → its version, moved on by each invalidation.
    versions: Arc<Mutex<HashMap<String, u64>>>,
    /// Key → the lock of whoever is computing it ([`super::Cache::get_or_compute`]).
    computing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

#[derive(Clone, Debug)]
struct Entry {
    json: Arc<[u8]>,
    ttl: Duration,
    /// Each tag of the entry, and its version when the entry was put.
    tags: Arc<[(String, u64)]>,
}

/// Each entry lives for the time to live it was put with.
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// Held while a value is computed; dropping it lets the next caller in.
pub struct Lock {
    key: String,
    _guard: OwnedMutexGuard<()>,
}

impl Store {
    pub async fn new(config: &CacheConfig) -> anyhow::Result<Self> {
        let entries = Moka::builder()
            .max_capacity(config.max_capacity_mb.saturating_mul(1_000_000))
            .weigher(|key: &String, entry: &Entry| {
                let tags: usize = entry.tags.iter().map(|(tag, _)| tag.len() + 8).sum();
                u32::try_from(key.len() + entry.json.len() + tags).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Ok(Self {
            entries,
            versions: Arc::default(),
            computing: Arc::default(),
        })
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let Some(entry) = self.entries.get(key).await else {
            return Ok(None);
        };
        // Untagged entries (most) never touch the versions' lock.
        let current = entry.tags.is_empty() || {
            let versions = locked(&self.versions);
            entry
                .tags
                .iter()
                .all(|(tag, version)| versions.get(tag).copied().unwrap_or(0) == *version)
        };
        if current {
            Ok(Some(entry.json.to_vec()))
        } else {
            // One of its tags was invalidated after it was put.
            self.entries.invalidate(key).await;
            Ok(None)
        }
    }

    pub async fn set(&self, key: &str, json: Vec<u8>, put: &Put) -> Result<(), CacheError> {
        let tags = if put.tags.is_empty() {
            Arc::default()
        } else {
            let versions = locked(&self.versions);
            put.tags
                .iter()
                .map(|tag| (tag.clone(), versions.get(tag).copied().unwrap_or(0)))
                .collect()
        };
        let entry = Entry {
            json: json.into(),
            ttl: put.ttl,
            tags,
        };
        self.entries.insert(key.to_owned(), entry).await;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries.invalidate(key).await;
        Ok(())
    }

    pub async fn invalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        *locked(&self.versions).entry(tag.to_owned()).or_default() += 1;
        Ok(())
    }

    pub async fn flush(&self) -> Result<(), CacheError> {
        self.entries.invalidate_all();
        Ok(())
    }

    pub async fn lock(&self, key: &str) -> Result<Lock, CacheError> {
        let mutex = Arc::clone(locked(&self.computing).entry(key.to_owned()).or_default());
        Ok(Lock {
            key: key.to_owned(),
            _guard: mutex.lock_owned().await,
        })
    }

    pub async fn unlock(&self, held: Lock) {
        let key = held.key.clone();
        drop(held);
        // Forget the key's mutex once nobody holds it or waits for it.
        let mut computing = locked(&self.computing);
        if computing
            .get(&key)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            computing.remove(&key);
        }
    }
}

/// The maps above are held for a few operations, never across an await, with nothing that can
/// panic meanwhile: a poisoned lock still guards valid data.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
