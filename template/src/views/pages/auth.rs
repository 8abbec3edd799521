//! The account pages: a card with a title, a short explanation, a form, and links to the
//! neighbouring pages. Each form posts to its own URL and, with htmx, replaces itself with the
//! server's answer (errors shown in place); without JavaScript, the whole page comes back.

pub mod check_inbox;
pub mod forgot_password;
pub mod register;
pub mod reset_password;
pub mod sign_in;
pub mod sign_in_link;
pub mod verify_email;

use leptos::prelude::*;

/// The frame of an account page.
#[component]
pub fn AuthCard(
    title: &'static str,
    #[prop(optional, into)] intro: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-md bg-base-100 shadow-sm" aria-labelledby="auth-title">
            <div class="card-body gap-4">
                <h1 id="auth-title" class="card-title text-2xl">{title}</h1>
                {intro.map(|intro| view! { <p class="text-base-content/80">{intro}</p> })}
                {children()}
            </div>
        </section>
    }
}
