//! The app's tasks: work done by the worker rather than during a request. The queue and its
//! worker are an engine of their own, the `tenshu-queue` crate (`crates/queue`).
//!
//! To add one: a module here with a struct and its [`Task`](tenshu_queue::Task) implementation,
//! then a `.task::<YourTask>()` line in [`registry`] (and a `.schedule(…)` line if it recurs).

pub mod housekeeping;
pub mod send_email;

use tenshu_queue::Registry;
pub use tenshu_queue::Tasks;

pub use self::{
    housekeeping::{DeleteExpiredSessions, PruneFinishedTasks},
    send_email::SendEmail,
};
use crate::app::AppState;

/// The app's tasks run with its state, where the worker finds the queue and its settings.
impl tenshu_queue::Context for AppState {
    fn queue(&self) -> &Tasks {
        &self.tasks
    }

    fn settings(&self) -> &tenshu_queue::Settings {
        &self.config.tasks
    }
}

/// Every task type the worker can run, and the recurring ones with their cron schedule (UTC).
pub fn registry() -> Registry<AppState> {
    Registry::new()
        .task::<SendEmail>()
        .task::<DeleteExpiredSessions>()
        .task::<PruneFinishedTasks>()
        // minute hour day-of-month month day-of-week
        .schedule(
            "delete_expired_sessions",
            "0 * * * *",
            DeleteExpiredSessions,
        )
        .schedule("prune_finished_tasks", "30 * * * *", PruneFinishedTasks)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_scheduled_task_has_a_handler() {
        super::registry().check().unwrap();
    }
}
