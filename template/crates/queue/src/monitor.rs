//! What the admin area's task monitor reads and does: how many tasks each queue holds in each
//! state, the failed, running and scheduled ones, and a failed task run again or deleted.

use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::{
    entity::{Column, Entity as Tasks, Model as Task, state},
    store::now_ms,
};

/// The lists show at most this many tasks each.
pub const LIST_LIMIT: u64 = 50;

/// How many tasks one queue holds in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queue: String,
    /// Ready to run now.
    pub due: i64,
    /// Ready, waiting for their time (a delay, a retry's backoff).
    pub scheduled: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// Every queue that holds tasks, by name.
pub async fn counts(db: &DatabaseConnection) -> Result<Vec<QueueCounts>, DbErr> {
    let by_state: Vec<(String, String, i64)> = Tasks::find()
        .select_only()
        .column(Column::Queue)
        .column(Column::State)
        .column_as(Column::Id.count(), "count")
        .group_by(Column::Queue)
        .group_by(Column::State)
        .order_by_asc(Column::Queue)
        .into_tuple()
        .all(db)
        .await?;
    // Of the ready ones, those waiting for a later time.
    let scheduled: Vec<(String, i64)> = Tasks::find()
        .select_only()
        .column(Column::Queue)
        .column_as(Column::Id.count(), "count")
        .filter(Column::State.eq(state::READY))
        .filter(Column::RunAt.gt(now_ms()))
        .group_by(Column::Queue)
        .into_tuple()
        .all(db)
        .await?;
    let mut queues: Vec<QueueCounts> = Vec::new();
    for (queue, task_state, count) in by_state {
        if queues.last().is_none_or(|last| last.queue != queue) {
            queues.push(QueueCounts {
                queue: queue.clone(),
                ..QueueCounts::default()
            });
        }
        let counts = queues.last_mut().expect("pushed above");
        match task_state.as_str() {
            state::READY => counts.due += count,
            state::RUNNING => counts.running += count,
            state::DONE => counts.done += count,
            state::FAILED => counts.failed += count,
            _ => {}
        }
    }
    for (queue, later) in scheduled {
        if let Some(counts) = queues.iter_mut().find(|counts| counts.queue == queue) {
            counts.scheduled = later;
            counts.due -= later;
        }
    }
    Ok(queues)
}

/// Failed tasks, the latest first.
pub async fn failed(db: &DatabaseConnection) -> Result<Vec<Task>, DbErr> {
    Tasks::find()
        .filter(Column::State.eq(state::FAILED))
        .order_by_desc(Column::FinishedAt)
        .limit(LIST_LIMIT)
        .all(db)
        .await
}

/// Running tasks, by the end of their lease.
pub async fn running(db: &DatabaseConnection) -> Result<Vec<Task>, DbErr> {
    Tasks::find()
        .filter(Column::State.eq(state::RUNNING))
        .order_by_asc(Column::LockedUntil)
        .limit(LIST_LIMIT)
        .all(db)
        .await
}

/// Tasks waiting for a later time, the soonest first.
pub async fn scheduled(db: &DatabaseConnection) -> Result<Vec<Task>, DbErr> {
    Tasks::find()
        .filter(Column::State.eq(state::READY))
        .filter(Column::RunAt.gt(now_ms()))
        .order_by_asc(Column::RunAt)
        .limit(LIST_LIMIT)
        .all(db)
        .await
}

/// Puts a failed task back in its queue, with its attempts counted from zero again (its last
/// error stays until it runs). False when no failed task has this id.
pub async fn retry(db: &DatabaseConnection, id: i64) -> Result<bool, DbErr> {
    let updated = Tasks::update_many()
        .set(super::entity::ActiveModel {
            state: Set(state::READY.to_owned()),
            attempts: Set(0),
            run_at: Set(now_ms()),
            finished_at: Set(None),
            ..Default::default()
        })
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(state::FAILED))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Deletes a task that is not running (a worker holds those). False when there is none.
pub async fn delete(db: &DatabaseConnection, id: i64) -> Result<bool, DbErr> {
    let deleted = Tasks::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::State.ne(state::RUNNING))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
