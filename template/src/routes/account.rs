//! The signed-in user's account page: change the password, change the email address. Both ask
//! for the current password, so a session left open on a shared computer cannot take the account.
//! Two-factor sign-in has pages of its own (`crate::routes::two_factor`); this one links to them.
//!
//! A new address is only asked for: the account keeps its address until the link sent to the new
//! one is opened (a typo cannot lock anyone out), and the current address is told of the request.

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
        forms::{ChangeEmailForm, ChangePasswordForm},
        guards::RequireUser,
        session::{self as auth_session, CurrentUser},
        tokens::{self, Purpose},
        two_factor,
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    db,
    error::AppError,
    htmx,
    mail::emails::{ConfirmEmailChange, EmailChangeRequested},
    models::user,
    page::Page,
    paths,
    rate_limit::Action,
    views::components::form::FormErrors,
    views::pages::account::{
        AccountPage, ChangeEmailForm as ChangeEmailFormView,
        ChangePasswordForm as ChangePasswordFormView, ConfirmEmailChange as ConfirmEmailChangeView,
        DeadLink,
    },
    views::pages::two_factor::TwoFactorCard,
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(account)
        .post(change_password)
        .post(change_email)
        .get(confirm_email_page)
        .post(confirm_email)
}

async fn account(
    _: paths::Account,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    render(page, &app, &user, csrf, Forms::default()).await
}

/// What each form shows again after a failed submission.
#[derive(Default)]
struct Forms {
    password_errors: FormErrors,
    email: String,
    email_errors: FormErrors,
}

async fn render(
    page: Page,
    app: &AppState,
    user: &CurrentUser,
    csrf: String,
    forms: Forms,
) -> Result<Response, AppError> {
    let pending_email = tokens::pending_email_change(&app.db, user.id).await?;
    let two_factor = two_factor::status(&app.db, user.id).await?;
{%- if oauth %}
    let connected = crate::models::identity::of_user(&app.db, user.id)
        .await?
        .into_iter()
        .map(|identity| app.oauth.label_of(&identity.provider).to_owned())
        .collect::<Vec<_>>();
    let has_password = crate::auth::oauth::has_password(user);
{%- endif %}
    let Forms {
        password_errors,
        email,
        email_errors,
    } = forms;
    let failed_password = !password_errors.is_empty();
    let failed_email = !email_errors.is_empty();
    let status = if failed_password || failed_email {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let password_hint = format!(
        "At least {} characters.",
        app.config.auth.password_min_chars
    );
    let password_form = view! {
        <ChangePasswordFormView csrf=csrf.clone() errors=password_errors password_hint />
    }
    .into_any();
    let email_form = view! { <ChangeEmailFormView csrf email errors=email_errors /> }.into_any();
    // htmx replaced one form: answer with that form alone.
    let (form, other) = if failed_email {
        (email_form, password_form)
    } else {
        (password_form, email_form)
    };
    let (email_address, verified) = (user.email.clone(), user.is_verified());
    Ok(page.render_form("Your account", status, form, move |form| {
        let (first, second) = if failed_email {
            (other, form)
        } else {
            (form, other)
        };
        view! {
            <AccountPage email=email_address verified pending_email>
                {first}
                {second}
                <TwoFactorCard status=two_factor />
{%- if oauth %}
                <crate::views::pages::oauth::ConnectionsCard connected has_password />
{%- endif %}
            </AccountPage>
        }
        .into_any()
    }))
}

async fn change_password(
    _: paths::AccountPassword,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, AppError> {
    let fail = async |page, errors| {
        let forms = Forms {
            password_errors: errors,
            ..Forms::default()
        };
        render(page, &app, &user, csrf.clone(), forms).await
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        return fail(page, FormErrors::from_report(&report)).await;
    }
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    if !app
        .passwords
        .verify(&form.current_password, Some(&user.password_hash))
        .await?
    {
        let errors = FormErrors::one("current_password", "This password is not right.");
        return fail(page, errors).await;
    }
    let password_hash = app.passwords.hash(&form.new_password).await?;
    let mut changed = user.0.as_ref().clone().into_active_model();
    changed.password_hash = Set(password_hash);
    changed.updated_at = Set(OffsetDateTime::now_utc());
    let updated = changed.update(&app.db).await?;
    app.users.forget(updated.id).await;
    tokens::revoke_all(&app.db, updated.id).await?;
    // Every other device is signed out; this one stays signed in.
    auth_session::revoke_all(&app.db, &app.sessions, updated.id, Some(&session)).await?;
    auth_session::refresh_fingerprint(&session, &updated).await?;
    messages.success("Your password is changed. Other devices were signed out.");
    Ok(htmx::redirect(page.hx(), paths::Account))
}

async fn change_email(
    _: paths::AccountEmail,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<ChangeEmailForm>,
) -> Result<Response, AppError> {
    let fail = async |page, email: &str, errors| {
        let forms = Forms {
            email: email.to_owned(),
            email_errors: errors,
            ..Forms::default()
        };
        render(page, &app, &user, csrf.clone(), forms).await
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        return fail(page, &form.email, FormErrors::from_report(&report)).await;
    }
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    if !app
        .passwords
        .verify(&form.current_password, Some(&user.password_hash))
        .await?
    {
        let errors = FormErrors::one("current_password", "This password is not right.");
        return fail(page, &form.email, errors).await;
    }
    let new_email = user::normalize_email(&form.email);
    if new_email == user.email {
        let errors = FormErrors::one("email", "This is already your address.");
        return fail(page, &form.email, errors).await;
    }
    // An address that has an account already gets no link; the answer is the same, so this form
    // tells no one which addresses have accounts.
    let taken = user::find_by_email(&app.db, &new_email).await?.is_some();
    if !taken && app.rate_limits.allow_mail_to(&new_email) {
        let hours = app.config.auth.verify_token_hours;
        let token = tokens::issue_to(
            &app.db,
            &user,
            &new_email,
            Purpose::ChangeEmail,
            Duration::hours(hours),
        )
        .await?;
        let email = ConfirmEmailChange {
            app_name: app.config.name.clone(),
            link: app
                .mailer
                .link(&super::auth::with_token(paths::AccountEmailConfirm, &token)),
            valid_hours: hours,
        };
        app.send_email(&new_email, email).await?;
    }
    if app.rate_limits.allow_mail_to(&user.email) {
        let notice = EmailChangeRequested {
            app_name: app.config.name.clone(),
            new_email: new_email.clone(),
            account_link: app.mailer.link(&paths::Account.to_string()),
        };
        app.send_email(&user.email, notice).await?;
    }
    messages.info(format!(
        "Open the link we sent to {new_email} to make it your address. Until then, your address \
         stays {}.",
        user.email
    ));
    Ok(htmx::redirect(page.hx(), paths::Account))
}

/// `?token=…` of the link sent to a new address.
#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The form the confirmation link opens: confirming is a POST, so that a mail scanner that
/// follows links changes nothing.
#[derive(Debug, Deserialize)]
struct ConfirmEmailForm {
    #[serde(default)]
    token: String,
}

async fn confirm_email_page(
    _: paths::AccountEmailConfirm,
    RequireUser(user): RequireUser,
    Query(query): Query<TokenQuery>,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let found = tokens::peek_sent(&app.db, Purpose::ChangeEmail, &query.token).await?;
    let Some((_, new_email)) = found.filter(|(owner, _)| owner.id == user.id) else {
        return Ok(render_dead_link(page));
    };
    let token = query.token;
    Ok(page.render(
        "Confirm your new address",
        view! { <ConfirmEmailChangeView csrf token new_email /> },
    ))
}

async fn confirm_email(
    _: paths::AccountEmailConfirm,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
    Form(form): Form<ConfirmEmailForm>,
) -> Result<Response, AppError> {
    // Only the account that asked: peeked first, so another account's link stays usable.
    let found = tokens::peek_sent(&app.db, Purpose::ChangeEmail, &form.token).await?;
    if found.is_none_or(|(owner, _)| owner.id != user.id) {
        return Ok(render_dead_link(page));
    }
    let Some((owner, new_email)) =
        tokens::redeem_sent(&app.db, Purpose::ChangeEmail, &form.token).await?
    else {
        return Ok(render_dead_link(page));
    };
    let mut changed = owner.into_active_model();
    let now = OffsetDateTime::now_utc();
    changed.email = Set(new_email.clone());
    // The link reached the new inbox: the address is proven.
    changed.email_verified_at = Set(Some(now));
    changed.updated_at = Set(now);
    let updated = match changed.update(&app.db).await {
        Ok(updated) => updated,
        // Taken since the link was sent.
        Err(error) if db::is_unique_violation(&error) => {
            messages.error(format!(
                "{new_email} belongs to another account now: your address stays {}.",
                user.email
            ));
            return Ok(htmx::redirect(page.hx(), paths::Account));
        }
        Err(error) => return Err(error.into()),
    };
    app.users.forget(updated.id).await;
    // Links sent to the old address are void.
    tokens::revoke_all(&app.db, updated.id).await?;
    messages.success(format!("Your address is now {new_email}."));
    Ok(htmx::redirect(page.hx(), paths::Account))
}

/// What a link that no longer works shows.
fn render_dead_link(page: Page) -> Response {
    let mut response = page.render("Link expired", view! { <DeadLink /> });
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
