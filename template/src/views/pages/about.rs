//! The about page: how a request travels through the app, for the developer reading it first.

use leptos::prelude::*;

use crate::views::components::scroll::ScrollBox;

#[component]
pub fn AboutPage(app_name: String) -> impl IntoView {
    view! {
        <article class="prose-sm max-w-none space-y-8">
            <header class="rounded-box bg-base-100 p-6 shadow-sm">
                <h1 class="text-3xl font-bold tracking-tight">"About " {app_name}</h1>
                <p class="mt-3 text-base-content/80">
                    "A web application in one Rust binary: it renders HTML on the server, keeps its data in
                    SQLite or Postgres, and sends a few kilobytes of htmx to the browser for the rest."
                </p>
            </header>

            <section class="rounded-box bg-base-100 p-6 shadow-sm" aria-labelledby="journey-title">
                <h2 id="journey-title" class="text-2xl font-semibold">"The journey of a request"</h2>
                <ol class="steps steps-vertical mt-4">
                    {JOURNEY
                        .iter()
                        .map(|(step, text)| {
                            view! {
                                <li class="step step-primary" data-content="">
                                    <span class="text-left">
                                        <strong>{*step}</strong> " " <span class="text-base-content/80">{*text}</span>
                                    </span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </section>

            <section class="rounded-box bg-base-100 p-6 shadow-sm" aria-labelledby="stack-title">
                <h2 id="stack-title" class="text-2xl font-semibold">"The stack"</h2>
                <ScrollBox label="The stack" class="mt-4">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">"Concern"</th>
                                <th scope="col">"Crate or package"</th>
                                <th scope="col">"Where"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {STACK
                                .iter()
                                .map(|(concern, name, place)| {
                                    view! {
                                        <tr>
                                            <th scope="row" class="font-medium">{*concern}</th>
                                            <td>{*name}</td>
                                            <td><code>{*place}</code></td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </ScrollBox>
            </section>
        </article>
    }
}

const JOURNEY: [(&str, &str); 5] = [
    (
        "Listen.",
        "The server accepts the connection, and the first layer gives the request an id \
         (src/server.rs, src/routes.rs).",
    ),
    (
        "Middleware.",
        "Logs, timeouts, size limits, compression and security headers wrap every route (src/routes.rs).",
    ),
    (
        "Route.",
        "The path type picks the handler; its group adds what it needs, such as the session (src/paths.rs).",
    ),
    (
        "Handle.",
        "The handler loads data and renders a leptos view inside the layout (src/routes/pages.rs).",
    ),
    (
        "Answer.",
        "Errors become a page, an htmx fragment or JSON, and are logged once (src/error.rs).",
    ),
];

const STACK: [(&str, &str, &str); 8] = [
    (
        "HTTP server and routing",
        "axum, tower-http",
        "src/routes.rs",
    ),
    ("HTML", "leptos (server-side rendering)", "src/views/"),
    ("Interactivity", "htmx", "src/htmx.rs"),
    ("Styles", "Tailwind CSS, daisyUI", "assets/app.css"),
    (
        "Database",
        "SeaORM, SQLite or Postgres",
        "src/db.rs, migration/",
    ),
    (
        "Sessions and flash",
        "tower-sessions, axum-messages",
        "src/session.rs",
    ),
    ("Configuration", "config, dotenvy", "config/"),
    ("Logs", "tracing", "src/telemetry.rs"),
];
