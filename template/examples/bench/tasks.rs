//! `just bench tasks`: no-op tasks per second through the queue, on SQLite and on Postgres (when
//! a server answers at `BENCH_POSTGRES_URL`, by default the local one), each on a fresh database:
//!
//! - enqueue: one task per statement from 8 concurrent clients (what pages do), and
//!   `enqueue_many` in batches of 1,000 (what an import does);
//! - process: a worker working through a backlog, with the default concurrency (4) and with 32;
//! - both at once: a producer enqueueing batches of 100 while the worker runs, until all are done.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenshu_queue::{
    DEFAULT_QUEUE, Registry, Task,
    entity::{self as tasks, state},
    worker,
};
use tokio_util::sync::CancellationToken;

use crate::app::{
    app::{AppState, Services},
    config::{Config, Environment},
    db,
};

/// Tasks per measurement.
const TASKS: usize = 20_000;
/// The target for each backend, in tasks per second.
const TARGET_PER_SECOND: f64 = 5_000.0;

#[derive(Debug, Serialize, Deserialize)]
struct Noop {
    n: usize,
}

impl Task for Noop {
    const KIND: &'static str = "bench_noop";
    type Context = AppState;

    async fn run(self, _app: &AppState) -> anyhow::Result<()> {
        Ok(())
    }
}

fn registry() -> Registry<AppState> {
    Registry::new().task::<Noop>()
}

pub async fn run() -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}/bench.db?mode=rwc", folder.path().display());
    let postgres = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/tasks_bench".to_owned());

    println!(
        "no-op tasks per second, {TASKS} per run (target: {TARGET_PER_SECOND:.0}/s)\n\n\
         backend    enqueue 1/stmt   enqueue_many   process (4)   process (32)   enqueue+process (32)"
    );
    bench("SQLite", &sqlite).await?;
    match db::create_postgres_database(&postgres).await {
        Ok(()) => {
            let result = bench("Postgres", &postgres).await;
            db::drop_postgres_database(&postgres).await.ok();
            result?;
        }
        Err(error) => println!("Postgres   skipped: {error:#}"),
    }
    Ok(())
}

async fn bench(name: &str, url: &str) -> anyhow::Result<()> {
    let services = start(url, None).await?;
    let app = services.state();
    let one_by_one = enqueue_one_by_one(&app, TASKS / 4).await?;
    clear(&app).await?;
    let many = enqueue_many(&app, TASKS, 1000).await?;
    let process_default = process(&app, TASKS).await?;
    clear(&app).await?;
    services.stop().await;

    let services = start(url, Some(32)).await?;
    let app = services.state();
    enqueue_many(&app, TASKS, 1000).await?;
    let process_32 = process(&app, TASKS).await?;
    clear(&app).await?;
    let both = enqueue_and_process(&app, TASKS).await?;
    clear(&app).await?;
    services.stop().await;

    println!(
        "{name:<10} {one_by_one:>14.0} {many:>14.0} {process_default:>13.0} {process_32:>14.0} \
         {both:>22.0}   {}",
        if both >= TARGET_PER_SECOND {
            "target met"
        } else {
            "below the target"
        }
    );
    Ok(())
}

/// The app on `url`, without its worker; the `default` queue runs `concurrency` tasks at once,
/// or as configured.
async fn start(url: &str, concurrency: Option<usize>) -> anyhow::Result<Services> {
    let mut config = Config::load_for(Environment::Test, None)?;
    config.database.url = SecretString::from(url.to_owned());
    config.database.max_connections = 16;
    if let Some(concurrency) = concurrency {
        config
            .tasks
            .queues
            .insert(DEFAULT_QUEUE.to_owned(), concurrency);
    }
    Services::start(config).await
}

/// Tasks per second, written one per statement by 8 concurrent clients.
async fn enqueue_one_by_one(app: &AppState, count: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let app = app.clone();
            tokio::spawn(async move {
                for n in (client..count).step_by(8) {
                    app.tasks.enqueue(Noop { n }).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for client in clients {
        client.await??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Tasks per second, written by `enqueue_many` in batches of `batch`.
async fn enqueue_many(app: &AppState, count: usize, batch: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for first in (0..count).step_by(batch) {
        let last = (first + batch).min(count);
        app.tasks
            .enqueue_many((first..last).map(|n| Noop { n }))
            .await?;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Tasks per second for a worker to finish the `count` waiting.
async fn process(app: &AppState, count: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let (stopping, worker) = start_worker(app);
    wait_until_done(app, count).await?;
    let elapsed = started.elapsed();
    stopping.cancel();
    worker.await?;
    Ok(count as f64 / elapsed.as_secs_f64())
}

/// Tasks per second from the first enqueue to the last task done, with the worker running while
/// a producer enqueues batches of 100.
async fn enqueue_and_process(app: &AppState, count: usize) -> anyhow::Result<f64> {
    let (stopping, worker) = start_worker(app);
    let started = Instant::now();
    enqueue_many(app, count, 100).await?;
    wait_until_done(app, count).await?;
    let elapsed = started.elapsed();
    stopping.cancel();
    worker.await?;
    Ok(count as f64 / elapsed.as_secs_f64())
}

fn start_worker(app: &AppState) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stopping = CancellationToken::new();
    let worker = worker::spawn(app.clone(), registry(), stopping.clone());
    (stopping, worker)
}

async fn wait_until_done(app: &AppState, count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = tasks::Entity::find()
            .filter(tasks::Column::State.eq(state::DONE))
            .count(&app.db)
            .await?;
        if done as usize >= count {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done} of {count} tasks done in 5 minutes"
        );
        // Not more often: counting competes with the worker for the machine's cores.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn clear(app: &AppState) -> anyhow::Result<()> {
    tasks::Entity::delete_many()
        .exec(&app.db)
        .await
        .context("could not empty the tasks table")?;
    Ok(())
}
