//! What only the Redis cache can get wrong: an unreachable server.

use secrecy::SecretString;

use crate::app::{
    app::Services,
    cache::Cache,
    doctor::{self, Process, Verdict},
};
use crate::helpers::{TestDatabase, test_config};

/// Nothing listens on port 1.
const NO_SERVER: &str = "redis://127.0.0.1:1/0";

#[tokio::test]
async fn an_unreachable_redis_stops_the_start_with_a_clear_error() {
    let mut config = test_config();
    config.cache.url = SecretString::from(NO_SERVER);
    // A database of its own: the start migrates it before it reaches the cache.
    let database = TestDatabase::create(&config).await;
    config.database.url = SecretString::from(database.url.clone());

    let started = Cache::new(&config.cache).await;
    let services = Services::start(config).await;

    let error = format!("{:#}", started.unwrap_err());
    assert!(
        error.contains("could not connect to the Redis cache"),
        "{error}"
    );
    let error = format!("{:#}", services.unwrap_err());
    assert!(error.contains("could not set up the cache"), "{error}");
}

#[tokio::test]
async fn doctor_reports_an_unreachable_redis_with_its_fix() {
    let mut config = test_config();
    config.cache.url = SecretString::from(NO_SERVER);

    let findings = doctor::examine(&config, &Process::current()).await;

    let cache = findings
        .iter()
        .find(|finding| finding.check == "cache")
        .expect("a cache finding");
    let Verdict::Problem(problem) = &cache.verdict else {
        panic!("{cache:?}");
    };
    assert!(
        problem
            .problem
            .contains("could not connect to the Redis cache"),
        "{problem:?}"
    );
    assert!(problem.fix.contains("APP_CACHE__"));
}
