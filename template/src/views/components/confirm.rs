//! The page that asks before something is deleted: a GET shows it, its form POSTs the deletion
//! with the CSRF token.

use leptos::prelude::*;

use super::form::CsrfField;

/// "Delete `title`?" with a button that posts to `action`, and a way back to `cancel_href`.
#[component]
pub fn ConfirmDelete(
    title: String,
    action: String,
    cancel_href: String,
    csrf: String,
) -> impl IntoView {
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body gap-4">
                <h1 class="card-title text-2xl">{format!("Delete {title}?")}</h1>
                <p>"This cannot be undone."</p>
                <form method="post" action=action class="flex gap-2">
                    <CsrfField token=csrf />
                    <button type="submit" class="btn btn-error">"Delete"</button>
                    <a href=cancel_href class="btn btn-ghost">"Cancel"</a>
                </form>
            </div>
        </div>
    }
}
