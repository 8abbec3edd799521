//! The task monitor's page: counts per queue and state, then the failed, running and scheduled
//! tasks.

use leptos::prelude::*;
use tenshu_queue::monitor::QueueCounts;

use crate::views::components::{form::CsrfField, scroll::ScrollBox};

/// A task as the lists show it.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub queue: String,
    /// `2 of 5`
    pub attempts: String,
    pub run_at: String,
    pub lease_ends: String,
    pub finished_at: String,
    pub last_error: String,
    pub retry_action: String,
    pub delete_action: String,
}

#[component]
pub fn TaskMonitor(
    queues: Vec<QueueCounts>,
    failed: Vec<TaskRow>,
    running: Vec<TaskRow>,
    scheduled: Vec<TaskRow>,
    csrf: String,
) -> impl IntoView {
    view! {
        <h1 class="text-3xl font-bold tracking-tight">"Tasks"</h1>
        <ScrollBox label="Queues">
            <table class="table table-sm" data-testid="queues">
                <thead>
                    <tr>
                        <th scope="col">"Queue"</th>
                        <th scope="col">"Due"</th>
                        // On a phone: due, running and failed, the counts that call for action.
                        <th scope="col" class="hidden sm:table-cell">"Scheduled"</th>
                        <th scope="col">"Running"</th>
                        <th scope="col" class="hidden sm:table-cell">"Done"</th>
                        <th scope="col">"Failed"</th>
                    </tr>
                </thead>
                <tbody>
                    {queues
                        .into_iter()
                        .map(|counts| view! {
                            <tr>
                                <th scope="row">{counts.queue}</th>
                                <td>{counts.due}</td>
                                <td class="hidden sm:table-cell">{counts.scheduled}</td>
                                <td>{counts.running}</td>
                                <td class="hidden sm:table-cell">{counts.done}</td>
                                <td class:text-error={counts.failed > 0}>{counts.failed}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </ScrollBox>
        <section class="flex flex-col gap-2" aria-labelledby="failed-title" data-testid="failed">
            <h2 id="failed-title" class="text-xl font-semibold">"Failed"</h2>
            {if failed.is_empty() {
                view! { <p class="text-base-content/70">"No failed tasks."</p> }.into_any()
            } else {
                failed
                    .into_iter()
                    .map(|task| view! { <FailedTask task csrf=csrf.clone() /> })
                    .collect_view()
                    .into_any()
            }}
        </section>
        <TaskList title="Running" testid="running" tasks=running time_label="Lease ends"
            time=|task: &TaskRow| task.lease_ends.clone() />
        <TaskList title="Scheduled" testid="scheduled" tasks=scheduled time_label="Runs at"
            time=|task: &TaskRow| task.run_at.clone() />
    }
}

#[component]
fn FailedTask(task: TaskRow, csrf: String) -> impl IntoView {
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body gap-2 p-4">
                <div class="flex flex-wrap items-center justify-between gap-2">
                    <p class="font-semibold">
                        {format!("#{} {}", task.id, task.kind)}
                        <span class="ml-2 text-sm font-normal text-base-content/70">
                            {format!("queue {}, {} attempts, failed {}", task.queue, task.attempts, task.finished_at)}
                        </span>
                    </p>
                    <div class="flex gap-2">
                        <form method="post" action=task.retry_action>
                            <CsrfField token=csrf.clone() />
                            <button type="submit" class="btn btn-sm">"Retry"</button>
                        </form>
                        <form method="post" action=task.delete_action data-hx-confirm="Delete this task?">
                            <CsrfField token=csrf />
                            <button type="submit" class="btn btn-ghost btn-sm text-error">"Delete"</button>
                        </form>
                    </div>
                </div>
                <pre class="overflow-x-auto whitespace-pre-wrap rounded bg-base-200 p-2 text-xs">{task.last_error}</pre>
            </div>
        </div>
    }
}

#[component]
fn TaskList(
    title: &'static str,
    testid: &'static str,
    tasks: Vec<TaskRow>,
    time_label: &'static str,
    time: fn(&TaskRow) -> String,
) -> impl IntoView {
    view! {
        <section class="flex flex-col gap-2" data-testid=testid>
            <h2 class="text-xl font-semibold">{title}</h2>
            {if tasks.is_empty() {
                view! { <p class="text-base-content/70">"None."</p> }.into_any()
            } else {
                view! {
                    <ScrollBox label=title>
                        <table class="table table-sm">
                            <thead>
                                <tr>
                                    <th scope="col">"Task"</th>
                                    <th scope="col">"Queue"</th>
                                    <th scope="col">"Attempts"</th>
                                    <th scope="col">{time_label}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {tasks
                                    .iter()
                                    .map(|task| view! {
                                        <tr>
                                            <td>{format!("#{} {}", task.id, task.kind)}</td>
                                            <td>{task.queue.clone()}</td>
                                            <td>{task.attempts.clone()}</td>
                                            <td>{time(task)}</td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </ScrollBox>
                }
                .into_any()
            }}
        </section>
    }
}
