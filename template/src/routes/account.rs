//! The signed-in user's account page: change the password, change the email address. Both ask
//! for the current password, so a session left open on a shared computer cannot take the account.

use axum::{Form, extract::State, http::StatusCode, response::Response};
use axum_messages::Messages;
use garde::Validate as _;
use leptos::prelude::*;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _, SqlErr};
use time::OffsetDateTime;
use tower_sessions::Session;

use super::Routes;
use crate::{
    app::AppState,
    auth::{
        forms::{ChangeEmailForm, ChangePasswordForm},
        guards::RequireUser,
        session::{self as auth_session, CurrentUser},
        tokens,
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    error::AppError,
    htmx,
    models::user,
    page::Page,
    paths,
    rate_limit::Action,
    views::components::form::FormErrors,
    views::pages::account::{
        AccountPage, ChangeEmailForm as ChangeEmailFormView,
        ChangePasswordForm as ChangePasswordFormView,
    },
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(account)
        .post(change_password)
        .post(change_email)
}

async fn account(
    _: paths::Account,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Response {
    render(page, &app, &user, csrf, Forms::default())
}

/// What each form shows again after a failed submission.
#[derive(Default)]
struct Forms {
    password_errors: FormErrors,
    email: String,
    email_errors: FormErrors,
}

fn render(page: Page, app: &AppState, user: &CurrentUser, csrf: String, forms: Forms) -> Response {
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
    page.render_form("Your account", status, form, move |form| {
        let (first, second) = if failed_email {
            (other, form)
        } else {
            (form, other)
        };
        view! {
            <AccountPage email=email_address verified>
                {first}
                {second}
            </AccountPage>
        }
        .into_any()
    })
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
    let fail = |page, errors| {
        let forms = Forms {
            password_errors: errors,
            ..Forms::default()
        };
        render(page, &app, &user, csrf.clone(), forms)
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        return Ok(fail(page, FormErrors::from_report(&report)));
    }
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    if !app
        .passwords
        .verify(&form.current_password, Some(&user.password_hash))
        .await?
    {
        let errors = FormErrors::one("current_password", "This password is not right.");
        return Ok(fail(page, errors));
    }
    let password_hash = app.passwords.hash(&form.new_password).await?;
    let mut changed = user.0.as_ref().clone().into_active_model();
    changed.password_hash = Set(password_hash);
    changed.updated_at = Set(OffsetDateTime::now_utc());
    let updated = changed.update(&app.db).await?;
    tokens::revoke_all(&app.db, updated.id).await?;
    // Every other device is signed out; this one stays signed in.
    auth_session::revoke_all(&app.db, updated.id, Some(&session)).await?;
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
    let fail = |page, email: &str, errors| {
        let forms = Forms {
            email: email.to_owned(),
            email_errors: errors,
            ..Forms::default()
        };
        render(page, &app, &user, csrf.clone(), forms)
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        return Ok(fail(page, &form.email, FormErrors::from_report(&report)));
    }
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    if !app
        .passwords
        .verify(&form.current_password, Some(&user.password_hash))
        .await?
    {
        let errors = FormErrors::one("current_password", "This password is not right.");
        return Ok(fail(page, &form.email, errors));
    }
    let new_email = user::normalize_email(&form.email);
    if new_email == user.email {
        let errors = FormErrors::one("email", "This is already your address.");
        return Ok(fail(page, &form.email, errors));
    }
    let mut changed = user.0.as_ref().clone().into_active_model();
    changed.email = Set(new_email.clone());
    changed.email_verified_at = Set(None);
    changed.updated_at = Set(OffsetDateTime::now_utc());
    let updated = match changed.update(&app.db).await {
        Ok(updated) => updated,
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let errors = FormErrors::one("email", "This address belongs to another account.");
            return Ok(fail(page, &form.email, errors));
        }
        Err(error) => return Err(error.into()),
    };
    // Links sent to the old address are void; the new one must be confirmed.
    tokens::revoke_all(&app.db, updated.id).await?;
    super::auth::send_verification(&app, &updated).await?;
    messages.info(format!(
        "Your address is now {new_email}. Open the link we sent there to confirm it."
    ));
    Ok(htmx::redirect(page.hx(), paths::Account))
}
