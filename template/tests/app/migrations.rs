//! Migrations apply, revert and start over on a real database.

use sea_orm::{ConnectionTrait as _, Statement};

use crate::{app::db, helpers::TestApp};

async fn sessions_table_exists(app: &TestApp) -> bool {
    let backend = app.db().get_database_backend();
    // Selecting from a table that does not exist fails on both SQLite and Postgres.
    app.db()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM sessions",
        ))
        .await
        .is_ok()
}

#[tokio::test]
async fn the_test_app_starts_with_every_migration_applied() {
    let app = TestApp::spawn().await;

    let status = db::migration_status(app.db()).await.unwrap();

    assert!(!status.is_empty());
    assert!(status.iter().all(|(_, applied)| *applied), "{status:?}");
    assert!(sessions_table_exists(&app).await);
}

#[tokio::test]
async fn down_reverts_the_last_migration_and_up_applies_it_again() {
    let app = TestApp::spawn().await;

    db::migrate_down(app.db(), 1).await.unwrap();
    let status = db::migration_status(app.db()).await.unwrap();
    assert_eq!(status.last().map(|(_, applied)| *applied), Some(false));

    db::migrate_up(app.db()).await.unwrap();
    let status = db::migration_status(app.db()).await.unwrap();
    assert!(status.iter().all(|(_, applied)| *applied));
}

#[tokio::test]
async fn reverting_everything_removes_the_tables() {
    let app = TestApp::spawn().await;
    let count = db::migration_status(app.db()).await.unwrap().len();

    db::migrate_down(app.db(), u32::try_from(count).unwrap())
        .await
        .unwrap();

    assert!(!sessions_table_exists(&app).await);
}

#[tokio::test]
async fn fresh_rebuilds_an_empty_database() {
    let app = TestApp::spawn().await;
    let backend = app.db().get_database_backend();
    app.db()
        .execute_raw(Statement::from_string(
            backend,
            "INSERT INTO sessions (id, data, expires_at) VALUES ('x', '', 0)",
        ))
        .await
        .unwrap();

    db::migrate_fresh(app.db()).await.unwrap();

    let rows = app
        .db()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.try_get::<i64>("", "n").unwrap(), 0);
}
