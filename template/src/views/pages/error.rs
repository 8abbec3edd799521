//! The page for every error response (404, 405, 500, …), rendered by
//! [`crate::middleware::error_pages`].

use leptos::prelude::*;

use crate::paths::Home;

#[derive(Debug, Clone)]
pub struct ErrorData {
    pub status: u16,
    /// The status's name, such as "Not Found".
    pub reason: String,
    /// The public message: never an internal error's text (see [`crate::error`]).
    pub message: String,
    /// Quoted to support, to find the request in the logs.
    pub request_id: Option<String>,
}

#[component]
pub fn ErrorPage(data: ErrorData) -> impl IntoView {
    let ErrorData {
        status,
        reason,
        message,
        request_id,
    } = data;
    view! {
        <section class="hero rounded-box bg-base-100 py-16 shadow-sm">
            <div class="hero-content text-center">
                <div class="max-w-md">
                    <p class="text-6xl font-bold text-primary" data-testid="status">{status}</p>
                    <h1 class="mt-2 text-2xl font-semibold">{reason}</h1>
                    <p class="py-4 text-base-content/80" data-testid="message">{message}</p>
                    <a href=Home.to_string() class="btn btn-primary">"Go to the home page"</a>
                    {request_id.map(|id| view! {
                        <p class="mt-6 text-xs text-base-content/60">
                            "Reference: " <code data-testid="request-id">{id}</code>
                        </p>
                    })}
                </div>
            </div>
        </section>
    }
}

/// The same error as a small alert, for htmx requests (swapped into the flash region).
#[component]
pub fn ErrorAlert(data: ErrorData) -> impl IntoView {
    view! {
        <div class="alert alert-error alert-soft" role="alert" data-testid="error-alert">
            <span>{data.message}</span>
        </div>
    }
}
