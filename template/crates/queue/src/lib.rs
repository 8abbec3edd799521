//! The task queue: work kept in the app database until a worker has done it, so it survives a
//! restart and can wait, be retried or run on a schedule. It knows nothing of the app: tasks run
//! with a [`Context`] the app supplies (its state), and a migration of the app creates its tables
//! with [`schema::up`].
//!
//! - **A task** is a struct and its handler: implement [`Task`] (the app's `src/tasks/` has
//!   examples), then list the type in the app's [`Registry`] (`src/tasks.rs`).
//! - **Enqueue** with `app.tasks.enqueue(SendWelcome { user_id }).await?`. Chain `.run_after(delay)`,
//!   `.run_at(time)`, `.priority(n)` or `.unique(key)` before `.await`, and
//!   `.in_transaction(&txn)` to write the task in your own transaction: it then exists only if
//!   that transaction commits.
//! - **The [`worker`]** runs inside `serve` (or alone: `app worker`). Each queue has its own
//!   number of tasks running at once (`tasks.queues` in the configuration). A failed task is
//!   retried later ([`retry`]) up to `Task::MAX_ATTEMPTS`, then kept as `failed` with its last
//!   error. Recurring tasks fire once per tick of their cron schedule, however many workers run.
//!
//! Delivery is at least once: a worker that dies while a task runs (killed, power cut) leaves the
//! task to run again when its lease ends. Write handlers so that a repeat does no harm.

pub mod entity;
pub mod monitor;
pub mod registry;
pub mod retry;
pub mod schema;
mod settings;
mod store;
pub mod worker;

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Serialize, de::DeserializeOwned};
use time::OffsetDateTime;
use tokio::sync::watch;

pub use self::{registry::Registry, settings::Settings, worker::DrainReport};

/// The queue of tasks that name no other.
pub const DEFAULT_QUEUE: &str = "default";

/// What tasks run with (for the app's own tasks, its state). The worker also finds the queue and
/// its settings in it, so the queue names no type of the app.
pub trait Context: Clone + Send + Sync + 'static {
    /// The queue, where the worker looks for tasks.
    fn queue(&self) -> &Tasks;
    /// The worker's settings.
    fn settings(&self) -> &Settings;
}

/// A kind of task: its fields are stored as JSON until a worker calls [`Task::run`].
///
/// ```ignore
/// #[derive(Debug, Serialize, Deserialize)]
/// pub struct SendWelcome { pub user_id: i64 }
///
/// impl Task for SendWelcome {
///     const KIND: &'static str = "send_welcome";
///     type Context = App; // the app's state, which implements `Context`
///
///     async fn run(self, app: &App) -> anyhow::Result<()> {
///         // load the user, send the email…
///         Ok(())
///     }
/// }
/// ```
pub trait Task: Serialize + DeserializeOwned + Send + 'static {
    /// The name stored with each task. Never rename it while tasks of this kind may be waiting.
    const KIND: &'static str;
    /// The queue it waits in (each queue runs its own number of tasks at once).
    const QUEUE: &'static str = DEFAULT_QUEUE;
    /// Runs at most this many times: the first run and the retries.
    const MAX_ATTEMPTS: i32 = 10;
    /// A run taking longer fails (and is retried like any failure).
    const TIMEOUT: Duration = Duration::from_secs(5 * 60);

    /// What the task runs with (the app's state).
    type Context: Context;

    /// Does the work. An error (or a panic) is logged and the task retried later.
    fn run(self, context: &Self::Context) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Enqueues tasks; every handler reaches it as `app.tasks`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tasks {
    db: DatabaseConnection,
    /// Counts this process's enqueues: its worker watches the count to start at once instead of
    /// at its next poll (workers in other processes poll).
    wake: Arc<watch::Sender<u64>>,
}

impl Tasks {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            wake: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Starts enqueueing `task`; `.await` the result to write it.
    pub fn enqueue<T: Task>(&self, task: T) -> Enqueue<'_, T> {
        Enqueue {
            wake: &self.wake,
            connection: &self.db,
            task,
            run_at: None,
            priority: 0,
            unique_key: None,
        }
    }

    /// Writes many tasks of one kind at once, ready now, in one transaction with one statement
    /// per thousand tasks: far faster than one by one. Returns how many were written.
    pub async fn enqueue_many<T: Task>(
        &self,
        tasks: impl IntoIterator<Item = T>,
    ) -> anyhow::Result<u64> {
        let now = store::now_ms();
        let rows = tasks
            .into_iter()
            .map(|task| store::NewTask::of(&task, now, 0, None))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let written = store::insert_many(&self.db, &rows).await?;
        wake(&self.wake);
        Ok(written)
    }

    /// Changes whenever this process enqueues a task.
    pub(crate) fn enqueued(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// Deletes finished tasks older than the configuration keeps them; returns how many.
    pub async fn prune(&self, config: &Settings) -> anyhow::Result<u64> {
        let now = store::now_ms();
        let hours = |hours: u64| i64::try_from(hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
        let done_before = now.saturating_sub(hours(config.keep_done_hours));
        let failed_before = now.saturating_sub(hours(config.keep_failed_days.saturating_mul(24)));
        store::prune(&self.db, done_before, failed_before)
            .await
            .context("could not delete finished tasks")
    }

    /// Runs every task that is ready in `context`'s queue, one at a time, in this task; returns
    /// when none is left. For tests and scripts: the app's pages run with the worker instead.
    pub async fn drain<C: Context>(
        &self,
        context: &C,
        registry: &Registry<C>,
    ) -> anyhow::Result<DrainReport> {
        worker::drain(context, registry).await
    }

    /// The database the queue lives in.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// What [`Enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Written, with this id.
    New(i64),
    /// Not written: a task with the same unique key is waiting or running.
    Duplicate,
}

/// A task about to be enqueued, with its options; `.await` it to write it.
#[must_use = "a task is only enqueued when awaited"]
pub struct Enqueue<'a, T, C = DatabaseConnection> {
    wake: &'a watch::Sender<u64>,
    connection: &'a C,
    task: T,
    run_at: Option<i64>,
    priority: i16,
    unique_key: Option<String>,
}

impl<'a, T: Task, C> Enqueue<'a, T, C> {
    /// Writes the task in `transaction` (or on any other connection): it will exist only if
    /// the transaction commits.
    pub fn in_transaction<Txn: ConnectionTrait>(self, transaction: &'a Txn) -> Enqueue<'a, T, Txn> {
        Enqueue {
            wake: self.wake,
            connection: transaction,
            task: self.task,
            run_at: self.run_at,
            priority: self.priority,
            unique_key: self.unique_key,
        }
    }

    /// Runs no earlier than `delay` from now.
    pub fn run_after(mut self, delay: Duration) -> Self {
        let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.run_at = Some(store::now_ms().saturating_add(delay));
        self
    }

    /// Runs no earlier than `time`.
    pub fn run_at(mut self, time: OffsetDateTime) -> Self {
        let millis = time.unix_timestamp_nanos() / 1_000_000;
        self.run_at = Some(i64::try_from(millis).unwrap_or(i64::MAX));
        self
    }

    /// Lower runs first among the ready tasks of a queue; the default is 0.
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = priority;
        self
    }

    /// Skips the task when another with the same `key` is waiting or running (returning
    /// [`Enqueued::Duplicate`]). Once that one is done, the key is free again.
    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }
}

impl<'a, T: Task, C: ConnectionTrait + Sync> IntoFuture for Enqueue<'a, T, C> {
    type Output = anyhow::Result<Enqueued>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let now = store::now_ms();
            let row = store::NewTask::of(
                &self.task,
                self.run_at.unwrap_or(now),
                self.priority,
                self.unique_key,
            )?;
            let id = store::insert(self.connection, &row, now)
                .await
                .with_context(|| format!("could not enqueue a {} task", T::KIND))?;
            // Before the caller's transaction commits, if there is one: the worker then finds
            // nothing and picks the task up at its next poll.
            wake(self.wake);
            Ok(id.map_or(Enqueued::Duplicate, Enqueued::New))
        })
    }
}

fn wake(enqueued: &watch::Sender<u64>) {
    enqueued.send_modify(|count| *count = count.wrapping_add(1));
}
