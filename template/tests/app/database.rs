//! The connection pool is set up as `src/db.rs` promises, on every connection.

use sea_orm::sqlx::{self, Connection as _};

use crate::{app::db::Backend, helpers::TestApp};

#[tokio::test]
async fn sqlite_settings_hold_on_every_pooled_connection() {
    let app = TestApp::spawn().await;
    if app.backend() != Backend::Sqlite {
        return;
    }
    let pool = app.db().get_sqlite_connection_pool();

    // Hold several connections at once, so they are distinct ones.
    let mut connections = Vec::new();
    for _ in 0..3 {
        connections.push(pool.acquire().await.unwrap());
    }
    for connection in &mut connections {
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **connection)
            .await
            .unwrap();

        assert_eq!(journal, "wal");
        assert_eq!(busy_timeout, 5000);
        assert_eq!(foreign_keys, 1);
        assert_eq!(synchronous, 1, "NORMAL");
        connection.ping().await.unwrap();
    }
}

#[tokio::test]
async fn each_test_gets_a_database_of_its_own() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn().await;

    assert_ne!(first.database_url(), second.database_url());
}
