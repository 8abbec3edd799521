//! The task queue on a real database: order, delays, uniqueness, transactions, retries, the
//! schedules, leases and the worker's shutdown. The tasks below exist for these tests only; each
//! test tells its runs apart from the others' by a label of its own.
//!
//! Each test gets a database of its own, made by the queue's own migration ([`schema::up`]): a
//! SQLite file in a temporary folder, or, when `TEST_DATABASE_URL` names a Postgres server (an
//! app on Postgres sets it in `.cargo/config.toml`), a new database there, dropped afterwards.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, Database, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, TransactionTrait as _,
};
use sea_orm_migration::SchemaManager;
use serde::{Deserialize, Serialize};
use tempfile::TempDir;
use tenshu_queue::{
    Enqueued, Registry, Settings, Task, Tasks,
    entity::{self as tasks, state},
    schema, worker,
};
use tokio_util::sync::CancellationToken;

/// What the tests' tasks run with: the queue and the worker's settings, as an app's state holds
/// them.
#[derive(Clone)]
struct Queue {
    tasks: Tasks,
    settings: Arc<Settings>,
}

impl tenshu_queue::Context for Queue {
    fn queue(&self) -> &Tasks {
        &self.tasks
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// A queue on a fresh database.
struct TestQueue {
    context: Queue,
    db: DatabaseConnection,
    _database: TestDatabase,
}

impl TestQueue {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// With the settings of `config/default.toml`, changed by `configure`.
    async fn with(configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings {
            worker_in_serve: false,
            queues: BTreeMap::from([("default".to_owned(), 4)]),
            poll_interval_ms: 1000,
            lease_secs: 30,
            shutdown_timeout_secs: 10,
            keep_done_hours: 24,
            keep_failed_days: 30,
        };
        configure(&mut settings);
        let database = TestDatabase::create().await;
        let db = Database::connect(&database.url).await.expect("connected");
        schema::up(&SchemaManager::new(&db))
            .await
            .expect("the queue's tables");
        let context = Queue {
            tasks: Tasks::new(db.clone()),
            settings: Arc::new(settings),
        };
        Self {
            context,
            db,
            _database: database,
        }
    }
}

/// A database for one test, removed afterwards.
struct TestDatabase {
    url: String,
    /// The Postgres server's own database, from which this one is dropped; `None` on SQLite.
    server: Option<String>,
    /// Holds the SQLite file; deleted on drop.
    _folder: Option<TempDir>,
}

impl TestDatabase {
    async fn create() -> Self {
        let Ok(configured) = std::env::var("TEST_DATABASE_URL") else {
            let folder = tempfile::tempdir().expect("a temporary folder");
            return Self {
                url: format!("sqlite://{}/queue.db?mode=rwc", folder.path().display()),
                server: None,
                _folder: Some(folder),
            };
        };
        // postgres://host/app_test?sslmode=… → postgres://host/app_test_queue_<n>_<pid>?sslmode=…
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let (base, query) = configured.split_once('?').unwrap_or((&configured, ""));
        let (server_base, name) = base.rsplit_once('/').expect("a database name in the URL");
        let name = format!(
            "{name}_queue_{}_{}",
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        );
        let with_query = |path: &str| match query {
            "" => format!("{server_base}/{path}"),
            query => format!("{server_base}/{path}?{query}"),
        };
        let server = with_query("postgres");
        execute_on(
            &server,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await;
        execute_on(&server, &format!("CREATE DATABASE \"{name}\"")).await;
        Self {
            url: with_query(&name),
            server: Some(server),
            _folder: None,
        }
    }
}

async fn execute_on(url: &str, statement: &str) {
    let server = Database::connect(url)
        .await
        .expect("the Postgres server of TEST_DATABASE_URL answers");
    server.execute_unprepared(statement).await.expect(statement);
    server.close().await.ok();
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let name = self
            .url
            .rsplit_once('/')
            .map(|(_, name)| name)
            .unwrap_or_default();
        let name = name.split_once('?').map_or(name, |(name, _)| name);
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        // Drop runs outside async code: use a small runtime on its own thread.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(execute_on(&server, &statement));
        })
        .join()
        .ok();
    }
}

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
    type Context = Queue;

    async fn run(self, _app: &Queue) -> anyhow::Result<()> {
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
    type Context = Queue;

    async fn run(self, _app: &Queue) -> anyhow::Result<()> {
        anyhow::bail!("the printer is on fire")
    }
}

/// Panics.
#[derive(Debug, Serialize, Deserialize)]
struct Panics;

impl Task for Panics {
    const KIND: &'static str = "test_panics";
    type Context = Queue;

    async fn run(self, _app: &Queue) -> anyhow::Result<()> {
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
    type Context = Queue;

    async fn run(self, _app: &Queue) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        RUNS.lock().unwrap().push((self.test, "slow".to_owned()));
        Ok(())
    }
}

fn registry() -> Registry<Queue> {
    Registry::new()
        .task::<Record>()
        .task::<AlwaysFails>()
        .task::<Panics>()
        .task::<Slow>()
}

/// A label no other test uses.
fn label() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("test {}", NEXT.fetch_add(1, Ordering::Relaxed))
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

async fn drain(queue: &TestQueue) -> tenshu_queue::DrainReport {
    queue
        .context
        .tasks
        .drain(&queue.context, &registry())
        .await
        .expect("drained")
}

async fn all_tasks(queue: &TestQueue) -> Vec<tasks::Model> {
    tasks::Entity::find()
        .order_by_asc(tasks::Column::Id)
        .all(&queue.db)
        .await
        .unwrap()
}

/// Makes every waiting task ready now, as if its time had come.
async fn make_all_due(queue: &TestQueue) {
    queue
        .db
        .execute_unprepared("UPDATE tasks SET run_at = 0 WHERE state = 'ready'")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_enqueued_task_runs_once_and_is_kept_as_done() {
    let queue = TestQueue::new().await;
    let test = label();

    let enqueued = queue
        .context
        .tasks
        .enqueue(record(&test, "a"))
        .await
        .unwrap();

    assert!(matches!(enqueued, Enqueued::New(_)));
    assert!(runs_of(&test).is_empty(), "nothing runs before a worker");
    let report = drain(&queue).await;
    assert_eq!((report.succeeded, report.failed), (1, 0));
    assert_eq!(runs_of(&test), ["a"]);
    let stored = all_tasks(&queue).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].state, state::DONE);
    assert_eq!(stored[0].attempts, 1);
    assert!(stored[0].finished_at.is_some());
    assert_eq!(
        drain(&queue).await.succeeded,
        0,
        "a done task does not run again"
    );
}

#[tokio::test]
async fn ready_tasks_run_by_priority_then_in_the_order_they_were_enqueued() {
    let queue = TestQueue::new().await;
    let test = label();
    let tasks = &queue.context.tasks;

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
    drain(&queue).await;

    assert_eq!(runs_of(&test), ["urgent", "first", "second", "low"]);
}

#[tokio::test]
async fn a_delayed_task_waits_until_its_time() {
    let queue = TestQueue::new().await;
    let test = label();
    let before = time::OffsetDateTime::now_utc();

    queue
        .context
        .tasks
        .enqueue(record(&test, "later"))
        .run_after(Duration::from_secs(3600))
        .await
        .unwrap();
    queue
        .context
        .tasks
        .enqueue(record(&test, "tomorrow"))
        .run_at(before + time::Duration::days(1))
        .await
        .unwrap();

    assert_eq!(drain(&queue).await.succeeded, 0);
    let stored = all_tasks(&queue).await;
    let in_an_hour = before.unix_timestamp() * 1000 + 3_600_000;
    assert!((in_an_hour..in_an_hour + 5_000).contains(&stored[0].run_at));
    assert_eq!(
        stored[1].run_at,
        (before + time::Duration::days(1)).unix_timestamp_nanos() as i64 / 1_000_000
    );
    make_all_due(&queue).await;
    assert_eq!(drain(&queue).await.succeeded, 2);
    assert_eq!(runs_of(&test), ["later", "tomorrow"]);
}

#[tokio::test]
async fn a_unique_key_skips_a_second_task_until_the_first_is_done() {
    let queue = TestQueue::new().await;
    let test = label();
    let tasks = &queue.context.tasks;

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
    drain(&queue).await;
    let again = tasks
        .enqueue(record(&test, "4"))
        .unique("digest:42")
        .await
        .unwrap();
    assert!(
        matches!(again, Enqueued::New(_)),
        "the key is free once the task is done"
    );
    drain(&queue).await;
    assert_eq!(runs_of(&test), ["1", "3", "4"]);
}

#[tokio::test]
async fn a_task_enqueued_in_a_transaction_exists_only_if_it_commits() {
    let queue = TestQueue::new().await;
    let test = label();

    let rolled_back = queue.db.begin().await.unwrap();
    queue
        .context
        .tasks
        .enqueue(record(&test, "rolled back"))
        .in_transaction(&rolled_back)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();

    let committed = queue.db.begin().await.unwrap();
    queue
        .context
        .tasks
        .enqueue(record(&test, "committed"))
        .in_transaction(&committed)
        .await
        .unwrap();
    // A duplicate inside a transaction leaves it usable (no error aborts it on Postgres).
    let duplicate = queue
        .context
        .tasks
        .enqueue(record(&test, "duplicate"))
        .unique("once")
        .in_transaction(&committed)
        .await
        .unwrap();
    assert!(matches!(duplicate, Enqueued::New(_)));
    let duplicate = queue
        .context
        .tasks
        .enqueue(record(&test, "duplicate"))
        .unique("once")
        .in_transaction(&committed)
        .await
        .unwrap();
    assert_eq!(duplicate, Enqueued::Duplicate);
    committed.commit().await.unwrap();

    drain(&queue).await;
    assert_eq!(runs_of(&test), ["committed", "duplicate"]);
}

#[tokio::test]
async fn a_failing_task_is_retried_with_growing_waits_then_kept_as_failed() {
    let queue = TestQueue::new().await;
    queue.context.tasks.enqueue(AlwaysFails).await.unwrap();

    // The waits after the first and second failures: 2^n + n^4 seconds, give or take a tenth.
    for (attempt, base_ms) in [(1, 3_000), (2, 20_000)] {
        let before = time_now_ms();
        let report = drain(&queue).await;
        let after = time_now_ms();
        assert_eq!((report.succeeded, report.failed), (0, 1));
        let task = &all_tasks(&queue).await[0];
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
        assert_eq!(drain(&queue).await.failed, 0, "not before its time");
        make_all_due(&queue).await;
    }

    drain(&queue).await;
    let task = &all_tasks(&queue).await[0];
    assert_eq!(task.state, state::FAILED);
    assert_eq!(task.attempts, 3);
    assert_eq!(task.last_error.as_deref(), Some("the printer is on fire"));
    make_all_due(&queue).await;
    assert_eq!(
        drain(&queue).await,
        Default::default(),
        "a failed task stays failed"
    );
}

fn time_now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[tokio::test]
async fn a_panicking_task_is_a_failed_run_with_the_panic_message() {
    let queue = TestQueue::new().await;
    queue.context.tasks.enqueue(Panics).await.unwrap();

    let report = drain(&queue).await;

    assert_eq!(report.failed, 1);
    let task = &all_tasks(&queue).await[0];
    assert_eq!(task.state, state::READY);
    assert_eq!(
        task.last_error.as_deref(),
        Some("panicked: a bug in a task")
    );
}

#[tokio::test]
async fn a_task_of_an_unknown_kind_fails_its_run_and_says_why() {
    let queue = TestQueue::new().await;
    queue.context.tasks.enqueue(record("x", "y")).await.unwrap();

    let report = queue
        .context
        .tasks
        .drain(&queue.context, &Registry::new())
        .await
        .unwrap();

    assert_eq!(report.failed, 1);
    let error = all_tasks(&queue).await[0].last_error.clone().unwrap();
    assert!(
        error.contains("no handler for tasks of kind test_record"),
        "{error}"
    );
}

#[tokio::test]
async fn a_schedule_fires_once_per_tick_however_many_workers_run() {
    let queue = TestQueue::new().await;
    let test = label();
    let registry = || registry().schedule("every_second", "* * * * * *", record(&test, "tick"));
    let stopping = CancellationToken::new();
    let started = Instant::now();

    let workers = [
        worker::spawn(queue.context.clone(), registry(), stopping.clone()),
        worker::spawn(queue.context.clone(), registry(), stopping.clone()),
    ];
    tokio::time::sleep(Duration::from_millis(3500)).await;
    stopping.cancel();
    for worker in workers {
        worker.await.unwrap();
    }

    let elapsed = started.elapsed().as_secs();
    let fired = tasks::Entity::find()
        .filter(tasks::Column::Kind.eq("test_record"))
        .all(&queue.db)
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
}

#[tokio::test]
async fn the_worker_runs_tasks_as_they_come_and_marks_them_done() {
    let queue = TestQueue::new().await;
    let test = label();
    let stopping = CancellationToken::new();
    let worker = worker::spawn(queue.context.clone(), registry(), stopping.clone());

    for name in ["a", "b", "c"] {
        queue
            .context
            .tasks
            .enqueue(record(&test, name))
            .await
            .unwrap();
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
        .count(&queue.db)
        .await
        .unwrap();
    assert_eq!(done, 3);
}

#[tokio::test]
async fn stopping_waits_for_running_tasks_then_returns_the_rest_to_the_queue() {
    let queue = TestQueue::with(|settings| {
        settings.shutdown_timeout_secs = 1;
        settings.queues.insert("default".to_owned(), 2);
    })
    .await;
    let test = label();
    let tasks = &queue.context.tasks;
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
    let worker = worker::spawn(queue.context.clone(), registry(), stopping.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while all_tasks(&queue)
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
    let stored = all_tasks(&queue).await;
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
}

#[tokio::test]
async fn a_task_whose_lease_ended_is_freed_for_another_run() {
    let queue = TestQueue::with(|settings| settings.lease_secs = 1).await;
    let test = label();
    let id = match queue
        .context
        .tasks
        .enqueue(record(&test, "orphan"))
        .await
        .unwrap()
    {
        Enqueued::New(id) => id,
        Enqueued::Duplicate => unreachable!(),
    };
    // As a worker that died right after claiming it would leave it.
    queue
        .db
        .execute_unprepared(&format!(
            "UPDATE tasks SET state = 'running', attempts = 1, locked_until = {} WHERE id = {id}",
            time_now_ms() - 1
        ))
        .await
        .unwrap();
    assert_eq!(
        drain(&queue).await.succeeded,
        0,
        "a running task is not claimed"
    );

    let stopping = CancellationToken::new();
    let worker = worker::spawn(queue.context.clone(), registry(), stopping.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while runs_of(&test).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stopping.cancel();
    worker.await.unwrap();

    assert_eq!(runs_of(&test), ["orphan"]);
    let task = &all_tasks(&queue).await[0];
    assert_eq!(task.state, state::DONE);
    assert_eq!(task.attempts, 2, "the lost run counts");
}

#[tokio::test]
async fn finished_tasks_are_pruned_after_the_configured_time() {
    let queue = TestQueue::new().await;
    let test = label();
    for name in ["old done", "recent done"] {
        queue
            .context
            .tasks
            .enqueue(record(&test, name))
            .await
            .unwrap();
    }
    queue.context.tasks.enqueue(AlwaysFails).await.unwrap();
    drain(&queue).await;
    let day = 24 * 3_600_000;
    queue
        .db
        .execute_unprepared(&format!(
            "UPDATE tasks SET finished_at = {} WHERE id = 1",
            time_now_ms() - 2 * day
        ))
        .await
        .unwrap();

    let pruned = queue
        .context
        .tasks
        .prune(&queue.context.settings)
        .await
        .unwrap();

    assert_eq!(pruned, 1);
    let kept: Vec<i64> = all_tasks(&queue).await.iter().map(|task| task.id).collect();
    assert_eq!(kept, [2, 3], "recent and waiting tasks stay");
}

#[tokio::test]
async fn enqueue_many_writes_every_task_in_one_go() {
    let queue = TestQueue::new().await;
    let test = label();

    let written = queue
        .context
        .tasks
        .enqueue_many((0..2500).map(|i| record(&test, &i.to_string())))
        .await
        .unwrap();

    assert_eq!(written, 2500);
    assert_eq!(drain(&queue).await.succeeded, 2500);
    assert_eq!(runs_of(&test).len(), 2500);
}

#[tokio::test]
async fn two_workers_share_the_queue_without_running_a_task_twice() {
    let queue = TestQueue::new().await;
    let test = label();
    queue
        .context
        .tasks
        .enqueue_many((0..500).map(|i| record(&test, &i.to_string())))
        .await
        .unwrap();

    let stopping = CancellationToken::new();
    let workers = [
        worker::spawn(queue.context.clone(), registry(), stopping.clone()),
        worker::spawn(queue.context.clone(), registry(), stopping.clone()),
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
}
