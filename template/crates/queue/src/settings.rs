//! The worker's settings: the app reads them from its configuration (`[tasks]`).

use std::{collections::BTreeMap, time::Duration};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Run the worker inside `serve`; turn off when workers run apart (`app worker`).
    pub worker_in_serve: bool,
    /// Each queue the worker serves, and how many of its tasks run at once.
    pub queues: BTreeMap<String, usize>,
    /// How often an idle worker looks for tasks enqueued by other processes.
    pub poll_interval_ms: u64,
    /// A running task is held this long, renewed while it runs; a worker that dies lets its
    /// tasks go after this long.
    pub lease_secs: u64,
    /// On shutdown, running tasks get this long to finish before going back to the queue.
    pub shutdown_timeout_secs: u64,
    /// Done tasks are deleted after this many hours.
    pub keep_done_hours: u64,
    /// Failed tasks are deleted after this many days.
    pub keep_failed_days: u64,
}

impl Settings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}
