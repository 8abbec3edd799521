//! The home page.

use leptos::prelude::*;

use crate::paths::About;

#[component]
pub fn HomePage(app_name: String) -> impl IntoView {
    view! {
        <section class="hero rounded-box bg-base-100 py-12 shadow-sm">
            <div class="hero-content text-center">
                <div class="max-w-xl">
                    <h1 class="text-4xl font-bold tracking-tight sm:text-5xl">{app_name}</h1>
                    <p class="py-6 text-lg text-base-content/80">
                        "Server-rendered pages, a database and everything around them, ready to grow."
                    </p>
                    <div class="flex flex-wrap justify-center gap-3">
                        <a href=About.to_string() class="btn btn-primary">"How this app works"</a>
                    </div>
                </div>
            </div>
        </section>

        <section class="mt-10" aria-labelledby="features-title">
            <h2 id="features-title" class="mb-4 text-2xl font-semibold">"What is already here"</h2>
            <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="features">
                {FEATURES
                    .iter()
                    .map(|(title, text, file)| {
                        view! {
                            <li class="card bg-base-100 shadow-sm">
                                <div class="card-body">
                                    <h3 class="card-title text-base">{*title}</h3>
                                    <p class="text-sm text-base-content/80">{*text}</p>
                                    <p class="text-xs">
                                        <code class="rounded bg-base-200 px-1 py-0.5">{*file}</code>
                                    </p>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>

        <section class="mt-10 rounded-box bg-base-100 p-6 shadow-sm" aria-labelledby="next-title">
            <h2 id="next-title" class="text-2xl font-semibold">"Make it yours"</h2>
            <ol class="mt-4 list-decimal space-y-2 pl-6">
                <li>"Change this page in " <code>"src/views/pages/home.rs"</code> ": the browser reloads by itself under " <code>"just dev"</code> "."</li>
                <li>"Add a page: a path in " <code>"src/paths.rs"</code> ", a handler in " <code>"src/routes/pages.rs"</code> ", a view in " <code>"src/views/pages/"</code> "."</li>
                <li>"Add a table: " <code>"just g model post title:string"</code> " writes its migration and its model."</li>
                <li>"Run " <code>"just audit"</code> " before you push: formatting, lints and every test."</li>
            </ol>
        </section>
    }
}

/// The cards of the "What is already here" section: title, one sentence, where to look.
const FEATURES: [(&str, &str, &str); 6] = [
    (
        "Pages in Rust",
        "Leptos components rendered on the server; htmx makes links and forms feel instant.",
        "src/views/",
    ),
    (
        "Typed URLs",
        "Every route is a type, so a link to a page that does not exist does not compile.",
        "src/paths.rs",
    ),
    (
        "A database",
        "SeaORM over SQLite or Postgres, with versioned migrations applied at start in development.",
        "migration/",
    ),
    (
        "Sessions and flash messages",
        "Stored in the app database, signed cookies, expired rows cleaned up.",
        "src/session.rs",
    ),
    (
        "Errors that explain",
        "One error type; pages, htmx fragments or JSON; never an internal message in a response.",
        "src/error.rs",
    ),
    (
        "Ready for production",
        "Security headers, compression, timeouts, JSON logs, graceful shutdown, one binary.",
        "src/routes.rs",
    ),
];
