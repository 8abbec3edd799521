//! The cache in Redis, shared by every instance of the app. Under `cache.key_prefix`: a key per
//! entry (`value:…`), a set of keys per tag (`tag:…`), and a lock while a value is computed
//! (`lock:…`).

use std::time::{Duration, Instant};

use redis::{
    AsyncCommands as _, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{CacheError, Put};
use crate::config::CacheConfig;

/// How long connecting and each command may take: a Redis that hangs must not hang requests.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a computation may hold its key's lock: a caller that dies while computing frees the
/// key after this long.
const LOCK_TTL: Duration = Duration::from_secs(30);
/// How often a caller waiting for a key's lock asks again.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Deletes every key of a tag's set, then the set, in one step.
const INVALIDATE_TAG: &str = r"
local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #keys
";

/// Deletes a lock only if it is still ours (it may have expired and been taken by another).
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

#[derive(Clone)]
pub struct Store {
    redis: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Held while a value is computed: the lock key and the random token that proves it is ours.
pub struct Lock {
    key: String,
    token: String,
}

impl From<redis::RedisError> for CacheError {
    fn from(error: redis::RedisError) -> Self {
        Self(error.to_string())
    }
}

impl Store {
    pub async fn new(config: &CacheConfig) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use secrecy::ExposeSecret as _;

        let client = redis::Client::open(config.url.expose_secret())
            .context("cache.url is not a Redis URL")?;
        // Reconnects by itself when the connection drops, retrying once each time: a request
        // whose cache is down computes its value rather than wait for Redis to come back.
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_with_config(client, settings)
            .await
            .context("could not connect to the Redis cache (cache.url)")?;
        Ok(Self {
            redis,
            prefix: config.key_prefix.clone(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}value:{key}", self.prefix)
    }

    fn tag_key(&self, tag: &str) -> String {
        format!("{}tag:{tag}", self.prefix)
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.redis.clone().get(self.key(key)).await?)
    }

    pub async fn set(&self, key: &str, json: Vec<u8>, put: &Put) -> Result<(), CacheError> {
        let key = self.key(key);
        let ttl_ms = u64::try_from(put.ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&key)
            .arg(json)
            .arg("PX")
            .arg(ttl_ms)
            .ignore();
        for tag in &put.tags {
            let tag_key = self.tag_key(tag);
            // The tag's set lives as long as its longest-lived entry (NX: when it has no expiry
            // yet; GT: when this entry outlives it).
            pipe.cmd("SADD").arg(&tag_key).arg(&key).ignore();
            pipe.cmd("PEXPIRE")
                .arg(&tag_key)
                .arg(ttl_ms)
                .arg("NX")
                .ignore();
            pipe.cmd("PEXPIRE")
                .arg(&tag_key)
                .arg(ttl_ms)
                .arg("GT")
                .ignore();
        }
        pipe.query_async::<()>(&mut self.redis.clone()).await?;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.redis.clone().del::<_, ()>(self.key(key)).await?;
        Ok(())
    }

    pub async fn invalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        Script::new(INVALIDATE_TAG)
            .key(self.tag_key(tag))
            .invoke_async::<i64>(&mut self.redis.clone())
            .await?;
        Ok(())
    }

    /// Deletes this app's keys, a thousand at a time, leaving other apps' keys alone.
    pub async fn flush(&self) -> Result<(), CacheError> {
        let pattern = format!("{}*", escape_glob(&self.prefix));
        let mut redis = self.redis.clone();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut redis)
                .await?;
            if !keys.is_empty() {
                redis.unlink::<_, ()>(keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Takes the key's lock (`SET NX` with an expiry), asking every 10 ms while another caller
    /// holds it, for at most [`LOCK_TTL`].
    pub async fn lock(&self, key: &str) -> Result<Lock, CacheError> {
        let lock = Lock {
            key: format!("{}lock:{key}", self.prefix),
            token: random_token()?,
        };
        let ttl_ms = u64::try_from(LOCK_TTL.as_millis()).unwrap_or(u64::MAX);
        let deadline = Instant::now() + LOCK_TTL;
        let mut redis = self.redis.clone();
        loop {
            let taken: Option<String> = redis::cmd("SET")
                .arg(&lock.key)
                .arg(&lock.token)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut redis)
                .await?;
            if taken.is_some() {
                return Ok(lock);
            }
            if Instant::now() >= deadline {
                return Err(CacheError(format!("{key} stayed locked for {LOCK_TTL:?}")));
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
    }

    pub async fn unlock(&self, lock: Lock) {
        let released = Script::new(UNLOCK)
            .key(&lock.key)
            .arg(&lock.token)
            .invoke_async::<i64>(&mut self.redis.clone())
            .await;
        if let Err(error) = released {
            // It expires by itself after LOCK_TTL.
            tracing::warn!(%error, key = lock.key, "could not release a cache lock");
        }
    }
}

/// `*`, `?`, `[` and `\` are wildcards in a SCAN pattern: a prefix holding one matches literally.
fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn random_token() -> Result<String, CacheError> {
    crate::random::token::<16>().map_err(|error| CacheError(format!("{error:#}")))
}
