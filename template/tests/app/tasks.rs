//! The app's mail through its task queue: a page queues the email, a worker sends it, a refusal
//! is retried, and the waiting task keeps nothing readable. The queue itself is tested in its own
//! crate (`crates/queue/tests`).

use axum::http::StatusCode;
use sea_orm::{EntityTrait as _, QueryOrder as _};
use tenshu_queue::entity::{self as tasks, state};

use crate::app::{paths, tasks::send_email::Message};
use crate::helpers::TestApp;

async fn all_tasks(app: &TestApp) -> Vec<tasks::Model> {
    tasks::Entity::find()
        .order_by_asc(tasks::Column::Id)
        .all(app.db())
        .await
        .unwrap()
}

fn time_now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[tokio::test]
async fn a_page_that_sends_mail_queues_it_and_drain_sends_it() {
    let app = TestApp::spawn().await;

    app.submit(
        paths::Contact,
        paths::Contact,
        &[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("message", "Hello there"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let queued = all_tasks(&app).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].kind.as_str(), queued[0].queue.as_str()),
        ("send_email", "mail")
    );
    assert!(
        app.mail.all().is_empty(),
        "nothing is sent during the request"
    );
    assert_eq!(app.drain().await.succeeded, 1);
    assert_eq!(app.mail.to("owner@localhost").len(), 1);
}

#[tokio::test]
async fn an_email_the_mail_server_does_not_take_is_retried_later() {
    // A port where nothing listens.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(|config| config.mail.smtp.port = closed_port).await;

    app.state
        .send_email(
            "reader@example.com",
            Message {
                subject: "Hello".to_owned(),
                html: "<p>Hello</p>".to_owned(),
                text: "Hello".to_owned(),
                reply_to: None,
            },
        )
        .await
        .unwrap();
    let report = app.drain().await;

    assert_eq!(report.failed, 1);
    let task = &all_tasks(&app).await[0];
    assert_eq!(task.state, state::READY);
    assert_eq!(task.attempts, 1);
    let error = task.last_error.clone().unwrap_or_default();
    assert!(error.starts_with("SMTP failed"), "{error}");
    assert!(task.run_at > time_now_ms(), "retried later");
}

#[tokio::test]
async fn an_email_waits_sealed_and_its_task_keeps_nothing_once_sent() {
    let app = TestApp::spawn().await;
    // Any email: a contact message, which goes through the queue as a reset link does.
    let secret = "the text a reader of the tasks table must not see";
    app.submit(
        paths::Contact,
        paths::Contact,
        &[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.com"),
            ("message", secret),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let waiting = &all_tasks(&app).await[0];
    assert_eq!(waiting.kind, "send_email");
    // Words with a space, which the sealed text (base64url) never holds by chance, as it may
    // hold a short word such as "Ada".
    assert!(!waiting.payload.contains(secret), "{}", waiting.payload);
    assert!(
        !waiting.payload.contains("Ada Lovelace"),
        "{}",
        waiting.payload
    );

    app.drain().await;
    let done = &all_tasks(&app).await[0];
    assert_eq!(done.state, state::DONE);
    assert_eq!(done.payload, "");
    let sent = app
        .mail
        .wait_for(&app.state.config.mail.contact_to, 1)
        .await;
    assert!(sent.text().contains(secret));
}
