//! The connection pool is set up as `src/db.rs` promises, on every connection.

use sea_orm::sqlx::{
    self, Connection as _,
    sqlite::{Sqlite, SqliteConnection},
};

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
        assert_eq!(pragma::<String>(connection, "journal_mode").await, "wal");
        assert_eq!(pragma::<i64>(connection, "busy_timeout").await, 5000);
        assert_eq!(pragma::<i64>(connection, "foreign_keys").await, 1);
        assert_eq!(pragma::<i64>(connection, "synchronous").await, 1, "NORMAL");
        connection.ping().await.unwrap();
    }
}

/// The value of `PRAGMA name` on one connection.
async fn pragma<T>(connection: &mut SqliteConnection, name: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + Send + Unpin,
{
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_test_gets_a_database_of_its_own() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn().await;

    assert_ne!(first.database_url(), second.database_url());
}
