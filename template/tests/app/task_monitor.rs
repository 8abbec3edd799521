//! The admin area's task monitor, over tasks written straight into the queue's table in each
//! state.

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, EntityTrait as _};
use tenshu_queue::entity::{ActiveModel, Entity as Tasks, Model as Task, state};

use crate::{
    app::paths,
    helpers::{TestApp, html, select, text_of},
};

const PASSWORD: &str = "correct horse battery staple";

/// A task of `queue` in `state`, due `run_in_ms` from now.
async fn task(app: &TestApp, queue: &str, task_state: &str, run_in_ms: i64) -> Task {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let failed = task_state == state::FAILED;
    ActiveModel {
        kind: Set("send_email".to_owned()),
        queue: Set(queue.to_owned()),
        payload: Set("{}".to_owned()),
        state: Set(task_state.to_owned()),
        priority: Set(0),
        attempts: Set(if failed { 5 } else { 0 }),
        max_attempts: Set(5),
        run_at: Set(now + run_in_ms),
        locked_until: Set((task_state == state::RUNNING).then_some(now + 30_000)),
        unique_key: Set(None),
        last_error: Set(failed.then(|| "the SMTP server said 550: no such mailbox".to_owned())),
        created_at: Set(now),
        finished_at: Set(matches!(task_state, state::DONE | state::FAILED).then_some(now)),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("a task")
}

#[tokio::test]
async fn the_monitor_counts_each_queue_by_state_and_lists_what_needs_attention() {
    let app = TestApp::spawn().await;
    app.create_user("root@example.com", PASSWORD, true).await;
    app.sign_in("root@example.com", PASSWORD).await;
    task(&app, "mail", state::READY, -1000).await;
    task(&app, "mail", state::READY, 3_600_000).await;
    task(&app, "mail", state::RUNNING, 0).await;
    task(&app, "mail", state::FAILED, 0).await;
    task(&app, "default", state::DONE, 0).await;
    task(&app, "default", state::DONE, 0).await;

    let page = app.get(paths::AdminTasks).await;
    page.assert_status_ok();
    let document = html(&page);
    let rows: Vec<String> = select(&document, "[data-testid=queues] tbody tr")
        .iter()
        .map(|row| row.text().collect::<Vec<_>>().join(" "))
        .collect();
    // queue, due, scheduled, running, done, failed
    assert_eq!(rows, ["default 0 0 0 2 0", "mail 1 1 1 0 1"]);
    let failed = text_of(&document, "[data-testid=failed]");
    assert!(failed.contains("5 of 5 attempts"), "{failed}");
    assert!(failed.contains("550: no such mailbox"), "{failed}");
    assert_eq!(select(&document, "[data-testid=running] tbody tr").len(), 1);
    assert_eq!(
        select(&document, "[data-testid=scheduled] tbody tr").len(),
        1
    );
}

#[tokio::test]
async fn a_failed_task_is_retried_or_deleted_but_a_running_one_is_left_alone() {
    let app = TestApp::spawn().await;
    app.create_user("root@example.com", PASSWORD, true).await;
    app.sign_in("root@example.com", PASSWORD).await;
    let failed = task(&app, "mail", state::FAILED, 0).await;
    let other = task(&app, "mail", state::FAILED, 0).await;
    let running = task(&app, "mail", state::RUNNING, 0).await;
    let token = app.form_token(paths::AdminTasks).await;

    app.post_with_token(paths::AdminRetryTask { id: failed.id }, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let retried = Tasks::find_by_id(failed.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.state, state::READY);
    assert_eq!(retried.attempts, 0);
    assert_eq!(retried.finished_at, None);

    app.post_with_token(paths::AdminDeleteTask { id: other.id }, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(
        Tasks::find_by_id(other.id)
            .one(app.db())
            .await
            .unwrap()
            .is_none()
    );

    let refused = app
        .post_with_token(paths::AdminDeleteTask { id: running.id }, &token, &[])
        .await;
    refused.assert_status(StatusCode::SEE_OTHER);
    let page = html(&app.get(paths::AdminTasks).await);
    assert!(text_of(&page, ".alert-error").contains("is running or gone"));
    assert!(
        Tasks::find_by_id(running.id)
            .one(app.db())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_monitor_is_for_administrators_only() {
    let app = TestApp::spawn().await;
    let failed = task(&app, "mail", state::FAILED, 0).await;
    app.get(paths::AdminTasks)
        .await
        .assert_status(StatusCode::FORBIDDEN);

    app.create_user("ann@example.com", PASSWORD, false).await;
    app.sign_in("ann@example.com", PASSWORD).await;
    app.get(paths::AdminTasks)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let token = app.form_token("/account").await;
    app.post_with_token(paths::AdminRetryTask { id: failed.id }, &token, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let unchanged = Tasks::find_by_id(failed.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.state, state::FAILED);
}
