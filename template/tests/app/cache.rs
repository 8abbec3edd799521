//! The cache, on the store this app was generated with (memory, or a real Redis server): typed
//! values, time to live, delete, flush, tags, and get-or-compute computing once for many callers.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::app::cache::{Cache, Put};
use crate::helpers::test_config;

const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    visits: u32,
}

fn ada() -> Profile {
    Profile {
        name: "Ada".to_owned(),
        visits: 3,
    }
}

async fn new_cache() -> Cache {
    Cache::new(&test_config().cache)
        .await
        .expect("the cache starts")
}

#[tokio::test]
async fn a_value_comes_back_as_its_type_until_deleted() {
    let cache = new_cache().await;

    cache
        .set("profile:1", &ada(), Put::ttl(MINUTE))
        .await
        .unwrap();
    let found: Option<Profile> = cache.get("profile:1").await.unwrap();
    // Read as another type, the value is a miss, not an error.
    let as_number: Option<u64> = cache.get("profile:1").await.unwrap();
    cache.delete("profile:1").await.unwrap();
    let deleted: Option<Profile> = cache.get("profile:1").await.unwrap();

    assert_eq!(found, Some(ada()));
    assert_eq!(as_number, None);
    assert_eq!(deleted, None);
}

#[tokio::test]
async fn a_value_expires_after_its_time_to_live() {
    let cache = new_cache().await;

    cache
        .set("short", &1, Put::ttl(Duration::from_millis(300)))
        .await
        .unwrap();
    cache.set("long", &2, Put::ttl(MINUTE)).await.unwrap();
    let before: Option<i32> = cache.get("short").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;

    assert_eq!(before, Some(1));
    assert_eq!(cache.get::<i32>("short").await.unwrap(), None);
    assert_eq!(cache.get::<i32>("long").await.unwrap(), Some(2));
}

#[tokio::test]
async fn invalidating_a_tag_removes_its_entries_only() {
    let cache = new_cache().await;
    let users = Put::ttl(MINUTE).tag("users");

    cache.set("user:1", &ada(), users.clone()).await.unwrap();
    cache
        .set("users:count", &1, users.clone().tag("stats"))
        .await
        .unwrap();
    cache
        .set("posts:count", &7, Put::ttl(MINUTE).tag("stats"))
        .await
        .unwrap();
    cache.invalidate_tag("users").await.unwrap();

    assert_eq!(cache.get::<Profile>("user:1").await.unwrap(), None);
    assert_eq!(cache.get::<i32>("users:count").await.unwrap(), None);
    assert_eq!(cache.get::<i32>("posts:count").await.unwrap(), Some(7));
    // An entry put again after the invalidation stays.
    cache.set("user:1", &ada(), users).await.unwrap();
    assert_eq!(cache.get::<Profile>("user:1").await.unwrap(), Some(ada()));
}

#[tokio::test]
async fn flush_empties_this_cache_and_leaves_another_apps_alone() {
    let cache = new_cache().await;
    let other_app = new_cache().await;
    cache.set("a", &1, Put::ttl(MINUTE).tag("t")).await.unwrap();
    cache.set("b", &2, Put::ttl(MINUTE)).await.unwrap();
    other_app.set("a", &10, Put::ttl(MINUTE)).await.unwrap();

    cache.flush().await.unwrap();

    assert_eq!(cache.get::<i32>("a").await.unwrap(), None);
    assert_eq!(cache.get::<i32>("b").await.unwrap(), None);
    assert_eq!(other_app.get::<i32>("a").await.unwrap(), Some(10));
}

#[tokio::test]
async fn get_or_compute_computes_once_for_fifty_concurrent_callers() {
    let cache = new_cache().await;
    let computed = Arc::new(AtomicUsize::new(0));

    let callers = (0..50).map(|_| {
        let (cache, computed) = (cache.clone(), Arc::clone(&computed));
        tokio::spawn(async move {
            cache
                .get_or_compute("slow:answer", Put::ttl(MINUTE), || async {
                    computed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok::<_, std::convert::Infallible>(42_u64)
                })
                .await
                .unwrap()
        })
    });
    let answers: Vec<u64> = futures_of(callers).await;

    assert_eq!(computed.load(Ordering::SeqCst), 1);
    assert_eq!(answers, vec![42; 50]);
    assert_eq!(cache.get::<u64>("slow:answer").await.unwrap(), Some(42));
}

#[tokio::test]
async fn a_failed_computation_is_returned_and_not_cached() {
    let cache = new_cache().await;

    let failed = cache
        .get_or_compute("flaky", Put::ttl(MINUTE), || async {
            Err::<u64, _>("no answer")
        })
        .await;
    let retried = cache
        .get_or_compute("flaky", Put::ttl(MINUTE), || async { Ok::<_, &str>(7_u64) })
        .await;

    assert_eq!(failed, Err("no answer"));
    assert_eq!(retried, Ok(7));
}

/// Awaits every task, in order.
async fn futures_of<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}
