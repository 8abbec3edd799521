//! The cache in this process's memory: moka, weighed in bytes, with a time to live per entry.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use moka::{Expiry, future::Cache as Moka};
use tokio::sync::OwnedMutexGuard;

use super::{CacheError, Put};
use crate::config::CacheConfig;

#[derive(Clone, Debug)]
pub struct Store {
    entries: Moka<String, Entry>,
    /// Tag → the keys put with it. A key that expired since is removed again harmlessly.
    tags: Arc<Mutex<HashMap<String, HashSet<String>>>>,
    /// Key → the lock of whoever is computing it ([`super::Cache::get_or_compute`]).
    computing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

#[derive(Clone, Debug)]
struct Entry {
    json: Arc<[u8]>,
    ttl: Duration,
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
                u32::try_from(key.len() + entry.json.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Ok(Self {
            entries,
            tags: Arc::default(),
            computing: Arc::default(),
        })
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.get(key).await.map(|entry| entry.json.to_vec()))
    }

    pub async fn set(&self, key: &str, json: Vec<u8>, put: &Put) -> Result<(), CacheError> {
        if !put.tags.is_empty() {
            let mut tags = self
                .tags
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for tag in &put.tags {
                tags.entry(tag.clone()).or_default().insert(key.to_owned());
            }
        }
        let entry = Entry {
            json: json.into(),
            ttl: put.ttl,
        };
        self.entries.insert(key.to_owned(), entry).await;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries.invalidate(key).await;
        Ok(())
    }

    pub async fn invalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        let keys = self
            .tags
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(tag)
            .unwrap_or_default();
        for key in keys {
            self.entries.invalidate(&key).await;
        }
        Ok(())
    }

    pub async fn flush(&self) -> Result<(), CacheError> {
        self.entries.invalidate_all();
        self.tags
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        Ok(())
    }

    pub async fn lock(&self, key: &str) -> Result<Lock, CacheError> {
        let mutex = Arc::clone(
            self.computing
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(key.to_owned())
                .or_default(),
        );
        Ok(Lock {
            key: key.to_owned(),
            _guard: mutex.lock_owned().await,
        })
    }

    pub async fn unlock(&self, lock: Lock) {
        let key = lock.key.clone();
        drop(lock);
        // Forget the key's mutex once nobody holds or waits for it.
        let mut computing = self
            .computing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if computing
            .get(&key)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            computing.remove(&key);
        }
    }
}
