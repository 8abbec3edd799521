//! Every statement the queue runs, in plain SQL that SQLite and Postgres both accept.
//!
//! Claiming is the one place the two differ: Postgres adds `FOR UPDATE SKIP LOCKED`, so that
//! workers in several processes each take different rows without waiting for one another; SQLite
//! has a single writer, so its `UPDATE … RETURNING` is atomic as it is.
//!
//! States are written in the SQL as literals (`'ready'`…, the values of [`state`](super::entity::state)), not bound:
//! a partial index (see the migration) only serves a query that names its state literally.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement,
    TransactionTrait as _, Value,
};

use super::Task;

/// Longer error texts are cut to this many bytes before they are stored.
const MAX_ERROR_BYTES: usize = 4000;

/// Rows per multi-row statement: 8 values each stays under both databases' limits.
const ROWS_PER_INSERT: usize = 1000;

/// Unix time in milliseconds, the unit of every time column of the queue.
pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// A task about to be written.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub kind: &'static str,
    pub queue: &'static str,
    pub payload: String,
    pub priority: i16,
    pub max_attempts: i32,
    pub run_at: i64,
    pub unique_key: Option<String>,
}

impl NewTask {
    pub fn of<T: Task>(
        task: &T,
        run_at: i64,
        priority: i16,
        unique_key: Option<String>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            kind: T::KIND,
            queue: T::QUEUE,
            payload: serde_json::to_string(task)
                .with_context(|| format!("could not serialize a {} task", T::KIND))?,
            priority,
            max_attempts: T::MAX_ATTEMPTS,
            run_at,
            unique_key,
        })
    }

    fn values(&self, now: i64) -> [Value; 8] {
        [
            self.kind.into(),
            self.queue.into(),
            self.payload.clone().into(),
            self.priority.into(),
            self.max_attempts.into(),
            self.run_at.into(),
            self.unique_key.clone().into(),
            now.into(),
        ]
    }
}

const INSERT_COLUMNS: &str = "INSERT INTO tasks \
    (kind, queue, payload, priority, max_attempts, run_at, unique_key, created_at, state, attempts)";

/// `($1, …, $8, 'ready', 0), ($9, …, $16, 'ready', 0)…` for `rows` rows.
fn value_rows(rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let placeholders: Vec<String> = (1..=8).map(|i| format!("${}", row * 8 + i)).collect();
            format!("({}, 'ready', 0)", placeholders.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes one task; `None` when its unique key is taken.
pub async fn insert(
    connection: &impl ConnectionTrait,
    task: &NewTask,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    // `DO NOTHING` rather than an error: on Postgres an error would abort the caller's transaction.
    let sql = format!(
        "{INSERT_COLUMNS} VALUES {} ON CONFLICT (unique_key) DO NOTHING RETURNING id",
        value_rows(1)
    );
    let row = connection
        .query_one_raw(statement(connection, &sql, task.values(now)))
        .await?;
    row.map(|row| row.try_get_by_index::<i64>(0)).transpose()
}

/// Writes many tasks in one transaction; returns how many were written.
pub async fn insert_many(connection: &DatabaseConnection, tasks: &[NewTask]) -> Result<u64, DbErr> {
    let now = now_ms();
    let transaction = connection.begin().await?;
    let mut written = 0;
    for chunk in tasks.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "{INSERT_COLUMNS} VALUES {} ON CONFLICT (unique_key) DO NOTHING",
            value_rows(chunk.len())
        );
        let values = chunk.iter().flat_map(|task| task.values(now));
        written += transaction
            .execute_raw(statement(&transaction, &sql, values))
            .await?
            .rows_affected();
    }
    transaction.commit().await?;
    Ok(written)
}

/// A task a worker has claimed and must now run.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub priority: i16,
    /// Counting this run.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Marks up to `limit` ready tasks of `queue` (of every queue when `None`) as running, with a
/// lease until `locked_until`, and returns them in the order they should start.
pub async fn claim(
    connection: &impl ConnectionTrait,
    queue: Option<&str>,
    limit: usize,
    now: i64,
    locked_until: i64,
) -> Result<Vec<Claimed>, DbErr> {
    let backend = connection.get_database_backend();
    let skip_locked = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let queue_filter = if queue.is_some() {
        " AND queue = $3"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE tasks SET state = 'running', attempts = attempts + 1, locked_until = $1 \
         WHERE id IN (\
             SELECT id FROM tasks WHERE state = 'ready' AND run_at <= $2{queue_filter} \
             ORDER BY priority, run_at, id LIMIT {limit}{skip_locked}\
         ) \
         RETURNING id, kind, payload, priority, attempts, max_attempts"
    );
    let mut values: Vec<Value> = vec![locked_until.into(), now.into()];
    values.extend(queue.map(Value::from));
    let mut claimed = Claimed::find_by_statement(statement(connection, &sql, values))
        .all(connection)
        .await?;
    // RETURNING keeps no order.
    claimed.sort_by_key(|task| (task.priority, task.id));
    Ok(claimed)
}

/// Marks finished tasks done, freeing their unique keys and emptying their payloads: no one
/// reads them again, and they may hold what should not outlive the task (a link in an email).
pub async fn complete(
    connection: &impl ConnectionTrait,
    ids: &[i64],
    now: i64,
) -> Result<(), DbErr> {
    let sql = "UPDATE tasks SET state = 'done', finished_at = $1, locked_until = NULL, \
               unique_key = NULL, payload = '' WHERE state = 'running' AND id IN (IDS)";
    execute_for_ids(connection, sql, vec![now.into()], ids).await?;
    Ok(())
}

/// After a failed run: back to ready at `retry_at`, or failed for good when `retry_at` is `None`.
/// Only touches the run this worker holds (`attempts` tells runs apart).
pub async fn record_failure(
    connection: &impl ConnectionTrait,
    task: &Claimed,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> Result<(), DbErr> {
    let error = truncate(error);
    let (sql, values): (&str, Vec<Value>) = match retry_at {
        Some(retry_at) => (
            "UPDATE tasks SET state = 'ready', run_at = $1, locked_until = NULL, last_error = $2 \
             WHERE id = $3 AND attempts = $4 AND state = 'running'",
            vec![
                retry_at.into(),
                error.into(),
                task.id.into(),
                task.attempts.into(),
            ],
        ),
        None => (
            "UPDATE tasks SET state = 'failed', finished_at = $1, locked_until = NULL, \
             unique_key = NULL, last_error = $2 \
             WHERE id = $3 AND attempts = $4 AND state = 'running'",
            vec![
                now.into(),
                error.into(),
                task.id.into(),
                task.attempts.into(),
            ],
        ),
    };
    connection
        .execute_raw(statement(connection, sql, values))
        .await?;
    Ok(())
}

/// Puts tasks a stopping worker could not finish back in the queue. The interrupted run does
/// not count as an attempt: the task did not fail.
pub async fn release(
    connection: &impl ConnectionTrait,
    ids: &[i64],
    now: i64,
) -> Result<u64, DbErr> {
    let sql = "UPDATE tasks SET state = 'ready', run_at = $1, attempts = attempts - 1, \
               locked_until = NULL, last_error = $2 WHERE state = 'running' AND id IN (IDS)";
    let values = vec![
        now.into(),
        "interrupted: its worker stopped before it finished".into(),
    ];
    execute_for_ids(connection, sql, values, ids).await
}

/// Extends the lease of tasks this worker is running.
pub async fn renew_leases(
    connection: &impl ConnectionTrait,
    ids: &[i64],
    locked_until: i64,
) -> Result<(), DbErr> {
    let sql = "UPDATE tasks SET locked_until = $1 WHERE state = 'running' AND id IN (IDS)";
    execute_for_ids(connection, sql, vec![locked_until.into()], ids).await?;
    Ok(())
}

/// Frees tasks whose lease ended without renewal (their worker died): ready again at once, or
/// failed when that run was their last attempt. Returns how many.
pub async fn rescue_expired(connection: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    let sql = "UPDATE tasks SET \
           state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'ready' END, \
           finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
           unique_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE unique_key END, \
           run_at = $1, locked_until = NULL, last_error = $2 \
         WHERE state = 'running' AND locked_until < $1";
    let values = [
        now.into(),
        "lost: its worker stopped renewing the lease (killed, or cut off from the database)".into(),
    ];
    Ok(connection
        .execute_raw(statement(connection, sql, values))
        .await?
        .rows_affected())
}

/// Deletes tasks done before `done_before` and failed before `failed_before`.
pub async fn prune(
    connection: &impl ConnectionTrait,
    done_before: i64,
    failed_before: i64,
) -> Result<u64, DbErr> {
    let sql = "DELETE FROM tasks WHERE finished_at IS NOT NULL AND \
               ((state = 'done' AND finished_at < $1) OR (state = 'failed' AND finished_at < $2))";
    let values = [done_before.into(), failed_before.into()];
    Ok(connection
        .execute_raw(statement(connection, sql, values))
        .await?
        .rows_affected())
}

/// Records a schedule the first time a worker sees it, at `tick`: a new schedule waits for its
/// next tick rather than firing at once.
pub async fn register_schedule(
    connection: &impl ConnectionTrait,
    name: &str,
    tick: i64,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO task_schedules (name, last_tick) VALUES ($1, $2) \
               ON CONFLICT (name) DO NOTHING";
    connection
        .execute_raw(statement(connection, sql, [name.into(), tick.into()]))
        .await?;
    Ok(())
}

/// Enqueues `task` for the schedule's `tick` unless another worker did: moving `last_tick`
/// forward is the claim, in the same transaction as the task. Returns whether this call did it.
pub async fn fire_schedule(
    connection: &DatabaseConnection,
    name: &str,
    tick: i64,
    task: &NewTask,
) -> anyhow::Result<bool> {
    let transaction = connection.begin().await?;
    let sql = "UPDATE task_schedules SET last_tick = $1 WHERE name = $2 AND last_tick < $1";
    let won = transaction
        .execute_raw(statement(&transaction, sql, [tick.into(), name.into()]))
        .await?
        .rows_affected()
        == 1;
    if won {
        insert(&transaction, task, now_ms()).await?;
    }
    transaction.commit().await?;
    Ok(won)
}

/// Runs `sql` for the tasks `ids` (nothing when there are none): `IDS` in it becomes their
/// placeholders, numbered after those of `values`.
async fn execute_for_ids(
    connection: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    ids: &[i64],
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = sql.replace("IDS", &placeholders(values.len() + 1, ids.len()));
    let values = values
        .into_iter()
        .chain(ids.iter().map(|&id| Value::from(id)));
    Ok(connection
        .execute_raw(statement(connection, &sql, values))
        .await?
        .rows_affected())
}

/// The statements are written with Postgres's `$1` placeholders. SQLite reads `$1` as a *name*,
/// and looks each one up among the names before it while preparing: a 1,000-row insert (9,000
/// names) took 0.3 s to prepare. `?1` is a number to SQLite, found at once.
fn statement(
    connection: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let backend = connection.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `$first, $first+1, …`: `count` placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cuts `error` to [`MAX_ERROR_BYTES`] on a character boundary.
fn truncate(error: &str) -> String {
    let mut end = error.len().min(MAX_ERROR_BYTES);
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    error[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::state;

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(
            value_rows(2),
            "($1, $2, $3, $4, $5, $6, $7, $8, 'ready', 0), \
             ($9, $10, $11, $12, $13, $14, $15, $16, 'ready', 0)"
        );
    }

    #[test]
    fn the_states_in_the_sql_are_the_entitys() {
        // The statements above write them as literals.
        assert_eq!(
            [state::READY, state::RUNNING, state::DONE, state::FAILED],
            ["ready", "running", "done", "failed"]
        );
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let error = "é".repeat(MAX_ERROR_BYTES);
        let cut = truncate(&error);
        assert!(cut.len() <= MAX_ERROR_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
