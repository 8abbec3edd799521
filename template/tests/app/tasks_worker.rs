//! The `worker` command as a real process, killed and stopped while it sends real email to the
//! test's SMTP server: nothing queued is lost, and a clean stop leaves nothing half done.

use std::{
    collections::HashSet,
    process::{Child, Command, ExitStatus},
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use tenshu_queue::entity::{self as tasks, state};

use crate::{
    APP_BINARY,
    app::tasks::{SendEmail, send_email::Message},
    helpers::TestApp,
};

/// A short lease, so that the tasks of a killed worker are freed within the test.
const LEASE_SECS: &str = "2";

/// Starts `app worker` on the test's database and SMTP server.
fn start_worker(app: &TestApp) -> Child {
    Command::new(APP_BINARY)
        .arg("worker")
        .env("APP_ENVIRONMENT", "test")
        .env("APP_DATABASE__URL", app.database_url())
        .env(
            "APP_MAIL__SMTP__PORT",
            app.state.config.mail.smtp.port.to_string(),
        )
        .env("APP_TASKS__LEASE_SECS", LEASE_SECS)
        .env("APP_TASKS__QUEUES__MAIL", "8")
        .spawn()
        .expect("the app binary starts")
}

/// Sends SIGTERM, as a process manager stopping the worker would, and waits for the exit.
async fn terminate(mut worker: Child) -> ExitStatus {
    let sent = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    // Waited for on another thread: this one runs the SMTP server the worker is still talking to.
    tokio::task::spawn_blocking(move || worker.wait())
        .await
        .expect("joined")
        .expect("the worker exits")
}

async fn enqueue_emails(app: &TestApp, count: usize) {
    let secret_key = &app.state.config.secret_key;
    let emails = (0..count).map(|i| {
        let message = Message {
            subject: format!("Issue {i}"),
            html: "<p>Hello</p>".to_owned(),
            text: "Hello".to_owned(),
            reply_to: None,
        };
        SendEmail::new(format!("reader{i}@example.com"), &message, secret_key).unwrap()
    });
    let written = app.state.tasks.enqueue_many(emails).await.unwrap();
    assert_eq!(written, count as u64);
}

/// Waits until the inbox holds `count` messages.
async fn wait_for_messages(app: &TestApp, count: usize, within: Duration) {
    let deadline = Instant::now() + within;
    while app.mail.all().len() < count {
        assert!(
            Instant::now() < deadline,
            "{} of {count} messages arrived in {within:?}",
            app.mail.all().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn count_in_state(app: &TestApp, wanted: &str) -> u64 {
    tasks::Entity::find()
        .filter(tasks::Column::State.eq(wanted))
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_task_survives_a_killed_worker_and_runs_after_a_restart() {
    const TASKS: usize = 1000;
    let app = TestApp::spawn().await;
    enqueue_emails(&app, TASKS).await;

    let mut worker = start_worker(&app);
    wait_for_messages(&app, TASKS / 2, Duration::from_secs(60)).await;
    worker.kill().expect("SIGKILL");
    worker.wait().expect("the worker is gone");
    let at_kill = app.mail.all().len();
    assert!(at_kill < TASKS, "the worker was killed before it finished");

    let worker = start_worker(&app);
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_in_state(&app, state::DONE).await < TASKS as u64 {
        assert!(
            Instant::now() < deadline,
            "all tasks done after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(terminate(worker).await.success());

    let received = app.mail.all();
    let recipients: HashSet<String> = received.iter().flat_map(|mail| mail.to.clone()).collect();
    assert_eq!(recipients.len(), TASKS, "every email arrived");
    let twice = received.len() - TASKS;
    println!(
        "killed with {at_kill} of {TASKS} emails sent; after the restart all arrived, \
         {twice} of them twice (sent, but the worker died before marking them done)"
    );
    assert_eq!(count_in_state(&app, state::RUNNING).await, 0);
    assert_eq!(count_in_state(&app, state::READY).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn sigterm_lets_running_tasks_finish_and_leaves_none_running() {
    let app = TestApp::spawn().await;
    enqueue_emails(&app, 1000).await;

    let worker = start_worker(&app);
    wait_for_messages(&app, 50, Duration::from_secs(60)).await;
    let status = terminate(worker).await;

    assert!(status.success(), "a clean exit: {status}");
    assert_eq!(
        count_in_state(&app, state::RUNNING).await,
        0,
        "nothing left running"
    );
    let done = count_in_state(&app, state::DONE).await;
    let ready = count_in_state(&app, state::READY).await;
    assert_eq!(done + ready, 1000);
    // Every email sent was marked done before the exit, and nothing was marked done unsent.
    assert_eq!(app.mail.all().len() as u64, done);
    app.stop().await;
}
