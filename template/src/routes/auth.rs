//! Registration, sign-in and sign-out, email verification and password reset.
//!
//! Every answer about an email address that anyone can type (registration, reset, resend, sign-in
//! links) is the same whether or not the address has an account, and takes about as long: the
//! password is hashed either way, and what depends on the account (looking it up, issuing its
//! link, queueing its email) runs after the answer ([`after_answering`]).

use axum::{
    Form,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use axum_messages::Messages;
use garde::Validate as _;
use leptos::prelude::*;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

use super::Routes;
use crate::{
    app::AppState,
    auth::{
        forms::{
            EmailForm, RegisterForm, ResetPasswordForm, SignInForm, VerifyEmailForm, safe_next,
        },
        guards::RequireGuest,
        session::{self as auth_session},
        tokens::{self, Purpose},
        two_factor,
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    db,
    error::AppError,
    htmx,
    mail::emails::{AccountExists, ResetPassword, VerifyEmail},
    models::user::{self, NewUser},
    page::Page,
    paths,
    rate_limit::Action,
    views::components::form::FormErrors,
    views::pages::auth::{
        AuthCard,
        check_inbox::CheckInbox,
        forgot_password::ForgotPasswordForm,
        register::{RegisterForm as RegisterFormView, RegisterLinks},
        reset_password::ResetPasswordForm as ResetPasswordFormView,
        sign_in::{SignInForm as SignInFormView, SignInLinks},
        sign_in_link::SignInLinkForm,
        verify_email::{ResendVerificationForm, VerifyEmailForm as VerifyEmailFormView},
    },
    views::pages::passkeys::PasskeySignInForm,
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(register_page)
        .post(register)
        .get(sign_in_page)
        .post(sign_in)
        .post(sign_out)
        .get(verify_email_page)
        .post(verify_email)
        .get(resend_verification_page)
        .post(resend_verification)
        .get(forgot_password_page)
        .post(forgot_password)
        .get(reset_password_page)
        .post(reset_password)
}

/// `?token=…` of the links in emails.
#[derive(Debug, Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

/// `?next=…` of the sign-in page.
#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn password_hint(app: &AppState) -> String {
    format!(
        "At least {} characters. A few unrelated words make a strong one.",
        app.config.auth.password_min_chars
    )
}

// Registration

async fn register_page(
    _: paths::Register,
    _: RequireGuest,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    render_register(page, &app, csrf, String::new(), FormErrors::default())
}

fn render_register(
    page: Page,
    app: &AppState,
    csrf: String,
    email: String,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let password_hint = password_hint(app);
    let form = view! { <RegisterFormView csrf email errors password_hint /> }.into_any();
    page.render_form("Create an account", status, form, |form| {
        view! {
            <AuthCard title="Create an account" intro="An email address and a password is all it takes.">
                {form}
                <RegisterLinks />
            </AuthCard>
        }
        .into_any()
    })
}

async fn register(
    _: paths::Register,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<RegisterForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_register(page, &app, csrf, form.email, errors));
    }
    // Counted before hashing, which is the costly part.
    app.rate_limits.check(Action::Register, ip, &form.email)?;
    // Hashed before looking the address up: a taken address answers as slowly as a new one.
    let password_hash = app.passwords.hash(&form.password).await?;
    let created = user::create(
        &app.db,
        NewUser {
            email: form.email.clone(),
            password_hash,
            is_admin: false,
            verified: false,
        },
    )
    .await;
    match created {
        Ok(user) => send_verification(&app, &user).await?,
        Err(error) if db::is_unique_violation(&error) => {
            let to = user::normalize_email(&form.email);
            if app.rate_limits.allow_mail_to(&to) {
                let email = AccountExists {
                    app_name: app.config.name.clone(),
                    sign_in_link: app.mailer.link(&paths::SignIn.to_string()),
                    reset_link: app.mailer.link(&paths::ForgotPassword.to_string()),
                };
                app.send_email(&to, email).await?;
            }
        }
        Err(error) => return Err(error.into()),
    }
    Ok(render_check_inbox(
        page,
        user::normalize_email(&form.email),
        "a link to confirm your address",
    ))
}

/// "Check your inbox": the answer to every request for an emailed link, whoever the address is.
pub(super) fn render_check_inbox(page: Page, email: String, what: &'static str) -> Response {
    let title = "Check your inbox";
    let notice = view! { <CheckInbox email what /> }.into_any();
    page.render_form(title, StatusCode::OK, notice, |notice| {
        view! { <AuthCard title=title>{notice}</AuthCard> }.into_any()
    })
}

/// Issues a verification token for the user's current address and emails the link, unless the
/// address had its share of mail this hour.
pub(super) async fn send_verification(app: &AppState, user: &user::Model) -> Result<(), AppError> {
    if !app.rate_limits.allow_mail_to(&user.email) {
        return Ok(());
    }
    let hours = app.config.auth.verify_token_hours;
    let token = tokens::issue(&app.db, user, Purpose::VerifyEmail, Duration::hours(hours)).await?;
    let email = VerifyEmail {
        app_name: app.config.name.clone(),
        link: app.mailer.link(&with_token(paths::VerifyEmail, &token)),
        valid_hours: hours,
    };
    app.send_email(&user.email, email).await?;
    Ok(())
}

/// Runs `work` after the answer is sent: the part of a request about an email address that
/// depends on whether it has an account, so that the answer takes as long either way (a lookup,
/// a token written and an email queued take measurably longer than a lookup alone). A failure is
/// logged: the visitor's answer was the same anyway.
pub(super) fn after_answering(
    what: &'static str,
    work: impl Future<Output = Result<(), AppError>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(error) = work.await {
            tracing::error!(%error, "could not send {what}");
        }
    });
}

/// `path?token=…`, the link of an email.
pub(super) fn with_token(path: impl std::fmt::Display, token: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .finish();
    format!("{path}?{query}")
}

// Signing in and out

async fn sign_in_page(
    _: paths::SignIn,
    _: RequireGuest,
    State(app): State<AppState>,
    Query(query): Query<NextQuery>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    let next = safe_next(query.next.as_deref());
    render_sign_in(page, &app, csrf, SignInState::default(), next)
}

/// What the sign-in page shows besides its forms: what was typed, and what went wrong.
#[derive(Default)]
pub(super) struct SignInState {
    pub email: String,
    pub remember: bool,
    pub errors: FormErrors,
    pub unverified: bool,
    /// Why a passkey did not sign in.
    pub passkey_error: Option<String>,
{%- if oauth %}
    /// Why a trip to another provider did not sign in, and the status to answer with.
    pub provider_error: Option<(StatusCode, String)>,
{%- endif %}
}

pub(super) fn render_sign_in(
    page: Page,
    app: &AppState,
    csrf: String,
    state: SignInState,
    next: Option<String>,
) -> Response {
    let SignInState {
        email,
        remember,
        errors,
        unverified,
        passkey_error,
{%- if oauth %}
        provider_error,
{%- endif %}
    } = state;
    let status = if passkey_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        errors.status()
    };
{%- if oauth %}
    let (status, provider_error) = match provider_error {
        Some((status, message)) => (status, Some(message)),
        None => (status, None),
    };
    let providers = app
        .oauth
        .providers()
        .map(|provider| (provider.name.clone(), provider.label.clone()))
        .collect::<Vec<_>>();
    let (providers_csrf, providers_next) = (csrf.clone(), next.clone());
{%- endif %}
    let (link_csrf, passkey_csrf, passkey_next) = (csrf.clone(), csrf.clone(), next.clone());
    let passkeys = app.passkeys.enabled();
    let form = view! { <SignInFormView csrf email remember next errors unverified /> }.into_any();
    page.render_form("Sign in", status, form, |form| {
        view! {
            <AuthCard title="Sign in">
                {form}
                {passkeys.then(|| view! {
                    <PasskeySignInForm csrf=passkey_csrf next=passkey_next error=passkey_error />
                })}
{%- if oauth %}
                {(!providers.is_empty() || provider_error.is_some()).then(|| view! {
                    <crate::views::pages::oauth::ProviderButtons csrf=providers_csrf providers
                        next=providers_next error=provider_error />
                })}
{%- endif %}
                <div class="divider my-0 text-sm">"or"</div>
                <SignInLinkForm csrf=link_csrf email=String::new() errors=FormErrors::default() />
                <SignInLinks />
            </AuthCard>
        }
        .into_any()
    })
}

async fn sign_in(
    _: paths::SignIn,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let mut state = SignInState {
        email: form.email.clone(),
        remember: form.remember.is_some(),
        ..SignInState::default()
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        state.errors = FormErrors::from_report(&report);
        return Ok(render_sign_in(page, &app, csrf, state, next));
    }
    app.rate_limits.check(Action::SignIn, ip, &form.email)?;
    let user = user::find_by_email(&app.db, &form.email).await?;
    let stored = user.as_ref().map(|user| user.password_hash.as_str());
    // An unknown address is checked against a dummy hash: same answer, same time.
    let password_ok = app.passwords.verify(&form.password, stored).await?;
    let user = match user {
        Some(user) if password_ok => user,
        _ => {
            state.errors = FormErrors::one("", "This email and password do not match an account.");
            return Ok(render_sign_in(page, &app, csrf, state, next));
        }
    };
    if user.is_disabled() {
        state.errors = FormErrors::one(
            "",
            "This account is disabled. Contact the site's owner to have it enabled again.",
        );
        return Ok(render_sign_in(page, &app, csrf, state, next));
    }
    if !user.is_verified() {
        state.errors = FormErrors::one(
            "",
            "Confirm your email address first: open the link we sent you.",
        );
        state.unverified = true;
        return Ok(render_sign_in(page, &app, csrf, state, next));
    }
    let welcome = "You are signed in.";
    first_step_passed(
        &app,
        &session,
        messages,
        &page,
        &user,
        state.remember,
        next,
        welcome,
    )
    .await
}

/// After a correct password (or an emailed sign-in link): signed in (and welcomed), or sent to
/// the second step when two-factor is on.
pub(super) async fn first_step_passed(
    app: &AppState,
    session: &Session,
    messages: Messages,
    page: &Page,
    user: &user::Model,
    remember: bool,
    next: Option<String>,
    welcome: &'static str,
) -> Result<Response, AppError> {
    if two_factor::is_on(&app.db, user.id).await? {
        auth_session::start_second_step(session, user, remember, next).await?;
        return Ok(htmx::redirect(page.hx(), paths::SignInTwoFactor));
    }
    let remember = remember.then(|| Duration::days(app.config.auth.remember_days));
    auth_session::sign_in(session, &app.db, user, remember).await?;
    messages.success(welcome);
    Ok(htmx::redirect(
        page.hx(),
        next.unwrap_or_else(|| paths::Home.to_string()),
    ))
}

async fn sign_out(
    _: paths::SignOut,
    session: Session,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    auth_session::sign_out(&session).await?;
    messages.info("You are signed out.");
    Ok(htmx::redirect(page.hx(), paths::Home))
}

// Email verification

/// An emailed link that no longer works: the page offers a new one of the same kind.
#[derive(Debug, Clone, Copy)]
pub(super) enum DeadLink {
    Verification,
    Reset,
    SignIn,
}

/// What a link that no longer works shows: why, and what to do.
pub(super) fn render_dead_link(page: Page, link: DeadLink) -> Response {
    let (href, label) = match link {
        DeadLink::Verification => (
            paths::ResendVerification.to_string(),
            "Send a new confirmation link",
        ),
        DeadLink::Reset => (
            paths::ForgotPassword.to_string(),
            "Ask for a new reset link",
        ),
        DeadLink::SignIn => (paths::SignInLink.to_string(), "Email me a new sign-in link"),
    };
    let mut response = page.render(
        "Link expired",
        view! {
            <AuthCard title="This link no longer works">
                <p>"It has expired, was already used, or was replaced by a newer one."</p>
                <a class="btn btn-primary" href=href>{label}</a>
            </AuthCard>
        },
    );
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn verify_email_page(
    _: paths::VerifyEmail,
    Query(query): Query<TokenQuery>,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let Some(user) = tokens::peek(&app.db, Purpose::VerifyEmail, &query.token).await? else {
        return Ok(render_dead_link(page, DeadLink::Verification));
    };
    Ok(render_verify(
        page,
        csrf,
        query.token,
        user.email,
        FormErrors::default(),
    ))
}

fn render_verify(
    page: Page,
    csrf: String,
    token: String,
    email: String,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let form = view! { <VerifyEmailFormView csrf token email errors /> }.into_any();
    page.render_form("Confirm your email address", status, form, |form| {
        view! {
            <AuthCard title="Confirm your email address" intro="Enter your password to confirm this address and sign in.">
                {form}
            </AuthCard>
        }
        .into_any()
    })
}

async fn verify_email(
    _: paths::VerifyEmail,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<VerifyEmailForm>,
) -> Result<Response, AppError> {
    let Some(user) = tokens::peek(&app.db, Purpose::VerifyEmail, &form.token).await? else {
        return Ok(render_dead_link(page, DeadLink::Verification));
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_verify(page, csrf, form.token, user.email, errors));
    }
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    if !app
        .passwords
        .verify(&form.password, Some(&user.password_hash))
        .await?
    {
        let errors = FormErrors::one("password", "This password is not right.");
        return Ok(render_verify(page, csrf, form.token, user.email, errors));
    }
    // Single use: a second request with the same link finds nothing.
    let Some(user) = tokens::redeem(&app.db, Purpose::VerifyEmail, &form.token).await? else {
        return Ok(render_dead_link(page, DeadLink::Verification));
    };
    let mut verified = user.into_active_model();
    let now = OffsetDateTime::now_utc();
    verified.email_verified_at = Set(Some(now));
    verified.updated_at = Set(now);
    let user = verified.update(&app.db).await?;
    app.users.forget(user.id).await;
    // Any other link sent before is void now.
    tokens::revoke_all(&app.db, user.id).await?;
    let welcome = "Your email address is confirmed. Welcome!";
    first_step_passed(&app, &session, messages, &page, &user, false, None, welcome).await
}

async fn resend_verification_page(
    _: paths::ResendVerification,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    render_resend(page, csrf, String::new(), FormErrors::default())
}

fn render_resend(page: Page, csrf: String, email: String, errors: FormErrors) -> Response {
    let status = errors.status();
    let form = view! { <ResendVerificationForm csrf email errors /> }.into_any();
    page.render_form("New confirmation link", status, form, |form| {
        view! {
            <AuthCard title="Get a new confirmation link" intro="Enter the address you registered with.">
                {form}
            </AuthCard>
        }
        .into_any()
    })
}

async fn resend_verification(
    _: paths::ResendVerification,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_resend(page, csrf, form.email, errors));
    }
    app.rate_limits
        .check(Action::VerificationResend, ip, &form.email)?;
    let email = form.email.clone();
    after_answering("a new confirmation link", async move {
        if let Some(user) = user::find_by_email(&app.db, &email).await?
            && !user.is_verified()
        {
            send_verification(&app, &user).await?;
        }
        Ok(())
    });
    Ok(render_check_inbox(
        page,
        user::normalize_email(&form.email),
        "a new confirmation link",
    ))
}

// Password reset

async fn forgot_password_page(
    _: paths::ForgotPassword,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    render_forgot(page, csrf, String::new(), FormErrors::default())
}

fn render_forgot(page: Page, csrf: String, email: String, errors: FormErrors) -> Response {
    let status = errors.status();
    let form = view! { <ForgotPasswordForm csrf email errors /> }.into_any();
    page.render_form("Forgot your password?", status, form, |form| {
        view! {
            <AuthCard title="Forgot your password?" intro="We will email you a link to choose a new one.">
                {form}
            </AuthCard>
        }
        .into_any()
    })
}

async fn forgot_password(
    _: paths::ForgotPassword,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_forgot(page, csrf, form.email, errors));
    }
    app.rate_limits
        .check(Action::PasswordReset, ip, &form.email)?;
    after_answering(
        "a password reset link",
        send_reset_link(app, form.email.clone()),
    );
    Ok(render_check_inbox(
        page,
        user::normalize_email(&form.email),
        "a link to choose a new password",
    ))
}

/// Emails a reset link to the account of `email`, if there is one and its inbox has room.
pub(super) async fn send_reset_link(app: AppState, email: String) -> Result<(), AppError> {
    let Some(user) = user::find_by_email(&app.db, &email).await? else {
        return Ok(());
    };
    if !app.rate_limits.allow_mail_to(&user.email) {
        return Ok(());
    }
    let minutes = app.config.auth.reset_token_minutes;
    let token = tokens::issue(
        &app.db,
        &user,
        Purpose::ResetPassword,
        Duration::minutes(minutes),
    )
    .await?;
    let email = ResetPassword {
        app_name: app.config.name.clone(),
        link: app.mailer.link(&with_token(paths::ResetPassword, &token)),
        valid_minutes: minutes,
    };
    app.send_email(&user.email, email).await?;
    Ok(())
}

async fn reset_password_page(
    _: paths::ResetPassword,
    Query(query): Query<TokenQuery>,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    if tokens::peek(&app.db, Purpose::ResetPassword, &query.token)
        .await?
        .is_none()
    {
        return Ok(render_dead_link(page, DeadLink::Reset));
    }
    Ok(render_reset(
        page,
        &app,
        csrf,
        query.token,
        FormErrors::default(),
    ))
}

fn render_reset(
    page: Page,
    app: &AppState,
    csrf: String,
    token: String,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let password_hint = password_hint(app);
    let form = view! { <ResetPasswordFormView csrf token errors password_hint /> }.into_any();
    page.render_form("Choose a new password", status, form, |form| {
        view! { <AuthCard title="Choose a new password">{form}</AuthCard> }.into_any()
    })
}

async fn reset_password(
    _: paths::ResetPassword,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<ResetPasswordForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return Ok(render_reset(page, &app, csrf, form.token, errors));
    }
    let Some(user) = tokens::redeem(&app.db, Purpose::ResetPassword, &form.token).await? else {
        return Ok(render_dead_link(page, DeadLink::Reset));
    };
    let password_hash = app.passwords.hash(&form.password).await?;
    let now = OffsetDateTime::now_utc();
    let mut changed = user.into_active_model();
    changed.password_hash = Set(password_hash);
    changed.updated_at = Set(now);
    // The link reached the inbox: the address is proven, if it was not yet.
    if changed.email_verified_at.as_ref().is_none() {
        changed.email_verified_at = Set(Some(now));
    }
    let user = changed.update(&app.db).await?;
    app.users.forget(user.id).await;
    tokens::revoke_all(&app.db, user.id).await?;
    // Whoever knew the old password is signed out everywhere.
    auth_session::revoke_all(&app.db, &app.sessions, user.id, None).await?;
    messages.success("Your password is changed. Sign in with the new one.");
    Ok(htmx::redirect(page.hx(), paths::SignIn))
}
