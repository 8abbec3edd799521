//! Signing in with a link sent by email, as Phoenix does: the visitor gives an address, its
//! account gets a link that works once, for `auth.sign_in_link_minutes` (at most 15), and only
//! while it is the newest; the page it opens has a button that signs in (a mail scanner that
//! follows the link uses nothing up). Two-factor, when on, still asks for a code afterwards.
//!
//! - An unknown or disabled address gets the same answer as any other, and no email.
//! - An address not confirmed yet gets its confirmation link instead, which asks for the
//!   password: a sign-in link would let whoever registered with someone else's address, and
//!   chose the password, share the account its owner then signs in to.

use axum::{
    Form,
    extract::{Query, State},
    response::Response,
};
use axum_messages::Messages;
use garde::Validate as _;
use leptos::prelude::*;
use time::Duration;
use tower_sessions::Session;

use super::{
    Routes,
    auth::{
        DeadLink, TokenQuery, after_answering, first_step_passed, render_check_inbox,
        render_dead_link, send_verification, with_token,
    },
};
use crate::{
    app::AppState,
    auth::{
        forms::{EmailForm, OpenSignInLinkForm},
        guards::RequireGuest,
        tokens::{self, Purpose},
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    error::AppError,
    mail::emails::SignInLink,
    models::user,
    page::Page,
    paths,
    rate_limit::Action,
    views::components::form::FormErrors,
    views::pages::auth::{
        AuthCard,
        sign_in_link::{OpenSignInLinkForm as OpenSignInLinkFormView, SignInLinkForm},
    },
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(ask_page)
        .post(ask)
        .get(open_page)
        .post(open)
}

// Asking for a link

async fn ask_page(
    _: paths::SignInLink,
    _: RequireGuest,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    render_ask(page, csrf, String::new(), FormErrors::default())
}

fn render_ask(page: Page, csrf: String, email: String, errors: FormErrors) -> Response {
    let status = errors.status();
    let form = view! { <SignInLinkForm csrf email errors autofocus=true /> }.into_any();
    page.render_form("Sign in by email", status, form, |form| {
        view! {
            <AuthCard title="Sign in by email" intro="We will email you a link that signs you in, no password needed.">
                {form}
                <p class="text-sm">
                    <a class="link" href=paths::SignIn.to_string()>"Sign in with your password"</a>
                </p>
            </AuthCard>
        }
        .into_any()
    })
}

async fn ask(
    _: paths::SignInLink,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_ask(page, csrf, form.email, errors));
    }
    app.rate_limits.check(Action::SignInLink, ip, &form.email)?;
    after_answering("a sign-in link", send_link(app, form.email.clone()));
    Ok(render_check_inbox(
        page,
        user::normalize_email(&form.email),
        "a link to sign in",
    ))
}

/// Emails a sign-in link (voiding any older one) to the account of `email`, or its confirmation
/// link if the address is not confirmed yet; nothing for an unknown or disabled address, or an
/// inbox that had its share of mail this hour.
async fn send_link(app: AppState, email: String) -> Result<(), AppError> {
    let Some(user) = user::find_by_email(&app.db, &email).await? else {
        return Ok(());
    };
    if user.is_disabled() {
        return Ok(());
    }
    if !user.is_verified() {
        return send_verification(&app, &user).await;
    }
    if !app.rate_limits.allow_mail_to(&user.email) {
        return Ok(());
    }
    let minutes = app.config.auth.sign_in_link_minutes;
    let token = tokens::issue(&app.db, &user, Purpose::SignIn, Duration::minutes(minutes)).await?;
    let email = SignInLink {
        app_name: app.config.name.clone(),
        link: app.mailer.link(&with_token(paths::OpenSignInLink, &token)),
        valid_minutes: minutes,
    };
    app.send_email(&user.email, email).await?;
    Ok(())
}

// Opening it

async fn open_page(
    _: paths::OpenSignInLink,
    _: RequireGuest,
    Query(query): Query<TokenQuery>,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    // Looked at, not used: the button below uses it.
    let Some(user) = tokens::peek(&app.db, Purpose::SignIn, &query.token).await? else {
        return Ok(render_dead_link(page, DeadLink::SignIn));
    };
    let (token, email) = (query.token, user.email);
    Ok(page.render(
        "Sign in",
        view! {
            <AuthCard title="Sign in">
                <OpenSignInLinkFormView csrf token email />
            </AuthCard>
        },
    ))
}

async fn open(
    _: paths::OpenSignInLink,
    _: RequireGuest,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    page: Page,
    Form(form): Form<OpenSignInLinkForm>,
) -> Result<Response, AppError> {
    // Single use: of two requests with the same link, one finds nothing.
    let Some(user) = tokens::redeem(&app.db, Purpose::SignIn, &form.token).await? else {
        return Ok(render_dead_link(page, DeadLink::SignIn));
    };
    if user.is_disabled() {
        return Err(AppError::Forbidden(
            "This account is disabled. Contact the site's owner to have it enabled again."
                .to_owned(),
        ));
    }
    if !user.is_verified() {
        // Never issued for such an account (see the top of this file); refused all the same.
        return Ok(render_dead_link(page, DeadLink::SignIn));
    }
    let remember = form.remember.is_some();
    first_step_passed(
        &app,
        &session,
        messages,
        &page,
        &user,
        remember,
        None,
        "You are signed in.",
    )
    .await
}
