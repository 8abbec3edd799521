//! The task queue on the real database: order, delays, uniqueness, transactions, retries, the
//! schedules, and the worker's shutdown. The tasks below exist for these tests only; each test
//! tells its runs apart from the others' by a label of its own.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, TransactionTrait as _,
};
use serde::{Deserialize, Serialize};
use tenshu_queue::{
    Enqueued, Registry, Task,
    entity::{self as tasks, state},
    worker,
};
use tokio_util::sync::CancellationToken;

use axum::http::StatusCode;

use crate::app::{app::AppState, paths, tasks::send_email::Message};
use crate::helpers::TestApp;

/// Every run of [`Record`]: (the test's label, the task's name).
static RUNS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Notes that it ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    test: String,
    name: String,
}

impl Task for Record {
    const KIND: &'static str = "test_record";
    type Context = AppState;

    async fn run(self, _app: &AppState) -> anyhow::Result<()> {
        RUNS.lock().unwrap().push((self.test, self.name));
        Ok(())
    }
}

/// Fails every time.
#[derive(Debug, Serialize, Deserialize)]
struct AlwaysFails;

impl Task for AlwaysFails {
    const KIND: &'static str = "test_always_fails";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = AppState;

    async fn run(self, _app: &AppState) -> anyhow::Result<()> {
        anyhow::bail!("the printer is on fire")
    }
}

/// Panics.
#[derive(Debug, Serialize, Deserialize)]
struct Panics;

impl Task for Panics {
    const KIND: &'static str = "test_panics";
    type Context = AppState;

    async fn run(self, _app: &AppState) -> anyhow::Result<()> {
        panic!("a bug in a task")
    }
}

/// Takes its time, then notes that it ran.
#[derive(Debug, Serialize, Deserialize)]
struct Slow {
    test: String,
    millis: u64,
}

impl Task for Slow {
    const KIND: &'static str = "test_slow";
    type Context = AppState;

    async fn run(self, _app: &AppState) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        RUNS.lock().unwrap().push((self.test, "slow".to_owned()));
        Ok(())
    }
}

fn registry() -> Registry<AppState> {
    Registry::new()
        .task::<Record>()
        .task::<AlwaysFails>()
        .task::<Panics>()
        .task::<Slow>()
}

/// A label no other test uses.
fn label() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn record(test: &str, name: &str) -> Record {
    Record {
        test: test.to_owned(),
        name: name.to_owned(),
    }
}

/// The names of the runs of `test`, in order.
fn runs_of(test: &str) -> Vec<String> {
    RUNS.lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == test)
        .map(|(_, name)| name.clone())
        .collect()
}

async fn drain(app: &TestApp) -> tenshu_queue::DrainReport {
    app.state
        .tasks
        .drain(&app.state, &registry())
        .await
        .expect("drained")
}

async fn all_tasks(app: &TestApp) -> Vec<tasks::Model> {
    tasks::Entity::find()
        .order_by_asc(tasks::Column::Id)
        .all(app.db())
        .await
        .unwrap()
}

/// Makes every waiting task ready now, as if its time had come.
async fn make_all_due(app: &TestApp) {
    app.db()
        .execute_unprepared("UPDATE tasks SET run_at = 0 WHERE state = 'ready'")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_enqueued_task_runs_once_and_is_kept_as_done() {
    let app = TestApp::spawn().await;
    let test = label();

    let enqueued = app.state.tasks.enqueue(record(&test, "a")).await.unwrap();

    assert!(matches!(enqueued, Enqueued::New(_)));
    assert!(runs_of(&test).is_empty(), "nothing runs before a worker");
    let report = drain(&app).await;
    assert_eq!((report.succeeded, report.failed), (1, 0));
    assert_eq!(runs_of(&test), ["a"]);
    let stored = all_tasks(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].state, state::DONE);
    assert_eq!(stored[0].attempts, 1);
    assert!(stored[0].finished_at.is_some());
    assert_eq!(
        drain(&app).await.succeeded,
        0,
        "a done task does not run again"
    );
    app.stop().await;
}

#[tokio::test]
async fn ready_tasks_run_by_priority_then_in_the_order_they_were_enqueued() {
    let app = TestApp::spawn().await;
    let test = label();
    let tasks = &app.state.tasks;

    tasks
        .enqueue(record(&test, "low"))
        .priority(5)
        .await
        .unwrap();
    tasks.enqueue(record(&test, "first")).await.unwrap();
    tasks
        .enqueue(record(&test, "urgent"))
        .priority(-5)
        .await
        .unwrap();
    tasks.enqueue(record(&test, "second")).await.unwrap();
    drain(&app).await;

    assert_eq!(runs_of(&test), ["urgent", "first", "second", "low"]);
    app.stop().await;
}

#[tokio::test]
async fn a_delayed_task_waits_until_its_time() {
    let app = TestApp::spawn().await;
    let test = label();
    let before = time::OffsetDateTime::now_utc();

    app.state
        .tasks
        .enqueue(record(&test, "later"))
        .run_after(Duration::from_secs(3600))
        .await
        .unwrap();
    app.state
        .tasks
        .enqueue(record(&test, "tomorrow"))
        .run_at(before + time::Duration::days(1))
        .await
        .unwrap();

    assert_eq!(drain(&app).await.succeeded, 0);
    let stored = all_tasks(&app).await;
    let in_an_hour = before.unix_timestamp() * 1000 + 3_600_000;
    assert!((in_an_hour..in_an_hour + 5_000).contains(&stored[0].run_at));
    assert_eq!(
        stored[1].run_at,
        (before + time::Duration::days(1)).unix_timestamp_nanos() as i64 / 1_000_000
    );
    make_all_due(&app).await;
    assert_eq!(drain(&app).await.succeeded, 2);
    assert_eq!(runs_of(&test), ["later", "tomorrow"]);
    app.stop().await;
}

#[tokio::test]
async fn a_unique_key_skips_a_second_task_until_the_first_is_done() {
    let app = TestApp::spawn().await;
    let test = label();
    let tasks = &app.state.tasks;

    let first = tasks
        .enqueue(record(&test, "1"))
        .unique("digest:42")
        .await
        .unwrap();
    let second = tasks
        .enqueue(record(&test, "2"))
        .unique("digest:42")
        .await
        .unwrap();
    let other = tasks
        .enqueue(record(&test, "3"))
        .unique("digest:43")
        .await
        .unwrap();

    assert!(matches!(first, Enqueued::New(_)));
    assert_eq!(second, Enqueued::Duplicate);
    assert!(matches!(other, Enqueued::New(_)));
    drain(&app).await;
    let again = tasks
        .enqueue(record(&test, "4"))
        .unique("digest:42")
        .await
        .unwrap();
    assert!(
        matches!(again, Enqueued::New(_)),
        "the key is free once the task is done"
    );
    drain(&app).await;
    assert_eq!(runs_of(&test), ["1", "3", "4"]);
    app.stop().await;
}

#[tokio::test]
async fn a_task_enqueued_in_a_transaction_exists_only_if_it_commits() {
    let app = TestApp::spawn().await;
    let test = label();

    let rolled_back = app.db().begin().await.unwrap();
    app.state
        .tasks
        .enqueue(record(&test, "rolled back"))
        .in_transaction(&rolled_back)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();

    let committed = app.db().begin().await.unwrap();
    app.state
        .tasks
        .enqueue(record(&test, "committed"))
        .in_transaction(&committed)
        .await
        .unwrap();
    // A duplicate inside a transaction leaves it usable (no error aborts it on Postgres).
    let duplicate = app
        .state
        .tasks
        .enqueue(record(&test, "duplicate"))
        .unique("once")
        .in_transaction(&committed)
        .await
        .unwrap();
    assert!(matches!(duplicate, Enqueued::New(_)));
    let duplicate = app
        .state
        .tasks
        .enqueue(record(&test, "duplicate"))
        .unique("once")
        .in_transaction(&committed)
        .await
        .unwrap();
    assert_eq!(duplicate, Enqueued::Duplicate);
    committed.commit().await.unwrap();

    drain(&app).await;
    assert_eq!(runs_of(&test), ["committed", "duplicate"]);
    app.stop().await;
}

#[tokio::test]
async fn a_failing_task_is_retried_with_growing_waits_then_kept_as_failed() {
    let app = TestApp::spawn().await;
    app.state.tasks.enqueue(AlwaysFails).await.unwrap();

    // The waits after the first and second failures: 2^n + n^4 seconds, give or take a tenth.
    for (attempt, base_ms) in [(1, 3_000), (2, 20_000)] {
        let before = time_now_ms();
        let report = drain(&app).await;
        let after = time_now_ms();
        assert_eq!((report.succeeded, report.failed), (0, 1));
        let task = &all_tasks(&app).await[0];
        assert_eq!(task.state, state::READY);
        assert_eq!(task.attempts, attempt);
        assert_eq!(task.last_error.as_deref(), Some("the printer is on fire"));
        let earliest = before + base_ms * 9 / 10;
        let latest = after + base_ms * 11 / 10;
        assert!(
            (earliest..=latest).contains(&task.run_at),
            "attempt {attempt}: retry at {} ms from now",
            task.run_at - after
        );
        assert_eq!(drain(&app).await.failed, 0, "not before its time");
        make_all_due(&app).await;
    }

    drain(&app).await;
    let task = &all_tasks(&app).await[0];
    assert_eq!(task.state, state::FAILED);
    assert_eq!(task.attempts, 3);
    assert_eq!(task.last_error.as_deref(), Some("the printer is on fire"));
    make_all_due(&app).await;
    assert_eq!(
        drain(&app).await,
        Default::default(),
        "a failed task stays failed"
    );
    app.stop().await;
}

fn time_now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[tokio::test]
async fn a_panicking_task_is_a_failed_run_with_the_panic_message() {
    let app = TestApp::spawn().await;
    app.state.tasks.enqueue(Panics).await.unwrap();

    let report = drain(&app).await;

    assert_eq!(report.failed, 1);
    let task = &all_tasks(&app).await[0];
    assert_eq!(task.state, state::READY);
    assert_eq!(
        task.last_error.as_deref(),
        Some("panicked: a bug in a task")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_task_of_an_unknown_kind_fails_its_run_and_says_why() {
    let app = TestApp::spawn().await;
    app.state.tasks.enqueue(record("x", "y")).await.unwrap();

    let report = app
        .state
        .tasks
        .drain(&app.state, &Registry::new())
        .await
        .unwrap();

    assert_eq!(report.failed, 1);
    let error = all_tasks(&app).await[0].last_error.clone().unwrap();
    assert!(
        error.contains("no handler for tasks of kind test_record"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_schedule_fires_once_per_tick_however_many_workers_run() {
    let app = TestApp::spawn().await;
    let test = label();
    let registry = || registry().schedule("every_second", "* * * * * *", record(&test, "tick"));
    let stopping = CancellationToken::new();
    let started = Instant::now();

    let workers = [
        worker::spawn(app.state.clone(), registry(), stopping.clone()),
        worker::spawn(app.state.clone(), registry(), stopping.clone()),
    ];
    tokio::time::sleep(Duration::from_millis(3500)).await;
    stopping.cancel();
    for worker in workers {
        worker.await.unwrap();
    }

    let elapsed = started.elapsed().as_secs();
    let fired = tasks::Entity::find()
        .filter(tasks::Column::Kind.eq("test_record"))
        .all(app.db())
        .await
        .unwrap();
    let ticks = fired.len() as u64;
    assert!(
        (2..=elapsed + 1).contains(&ticks),
        "{ticks} ticks in {elapsed} s"
    );
    let mut seconds: Vec<i64> = fired.iter().map(|task| task.created_at / 1000).collect();
    seconds.dedup();
    assert_eq!(seconds.len(), fired.len(), "one task per tick: {fired:#?}");
    let done = fired
        .iter()
        .filter(|task| task.state == state::DONE)
        .count();
    assert_eq!(runs_of(&test).len(), done, "each task ran once");
    // A tick that fired as the workers stopped waits for the next worker.
    assert!(
        fired
            .iter()
            .all(|task| task.state == state::DONE || task.state == state::READY)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_worker_runs_tasks_as_they_come_and_marks_them_done() {
    let app = TestApp::spawn().await;
    let test = label();
    let stopping = CancellationToken::new();
    let worker = worker::spawn(app.state.clone(), registry(), stopping.clone());

    for name in ["a", "b", "c"] {
        app.state.tasks.enqueue(record(&test, name)).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while runs_of(&test).len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stopping.cancel();
    worker.await.unwrap();

    assert_eq!(runs_of(&test).len(), 3);
    let done = tasks::Entity::find()
        .filter(tasks::Column::State.eq(state::DONE))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(done, 3);
    app.stop().await;
}

#[tokio::test]
async fn stopping_waits_for_running_tasks_then_returns_the_rest_to_the_queue() {
    let app = TestApp::spawn_with(|config| {
        config.tasks.shutdown_timeout_secs = 1;
        config.tasks.queues.insert("default".to_owned(), 2);
    })
    .await;
    let test = label();
    let tasks = &app.state.tasks;
    tasks
        .enqueue(Slow {
            test: test.clone(),
            millis: 300,
        })
        .await
        .unwrap();
    tasks
        .enqueue(Slow {
            test: test.clone(),
            millis: 60_000,
        })
        .await
        .unwrap();
    let stopping = CancellationToken::new();
    let worker = worker::spawn(app.state.clone(), registry(), stopping.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while all_tasks(&app)
        .await
        .iter()
        .any(|task| task.state == state::READY)
    {
        assert!(Instant::now() < deadline, "the worker claims both tasks");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    stopping.cancel();
    worker.await.unwrap();

    assert_eq!(runs_of(&test), ["slow"], "the short task finished");
    let stored = all_tasks(&app).await;
    assert_eq!(stored[0].state, state::DONE);
    assert_eq!(
        stored[1].state,
        state::READY,
        "the long one is back in the queue"
    );
    assert_eq!(
        stored[1].attempts, 0,
        "an interrupted run is not a failed attempt"
    );
    assert!(stored.iter().all(|task| task.locked_until.is_none()));
    app.stop().await;
}

#[tokio::test]
async fn a_task_whose_lease_ended_is_freed_for_another_run() {
    let app = TestApp::spawn_with(|config| config.tasks.lease_secs = 1).await;
    let test = label();
    let id = match app
        .state
        .tasks
        .enqueue(record(&test, "orphan"))
        .await
        .unwrap()
    {
        Enqueued::New(id) => id,
        Enqueued::Duplicate => unreachable!(),
    };
    // As a worker that died right after claiming it would leave it.
    app.db()
        .execute_unprepared(&format!(
            "UPDATE tasks SET state = 'running', attempts = 1, locked_until = {} WHERE id = {id}",
            time_now_ms() - 1
        ))
        .await
        .unwrap();
    assert_eq!(
        drain(&app).await.succeeded,
        0,
        "a running task is not claimed"
    );

    let stopping = CancellationToken::new();
    let worker = worker::spawn(app.state.clone(), registry(), stopping.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while runs_of(&test).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stopping.cancel();
    worker.await.unwrap();

    assert_eq!(runs_of(&test), ["orphan"]);
    let task = &all_tasks(&app).await[0];
    assert_eq!(task.state, state::DONE);
    assert_eq!(task.attempts, 2, "the lost run counts");
    app.stop().await;
}

#[tokio::test]
async fn finished_tasks_are_pruned_after_the_configured_time() {
    let app = TestApp::spawn().await;
    let test = label();
    for name in ["old done", "recent done"] {
        app.state.tasks.enqueue(record(&test, name)).await.unwrap();
    }
    app.state.tasks.enqueue(AlwaysFails).await.unwrap();
    drain(&app).await;
    let day = 24 * 3_600_000;
    app.db()
        .execute_unprepared(&format!(
            "UPDATE tasks SET finished_at = {} WHERE id = 1",
            time_now_ms() - 2 * day
        ))
        .await
        .unwrap();

    let pruned = app
        .state
        .tasks
        .prune(&app.state.config.tasks)
        .await
        .unwrap();

    assert_eq!(pruned, 1);
    let kept: Vec<i64> = all_tasks(&app).await.iter().map(|task| task.id).collect();
    assert_eq!(kept, [2, 3], "recent and waiting tasks stay");
    app.stop().await;
}

#[tokio::test]
async fn enqueue_many_writes_every_task_in_one_go() {
    let app = TestApp::spawn().await;
    let test = label();

    let written = app
        .state
        .tasks
        .enqueue_many((0..2500).map(|i| record(&test, &i.to_string())))
        .await
        .unwrap();

    assert_eq!(written, 2500);
    assert_eq!(drain(&app).await.succeeded, 2500);
    assert_eq!(runs_of(&test).len(), 2500);
    app.stop().await;
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
async fn two_workers_share_the_queue_without_running_a_task_twice() {
    let app = TestApp::spawn().await;
    let test = label();
    app.state
        .tasks
        .enqueue_many((0..500).map(|i| record(&test, &i.to_string())))
        .await
        .unwrap();

    let stopping = CancellationToken::new();
    let workers = [
        worker::spawn(app.state.clone(), registry(), stopping.clone()),
        worker::spawn(app.state.clone(), registry(), stopping.clone()),
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs_of(&test).len() < 500 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stopping.cancel();
    for worker in workers {
        worker.await.unwrap();
    }

    let mut runs = runs_of(&test);
    assert_eq!(runs.len(), 500);
    runs.sort();
    runs.dedup();
    assert_eq!(runs.len(), 500, "no task ran twice");
    app.stop().await;
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
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("message", secret),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let waiting = &all_tasks(&app).await[0];
    assert_eq!(waiting.kind, "send_email");
    assert!(!waiting.payload.contains(secret), "{}", waiting.payload);
    assert!(!waiting.payload.contains("Ada"), "{}", waiting.payload);

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
