//! What a visitor sees after asking for an email: the same words whether or not the address has
//! an account, so the page reveals none.

use leptos::prelude::*;

#[component]
pub fn CheckInbox(email: String, what: &'static str) -> impl IntoView {
    view! {
        <div role="status" class="alert alert-info alert-soft" data-testid="check-inbox">
            <span>
                "If " <strong>{email}</strong> " can receive it, an email is on its way with " {what}
                ". Check your inbox (and your spam folder)."
            </span>
        </div>
    }
}
