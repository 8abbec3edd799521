//! The admin area's task monitor: each queue's tasks by state, the failed ones (with their last
//! error, to run again or delete), the running and the scheduled ones. Administrators only.

use axum::{extract::State, response::Response};
use axum_messages::Messages;
use leptos::prelude::*;
use tenshu_queue::{entity::Model as Task, monitor};
use time::OffsetDateTime;

use super::{Routes, admin::render};
use crate::{
    app::AppState,
    auth::guards::RequireAdmin,
    csrf::CsrfToken,
    error::AppError,
    htmx,
    page::Page,
    paths,
    views::pages::task_monitor::{TaskMonitor, TaskRow},
};

pub fn routes() -> Routes<AppState> {
    Routes::new().get(monitor_page).post(retry).post(delete)
}

async fn monitor_page(
    _: paths::AdminTasks,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let queues = monitor::counts(&app.db).await?;
    let failed = rows(monitor::failed(&app.db).await?);
    let running = rows(monitor::running(&app.db).await?);
    let scheduled = rows(monitor::scheduled(&app.db).await?);
    let content = view! { <TaskMonitor queues failed running scheduled csrf /> }.into_any();
    let section = paths::AdminTasks.to_string();
    Ok(render(page, "Tasks", &section, content))
}

fn rows(tasks: Vec<Task>) -> Vec<TaskRow> {
    tasks
        .into_iter()
        .map(|task| TaskRow {
            retry_action: paths::AdminRetryTask { id: task.id }.to_string(),
            delete_action: paths::AdminDeleteTask { id: task.id }.to_string(),
            id: task.id,
            kind: task.kind,
            queue: task.queue,
            attempts: format!("{} of {}", task.attempts, task.max_attempts),
            run_at: time_of(task.run_at),
            lease_ends: task.locked_until.map(time_of).unwrap_or_default(),
            finished_at: task.finished_at.map(time_of).unwrap_or_default(),
            last_error: task.last_error.unwrap_or_default(),
        })
        .collect()
}

/// Unix milliseconds, as `2026-11-21 09:30:05 UTC`.
fn time_of(unix_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000).map_or_else(
        |_| unix_ms.to_string(),
        |at| {
            format!(
                "{} {:02}:{:02}:{:02} UTC",
                at.date(),
                at.hour(),
                at.minute(),
                at.second()
            )
        },
    )
}

async fn retry(
    paths::AdminRetryTask { id }: paths::AdminRetryTask,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    if monitor::retry(&app.db, id).await? {
        messages.success(format!("Task #{id} is back in its queue."));
    } else {
        messages.error(format!("Task #{id} is not a failed task (any more)."));
    }
    Ok(htmx::redirect(page.hx(), paths::AdminTasks))
}

async fn delete(
    paths::AdminDeleteTask { id }: paths::AdminDeleteTask,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    if monitor::delete(&app.db, id).await? {
        messages.success(format!("Task #{id} is deleted."));
    } else {
        messages.error(format!(
            "Task #{id} is running or gone: it was not deleted."
        ));
    }
    Ok(htmx::redirect(page.hx(), paths::AdminTasks))
}
