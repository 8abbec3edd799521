//! Signing in with another provider (Google, GitLab…), and the account's connected providers.
//! The flow and its checks are `crate::auth::oauth`'s; this module decides what a returning
//! visitor gets:
//!
//! - **An identity already connected** signs in to its account (two-factor, when on, still asks
//!   for its second step).
//! - **A new identity with an address the provider says is verified**, and no account with that
//!   address, opens an account (no password: the provider is its way in).
//! - **A new identity whose address has an account** is refused: accounts are reached through
//!   their owner, who signs in first and connects the provider from `/account/connections`.
//!   Matching addresses silently would hand the account to whoever controls a provider account
//!   with that address (an unverified one, or one the provider lets change hands).
//! - **No verified address**: nothing is opened or reached by address; the identity can still be
//!   connected by a signed-in owner.
//!
//! Every refusal is a page with a 4xx and words for the visitor; trips out and returns are
//! rate-limited (`Action::OAuthStart`, `Action::OAuth`: per network and provider).

use axum::{
    Extension, Form,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use axum_messages::Messages;
use leptos::prelude::*;
use sea_orm::TransactionTrait as _;
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    Routes,
    auth::{SignInState, first_step_passed, render_sign_in, send_reset_link},
    two_factor::notify,
};
use crate::{
    app::AppState,
    auth::{
        forms::{email_address, safe_next},
        guards::{RequireGuest, RequireUser},
        oauth::{self, Callback, Identity, Provider, Purpose, Refusal},
        session::CurrentUser,
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    db,
    error::AppError,
    htmx,
    models::{identity, user},
    page::Page,
    paths,
    rate_limit::Action,
    views::pages::oauth::{ConnectionsPage, LeavingFor, ProviderRow},
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .post(start_sign_in)
        .get(callback)
        .get(connections_page)
        .post(start_connecting)
        .post(disconnect)
        .post(send_password_link)
}

/// The sign-in buttons' form: where to go once signed in.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    pub next: Option<String>,
}

async fn start_sign_in(
    path: paths::SignInWith,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let provider = app.oauth.provider(&path.provider)?;
    app.rate_limits
        .check(Action::OAuthStart, ip, &provider.name)?;
    let next = safe_next(form.next.as_deref());
    let purpose = Purpose::SignIn { next: next.clone() };
    match provider.start(&session, purpose).await? {
        Ok(url) => Ok(leave_for(page, provider, url)),
        Err(refusal) => Ok(refused(page, &app, csrf, None, provider, &refusal, next).await),
    }
}

async fn start_connecting(
    path: paths::AccountConnect,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let provider = app.oauth.provider(&path.provider)?;
    app.rate_limits
        .check(Action::OAuthStart, ip, &provider.name)?;
    let purpose = Purpose::Connect { user_id: user.id };
    match provider.start(&session, purpose).await? {
        Ok(url) => Ok(leave_for(page, provider, url)),
        Err(refusal) => Ok(refused(page, &app, csrf, Some(&user), provider, &refusal, None).await),
    }
}

/// Sends the browser to the provider. htmx (which posts the buttons' forms) follows
/// `HX-Redirect`; a browser without JavaScript gets a page with the link to follow, because the
/// pages' `form-action 'self'` (`crate::middleware::security_headers`) stops a form whose answer
/// redirects to another site.
fn leave_for(page: Page, provider: &Provider, url: String) -> Response {
    if page.hx().is_htmx {
        return htmx::redirect(page.hx(), url);
    }
    let label = provider.label.clone();
    page.render(
        format!("Continue to {label}"),
        view! { <LeavingFor label url /> },
    )
}

/// Where the provider sends the visitor back. Rate-limited, as the trips out are: each costs
/// requests to the provider.
async fn callback(
    path: paths::OAuthCallback,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    current: Option<Extension<CurrentUser>>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Query(callback): Query<Callback>,
) -> Result<Response, AppError> {
    let provider = app.oauth.provider(&path.provider)?;
    app.rate_limits.check(Action::OAuth, ip, &provider.name)?;
    let current = current.map(|Extension(user)| user);
    let (identity, purpose) = match provider.finish(&session, callback).await? {
        Ok(returned) => returned,
        Err(refusal) => {
            let current = current.as_deref();
            return Ok(refused(page, &app, csrf, current, provider, &refusal, None).await);
        }
    };
    match purpose {
        Purpose::SignIn { next } => {
            sign_in(
                &app, &session, messages, page, csrf, provider, identity, next,
            )
            .await
        }
        Purpose::Connect { user_id } => {
            // Signed out, or in as someone else, since the trip started: connect nothing.
            let Some(user) = current.filter(|user| user.id == user_id) else {
                let refusal = Refusal::NoTrip;
                return Ok(refused(page, &app, csrf, None, provider, &refusal, None).await);
            };
            connect(&app, messages, page, csrf, &user, provider, identity).await
        }
    }
}

async fn sign_in(
    app: &AppState,
    session: &Session,
    messages: Messages,
    page: Page,
    csrf: String,
    provider: &Provider,
    identity: Identity,
    next: Option<String>,
) -> Result<Response, AppError> {
    match account_of(app, provider, identity).await? {
        Ok((user, welcome)) => {
            first_step_passed(app, session, messages, &page, &user, false, next, welcome).await
        }
        Err(refusal) => {
            let state = SignInState {
                provider_error: Some(refusal),
                ..SignInState::default()
            };
            Ok(render_sign_in(page, app, csrf, state, next))
        }
    }
}

/// The account an identity signs in to (opened now if need be, with the welcome to show), or
/// why it signs in to none.
async fn account_of(
    app: &AppState,
    provider: &Provider,
    identity: Identity,
) -> Result<Result<(user::Model, &'static str), (StatusCode, String)>, AppError> {
    let label = &provider.label;
    let (user, welcome) = match identity::find(&app.db, &identity.issuer, &identity.subject).await?
    {
        Some(connected) => {
            let Some(user) = user::find_by_id(&app.db, connected.user_id).await? else {
                return Err(AppError::NotFound);
            };
            identity::record_use(&app.db, connected.id).await?;
            (user, "You are signed in.")
        }
        None => {
            // The address must also be one this app takes (`email_address`, as the forms).
            let verified = identity
                .email
                .as_deref()
                .filter(|_| identity.email_verified);
            let Some(email) = verified.and_then(|email| email_address(email).ok()) else {
                return Ok(Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "{label} did not confirm an email address for this account, so it cannot \
                         open an account here. Sign in another way, then connect {label} from \
                         your account."
                    ),
                )));
            };
            if user::find_by_email(&app.db, &email).await?.is_some() {
                return Ok(Err((StatusCode::CONFLICT, account_exists(label, &email))));
            }
            match open_account(app, provider, &identity, &email).await? {
                Some(user) => (user, "Welcome! Your account is ready."),
                None => return Ok(Err((StatusCode::CONFLICT, account_exists(label, &email)))),
            }
        }
    };
    if user.is_disabled() {
        return Ok(Err((
            StatusCode::FORBIDDEN,
            "This account is disabled. Contact the site's owner to have it enabled again."
                .to_owned(),
        )));
    }
    Ok(Ok((user, welcome)))
}

fn account_exists(label: &str, email: &str) -> String {
    format!(
        "An account with {email} exists already. Sign in to it another way (your password, a \
         passkey or an emailed link), then connect {label} from your account: an account is \
         only ever connected by its owner."
    )
}

/// A new account for a verified address, with the identity that opened it; `None` if the
/// address (or the identity) was taken meanwhile.
async fn open_account(
    app: &AppState,
    provider: &Provider,
    identity: &Identity,
    email: &str,
) -> Result<Option<user::Model>, AppError> {
    let new = user::NewUser {
        email: email.to_owned(),
        password_hash: oauth::no_password()?,
        is_admin: false,
        verified: true,
    };
    let transaction = app.db.begin().await.map_err(anyhow::Error::new)?;
    let opened = async {
        let user = user::create(&transaction, new).await?;
        identity::create(&transaction, user.id, stored(provider, identity)).await?;
        Ok::<_, sea_orm::DbErr>(user)
    }
    .await;
    match opened {
        Ok(user) => {
            transaction.commit().await.map_err(anyhow::Error::new)?;
            Ok(Some(user))
        }
        Err(error) if db::is_unique_violation(&error) => Ok(None),
        Err(error) => Err(anyhow::Error::new(error).into()),
    }
}

/// The identity as the `identities` table keeps it: the address only if the provider vouches for
/// it (an unverified one is no fact about the user to show an administrator).
fn stored<'a>(provider: &'a Provider, identity: &'a Identity) -> identity::NewIdentity<'a> {
    identity::NewIdentity {
        provider: &provider.name,
        issuer: &identity.issuer,
        subject: &identity.subject,
        email: identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified),
    }
}

async fn connect(
    app: &AppState,
    messages: Messages,
    page: Page,
    csrf: String,
    user: &CurrentUser,
    provider: &Provider,
    identity: Identity,
) -> Result<Response, AppError> {
    let label = &provider.label;
    match identity::find(&app.db, &identity.issuer, &identity.subject).await? {
        Some(connected) if connected.user_id == user.id => {
            messages.info(format!("This {label} account is connected already."));
            return Ok(htmx::redirect(page.hx(), paths::AccountConnections));
        }
        Some(_) => {
            let message = format!(
                "This {label} account is connected to another account here. Disconnect it there \
                 first."
            );
            let error = Some((StatusCode::CONFLICT, message));
            return render_connections(page, app, user, csrf, error).await;
        }
        None => {}
    }
    match identity::create(&app.db, user.id, stored(provider, &identity)).await {
        Ok(_) => {}
        Err(error) if db::is_unique_violation(&error) => {
            let message = format!("This {label} account was just connected elsewhere.");
            let error = Some((StatusCode::CONFLICT, message));
            return render_connections(page, app, user, csrf, error).await;
        }
        Err(error) => return Err(anyhow::Error::new(error).into()),
    }
    notify(
        app,
        user,
        format!("{label} was connected to your account: it can now sign in to it."),
    )
    .await;
    messages.success(format!("{label} is connected: you can sign in with it."));
    Ok(htmx::redirect(page.hx(), paths::AccountConnections))
}

/// The sign-in page, or the connections page for a signed-in visitor, telling why the trip
/// ended without signing in.
async fn refused(
    page: Page,
    app: &AppState,
    csrf: String,
    current: Option<&user::Model>,
    provider: &Provider,
    refusal: &Refusal,
    next: Option<String>,
) -> Response {
    let label = &provider.label;
    let (status, message) = match refusal {
        Refusal::NoTrip => (
            StatusCode::BAD_REQUEST,
            format!(
                "This sign-in with {label} expired, or was started in another browser or tab. \
                 Try again."
            ),
        ),
        Refusal::Declined => (
            StatusCode::FORBIDDEN,
            format!("You did not let {label} tell us who you are, so nothing changed."),
        ),
        Refusal::Refused(_) => (
            StatusCode::BAD_REQUEST,
            format!(
                "{label} did not accept this sign-in (it may have taken too long, or been used \
                 already). Try again."
            ),
        ),
        Refusal::BadToken(_) => (
            StatusCode::BAD_REQUEST,
            format!(
                "{label}'s answer did not pass our checks, so it was not used. Try again, or \
                 sign in another way."
            ),
        ),
        // Not the visitor's mistake, nor ours: 424, "a request this one depended on failed",
        // keeps 5xx (and the alerts on them) for the app's own faults.
        Refusal::Unreachable(_) => (
            StatusCode::FAILED_DEPENDENCY,
            format!(
                "{label} cannot be reached right now. Try again in a moment, or sign in another \
                 way."
            ),
        ),
    };
    // Debug, not Display: a visitor can send the provider's `error` text, which is escaped so.
    tracing::warn!(
        provider = provider.name,
        ?refusal,
        "a sign-in with a provider was refused"
    );
    match current {
        Some(user) => {
            let error = Some((status, message));
            render_connections(page, app, user, csrf, error)
                .await
                .unwrap_or_else(axum::response::IntoResponse::into_response)
        }
        None => {
            let state = SignInState {
                provider_error: Some((status, message)),
                ..SignInState::default()
            };
            render_sign_in(page, app, csrf, state, next)
        }
    }
}

// The account's connected providers

async fn connections_page(
    _: paths::AccountConnections,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    render_connections(page, &app, &user, csrf, None).await
}

async fn render_connections(
    page: Page,
    app: &AppState,
    user: &user::Model,
    csrf: String,
    error: Option<(StatusCode, String)>,
) -> Result<Response, AppError> {
    let connected = identity::of_user(&app.db, user.id).await?;
    let rows = connected
        .into_iter()
        .map(|identity| ProviderRow {
            label: app.oauth.label_of(&identity.provider).to_owned(),
            id: identity.id,
            email: identity.email,
            created_at: identity.created_at,
        })
        .collect::<Vec<_>>();
    let available = app
        .oauth
        .providers()
        .map(|provider| (provider.name.clone(), provider.label.clone()))
        .collect::<Vec<_>>();
    let status = error.as_ref().map_or(StatusCode::OK, |(status, _)| *status);
    let error = error.map(|(_, message)| message);
    let has_password = oauth::has_password(user);
    let mut response = page.render(
        "Connected accounts",
        view! { <ConnectionsPage csrf rows available error has_password /> },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn disconnect(
    path: paths::AccountDisconnect,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let connected = identity::of_user(&app.db, user.id).await?;
    let Some(removing) = connected.iter().find(|identity| identity.id == path.id) else {
        return Err(AppError::NotFound);
    };
    let label = app.oauth.label_of(&removing.provider).to_owned();
    // Not the last way in: a password, a passkey or another provider must remain.
    let other_ways = oauth::has_password(&user)
        || connected.len() > 1
        || crate::auth::passkeys::any(&app.db, user.id).await?;
    if !other_ways {
        let message = format!(
            "{label} is the only way to sign in to your account. Set a password (below) or add a \
             passkey before you disconnect it."
        );
        let error = Some((StatusCode::CONFLICT, message));
        return render_connections(page, &app, &user, csrf, error).await;
    }
    if !identity::remove(&app.db, user.id, path.id).await? {
        return Err(AppError::NotFound);
    }
    notify(
        &app,
        &user,
        format!("{label} was disconnected from your account: it no longer signs in to it."),
    )
    .await;
    messages.success(format!("{label} is disconnected."));
    Ok(htmx::redirect(page.hx(), paths::AccountConnections))
}

/// An account a provider opened has no password: its owner sets one through a link emailed to
/// the account's address, as a reset (which proves they still read that inbox).
async fn send_password_link(
    _: paths::AccountPasswordLink,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    app.rate_limits
        .check(Action::PasswordReset, ip, &user.email)?;
    send_reset_link(app, user.email.clone()).await?;
    messages.success(format!(
        "We sent a link to {} to set your password.",
        user.email
    ));
    Ok(htmx::redirect(page.hx(), paths::AccountConnections))
}
