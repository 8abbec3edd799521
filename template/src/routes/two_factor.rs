//! Two-factor sign-in: the second step of signing in, and the account's pages to set it up, make
//! new recovery codes, and turn it off. How codes are checked is `crate::auth::two_factor`.
//!
//! Every change asks for the password again (and, once two-factor is on, a code), and the
//! account's address is told of it by email (as are recovery codes used to sign in): someone at a
//! session left open cannot quietly take the account over or lock its owner out. Turning it on
//! signs out every other session of the account.

use std::net::IpAddr;

use axum::{Form, extract::State, http::StatusCode, response::Response};
use axum_messages::Messages;
use garde::Validate as _;
use leptos::prelude::*;
use secrecy::SecretString;
use time::Duration;
use tower_sessions::Session;

use super::Routes;
use crate::{
    app::AppState,
    auth::{
        forms::{EnableTwoFactorForm, PasswordAndCodeForm, SecondStepForm},
        guards::{RequireGuest, RequireUser},
        passkeys,
        session::{self as auth_session, CurrentUser, PendingSignIn},
        two_factor::{self, Checked, Enabled, RECOVERY_CODES, Status},
    },
    client_ip::ClientIp,
    csrf::CsrfToken,
    error::AppError,
    htmx,
    mail::emails::SecurityNotice,
    models::user,
    page::Page,
    paths,
    rate_limit::Action,
    views::components::form::FormErrors,
    views::pages::{
        auth::AuthCard,
        passkeys::PasskeySecondStepForm,
        two_factor::{
            ManagePage, RecoveryCodesPage, SecondStepForm as SecondStepFormView, SecondStepLinks,
            SetupPage,
        },
    },
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(second_step_page)
        .post(second_step)
        .get(two_factor_page)
        .post(enable)
        .post(regenerate_recovery_codes)
        .post(disable)
}

// The second step of signing in

async fn second_step_page(
    _: paths::SignInTwoFactor,
    _: RequireGuest,
    State(app): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let Some(pending) = auth_session::pending_second_step(&session, &app.db).await? else {
        return Ok(htmx::redirect(page.hx(), paths::SignIn));
    };
    let errors = SecondStepErrors::default();
    render_second_step(page, &app, pending.user.id, csrf, errors).await
}

/// What the second step's forms came back with: the code's errors, or the passkey's refusal.
#[derive(Debug, Default)]
pub(super) struct SecondStepErrors {
    pub code: FormErrors,
    pub passkey: Option<&'static str>,
}

/// The second step, offering what the user has: a code (from the app, or a recovery code), and
/// a passkey.
pub(super) async fn render_second_step(
    page: Page,
    app: &AppState,
    user_id: i64,
    csrf: String,
    errors: SecondStepErrors,
) -> Result<Response, AppError> {
    let authenticator_app = two_factor::has_authenticator_app(&app.db, user_id).await?;
    let passkey = app.passkeys.enabled() && passkeys::any(&app.db, user_id).await?;
    let status = if errors.code.is_empty() && errors.passkey.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let intro = match (authenticator_app, passkey) {
        (true, true) => {
            "Your password was right. One more step: a passkey, or a code from your authenticator app."
        }
        (false, true) => "Your password was right. One more step: one of your passkeys.",
        _ => "Your password was right. One more step: a code from your authenticator app.",
    };
    let code_csrf = csrf.clone();
    let form = view! { <SecondStepFormView csrf=code_csrf errors=errors.code authenticator_app /> }
        .into_any();
    let passkey_error = errors.passkey.map(str::to_owned);
    Ok(
        page.render_form("Two-factor sign-in", status, form, move |form| {
            view! {
                <AuthCard title="Two-factor sign-in" intro>
                    {passkey.then(|| view! {
                        <PasskeySecondStepForm csrf error=passkey_error />
                        <div class="divider my-0 text-sm">"or"</div>
                    })}
                    {form}
                    <SecondStepLinks />
                </AuthCard>
            }
            .into_any()
        }),
    )
}

async fn second_step(
    _: paths::SignInTwoFactor,
    _: RequireGuest,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<SecondStepForm>,
) -> Result<Response, AppError> {
    let Some(pending) = auth_session::pending_second_step(&session, &app.db).await? else {
        return Ok(second_step_expired(messages, &page));
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = SecondStepErrors {
            code: FormErrors::from_report(&report),
            passkey: None,
        };
        return render_second_step(page, &app, pending.user.id, csrf, errors).await;
    }
    let user = &pending.user;
    app.rate_limits.check(Action::TwoFactor, ip, &user.email)?;
    let checked = two_factor::check(&app.db, &app.config.secret_key, user.id, &form.code).await?;
    if checked == Checked::Refused {
        let errors = SecondStepErrors {
            code: FormErrors::one("code", "This code is not right, or was already used."),
            passkey: None,
        };
        return render_second_step(page, &app, user.id, csrf, errors).await;
    }
    if let Checked::RecoveryCode { left } = checked {
        notify(
            &app,
            user,
            format!("A recovery code was used to sign in to your account; {left} are left."),
        )
        .await;
        messages.clone().warning(format!(
            "You signed in with a recovery code: {left} are left. Make new ones from your account \
             if you lost your authenticator app."
        ));
    }
    second_step_passed(&app, &session, messages, &page, pending).await
}

/// The answer to a second step no longer pending (never started, or started too long ago).
pub(super) fn second_step_expired(messages: Messages, page: &Page) -> Response {
    messages.info(format!(
        "Sign in again: the second step waits {} minutes at most.",
        auth_session::SECOND_STEP_WITHIN.whole_minutes()
    ));
    htmx::redirect(page.hx(), paths::SignIn)
}

/// The second step passed (a code, a recovery code or a passkey): signed in, remembered if
/// "remember me" was ticked with the password, and on to where the visitor was going.
pub(super) async fn second_step_passed(
    app: &AppState,
    session: &Session,
    messages: Messages,
    page: &Page,
    pending: PendingSignIn,
) -> Result<Response, AppError> {
    let remember = pending
        .remember
        .then(|| Duration::days(app.config.auth.remember_days));
    auth_session::sign_in(session, &app.db, &pending.user, remember).await?;
    messages.success("You are signed in.");
    Ok(htmx::redirect(
        page.hx(),
        pending.next.unwrap_or_else(|| paths::Home.to_string()),
    ))
}

// The account's pages

/// The secret being set up, sealed (`crate::auth::two_factor::new_secret`), in the session of the
/// page that shows it.
const SETUP_SECRET: &str = "auth.two_factor_setup";

/// Setup while two-factor is off; new recovery codes and turning it off once it is on.
async fn two_factor_page(
    _: paths::AccountTwoFactor,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    match two_factor::status(&app.db, user.id).await? {
        Status::On {
            authenticator_app: true,
            passkeys,
            recovery_codes_left,
        } => Ok(render_manage(
            page,
            csrf,
            recovery_codes_left,
            passkeys,
            Failed::Nothing,
            FormErrors::default(),
        )),
        _ => render_setup(page, &app, &user, &session, csrf, FormErrors::default()).await,
    }
}

/// The setup page, with the secret this session is setting up (a new one the first time, or when
/// the one kept no longer opens).
async fn render_setup(
    page: Page,
    app: &AppState,
    user: &CurrentUser,
    session: &Session,
    csrf: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let secret_key = &app.config.secret_key;
    let kept = session.get::<Vec<u8>>(SETUP_SECRET).await?;
    let shown = match kept {
        Some(sealed) => two_factor::setup(secret_key, &app.config.name, user, &sealed)?,
        None => None,
    };
    let setup = match shown {
        Some(setup) => setup,
        None => {
            let sealed = two_factor::new_secret(secret_key, user.id)?;
            let setup = two_factor::setup(secret_key, &app.config.name, user, &sealed)?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a new secret did not open")))?;
            session.insert(SETUP_SECRET, sealed).await?;
            setup
        }
    };
    let status = errors.status();
    let required = user.is_admin
        && app.config.auth.admins_need_two_factor
        && !two_factor::is_on(&app.db, user.id).await?;
    let mut response = page.render(
        "Set up two-factor sign-in",
        view! { <SetupPage csrf qr_code=setup.qr_code secret_text=setup.secret_text errors required /> },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// Which form of the management page came back with errors, if one did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failed {
    Nothing,
    RecoveryCodes,
    Disable,
}

fn render_manage(
    page: Page,
    csrf: String,
    recovery_codes_left: u64,
    passkeys: u64,
    failed: Failed,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let (codes_errors, disable_errors) = match failed {
        Failed::RecoveryCodes => (errors, FormErrors::default()),
        Failed::Disable => (FormErrors::default(), errors),
        Failed::Nothing => (FormErrors::default(), FormErrors::default()),
    };
    let mut response = page.render(
        "Two-factor sign-in",
        view! {
            <ManagePage csrf recovery_codes_left recovery_codes=RECOVERY_CODES passkeys codes_errors disable_errors />
        },
    );
    *response.status_mut() = status;
    response
}

pub(super) fn render_recovery_codes(page: Page, codes: Vec<String>) -> Response {
    page.render("Your recovery codes", view! { <RecoveryCodesPage codes /> })
}

/// Counts an attempt at `action`, then checks the password: the form's errors when it is wrong.
async fn wrong_password(
    app: &AppState,
    ip: IpAddr,
    user: &user::Model,
    password: &SecretString,
    action: Action,
) -> Result<Option<FormErrors>, AppError> {
    app.rate_limits.check(action, ip, &user.email)?;
    let right = app
        .passwords
        .verify(password, Some(&user.password_hash))
        .await?;
    Ok((!right).then(|| FormErrors::one("current_password", "This password is not right.")))
}

/// The password and a code, as the management page's forms ask: the form's errors when either
/// is wrong. A recovery code typed here is used up.
async fn wrong_password_or_code(
    app: &AppState,
    ip: IpAddr,
    user: &user::Model,
    form: &PasswordAndCodeForm,
) -> Result<Option<FormErrors>, AppError> {
    if let Some(errors) =
        wrong_password(app, ip, user, &form.current_password, Action::TwoFactor).await?
    {
        return Ok(Some(errors));
    }
    let checked = two_factor::check(&app.db, &app.config.secret_key, user.id, &form.code).await?;
    Ok((checked == Checked::Refused)
        .then(|| FormErrors::one("code", "This code is not right, or was already used.")))
}

async fn enable(
    _: paths::AccountTwoFactor,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<EnableTwoFactorForm>,
) -> Result<Response, AppError> {
    let Some(sealed) = session.get::<Vec<u8>>(SETUP_SECRET).await? else {
        // On already (the form was sent twice), or the setup page was not seen on this session.
        return Ok(htmx::redirect(page.hx(), paths::AccountTwoFactor));
    };
    if let Err(report) = form.validate_with(&app.config.auth) {
        let errors = FormErrors::from_report(&report);
        return render_setup(page, &app, &user, &session, csrf, errors).await;
    }
    // Counted as the password checks of the account page are.
    let wrong = wrong_password(&app, ip, &user, &form.current_password, Action::SignIn).await?;
    if let Some(errors) = wrong {
        return render_setup(page, &app, &user, &session, csrf, errors).await;
    }
    let had_passkeys = passkeys::any(&app.db, user.id).await?;
    let enabled = two_factor::enable(
        &app.db,
        &app.config.secret_key,
        user.id,
        &sealed,
        &form.code,
    )
    .await?;
    let codes = match enabled {
        Enabled::On(codes) => codes,
        Enabled::AlreadyOn => return Ok(htmx::redirect(page.hx(), paths::AccountTwoFactor)),
        Enabled::WrongCode => {
            let errors = FormErrors::one(
                "code",
                "This code does not match. Check that the app shows this account, and that your                  device's clock is right.",
            );
            return render_setup(page, &app, &user, &session, csrf, errors).await;
        }
    };
    session.remove_value(SETUP_SECRET).await?;
    // Whoever else is signed in as this user, from wherever, is signed out.
    auth_session::revoke_all(&app.db, &app.sessions, user.id, Some(&session)).await?;
    let what = if had_passkeys {
        "An authenticator app was added to your account's two-factor sign-in, with new recovery \
         codes (the old ones no longer work). Every other device was signed out."
    } else {
        "Two-factor sign-in was turned on for your account. Every other device was signed out."
    };
    notify(&app, &user, what).await;
    Ok(render_recovery_codes(page, codes))
}

async fn regenerate_recovery_codes(
    _: paths::AccountRecoveryCodes,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasswordAndCodeForm>,
) -> Result<Response, AppError> {
    let page = match confirm(&app, ip, &user, page, csrf, &form, Failed::RecoveryCodes).await? {
        Confirmation::Confirmed(page) => page,
        Confirmation::Refused(answer) => return Ok(answer),
    };
    let codes =
        two_factor::regenerate_recovery_codes(&app.db, &app.config.secret_key, user.id).await?;
    notify(
        &app,
        &user,
        "New recovery codes were made for your account; the old ones no longer work.",
    )
    .await;
    Ok(render_recovery_codes(page, codes))
}

async fn disable(
    _: paths::AccountTwoFactorDisable,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<PasswordAndCodeForm>,
) -> Result<Response, AppError> {
    let page = match confirm(&app, ip, &user, page, csrf, &form, Failed::Disable).await? {
        Confirmation::Confirmed(page) => page,
        Confirmation::Refused(answer) => return Ok(answer),
    };
    two_factor::remove_authenticator_app(&app.db, user.id).await?;
    if two_factor::is_on(&app.db, user.id).await? {
        notify(
            &app,
            &user,
            "The authenticator app was removed from your account's two-factor sign-in; your \
             passkeys still protect it.",
        )
        .await;
        messages.info("The authenticator app is removed: signing in now asks for a passkey.");
    } else {
        notify(
            &app,
            &user,
            "Two-factor sign-in was turned off for your account.",
        )
        .await;
        messages.info("Two-factor sign-in is off: your password alone opens your account.");
    }
    Ok(htmx::redirect(page.hx(), paths::Account))
}

/// Whether a change of the management page may go ahead.
enum Confirmation {
    /// Two-factor is on, and the form's password and code are right.
    Confirmed(Page),
    /// The answer to send instead: the form again with its errors, or the setup page when
    /// two-factor is off.
    Refused(Response),
}

/// What both changes of the management page check first, `which` naming the form.
async fn confirm(
    app: &AppState,
    ip: IpAddr,
    user: &user::Model,
    page: Page,
    csrf: String,
    form: &PasswordAndCodeForm,
    which: Failed,
) -> Result<Confirmation, AppError> {
    let Status::On {
        authenticator_app: true,
        passkeys,
        recovery_codes_left,
    } = two_factor::status(&app.db, user.id).await?
    else {
        let setup = htmx::redirect(page.hx(), paths::AccountTwoFactor);
        return Ok(Confirmation::Refused(setup));
    };
    let errors = match form.validate_with(&app.config.auth) {
        Err(report) => Some(FormErrors::from_report(&report)),
        Ok(()) => wrong_password_or_code(app, ip, user, form).await?,
    };
    Ok(match errors {
        None => Confirmation::Confirmed(page),
        Some(errors) => Confirmation::Refused(render_manage(
            page,
            csrf,
            recovery_codes_left,
            passkeys,
            which,
            errors,
        )),
    })
}

/// Tells the account's address what changed. Not counted against the address's hourly share of
/// mail: someone flooding it with reset links must not silence these, and each follows a password
/// (and a code) that the sign-in limits already count. The change is made already: a notice that
/// cannot be sent is logged, and the visitor still gets their answer (their recovery codes).
pub(crate) async fn notify(app: &AppState, user: &user::Model, what: impl Into<String>) {
    let email = SecurityNotice {
        app_name: app.config.name.clone(),
        what: what.into(),
        account_link: app.mailer.link(&paths::Account.to_string()),
    };
    if let Err(error) = app.send_email(&user.email, email).await {
        tracing::error!(user_id = user.id, %error, "a security notice could not be sent");
    }
}
