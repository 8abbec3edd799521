//! Cleaning up after the app, every hour (see the schedules in [`super::registry`]).

use serde::{Deserialize, Serialize};
use tenshu_queue::Task;
use tower_sessions::session_store::ExpiredDeletion as _;

use crate::{app::AppState, session::DbSessionStore};

/// Deletes the sessions past their expiry (they are already refused when a request brings one).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DeleteExpiredSessions;

impl Task for DeleteExpiredSessions {
    const KIND: &'static str = "delete_expired_sessions";
    // Only the latest run matters: no need to retry for hours.
    const MAX_ATTEMPTS: i32 = 3;
    type Context = AppState;

    async fn run(self, app: &AppState) -> anyhow::Result<()> {
        DbSessionStore::new(app.db.clone())
            .delete_expired()
            .await
            .map_err(|error| anyhow::anyhow!("could not delete expired sessions: {error}"))
    }
}

/// Deletes done tasks after `tasks.keep_done_hours` and failed ones after
/// `tasks.keep_failed_days`: the table keeps a recent history, not every task ever run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PruneFinishedTasks;

impl Task for PruneFinishedTasks {
    const KIND: &'static str = "prune_finished_tasks";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = AppState;

    async fn run(self, app: &AppState) -> anyhow::Result<()> {
        let deleted = app.tasks.prune(&app.config.tasks).await?;
        tracing::info!(deleted, "pruned finished tasks");
        Ok(())
    }
}
