//! Which handler runs each kind of task, and which tasks recur on a schedule. The app builds its
//! registry in one function (`src/tasks.rs`), one line per task type, so go-to-definition leads
//! from it to each handler.

use std::{collections::HashMap, future::Future, pin::Pin, str::FromStr as _, time::Duration};

use anyhow::Context as _;
use croner::Cron;

use crate::{Context, Settings, Task, store::NewTask};

/// A running handler, boxed so that handlers of every type fit in one map.
pub type HandlerFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// How the worker runs one kind of task, with the context `C`.
#[derive(Debug)]
pub struct Handler<C> {
    /// Reads the task from its JSON and runs it.
    pub run: fn(C, String) -> HandlerFuture,
    pub queue: &'static str,
    pub timeout: Duration,
}

/// A task enqueued at each tick of a cron expression.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Names the schedule in the `task_schedules` table: keep it stable.
    pub name: &'static str,
    pub cron: Cron,
    pub task: NewTask,
}

/// Task kinds and their handlers, and the recurring schedules, for tasks that run with `C`.
#[derive(Debug)]
pub struct Registry<C> {
    handlers: HashMap<&'static str, Handler<C>>,
    schedules: Vec<Schedule>,
}

impl<C: Context> Default for Registry<C> {
    fn default() -> Self {
        Self {
            handlers: HashMap::new(),
            schedules: Vec::new(),
        }
    }
}

impl<C: Context> Registry<C> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the task type `T`.
    ///
    /// # Panics
    /// When another type has the same `KIND`: a mistake in the code, caught by the registry's test.
    pub fn task<T: Task<Context = C>>(mut self) -> Self {
        let handler = Handler {
            run: run_task::<T>,
            queue: T::QUEUE,
            timeout: T::TIMEOUT,
        };
        let previous = self.handlers.insert(T::KIND, handler);
        assert!(
            previous.is_none(),
            "two task types have the kind {}",
            T::KIND
        );
        self
    }

    /// Enqueues `task` at every tick of `cron`, once however many workers run: five fields
    /// (`minute hour day month weekday`, as crontab) or six with seconds first. Times are UTC.
    /// The task type must be added with [`Registry::task`] too.
    ///
    /// # Panics
    /// When `cron` is not a valid expression or `task` cannot be stored: mistakes in the code,
    /// caught by the registry's test.
    pub fn schedule<T: Task<Context = C>>(
        mut self,
        name: &'static str,
        cron: &str,
        task: T,
    ) -> Self {
        let parsed = Cron::from_str(cron)
            .with_context(|| format!("the schedule {name} has an invalid cron expression {cron}"))
            .and_then(|cron| Ok((cron, NewTask::of(&task, 0, 0, None)?)));
        let (cron, task) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => panic!("{error:#}"),
        };
        assert!(
            self.schedules.iter().all(|schedule| schedule.name != name),
            "two schedules are named {name}"
        );
        self.schedules.push(Schedule { name, cron, task });
        self
    }

    pub fn handler(&self, kind: &str) -> Option<&Handler<C>> {
        self.handlers.get(kind)
    }

    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// Every scheduled task's kind has a handler.
    pub fn check(&self) -> anyhow::Result<()> {
        for schedule in &self.schedules {
            anyhow::ensure!(
                self.handlers.contains_key(schedule.task.kind),
                "the schedule {} enqueues {} tasks, which the registry does not list",
                schedule.name,
                schedule.task.kind
            );
        }
        Ok(())
    }

    /// Every task type waits in a queue that the worker serves.
    pub fn check_queues(&self, config: &Settings) -> anyhow::Result<()> {
        let mut kinds: Vec<_> = self.handlers.iter().collect();
        kinds.sort_by_key(|(kind, _)| **kind);
        for (kind, handler) in kinds {
            anyhow::ensure!(
                config.queues.contains_key(handler.queue),
                "tasks of kind {kind} wait in the queue {queue}, which tasks.queues does not \
                 list: add `{queue} = 1` (or more) under [tasks.queues]",
                queue = handler.queue
            );
        }
        Ok(())
    }
}

fn run_task<T: Task>(context: T::Context, payload: String) -> HandlerFuture {
    Box::pin(async move {
        let task: T = serde_json::from_str(&payload)
            .with_context(|| format!("the stored {} task does not match its type", T::KIND))?;
        task.run(&context).await
    })
}
