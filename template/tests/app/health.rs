//! The probes answer, and `/ready` tells the truth about the database.

use axum::http::StatusCode;

use crate::{
    app::{db, paths},
    helpers::TestApp,
};

#[tokio::test]
async fn health_answers_while_the_process_runs() {
    let app = TestApp::spawn().await;

    let response = app.server.get(&paths::Health.to_string()).await;

    response.assert_status_ok();
    response.assert_json(&serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn ready_answers_when_the_database_does() {
    let app = TestApp::spawn().await;

    let response = app.server.get(&paths::Ready.to_string()).await;

    response.assert_status_ok();
    response.assert_json(&serde_json::json!({ "status": "ready" }));
}

#[tokio::test]
async fn ready_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db().clone().close().await.expect("the pool closes");

    let response = app
        .server
        .get(&paths::Ready.to_string())
        .add_header("accept", "application/json")
        .await;

    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json();
    assert_eq!(body["error"]["status"], 503);
    assert!(
        !response.text().contains("pool"),
        "no internal detail: {}",
        response.text()
    );
}

#[tokio::test]
async fn stopping_the_services_closes_the_database_pool() {
    let app = TestApp::spawn().await;
    let db = app.db().clone();

    app.stop().await;

    assert!(
        db.ping().await.is_err(),
        "the pool is closed once the app has stopped"
    );
}

#[tokio::test]
async fn ready_answers_503_until_the_migrations_are_applied() {
    // A new version started before `migrate up`: the database has none of its tables.
    let app = TestApp::spawn_with(|config| config.database.migrate_on_start = false).await;

    let before = app.server.get(&paths::Ready.to_string()).await;
    db::migrate_up(app.db()).await.unwrap();
    let after = app.server.get(&paths::Ready.to_string()).await;

    before.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    after.assert_status_ok();
}
