//! Other providers: the sign-in page's buttons, the account's card, and the page of connected
//! accounts.

use leptos::prelude::*;
use time::OffsetDateTime;

use crate::{
    paths,
    views::components::{
        form::{CsrfField, FormAlert},
        value::day,
    },
};

/// "Continue with Google", one button per provider. htmx posts them and follows the answer to
/// the provider's site (without JavaScript, a page with the link: see `crate::routes::oauth`).
#[component]
pub fn ProviderButtons(
    csrf: String,
    /// Each provider's name (in the URL) and label.
    providers: Vec<(String, String)>,
    next: Option<String>,
    /// Why the last trip to a provider did not sign in.
    error: Option<String>,
) -> impl IntoView {
    let buttons = providers
        .into_iter()
        .map(|(name, label)| {
            view! {
                <form method="post" action=paths::SignInWith { provider: name }.to_string()>
                    <CsrfField token=csrf.clone() />
                    {next.clone().map(|next| view! { <input type="hidden" name="next" value=next /> })}
                    <button type="submit" class="btn btn-outline w-full">{format!("Continue with {label}")}</button>
                </form>
            }
        })
        .collect_view();
    view! {
        <div class="flex flex-col gap-2" data-testid="providers">
            <FormAlert message=error />
            {buttons}
        </div>
    }
}

/// The way on to the provider, for a browser without JavaScript.
#[component]
pub fn LeavingFor(label: String, url: String) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-md bg-base-100 shadow-sm" aria-labelledby="leaving-title">
            <div class="card-body gap-4">
                <h1 id="leaving-title" class="card-title text-2xl">{format!("Continue to {label}")}</h1>
                <p class="text-base-content/80">{format!("{label} will ask you to sign in there, then send you back here.")}</p>
                <a class="btn btn-primary self-start" href=url data-testid="leave-for-provider">{format!("Continue to {label}")}</a>
            </div>
        </section>
    }
}

/// The account page's card: which providers sign in to this account.
#[component]
pub fn ConnectionsCard(
    connected: Vec<String>,
    /// Whether the account has a password (one a provider opened has none until set).
    has_password: bool,
) -> impl IntoView {
    let summary = if connected.is_empty() {
        "Sign in with another account you have (Google, GitLab…) instead of your password."
            .to_owned()
    } else if has_password {
        format!("{} can sign you in.", connected.join(", "))
    } else {
        format!(
            "{} can sign you in. Your account has no password yet: set one from there.",
            connected.join(", ")
        )
    };
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h2 class="card-title">"Connected accounts"</h2>
                <p class="text-sm text-base-content/80" data-testid="connections-summary">{summary}</p>
                <div class="mt-2">
                    <a class="btn btn-outline" href=paths::AccountConnections.to_string()>"Manage connected accounts"</a>
                </div>
            </div>
        </div>
    }
}

/// One connected provider, as the page lists it.
#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub id: i64,
    pub label: String,
    pub email: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The account's connected providers, each with a button to disconnect it, and a button for each
/// provider of the site to connect one.
#[component]
pub fn ConnectionsPage(
    csrf: String,
    rows: Vec<ProviderRow>,
    /// The site's providers: name and label.
    available: Vec<(String, String)>,
    /// Why the last connection or disconnection did not happen.
    error: Option<String>,
    /// Whether the account has a password (one a provider opened has none until set).
    has_password: bool,
) -> impl IntoView {
    let empty = rows.is_empty();
    let password_csrf = csrf.clone();
    let list = rows
        .into_iter()
        .map(|row| {
            let action = paths::AccountDisconnect { id: row.id }.to_string();
            let since = format!("Connected {}", day(row.created_at));
            view! {
                <li class="card bg-base-100 shadow-sm">
                    <div class="card-body flex-row flex-wrap items-center justify-between gap-2 py-4">
                        <div>
                            <h2 class="card-title text-lg">{row.label.clone()}</h2>
                            <p class="text-sm text-base-content/80 break-all">
                                {row.email.map(|email| format!("{email} · "))}
                                {since}
                            </p>
                        </div>
                        <form method="post" action=action>
                            <CsrfField token=csrf.clone() />
                            <button type="submit" class="btn btn-outline btn-sm">{format!("Disconnect {}", row.label)}</button>
                        </form>
                    </div>
                </li>
            }
        })
        .collect_view();
    let connect = available
        .into_iter()
        .map(|(name, label)| {
            view! {
                <form method="post" action=paths::AccountConnect { provider: name }.to_string()>
                    <CsrfField token=csrf.clone() />
                    <button type="submit" class="btn btn-outline">{format!("Connect {label}")}</button>
                </form>
            }
        })
        .collect_view();
    view! {
        <section class="mx-auto flex max-w-xl flex-col gap-6" aria-labelledby="connections-title">
            <header>
                <h1 id="connections-title" class="text-3xl font-bold tracking-tight">"Connected accounts"</h1>
                <p class="mt-2 text-base-content/80">
                    "Each account connected here signs you in to this one, instead of your password. "
                    "Two-factor sign-in, when it is on, still asks for its second step."
                </p>
            </header>
            <FormAlert message=error />
            {if empty {
                view! { <p class="text-sm" data-testid="no-connections">"No connected accounts yet."</p> }.into_any()
            } else {
                view! { <ul class="flex flex-col gap-3" data-testid="connections">{list}</ul> }.into_any()
            }}
            {(!has_password).then(|| view! {
                <div class="card bg-base-100 shadow-sm">
                    <div class="card-body">
                        <h2 class="card-title">"Set a password"</h2>
                        <p class="text-sm text-base-content/80" data-testid="no-password">
                            "Your account has no password: only the accounts above sign you in. We can email you a link to choose one."
                        </p>
                        <form method="post" action=paths::AccountPasswordLink.to_string()>
                            <CsrfField token=password_csrf />
                            <button type="submit" class="btn btn-outline">"Email me a link to set a password"</button>
                        </form>
                    </div>
                </div>
            })}
            <div class="card bg-base-100 shadow-sm">
                <div class="card-body">
                    <h2 class="card-title">"Connect an account"</h2>
                    <div class="flex flex-wrap gap-2">{connect}</div>
                </div>
            </div>
            <a class="link text-sm" href=paths::Account.to_string()>"Back to your account"</a>
        </section>
    }
}
