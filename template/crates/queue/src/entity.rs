//! The `tasks` table, for reading it with sea-orm (the admin area, tests). The worker writes it
//! with the statements of `store.rs`.

use sea_orm::entity::prelude::*;

/// Where a task is in its life: `ready` (waiting for `run_at`) → `running` → `done`, or back to
/// `ready` after a failure with attempts left, or `failed` once they are spent.
pub mod state {
    pub const READY: &str = "ready";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
}

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The task type's `Task::KIND`.
    pub kind: String,
    pub queue: String,
    /// The task's fields, as JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// One of [`state`].
    pub state: String,
    /// Lower runs first.
    pub priority: i16,
    /// Runs started so far.
    pub attempts: i32,
    pub max_attempts: i32,
    /// Unix milliseconds: ready tasks wait until then.
    pub run_at: i64,
    /// Unix milliseconds: while running, when the lease ends unless renewed.
    pub locked_until: Option<i64>,
    pub unique_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds: when it became `done` or `failed`.
    pub finished_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
