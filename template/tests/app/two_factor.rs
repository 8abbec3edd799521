//! Two-factor sign-in: setting it up, the second step of signing in, recovery codes, turning it
//! off, and what must not get around it. Codes are computed here from the key the setup page
//! shows, as an authenticator app would.

use axum::http::{StatusCode, header};
use axum_test::TestResponse;
use time::OffsetDateTime;
use totp_rs::{Builder, Secret, Totp};

use crate::{
    app::paths,
    helpers::{TEST_PEER, TestApp, html, select, text_of},
};

const PASSWORD: &str = "correct horse battery staple";

/// What setting up gave the test: the authenticator, and the recovery codes shown once.
pub struct Enabled {
    app_key: Totp,
    pub recovery_codes: Vec<String>,
}

/// The code an authenticator app with `key` shows `steps` steps of 30 seconds from now.
pub fn code_of(key: &Totp, steps: i64) -> String {
    let at = OffsetDateTime::now_utc().unix_timestamp() + steps * 30;
    key.generate(at.try_into().unwrap()).to_string()
}

/// The authenticator an app builds from the key a setup page shows (base32, in groups).
pub fn authenticator(shown_key: &str) -> Totp {
    let secret = Secret::try_from_base32(shown_key.replace(' ', "")).expect("a base32 key");
    Builder::new()
        .with_secret(secret)
        .build()
        .expect("a valid key")
}

impl Enabled {
    /// The code the app shows `steps` steps of 30 seconds from now.
    pub fn code(&self, steps: i64) -> String {
        code_of(&self.app_key, steps)
    }

    /// A six-digit code that matches no step near now.
    fn wrong_code(&self) -> String {
        let near: Vec<String> = (-2..=2).map(|steps| self.code(steps)).collect();
        (0..)
            .map(|n| format!("{:06}", 123_456 + n))
            .find(|code| !near.contains(code))
            .unwrap()
    }
}

/// The key on the setup page, as the authenticator app would read it.
pub async fn read_setup_key(app: &TestApp) -> Totp {
    let page = app.get(paths::AccountTwoFactor).await;
    page.assert_status_ok();
    authenticator(&text_of(&html(&page), "[data-testid=totp-secret]"))
}

/// Signs up `email`, signs in, turns two-factor on with a first code.
pub async fn enable_two_factor(app: &TestApp, email: &str) -> Enabled {
    app.create_user(email, PASSWORD, false).await;
    app.sign_in(email, PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let app_key = read_setup_key(app).await;
    let code = code_of(&app_key, 0);
    let page = app
        .submit(
            paths::AccountTwoFactor,
            paths::AccountTwoFactor,
            &[("code", &code), ("current_password", PASSWORD)],
        )
        .await;
    page.assert_status_ok();
    let document = html(&page);
    let recovery_codes: Vec<String> = select(&document, "[data-testid=recovery-codes] li")
        .iter()
        .map(|code| code.text().collect())
        .collect();
    Enabled {
        app_key,
        recovery_codes,
    }
}

pub async fn sign_out(app: &TestApp) {
    let token = app.form_token(paths::Account).await;
    app.post_with_token(paths::SignOut, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

pub async fn second_step(app: &TestApp, code: &str) -> TestResponse {
    app.submit(
        paths::SignInTwoFactor,
        paths::SignInTwoFactor,
        &[("code", code)],
    )
    .await
}

pub fn location(response: &TestResponse) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `first_step` (a password, a link) sent the visitor to the second step, not signed in; the
/// next code signs them in (the one that turned two-factor on is used up).
pub async fn passes_only_with_the_second_step(
    app: &TestApp,
    first_step: &TestResponse,
    enabled: &Enabled,
) {
    first_step.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(first_step), paths::SignInTwoFactor.to_string());
    assert!(!is_signed_in(app).await);
    second_step(app, &enabled.code(1))
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(app).await);
}

pub async fn is_signed_in(app: &TestApp) -> bool {
    app.get(paths::Account).await.status_code() == StatusCode::OK
}

async fn status_on_account_page(app: &TestApp) -> String {
    text_of(
        &html(&app.get(paths::Account).await),
        "[data-testid=two-factor-status]",
    )
}

#[tokio::test]
async fn set_up_with_a_scanned_key_then_sign_in_asks_for_a_code() {
    let app = TestApp::spawn().await;
    app.create_user("tf@example.com", PASSWORD, false).await;
    app.sign_in("tf@example.com", PASSWORD).await;
    assert_eq!(status_on_account_page(&app).await, "off");

    // The key is shown as a QR code and as text, and stays the same when the page is reloaded.
    let setup = app.get(paths::AccountTwoFactor).await;
    let document = html(&setup);
    let qr = select(&document, "img[src^='data:image/svg+xml;base64,']");
    assert_eq!(qr.len(), 1);
    assert!(!qr[0].attr("alt").unwrap_or_default().is_empty());
    let key = read_setup_key(&app).await;
    assert_eq!(read_setup_key(&app).await, key);
    let code = code_of(&key, 0);

    // Neither a wrong code nor a wrong password turns it on.
    let enabled = Enabled {
        app_key: key,
        recovery_codes: vec![],
    };
    let wrong = app
        .submit(
            paths::AccountTwoFactor,
            paths::AccountTwoFactor,
            &[
                ("code", &enabled.wrong_code()),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    wrong.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("This code does not match"));
    app.submit(
        paths::AccountTwoFactor,
        paths::AccountTwoFactor,
        &[("code", &code), ("current_password", "not the password")],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_on_account_page(&app).await, "off");

    // The right code and password: on, with ten recovery codes shown once, and an email.
    let on = app
        .submit(
            paths::AccountTwoFactor,
            paths::AccountTwoFactor,
            &[("code", &code), ("current_password", PASSWORD)],
        )
        .await;
    on.assert_status_ok();
    let document = html(&on);
    let codes = select(&document, "[data-testid=recovery-codes] li");
    assert_eq!(codes.len(), 10);
    assert_eq!(status_on_account_page(&app).await, "on");
    let notice = app.wait_for_mail("tf@example.com", 1).await;
    assert!(notice.text().contains("Two-factor sign-in was turned on"));
    // Once on, the setup page shows no key any more.
    let manage = app.get(paths::AccountTwoFactor).await;
    assert!(select(&html(&manage), "[data-testid=totp-secret]").is_empty());
    assert!(manage.text().contains("10 of 10 left"));

    // The password alone signs no one in: the session is only at the second step.
    sign_out(&app).await;
    let password_step = app.sign_in("tf@example.com", PASSWORD).await;
    password_step.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&password_step), paths::SignInTwoFactor.to_string());
    assert!(!is_signed_in(&app).await);
    let account = app.get(paths::Account).await;
    assert_eq!(location(&account), "/login?next=%2Faccount");

    let refused = second_step(&app, &enabled.wrong_code()).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!is_signed_in(&app).await);
    // The code of the next step (the current one was used to turn it on): signed in.
    let passed = second_step(&app, &enabled.code(1)).await;
    passed.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&passed), "/");
    assert!(is_signed_in(&app).await);
}

#[tokio::test]
async fn the_key_being_set_up_is_this_sessions_alone_and_turning_on_signs_out_the_others() {
    let app = TestApp::spawn().await;
    app.create_user("own@example.com", PASSWORD, false).await;
    let other_device = app.second_client();
    app.sign_in("own@example.com", PASSWORD).await;
    other_device.sign_in("own@example.com", PASSWORD).await;

    // Another session of the account (a thief's, say) sees a key of its own, not the owner's.
    let mine = read_setup_key(&app).await;
    let theirs = read_setup_key(&other_device).await;
    assert_ne!(mine, theirs);

    app.submit(
        paths::AccountTwoFactor,
        paths::AccountTwoFactor,
        &[("code", &code_of(&mine, 0)), ("current_password", PASSWORD)],
    )
    .await
    .assert_status_ok();
    assert!(!is_signed_in(&other_device).await);
    // The other session's key opens nothing.
    sign_out(&app).await;
    app.sign_in("own@example.com", PASSWORD).await;
    second_step(&app, &code_of(&theirs, 1))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    second_step(&app, &code_of(&mine, 1))
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_code_works_once() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "once@example.com").await;
    sign_out(&app).await;

    app.sign_in("once@example.com", PASSWORD).await;
    let code = enabled.code(1);
    second_step(&app, &code)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    sign_out(&app).await;

    // The same code, replayed at once (someone watching over a shoulder): refused.
    app.sign_in("once@example.com", PASSWORD).await;
    let replayed = second_step(&app, &code).await;
    replayed.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replayed.text().contains("already used"));
    // So is an older one, still inside the window of clock drift.
    second_step(&app, &enabled.code(0))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn recovery_codes_work_once() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "rc@example.com").await;
    let codes = &enabled.recovery_codes;
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|code| code.len() == 11 && code.as_bytes()[5] == b'-')
    );
    sign_out(&app).await;

    // Typed as people do: upper case, without the dash.
    app.sign_in("rc@example.com", PASSWORD).await;
    let typed = codes[0].replace('-', "").to_uppercase();
    second_step(&app, &typed)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
    let notice = app.wait_for_mail("rc@example.com", 2).await;
    assert!(notice.text().contains("A recovery code was used"));
    assert!(notice.text().contains("9 are left"));
    sign_out(&app).await;

    // Used once: refused the second time.
    app.sign_in("rc@example.com", PASSWORD).await;
    second_step(&app, &codes[0])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    second_step(&app, &codes[1])
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn new_recovery_codes_need_the_password_and_void_the_old() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "new@example.com").await;
    let codes = &enabled.recovery_codes;

    app.submit(
        paths::AccountTwoFactor,
        paths::AccountRecoveryCodes,
        &[
            ("current_password", "not the password"),
            ("code", &enabled.code(1)),
        ],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // The password alone is not enough: someone with a stolen password and a session left open
    // cannot make codes of their own.
    app.submit(
        paths::AccountTwoFactor,
        paths::AccountRecoveryCodes,
        &[("current_password", PASSWORD)],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = app
        .submit(
            paths::AccountTwoFactor,
            paths::AccountRecoveryCodes,
            &[("current_password", PASSWORD), ("code", &enabled.code(1))],
        )
        .await;
    fresh.assert_status_ok();
    let document = html(&fresh);
    let new_codes: Vec<String> = select(&document, "[data-testid=recovery-codes] li")
        .iter()
        .map(|code| code.text().collect())
        .collect();
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|code| !codes.contains(code)));
    let notice = app.wait_for_mail("new@example.com", 2).await;
    assert!(notice.text().contains("New recovery codes were made"));
    sign_out(&app).await;

    app.sign_in("new@example.com", PASSWORD).await;
    second_step(&app, &codes[2])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    second_step(&app, &new_codes[0])
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "off@example.com").await;

    for (password, code) in [
        ("not the password", enabled.code(1)),
        (PASSWORD, String::new()),
        (PASSWORD, enabled.wrong_code()),
    ] {
        app.submit(
            paths::AccountTwoFactor,
            paths::AccountTwoFactorDisable,
            &[("current_password", password), ("code", &code)],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(status_on_account_page(&app).await, "on");

    app.submit(
        paths::AccountTwoFactor,
        paths::AccountTwoFactorDisable,
        &[("current_password", PASSWORD), ("code", &enabled.code(1))],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(status_on_account_page(&app).await, "off");
    let notice = app.wait_for_mail("off@example.com", 2).await;
    assert!(notice.text().contains("Two-factor sign-in was turned off"));

    // The password alone signs in again, and the old recovery codes are gone with the key.
    sign_out(&app).await;
    let signed_in = app.sign_in("off@example.com", PASSWORD).await;
    assert_eq!(location(&signed_in), "/");
    assert!(is_signed_in(&app).await);
}

#[tokio::test]
async fn a_password_reset_does_not_skip_the_second_step() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "reset@example.com").await;
    sign_out(&app).await;

    app.submit(
        paths::ForgotPassword,
        paths::ForgotPassword,
        &[("email", "reset@example.com")],
    )
    .await
    .assert_status_ok();
    // The notice of turning it on may arrive before or after it.
    app.wait_for_mail("reset@example.com", 2).await;
    let link = app
        .mail
        .to("reset@example.com")
        .into_iter()
        .find(|mail| mail.subject().starts_with("Reset your"))
        .expect("a reset email")
        .link_to(paths::ResetPassword);
    let token = link.split("token=").nth(1).unwrap();
    let new_password = "a brand new password for reset";
    app.submit(
        &link,
        paths::ResetPassword,
        &[("token", token), ("password", new_password)],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert!(!is_signed_in(&app).await);

    let password_step = app.sign_in("reset@example.com", new_password).await;
    passes_only_with_the_second_step(&app, &password_step, &enabled).await;
}

#[tokio::test]
async fn the_second_step_cannot_be_reached_without_the_password() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "skip@example.com").await;
    sign_out(&app).await;

    // No password step on this session: the second step sends back to the first.
    let page = app.get(paths::SignInTwoFactor).await;
    assert_eq!(location(&page), paths::SignIn.to_string());
    let token = app.form_token(paths::SignIn).await;
    let posted = app
        .post_with_token(
            paths::SignInTwoFactor,
            &token,
            &[("code", &enabled.code(1))],
        )
        .await;
    assert_eq!(location(&posted), paths::SignIn.to_string());
    assert!(!is_signed_in(&app).await);

    // A wrong password does not start it either.
    app.sign_in("skip@example.com", "not the password")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get(paths::SignInTwoFactor).await;
    assert_eq!(location(&page), paths::SignIn.to_string());
}

#[tokio::test]
async fn guessing_codes_is_rate_limited() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "guess@example.com").await;
    sign_out(&app).await;
    app.sign_in("guess@example.com", PASSWORD).await;

    let token = app.form_token(paths::SignInTwoFactor).await;
    let wrong = enabled.wrong_code();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = app
            .server
            .post(&paths::SignInTwoFactor.to_string())
            .add_header("accept", "text/html")
            .add_header(TEST_PEER, "203.0.113.9:4000")
            .form(&[("csrf_token", token.as_str()), ("code", wrong.as_str())])
            .await;
        statuses.push(response.status_code());
    }

    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    // Even the right code waits now.
    let right = app
        .server
        .post(&paths::SignInTwoFactor.to_string())
        .add_header("accept", "text/html")
        .add_header(TEST_PEER, "203.0.113.9:4000")
        .form(&[("csrf_token", token.as_str()), ("code", &enabled.code(1))])
        .await;
    right.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn the_command_line_turns_it_off_for_someone_who_lost_their_app_and_codes() {
    let app = TestApp::spawn().await;
    enable_two_factor(&app, "lost@example.com").await;
    sign_out(&app).await;

    let output = std::process::Command::new(crate::APP_BINARY)
        .args(["user", "two-factor-off", "lost@example.com"])
        .env("APP_ENVIRONMENT", "test")
        .env("APP_DATABASE__URL", app.database_url())
        .output()
        .expect("the app's executable runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("two-factor sign-in is off for lost@example.com"),
        "{stdout}"
    );
    let signed_in = app.sign_in("lost@example.com", PASSWORD).await;
    assert_eq!(location(&signed_in), "/");
}
