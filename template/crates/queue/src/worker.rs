//! The worker: claims ready tasks and runs them, so many at a time per queue; keeps the leases of
//! its running tasks alive; frees the tasks of workers that died; fires the recurring schedules.
//!
//! Stopping (SIGTERM): it claims nothing more, gives running tasks `tasks.shutdown_timeout_secs`
//! to finish, then cuts off the rest and puts them back in the queue for the next worker.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use sea_orm::DatabaseConnection;
use tokio::{
    sync::mpsc,
    task::{JoinHandle, JoinSet},
};
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};

use super::{
    Context, Registry, retry,
    store::{self, Claimed, now_ms},
};

/// At most this many tasks are claimed by one statement.
const MAX_CLAIM: usize = 100;

/// At most this many finished tasks are marked done by one statement.
const MAX_COMPLETE: usize = 500;

/// Starts the worker for the queues of the context's settings, running each task with
/// `context`; it stops when `stopping` is cancelled and the returned handle ends once every task
/// it ran is finished or released.
pub fn spawn<C: Context>(
    context: C,
    registry: Registry<C>,
    stopping: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let config = context.settings().clone();
        let (done, finished) = mpsc::unbounded_channel();
        let worker = Arc::new(Worker {
            db: context.queue().db().clone(),
            context,
            registry,
            lease: Duration::from_secs(config.lease_secs),
            running: Mutex::default(),
            done,
        });
        tracing::info!(queues = ?config.queues, "task worker started");

        let completions = tokio::spawn(mark_done(worker.db.clone(), finished));
        let leases_stop = CancellationToken::new();
        let leases = tokio::spawn(Arc::clone(&worker).keep_leases(leases_stop.clone()));
        let schedules = tokio::spawn(Arc::clone(&worker).fire_schedules(stopping.clone()));
        let queues: Vec<_> = config
            .queues
            .iter()
            .map(|(queue, &concurrency)| {
                tokio::spawn(Arc::clone(&worker).run_queue(
                    queue.clone(),
                    concurrency,
                    config.poll_interval(),
                    config.shutdown_timeout(),
                    stopping.clone(),
                ))
            })
            .collect();

        for queue in queues {
            queue.await.ok();
        }
        schedules.await.ok();
        // Leases are kept until the last task has ended: only then is nothing left to renew.
        leases_stop.cancel();
        leases.await.ok();

        let cut_off: Vec<i64> = worker.running_ids();
        let db = worker.db.clone();
        // The last sender goes with the worker: the completions end once they are written.
        drop(worker);
        completions.await.ok();
        match store::release(&db, &cut_off, now_ms()).await {
            Ok(0) => {}
            Ok(released) => tracing::warn!(
                released,
                "tasks cut off by the shutdown go back to the queue"
            ),
            Err(error) => {
                tracing::error!(%error, "could not release the tasks cut off by the shutdown; they run again when their lease ends")
            }
        }
        tracing::info!("task worker stopped");
    })
}

struct Worker<C> {
    context: C,
    db: DatabaseConnection,
    registry: Registry<C>,
    lease: Duration,
    /// The ids of the tasks running here, whose leases [`Worker::keep_leases`] renews.
    running: Mutex<HashSet<i64>>,
    /// Finished tasks, marked done in batches by [`mark_done`].
    done: mpsc::UnboundedSender<i64>,
}

impl<C: Context> Worker<C> {
    /// Claims and runs the tasks of one queue, at most `concurrency` at once.
    async fn run_queue(
        self: Arc<Self>,
        queue: String,
        concurrency: usize,
        poll_interval: Duration,
        shutdown_timeout: Duration,
        stopping: CancellationToken,
    ) {
        let mut enqueued = self.context.queue().enqueued();
        let mut running = JoinSet::new();
        while !stopping.is_cancelled() {
            while running.try_join_next().is_some() {}
            let free = concurrency.saturating_sub(running.len()).min(MAX_CLAIM);
            let mut claimed = 0;
            if free > 0 {
                let now = now_ms();
                let lease_end = now.saturating_add(millis(self.lease));
                match store::claim(&self.db, Some(&queue), free, now, lease_end).await {
                    Ok(tasks) => {
                        claimed = tasks.len();
                        for task in tasks {
                            self.lock_running().insert(task.id);
                            running.spawn(Arc::clone(&self).execute(task));
                        }
                    }
                    Err(error) => tracing::warn!(%queue, %error, "could not claim tasks"),
                }
            }
            // A full claim means more may be waiting: claim again as soon as a slot is free.
            if claimed > 0 && claimed == free && running.len() < concurrency {
                continue;
            }
            tokio::select! {
                () = stopping.cancelled() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = enqueued.changed() => {}
                () = tokio::time::sleep(poll_interval) => {}
            }
        }

        // Stopping: let the running tasks finish, for a while.
        let deadline = tokio::time::sleep(shutdown_timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = running.join_next() => if next.is_none() { break },
                () = &mut deadline => {
                    tracing::warn!(%queue, tasks = running.len(), "tasks still running at the end of the shutdown timeout: cutting them off");
                    running.shutdown().await;
                    break;
                }
            }
        }
    }

    /// Runs one claimed task and records how it went.
    async fn execute(self: Arc<Self>, task: Claimed) {
        let outcome = run(&self.context, &self.registry, &task).await;
        self.lock_running().remove(&task.id);
        match outcome {
            Ok(()) => {
                // Only fails once the completions have stopped, which waits for this task.
                self.done.send(task.id).ok();
            }
            Err(error) => {
                if let Err(db_error) = record_failure(&self.db, &task, &error).await {
                    tracing::error!(task.id, %db_error, "could not record a task's failure; it runs again when its lease ends");
                }
            }
        }
    }

    /// Renews the leases of the running tasks, and frees the tasks of workers that stopped
    /// renewing theirs, three times per lease.
    async fn keep_leases(self: Arc<Self>, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(self.lease / 3);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let now = now_ms();
            let ids = self.running_ids();
            let lease_end = now.saturating_add(millis(self.lease));
            if let Err(error) = store::renew_leases(&self.db, &ids, lease_end).await {
                tracing::warn!(%error, "could not renew the leases of running tasks");
            }
            match store::rescue_expired(&self.db, now).await {
                Ok(0) => {}
                Ok(rescued) => tracing::warn!(
                    rescued,
                    "freed tasks whose worker stopped renewing their lease"
                ),
                Err(error) => tracing::warn!(%error, "could not look for expired leases"),
            }
        }
    }

    /// Enqueues each schedule's task at its ticks: every worker tries, one wins each tick.
    async fn fire_schedules(self: Arc<Self>, stopping: CancellationToken) {
        let schedules = self.registry.schedules();
        if schedules.is_empty() {
            return;
        }
        let started = chrono::Utc::now();
        for schedule in schedules {
            if let Ok(tick) = schedule.cron.find_previous_occurrence(&started, true) {
                let registered =
                    store::register_schedule(&self.db, schedule.name, tick.timestamp_millis());
                if let Err(error) = registered.await {
                    tracing::warn!(schedule = schedule.name, %error, "could not register a schedule");
                }
            }
        }
        // The tick each schedule last fired or saw fired, to ask the database only once a tick.
        let mut last_ticks = vec![i64::MIN; schedules.len()];
        loop {
            let now = chrono::Utc::now();
            let mut wake_at = now + chrono::Duration::minutes(1);
            for (schedule, last_tick) in schedules.iter().zip(&mut last_ticks) {
                if let Ok(tick) = schedule.cron.find_previous_occurrence(&now, true)
                    && tick.timestamp_millis() > *last_tick
                {
                    let tick = tick.timestamp_millis();
                    let mut task = schedule.task.clone();
                    task.run_at = now_ms();
                    task.unique_key = Some(format!("schedule:{}:{tick}", schedule.name));
                    match store::fire_schedule(&self.db, schedule.name, tick, &task).await {
                        Ok(fired) => {
                            *last_tick = tick;
                            if fired {
                                tracing::debug!(
                                    schedule = schedule.name,
                                    "enqueued a scheduled task"
                                );
                            }
                        }
                        Err(error) => {
                            tracing::warn!(
                                schedule = schedule.name,
                                error = format!("{error:#}"),
                                "could not fire a schedule"
                            );
                        }
                    }
                }
                if let Ok(next) = schedule.cron.find_next_occurrence(&now, false) {
                    wake_at = wake_at.min(next);
                }
            }
            let wait = (wake_at - chrono::Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                () = stopping.cancelled() => break,
                () = tokio::time::sleep(wait + Duration::from_millis(1)) => {}
            }
        }
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        // The set stays consistent even if a holder panicked: every change is one call.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn running_ids(&self) -> Vec<i64> {
        self.lock_running().iter().copied().collect()
    }
}

/// Marks finished tasks done, as many per statement as have finished meanwhile: one statement
/// per task when they trickle in, batches under load. Ends when every sender is gone.
async fn mark_done(db: DatabaseConnection, mut finished: mpsc::UnboundedReceiver<i64>) {
    let mut batch = Vec::with_capacity(MAX_COMPLETE);
    while finished.recv_many(&mut batch, MAX_COMPLETE).await > 0 {
        for attempt in 1..=3 {
            match store::complete(&db, &batch, now_ms()).await {
                Ok(()) => break,
                Err(error) if attempt < 3 => {
                    tracing::warn!(%error, "could not mark tasks done; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    tracing::error!(%error, tasks = ?batch, "could not mark tasks done; they run again when their lease ends");
                }
            }
        }
        batch.clear();
    }
}

/// Runs a claimed task's handler in a tokio task of its own, so that a panic is caught and
/// reported as the run's error; a run over the handler's timeout is cut off.
async fn run<C: Context>(
    context: &C,
    registry: &Registry<C>,
    task: &Claimed,
) -> Result<(), String> {
    let Some(handler) = registry.handler(&task.kind) else {
        return Err(format!(
            "no handler for tasks of kind {} (is it listed in tasks::registry?)",
            task.kind
        ));
    };
    let running = AbortOnDropHandle::new(tokio::spawn((handler.run)(
        context.clone(),
        task.payload.clone(),
    )));
    match tokio::time::timeout(handler.timeout, running).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) => Err(format!("{error:#}")),
        Ok(Err(join_error)) if join_error.is_panic() => {
            let panic = join_error.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
        Ok(Err(join_error)) => Err(format!("stopped: {join_error}")),
        Err(_) => Err(format!("timed out after {:?}", handler.timeout)),
    }
}

/// Schedules the next attempt, or fails the task for good when it had its last one.
async fn record_failure(
    db: &DatabaseConnection,
    task: &Claimed,
    error: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = now_ms();
    let retry_at = (task.attempts < task.max_attempts)
        .then(|| now.saturating_add(millis(retry::delay(task.attempts))));
    match retry_at {
        Some(_) => tracing::warn!(
            task.id,
            task.kind,
            task.attempts,
            error,
            "task failed; it will be retried"
        ),
        None => tracing::error!(
            task.id,
            task.kind,
            task.attempts,
            error,
            "task failed for good"
        ),
    }
    store::record_failure(db, task, error, retry_at, now).await
}

/// What [`drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Runs that succeeded.
    pub succeeded: usize,
    /// Runs that failed (retried later, or failed for good).
    pub failed: usize,
}

/// Runs every ready task, one at a time, until none is ready (a failed one waits for its retry).
pub async fn drain<C: Context>(context: &C, registry: &Registry<C>) -> anyhow::Result<DrainReport> {
    let db = context.queue().db();
    let mut report = DrainReport::default();
    loop {
        let now = now_ms();
        let lease_end = now.saturating_add(millis(context.settings().lease()));
        let Some(task) = store::claim(db, None, 1, now, lease_end).await?.pop() else {
            return Ok(report);
        };
        match run(context, registry, &task).await {
            Ok(()) => {
                store::complete(db, &[task.id], now_ms()).await?;
                report.succeeded += 1;
            }
            Err(error) => {
                record_failure(db, &task, &error).await?;
                report.failed += 1;
            }
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
