//! Passkeys: the account's list (add one, remove one), signing in with one, and the second step
//! passed with one. How they are checked is `crate::auth::passkeys`; the browser's half is
//! `static/js/passkeys.js`.
//!
//! Each ceremony is two requests: a challenge (JSON, kept in the session) and the device's answer
//! (a form post, answered with a page or a redirect, as any form of the site). Adding and removing
//! a passkey ask for the password, and the account's address is told by email: someone at a
//! session left open cannot add their own way in, or take the owner's away.

use std::net::IpAddr;

use axum::{
    Form, Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse as _, Response},
};
use axum_messages::Messages;
use garde::Validate as _;
use leptos::prelude::*;
use time::Duration;
use tower_sessions::Session;
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyAuthentication};

use super::{
    Routes,
    auth::SignInState,
    two_factor::{
        SecondStepErrors, notify, render_second_step, second_step_expired, second_step_passed,
    },
};
use crate::{
    app::AppState,
    auth::{
        forms::{AddPasskeyForm, PasskeyAnswerForm, PasswordForm, safe_next},
        guards::{RequireGuest, RequireUser},
        passkeys::{self, Added, Adding},
        session::{self as auth_session, CurrentUser},
        two_factor::{self, Status},
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
    views::pages::passkeys::PasskeysPage,
};

/// The ceremonies' states in the session, one of each kind at a time.
const ADDING: &str = "auth.passkey_adding";
const SIGNING_IN: &str = "auth.passkey_sign_in";
const SECOND_STEP: &str = "auth.passkey_second_step";

/// What a refused answer says: the device's answer did not check out, or took too long.
const NOT_ACCEPTED: &str = "This passkey was not accepted. Try again, or sign in another way.";

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(passkeys_page)
        .post(add_challenge)
        .post(add)
        .post(remove)
        .post(regenerate_recovery_codes)
        .post(sign_in_challenge)
        .post(sign_in)
        .post(second_step_challenge)
        .post(second_step)
}

// The account's passkeys

async fn passkeys_page(
    _: paths::AccountPasskeys,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    render_list(page, &app, &user, csrf, Refused::Nothing).await
}

/// Which form of the page came back with errors, if one did.
enum Refused {
    Nothing,
    Add { name: String, errors: FormErrors },
    Remove { id: i64, errors: FormErrors },
    RecoveryCodes { errors: FormErrors },
}

async fn render_list(
    page: Page,
    app: &AppState,
    user: &CurrentUser,
    csrf: String,
    refused: Refused,
) -> Result<Response, AppError> {
    let passkeys = passkeys::list(&app.db, user.id).await?;
    let enabled = app.passkeys.enabled();
    let required = user.is_admin
        && app.config.auth.admins_need_two_factor
        && !two_factor::is_on(&app.db, user.id).await?;
    let mut codes_errors = FormErrors::default();
    let (name, add_errors, remove_errors) = match refused {
        Refused::Nothing => (String::new(), FormErrors::default(), None),
        Refused::Add { name, errors } => (name, errors, None),
        Refused::Remove { id, errors } => {
            (String::new(), FormErrors::default(), Some((id, errors)))
        }
        Refused::RecoveryCodes { errors } => {
            codes_errors = errors;
            (String::new(), FormErrors::default(), None)
        }
    };
    // Without an authenticator app, whose page makes them, recovery codes are made here.
    let recovery_codes_left = match two_factor::status(&app.db, user.id).await? {
        Status::On {
            authenticator_app: false,
            recovery_codes_left,
            ..
        } => Some(recovery_codes_left),
        _ => None,
    };
    let status = if add_errors.is_empty() && remove_errors.is_none() && codes_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = page.render(
        "Passkeys",
        view! {
            <PasskeysPage csrf passkeys enabled name add_errors remove_errors recovery_codes_left codes_errors required />
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// The challenge for a new passkey, once the form's name and password are right; the form's
/// errors otherwise (422), which the script answers by sending the form as it is.
async fn add_challenge(
    _: paths::AccountPasskeyChallenge,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<AddPasskeyForm>,
) -> Result<Response, AppError> {
    if form.validate_with(&app.config.auth).is_err()
        || wrong_password(&app, ip, &user, &form.current_password).await?
    {
        return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response());
    }
    let (challenge, adding) = app
        .passkeys
        .start_adding(&app.db, user.id, &user.email)
        .await?;
    passkeys::keep(&session, ADDING, adding).await?;
    Ok(Json(challenge).into_response())
}

/// The device's answer for a new passkey: stored, and told by email. The first factor of an
/// account turns two-factor sign-in on, as an authenticator app does: recovery codes are shown,
/// and every other session is signed out.
async fn add(
    _: paths::AccountPasskeys,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<AddPasskeyForm>,
) -> Result<Response, AppError> {
    let name = form.name.trim().to_owned();
    let refuse = |errors| Refused::Add {
        name: name.clone(),
        errors,
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return render_list(page, &app, &user, csrf, refuse(errors)).await;
    }
    let adding = passkeys::take::<Adding>(&session, ADDING).await?;
    // Without an answer, this is the script sending a form its challenge refused (or no script):
    // the password is checked here, where its error can be shown.
    let Some(adding) = adding.filter(|_| !form.credential.is_empty()) else {
        let errors = if wrong_password(&app, ip, &user, &form.current_password).await? {
            FormErrors::one("current_password", "This password is not right.")
        } else {
            FormErrors::one("", "Your browser did not make a passkey. Try again.")
        };
        return render_list(page, &app, &user, csrf, refuse(errors)).await;
    };
    // The first factor of an account turns two-factor on: recovery codes are due.
    let first_factor = !two_factor::is_on(&app.db, user.id).await?;
    let added = app
        .passkeys
        .finish_adding(&app.db, user.id, &name, &form.credential, adding)
        .await?;
    match added {
        Added::Added(_) => {}
        Added::NotAccepted => {
            let errors = FormErrors::one("", NOT_ACCEPTED);
            return render_list(page, &app, &user, csrf, refuse(errors)).await;
        }
        Added::AlreadyRegistered => {
            let errors = FormErrors::one("", "This passkey is already in use.");
            return render_list(page, &app, &user, csrf, refuse(errors)).await;
        }
    }
    if first_factor {
        let codes =
            two_factor::regenerate_recovery_codes(&app.db, &app.config.secret_key, user.id).await?;
        auth_session::revoke_all(&app.db, &app.sessions, user.id, Some(&session)).await?;
        let what = format!(
            "A passkey named \"{name}\" was added to your account, which turned two-factor \
             sign-in on. Every other device was signed out."
        );
        notify(&app, &user, what).await;
        return Ok(super::two_factor::render_recovery_codes(page, codes));
    }
    notify(
        &app,
        &user,
        format!("A passkey named \"{name}\" was added to your account."),
    )
    .await;
    messages.success(format!("The passkey \"{name}\" is added."));
    Ok(htmx::redirect(page.hx(), paths::AccountPasskeys))
}

async fn remove(
    path: paths::AccountPasskeyRemove,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let id = path.id;
    let errors = password_errors(&app, ip, &user, &form).await?;
    if let Some(errors) = errors {
        let refused = Refused::Remove { id, errors };
        return render_list(page, &app, &user, csrf, refused).await;
    }
    let Some(removed) = passkeys::remove(&app.db, user.id, id).await? else {
        return Err(AppError::NotFound);
    };
    two_factor::forget_recovery_codes_if_off(&app.db, user.id).await?;
    let still_on = two_factor::is_on(&app.db, user.id).await?;
    let name = removed.name;
    let what = if still_on {
        format!("The passkey \"{name}\" was removed from your account.")
    } else {
        format!(
            "The passkey \"{name}\" was removed from your account, which turned two-factor \
             sign-in off."
        )
    };
    notify(&app, &user, what).await;
    if still_on {
        messages.success(format!("The passkey \"{name}\" is removed."));
    } else {
        messages.info(format!(
            "The passkey \"{name}\" is removed. Two-factor sign-in is off: your password alone \
             opens your account."
        ));
    }
    Ok(htmx::redirect(page.hx(), paths::AccountPasskeys))
}

/// New recovery codes, for an account whose two-factor sign-in is passkeys only (with an
/// authenticator app, its page makes them, with a code). The session passed both steps to get
/// here; the password is asked again.
async fn regenerate_recovery_codes(
    _: paths::AccountPasskeyRecoveryCodes,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if two_factor::has_authenticator_app(&app.db, user.id).await?
        || !passkeys::any(&app.db, user.id).await?
    {
        return Ok(htmx::redirect(page.hx(), paths::AccountTwoFactor));
    }
    let errors = password_errors(&app, ip, &user, &form).await?;
    if let Some(errors) = errors {
        return render_list(page, &app, &user, csrf, Refused::RecoveryCodes { errors }).await;
    }
    let codes =
        two_factor::regenerate_recovery_codes(&app.db, &app.config.secret_key, user.id).await?;
    notify(
        &app,
        &user,
        "New recovery codes were made for your account; the old ones no longer work.",
    )
    .await;
    Ok(super::two_factor::render_recovery_codes(page, codes))
}

/// What is wrong with a form that only asks for the password, if anything.
async fn password_errors(
    app: &AppState,
    ip: IpAddr,
    user: &user::Model,
    form: &PasswordForm,
) -> Result<Option<FormErrors>, AppError> {
    if let Err(report) = form.validate_with(&app.config.auth) {
        return Ok(Some(FormErrors::from_report(&report)));
    }
    let wrong = wrong_password(app, ip, user, &form.current_password).await?;
    Ok(wrong.then(|| FormErrors::one("current_password", "This password is not right.")))
}

/// Counts a password check as the account page's are, then makes it: true when wrong.
async fn wrong_password(
    app: &AppState,
    ip: IpAddr,
    user: &user::Model,
    password: &secrecy::SecretString,
) -> Result<bool, AppError> {
    app.rate_limits.check(Action::SignIn, ip, &user.email)?;
    let right = app
        .passwords
        .verify(password, Some(&user.password_hash))
        .await?;
    Ok(!right)
}

// Signing in with a passkey

async fn sign_in_challenge(
    _: paths::SignInPasskeyChallenge,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
) -> Result<Response, AppError> {
    app.rate_limits.check(Action::Passkey, ip, "")?;
    let (challenge, state) = app.passkeys.start_sign_in()?;
    passkeys::keep(&session, SIGNING_IN, state).await?;
    Ok(Json(challenge).into_response())
}

/// A passkey is both steps at once (the device checked its PIN or fingerprint): the owner is
/// signed in, with a new session id.
async fn sign_in(
    _: paths::SignInPasskey,
    _: RequireGuest,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasskeyAnswerForm>,
) -> Result<Response, AppError> {
    // Counted with its challenge, which each answer uses up.
    let next = safe_next(form.next.as_deref());
    let refused = |page, message: &str| {
        let state = SignInState {
            passkey_error: Some(message.to_owned()),
            ..SignInState::default()
        };
        super::auth::render_sign_in(page, &app, csrf.clone(), state, next.clone())
    };
    let Some(state) = passkeys::take::<DiscoverableAuthentication>(&session, SIGNING_IN).await?
    else {
        return Ok(refused(page, NOT_ACCEPTED));
    };
    let Some(user_id) = app
        .passkeys
        .finish_sign_in(&app.db, &form.credential, state)
        .await?
    else {
        return Ok(refused(page, NOT_ACCEPTED));
    };
    let Some(user) = user::find_by_id(&app.db, user_id).await? else {
        return Ok(refused(page, NOT_ACCEPTED));
    };
    if user.is_disabled() {
        let disabled =
            "This account is disabled. Contact the site's owner to have it enabled again.";
        return Ok(refused(page, disabled));
    }
    // Only signed-in users, whose address is confirmed, add passkeys; kept as a rule anyway.
    if !user.is_verified() {
        return Ok(refused(page, NOT_ACCEPTED));
    }
    let remember = (form.remember.as_deref() == Some("on"))
        .then(|| Duration::days(app.config.auth.remember_days));
    auth_session::sign_in(&session, &app.db, &user, remember).await?;
    messages.success("You are signed in.");
    Ok(htmx::redirect(
        page.hx(),
        next.unwrap_or_else(|| paths::Home.to_string()),
    ))
}

// The second step, with a passkey

async fn second_step_challenge(
    _: paths::SignInTwoFactorPasskeyChallenge,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
) -> Result<Response, AppError> {
    let Some(pending) = auth_session::pending_second_step(&session, &app.db).await? else {
        return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response());
    };
    app.rate_limits
        .check(Action::TwoFactor, ip, &pending.user.email)?;
    let Some((challenge, state)) = app
        .passkeys
        .start_second_step(&app.db, pending.user.id)
        .await?
    else {
        return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response());
    };
    passkeys::keep(&session, SECOND_STEP, state).await?;
    Ok(Json(challenge).into_response())
}

async fn second_step(
    _: paths::SignInTwoFactorPasskey,
    _: RequireGuest,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasskeyAnswerForm>,
) -> Result<Response, AppError> {
    let Some(pending) = auth_session::pending_second_step(&session, &app.db).await? else {
        return Ok(second_step_expired(messages, &page));
    };
    let user = &pending.user;
    let state = passkeys::take::<PasskeyAuthentication>(&session, SECOND_STEP).await?;
    let passed = match state {
        Some(state) => {
            app.passkeys
                .finish_second_step(&app.db, user.id, &form.credential, &state)
                .await?
        }
        None => false,
    };
    if !passed {
        let errors = SecondStepErrors {
            passkey: Some(NOT_ACCEPTED),
            ..SecondStepErrors::default()
        };
        return render_second_step(page, &app, user.id, csrf, errors).await;
    }
    second_step_passed(&app, &session, messages, &page, pending).await
}
