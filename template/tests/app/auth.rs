//! Accounts, against the checklist of the template's security notes: each test names the rule it
//! checks. Mail goes through a real SMTP server (`smtp.rs`).

use axum::http::{StatusCode, header};
use axum_extra::routing::TypedPath;
use axum_test::TestResponse;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, EntityTrait as _, IntoActiveModel as _};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::{
    app::{
        auth::{guards::RequireAdmin, session::RENEWED_AT},
        models::{
            user::{self, Entity as Users, NewUser},
            user_token::Entity as UserTokens,
        },
        paths,
        routes::Routes,
    },
    helpers::{TEST_PEER, TestApp, html, select, select_one, text_of},
    injection::{PAYLOADS, assert_comes_back_as_text, assert_inert},
};

const PASSWORD: &str = "correct horse battery staple";

/// Account helpers, for these tests and any other that needs someone signed in.
impl TestApp {
    /// Creates a confirmed account directly in the database, as `user create` does.
    pub async fn create_user(&self, email: &str, password: &str, admin: bool) -> user::Model {
        let password_hash = self
            .state
            .passwords
            .hash(&SecretString::from(password))
            .await
            .expect("hashed");
        user::create(
            self.db(),
            NewUser {
                email: email.to_owned(),
                password_hash,
                is_admin: admin,
                verified: true,
            },
        )
        .await
        .expect("created")
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in(&self, email: &str, password: &str) -> TestResponse {
        self.submit(
            paths::SignIn,
            paths::SignIn,
            &[("email", email), ("password", password)],
        )
        .await
    }
}

fn session_cookie(response: &TestResponse) -> Option<String> {
    response
        .iter_headers_by_name(header::SET_COOKIE)
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("session="))
        .map(str::to_owned)
}

/// Registers through the form and returns the confirmation link the email carried.
async fn register(app: &TestApp, email: &str) -> String {
    let response = app
        .submit(
            paths::Register,
            paths::Register,
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    response.assert_status_ok();
    assert!(!select(&html(&response), "[data-testid=check-inbox]").is_empty());
    let mail = app.wait_for_mail(email, 1).await;
    let link = mail.link_to(paths::VerifyEmail);
    // Both parts carry the link; the HTML one is a button.
    assert!(mail.html().contains(&link.replace('&', "&amp;")));
    link
}

#[tokio::test]
async fn register_confirm_sign_out_and_sign_in_again() {
    let app = TestApp::spawn().await;

    let link = register(&app, "ann@example.com").await;
    let user = user::find_by_email(app.db(), "ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.is_verified());
    // Checklist 1: argon2id, never the password itself.
    assert!(user.password_hash.starts_with("$argon2id$v=19$"));

    // The link opens a form asking for the password: only whoever chose it can confirm.
    let confirm = app.get(&link).await;
    confirm.assert_status_ok();
    assert_eq!(
        text_of(&html(&confirm), "[data-testid=verify-email]"),
        "ann@example.com"
    );
    let token = link.split("token=").nth(1).unwrap();
    let confirmed = app
        .submit(
            &link,
            paths::VerifyEmail,
            &[("token", token), ("password", PASSWORD)],
        )
        .await;
    confirmed.assert_status(StatusCode::SEE_OTHER);
    let home = app.get("/").await;
    assert!(home.text().contains("Your email address is confirmed"));
    assert!(!select(&html(&home), "form[action='/logout']").is_empty());

    // Checklist 6: the link works once.
    app.get(&link).await.assert_status(StatusCode::NOT_FOUND);

    let token = app.form_token(paths::Account).await;
    app.post_with_token(paths::SignOut, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);

    app.sign_in("ann@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.get(&paths::Account.to_string())
        .await
        .assert_status_ok();
}

#[tokio::test]
async fn an_unconfirmed_account_cannot_sign_in() {
    let app = TestApp::spawn().await;
    register(&app, "bo@example.com").await;

    let response = app.sign_in("bo@example.com", PASSWORD).await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().contains("Confirm your email address first"));
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    // Checklist 7: the same response for known and unknown addresses.
    let app = TestApp::spawn().await;
    app.create_user("cy@example.com", PASSWORD, false).await;

    let wrong_password = app
        .sign_in("cy@example.com", "not the password at all")
        .await;
    let unknown = app
        .sign_in("nobody@example.com", "not the password at all")
        .await;

    wrong_password.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    unknown.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let alert = |r| text_of(&html(r), "[role=alert]");
    assert_eq!(alert(&wrong_password), alert(&unknown));
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_tells_its_owner() {
    let app = TestApp::spawn().await;
    app.create_user("di@example.com", PASSWORD, false).await;

    let response = app
        .submit(
            paths::Register,
            paths::Register,
            &[("email", "di@example.com"), ("password", PASSWORD)],
        )
        .await;

    response.assert_status_ok();
    assert!(!select(&html(&response), "[data-testid=check-inbox]").is_empty());
    let mail = app.wait_for_mail("di@example.com", 1).await;
    assert!(
        mail.subject().contains("already have"),
        "{}",
        mail.subject()
    );
}

#[tokio::test]
async fn signing_in_gives_a_new_session_id_and_form_token_and_signing_out_deletes_it() {
    // Checklist 2: session id cycled on sign-in and sign-out.
    let app = TestApp::spawn().await;
    app.create_user("ed@example.com", PASSWORD, false).await;
    // A session before signing in: a message sent through the contact form leaves a flash.
    let contact = [
        ("name", "Ed"),
        ("email", "ed@example.com"),
        ("message", "Hi"),
    ];
    let sent = app.submit(paths::Contact, paths::Contact, &contact).await;
    let before = session_cookie(&sent).expect("a session for the flash message");
    let token_before = app.form_token(paths::SignIn).await;

    let signed_in = app.sign_in("ed@example.com", PASSWORD).await;

    let after = session_cookie(&signed_in).expect("a new session cookie");
    assert_ne!(before, after);
    // A new form token: the one shown before signing in is refused.
    app.post_with_token(paths::SignOut, &token_before, &[])
        .await
        .assert_status_forbidden();
    // Checklist 10: HttpOnly and SameSite=Lax (Secure and __Host- in production: see sessions.rs).
    assert!(
        after.contains("HttpOnly") && after.contains("SameSite=Lax"),
        "{after}"
    );
    // Without "remember me", the cookie ends with the browser.
    assert!(
        !after.contains("Max-Age") && !after.contains("Expires"),
        "{after}"
    );

    let token = app.form_token(paths::Account).await;
    app.post_with_token(paths::SignOut, &token, &[]).await;
    app.get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_session_signed_out_on_one_instance_is_refused_by_another_within_cache_seconds() {
    // Two instances on one database (Postgres, in an app on Postgres), each keeping the sessions
    // it has just seen in memory for a second (`session.cache_seconds`; ten by default).
    let app = TestApp::spawn_with(|config| config.session.cache_seconds = 1).await;
    let other_instance = app.another_instance().await;
    app.create_user("io@example.com", PASSWORD, false).await;
    let signed_in = app.sign_in("io@example.com", PASSWORD).await;
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    let cookie = cookie.split(';').next().expect("name=value").to_owned();
    let account_on_the_other = || {
        other_instance
            .server
            .get(&paths::Account.to_string())
            .add_header(header::COOKIE, cookie.as_str())
    };
    // The other instance takes the session (and now keeps it in memory).
    account_on_the_other().await.assert_status_ok();

    let token = app.form_token(paths::Account).await;
    app.post_with_token(paths::SignOut, &token, &[]).await;
    app.get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // The other instance may still take it for the bound, and refuses it after.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    account_on_the_other()
        .await
        .assert_status(StatusCode::SEE_OTHER);
    other_instance.stop().await;
}

/// Disables `user` as another instance of the app (or the `user` command) would: in the
/// database, behind this instance's back.
async fn disable_elsewhere(app: &TestApp, user: user::Model) {
    let mut disabled = user.into_active_model();
    disabled.disabled_at = Set(Some(OffsetDateTime::now_utc()));
    disabled.update(app.db()).await.unwrap();
}

#[tokio::test]
async fn an_account_disabled_elsewhere_is_refused_by_the_next_form_at_once() {
    // Pages may show a user's row read up to `session.cache_seconds` ago (ten seconds here);
    // forms and every other unsafe request read it again.
    let app = TestApp::spawn().await;
    let user = app.create_user("ru@example.com", PASSWORD, false).await;
    app.sign_in("ru@example.com", PASSWORD).await;
    let token = app.form_token(paths::Account).await;

    disable_elsewhere(&app, user).await;
    let refused = app
        .post_with_token(
            paths::AccountPassword,
            &token,
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long password"),
            ],
        )
        .await;

    refused.assert_status(StatusCode::SEE_OTHER);
    assert!(
        refused
            .header(header::LOCATION)
            .to_str()
            .unwrap()
            .starts_with(&paths::SignIn.to_string())
    );
    // Signed out: the session is gone, for pages too.
    app.get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_account_disabled_elsewhere_is_refused_by_pages_within_cache_seconds() {
    let app = TestApp::spawn_with(|config| config.session.cache_seconds = 1).await;
    let user = app.create_user("ru@example.com", PASSWORD, false).await;
    app.sign_in("ru@example.com", PASSWORD).await;
    // The row is read, and kept for a second.
    app.get(&paths::Account.to_string())
        .await
        .assert_status_ok();

    disable_elsewhere(&app, user).await;

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    app.get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn remember_me_keeps_the_cookie_after_the_browser_closes() {
    let app = TestApp::spawn().await;
    app.create_user("fa@example.com", PASSWORD, false).await;

    let response = app
        .submit(
            paths::SignIn,
            paths::SignIn,
            &[
                ("email", "fa@example.com"),
                ("password", PASSWORD),
                ("remember", "on"),
            ],
        )
        .await;

    let cookie = session_cookie(&response).expect("a session cookie");
    let max_age = app.state.config.auth.remember_days * 24 * 60 * 60;
    assert!(cookie.contains(&format!("Max-Age={max_age}")), "{cookie}");
}

#[derive(Debug, TypedPath)]
#[typed_path("/test/two-days-later")]
struct TwoDaysLater;

/// Dates the session's last renewal two days back: the user comes back after two days.
async fn two_days_later(_: TwoDaysLater, session: Session) -> &'static str {
    let two_days_ago = OffsetDateTime::now_utc() - time::Duration::days(2);
    session
        .insert(RENEWED_AT, two_days_ago.unix_timestamp())
        .await
        .expect("stored");
    "later"
}

#[tokio::test]
async fn a_remembered_session_is_renewed_once_a_day_not_on_every_request() {
    let app = TestApp::spawn_with_routes(Routes::new().get(two_days_later)).await;
    app.create_user("re@example.com", PASSWORD, false).await;
    app.submit(
        paths::SignIn,
        paths::SignIn,
        &[
            ("email", "re@example.com"),
            ("password", PASSWORD),
            ("remember", "on"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // The first page after signing in makes the session's new CSRF token (a write).
    app.get(&paths::Account.to_string())
        .await
        .assert_status_ok();

    // Checklist 3: the long-lived session is reissued after a day, without a write per request.
    let same_day = app.get(&paths::Account.to_string()).await;
    same_day.assert_status_ok();
    assert_eq!(session_cookie(&same_day), None);
    app.get(TwoDaysLater).await.assert_status_ok();
    let later = app.get(&paths::Account.to_string()).await;
    later.assert_status_ok();
    let renewed = session_cookie(&later).expect("a renewed cookie");
    let max_age = app.state.config.auth.remember_days * 24 * 60 * 60;
    assert!(renewed.contains(&format!("Max-Age={max_age}")), "{renewed}");
    let next = app.get(&paths::Account.to_string()).await;
    assert_eq!(session_cookie(&next), None);
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    // Checklist 4: a synchronizer token besides the Fetch-Metadata check.
    let app = TestApp::spawn().await;
    app.create_user("gu@example.com", PASSWORD, false).await;
    app.get(&paths::SignIn.to_string()).await;

    let response = app
        .post_with_token(
            paths::SignIn,
            "forged",
            &[("email", "gu@example.com"), ("password", PASSWORD)],
        )
        .await;

    response.assert_status(StatusCode::FORBIDDEN);
    assert!(response.text().contains("This form has expired"));
}

#[tokio::test]
async fn validation_errors_are_shown_next_to_their_fields_with_the_values_kept() {
    let app = TestApp::spawn().await;
    let token = app.form_token(paths::Register).await;

    let response = app
        .server
        .post(&paths::Register.to_string())
        .add_header("hx-request", "true")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "not-an-address"),
            ("password", "short"),
        ])
        .await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let form = crate::helpers::fragment(&response);
    // htmx gets the form alone, to swap in place of itself.
    assert!(select(&form, "header, main").is_empty());
    let email = select_one(&form, "input[name=email]");
    assert_eq!(email.attr("value"), Some("not-an-address"));
    assert_eq!(email.attr("aria-invalid"), Some("true"));
    assert_eq!(
        text_of(&form, "#field-password-error"),
        "Use at least 12 characters."
    );
    // A password is never sent back.
    assert_eq!(
        select_one(&form, "input[name=password]").attr("value"),
        Some("")
    );
}

#[tokio::test]
async fn a_password_reset_works_once_and_signs_out_everywhere() {
    let app = TestApp::spawn().await;
    app.create_user("ha@example.com", PASSWORD, false).await;
    let other_device = app.second_client();
    other_device.sign_in("ha@example.com", PASSWORD).await;

    app.submit(
        paths::ForgotPassword,
        paths::ForgotPassword,
        &[("email", "ha@example.com")],
    )
    .await
    .assert_status_ok();
    let link = app
        .wait_for_mail("ha@example.com", 1)
        .await
        .link_to(paths::ResetPassword);
    app.get(&link).await.assert_status_ok();
    let token = link.split("token=").nth(1).unwrap();
    let new_password = "a brand new password for ha";
    app.submit(
        &link,
        paths::ResetPassword,
        &[("token", token), ("password", new_password)],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // Checklist 6: single use.
    app.get(&link).await.assert_status(StatusCode::NOT_FOUND);
    // Checklist 3: every session of the user is revoked.
    other_device
        .get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.sign_in("ha@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    app.sign_in("ha@example.com", new_password)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn emailed_tokens_are_32_random_bytes_stored_only_as_their_sha256() {
    let app = TestApp::spawn().await;
    app.create_user("ti@example.com", PASSWORD, false).await;

    app.submit(
        paths::ForgotPassword,
        paths::ForgotPassword,
        &[("email", "ti@example.com")],
    )
    .await
    .assert_status_ok();
    let link = app
        .wait_for_mail("ti@example.com", 1)
        .await
        .link_to(paths::ResetPassword);

    // Checklist 6: at least 32 random bytes, only a SHA-256 at rest, reset valid 15 minutes.
    let token = link.split("token=").nth(1).unwrap();
    let secret = URL_SAFE_NO_PAD.decode(token).expect("base64url");
    assert_eq!(secret.len(), 32);
    let rows = UserTokens::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.token_hash, Sha256::digest(&secret).to_vec());
    assert_eq!(row.purpose, "reset_password");
    assert_eq!(row.sent_to, "ti@example.com");
    assert_eq!(row.expires_at - row.created_at, time::Duration::minutes(15));
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_address_answers_the_same_and_sends_nothing() {
    let app = TestApp::spawn().await;

    let response = app
        .submit(
            paths::ForgotPassword,
            paths::ForgotPassword,
            &[("email", "nobody@example.com")],
        )
        .await;

    response.assert_status_ok();
    assert!(!select(&html(&response), "[data-testid=check-inbox]").is_empty());
    assert!(app.all_mail().await.is_empty());
}

/// Tokens no link ever carried: empty, short, 32 zero bytes, and bytes a query must not trip on.
pub const FORGED_TOKENS: [&str; 4] = [
    "",
    "abc",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "%00'--",
];

#[tokio::test]
async fn a_forged_or_mangled_reset_link_is_refused() {
    let app = TestApp::spawn().await;
    for token in FORGED_TOKENS {
        app.get(format!("{}?token={token}", paths::ResetPassword))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_devices() {
    // Checklist 9: re-authentication for sensitive changes; checklist 3: revocation.
    let app = TestApp::spawn().await;
    app.create_user("io@example.com", PASSWORD, false).await;
    app.sign_in("io@example.com", PASSWORD).await;
    let other_device = app.second_client();
    other_device.sign_in("io@example.com", PASSWORD).await;
    let new_password = "another long password";

    let refused = app
        .submit(
            paths::Account,
            paths::AccountPassword,
            &[
                ("current_password", "wrong guess here"),
                ("new_password", new_password),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    let changed = app
        .submit(
            paths::Account,
            paths::AccountPassword,
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
            ],
        )
        .await;
    changed.assert_status(StatusCode::SEE_OTHER);
    app.get(&paths::Account.to_string())
        .await
        .assert_status_ok();
    other_device
        .get(&paths::Account.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_new_address_becomes_the_accounts_once_its_link_is_opened() {
    let app = TestApp::spawn().await;
    app.create_user("ju@example.com", PASSWORD, false).await;
    app.sign_in("ju@example.com", PASSWORD).await;

    let fields = [
        ("email", "Ju.New@example.com"),
        ("current_password", PASSWORD),
    ];
    app.submit(paths::Account, paths::AccountEmail, &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Nothing changed yet; the account page says what it waits for.
    let account = html(&app.get(&paths::Account.to_string()).await);
    assert_eq!(
        text_of(&account, "[data-testid=account-email]"),
        "ju@example.com"
    );
    assert!(text_of(&account, "[data-testid=pending-email]").contains("ju.new@example.com"));
    // The current address is told; the new one gets the link.
    let notice = app.wait_for_mail("ju@example.com", 1).await;
    assert!(notice.text().contains("ju.new@example.com"));
    let link = app
        .wait_for_mail("ju.new@example.com", 1)
        .await
        .link_to(paths::AccountEmailConfirm);
    // Opening the link shows a button; only pressing it changes the address.
    let confirm = html(&app.get(&link).await);
    assert_eq!(
        text_of(&confirm, "[data-testid=new-email]"),
        "ju.new@example.com"
    );
    let token = link.split("token=").nth(1).unwrap();
    let account_token = app.form_token(paths::Account).await;
    app.post_with_token(
        paths::AccountEmailConfirm,
        &account_token,
        &[("token", token)],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let user = user::find_by_email(app.db(), "ju.new@example.com")
        .await
        .unwrap()
        .expect("the new address is the account's");
    assert!(user.is_verified(), "the link proved it");
    // Once: the link is spent.
    app.get(&link).await.assert_status_not_found();
    // Signing in takes the new address, not the old one.
    let other = app.second_client();
    other
        .sign_in("ju@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    other
        .sign_in("ju.new@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_mistyped_new_address_locks_no_one_out() {
    let app = TestApp::spawn().await;
    app.create_user("ty@example.com", PASSWORD, false).await;
    app.sign_in("ty@example.com", PASSWORD).await;

    let fields = [("email", "ty@exmaple.com"), ("current_password", PASSWORD)];
    app.submit(paths::Account, paths::AccountEmail, &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // The link went to the typo, which no one reads: the account keeps its address.
    assert!(
        user::find_by_email(app.db(), "ty@example.com")
            .await
            .unwrap()
            .is_some()
    );
    let other = app.second_client();
    other
        .sign_in("ty@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // And the owner heard of the request at the address that still works.
    let notice = app.wait_for_mail("ty@example.com", 1).await;
    assert!(notice.subject().contains("new email address"));
}

#[tokio::test]
async fn asking_for_an_address_that_has_an_account_answers_the_same_and_sends_it_nothing() {
    let app = TestApp::spawn().await;
    app.create_user("taken@example.com", PASSWORD, false).await;
    app.create_user("me@example.com", PASSWORD, false).await;
    app.sign_in("me@example.com", PASSWORD).await;

    let fields = [
        ("email", "taken@example.com"),
        ("current_password", PASSWORD),
    ];
    let response = app
        .submit(paths::Account, paths::AccountEmail, &fields)
        .await;

    response.assert_status(StatusCode::SEE_OTHER);
    app.wait_for_mail("me@example.com", 1).await;
    let mails = app.all_mail().await;
    assert!(
        mails
            .iter()
            .all(|mail| !mail.to.iter().any(|to| to == "taken@example.com"))
    );
}

#[tokio::test]
async fn a_link_for_a_new_address_works_only_for_the_account_that_asked() {
    let app = TestApp::spawn().await;
    app.create_user("ow@example.com", PASSWORD, false).await;
    app.sign_in("ow@example.com", PASSWORD).await;
    let fields = [
        ("email", "ow.new@example.com"),
        ("current_password", PASSWORD),
    ];
    app.submit(paths::Account, paths::AccountEmail, &fields)
        .await;
    let link = app
        .wait_for_mail("ow.new@example.com", 1)
        .await
        .link_to(paths::AccountEmailConfirm);

    let stranger = app.second_client();
    stranger
        .create_user("st@example.com", PASSWORD, false)
        .await;
    stranger.sign_in("st@example.com", PASSWORD).await;
    stranger.get(&link).await.assert_status_not_found();
    let token = link.split("token=").nth(1).unwrap();
    let stranger_token = stranger.form_token(paths::Account).await;
    stranger
        .post_with_token(
            paths::AccountEmailConfirm,
            &stranger_token,
            &[("token", token)],
        )
        .await
        .assert_status_not_found();

    // Still good for its owner.
    app.get(&link).await.assert_status_ok();
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_email() {
    // Checklist 5: 5 a minute per email and IP, then 429 with Retry-After.
    let app = TestApp::spawn().await;
    let token = app.form_token(paths::SignIn).await;
    for _ in 0..5 {
        app.post_with_token(
            paths::SignIn,
            &token,
            &[("email", "ka@example.com"), ("password", "wrong password")],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }

    let limited = app
        .post_with_token(
            paths::SignIn,
            &token,
            &[("email", "ka@example.com"), ("password", "wrong password")],
        )
        .await;

    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key(header::RETRY_AFTER));
    assert!(limited.text().contains("Too many attempts"));
}

#[tokio::test]
async fn pages_for_users_send_visitors_to_sign_in_and_back() {
    let app = TestApp::spawn().await;

    let page = app.get(&paths::Account.to_string()).await;
    page.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[header::LOCATION], "/login?next=%2Faccount");

    let json = app
        .server
        .get(&paths::Account.to_string())
        .add_header("accept", "application/json")
        .await;
    json.assert_status(StatusCode::UNAUTHORIZED);

    app.create_user("li@example.com", PASSWORD, false).await;
    let token = app
        .form_token(paths::SignIn::with_next(&paths::Account.to_string()))
        .await;
    let signed_in = app
        .post_with_token(
            paths::SignIn,
            &token,
            &[
                ("email", "li@example.com"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(
        signed_in.headers()[header::LOCATION],
        paths::Account.to_string()
    );
    // Signed in, the guest pages send them home.
    app.get(&paths::SignIn.to_string())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn admin_pages_are_for_admins_only() {
    let app = TestApp::spawn_with_routes(Routes::new().get(admin_only)).await;
    app.create_user("mo@example.com", PASSWORD, false).await;
    app.create_user("root@example.com", PASSWORD, true).await;

    app.get("/test/admin")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.sign_in("mo@example.com", PASSWORD).await;
    app.get("/test/admin")
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let token = app.form_token(paths::Account).await;
    app.post_with_token(paths::SignOut, &token, &[]).await;
    app.sign_in("root@example.com", PASSWORD).await;
    app.get("/test/admin").await.assert_status_ok();
}

#[derive(TypedPath)]
#[typed_path("/test/admin")]
struct AdminOnly;

async fn admin_only(_: AdminOnly, RequireAdmin(user): RequireAdmin) -> String {
    user.email.clone()
}

#[tokio::test]
async fn a_user_printed_in_a_log_shows_no_password_hash() {
    // Checklist 13: redacted in Debug.
    let app = TestApp::spawn().await;
    app.create_user("ny@example.com", PASSWORD, false).await;
    let user = Users::find().one(app.db()).await.unwrap().unwrap();

    let printed = format!("{user:?}");

    assert!(printed.contains("[redacted]"));
    assert!(!printed.contains("argon2"));
}

/// The page cache (`cache::pages`) serves only visitors without a session: someone signed in
/// gets the home page rendered for them, and what they got is never served to anyone else.
#[tokio::test]
async fn a_signed_in_visitor_never_gets_or_leaves_a_page_kept_for_visitors_without_a_session() {
    let app = TestApp::spawn().await;
    app.create_user("ann@example.com", PASSWORD, false).await;
    let ann = app.second_client();
    app.get("/").await;

    ann.sign_in("ann@example.com", PASSWORD).await;
    let hers = ann.get("/").await;
    let anonymous = app.second_client().get("/").await;

    assert!(hers.maybe_header("x-cache").is_none());
    assert!(hers.text().contains("ann@example.com"));
    assert!(
        anonymous
            .maybe_header("x-cache")
            .is_some_and(|v| v == "hit")
    );
    assert!(!anonymous.text().contains("ann@example.com"));
}

#[tokio::test]
async fn hostile_text_in_the_account_forms_comes_back_as_text() {
    let app = TestApp::spawn().await;
    let short = "short";
    // Each form refuses what it gets (an address that is not one, a password too short), so it
    // comes back with what was typed.
    let guest_forms = [
        (
            paths::Register.to_string(),
            paths::Register.to_string(),
            vec![("password", PASSWORD)],
            "email",
        ),
        (
            paths::SignIn.to_string(),
            paths::SignIn.to_string(),
            vec![("password", PASSWORD)],
            "email",
        ),
        (
            paths::ForgotPassword.to_string(),
            paths::ForgotPassword.to_string(),
            vec![],
            "email",
        ),
        (
            paths::ResendVerification.to_string(),
            paths::ResendVerification.to_string(),
            vec![],
            "email",
        ),
        (
            paths::SignIn.to_string(),
            paths::ResetPassword.to_string(),
            vec![("password", short)],
            "token",
        ),
    ];
    for payload in PAYLOADS {
        for (page, action, fields, field) in &guest_forms {
            assert_comes_back_as_text(&app, (page, action), fields, field, payload).await;
        }
        // `next` is dropped unless it is a path of this site; it must not inject either way.
        let response = app
            .submit(
                paths::SignIn,
                paths::SignIn,
                &[("email", "bad"), ("next", payload)],
            )
            .await;
        assert_inert(&html(&response), "/login next");
    }

    app.create_user("ann@example.com", PASSWORD, false).await;
    app.sign_in("ann@example.com", PASSWORD).await;
    for payload in PAYLOADS {
        let fields = [("current_password", PASSWORD)];
        let form = (paths::Account, paths::AccountEmail);
        assert_comes_back_as_text(&app, form, &fields, "email", payload).await;
    }
}

#[tokio::test]
async fn showing_the_account_forms_writes_no_session() {
    let app = TestApp::spawn().await;
    let pages = [
        paths::SignIn.to_string(),
        paths::Register.to_string(),
        paths::ForgotPassword.to_string(),
        paths::ResendVerification.to_string(),
        format!("{}?token=anything", paths::VerifyEmail),
        format!("{}?token=anything", paths::ResetPassword),
    ];

    for _ in 0..100 {
        for page in &pages {
            // Each a new visitor, without cookies: a form token cookie, no session.
            let response = app.server.get(page).do_not_save_cookies().await;
            assert!(session_cookie(&response).is_none(), "{page}");
        }
    }

    let rows = crate::app::session::store::count_open(app.db())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn without_remember_me_the_cookie_ends_with_the_browser_on_every_later_page() {
    let app = TestApp::spawn().await;
    app.create_user("no@example.com", PASSWORD, false).await;
    app.sign_in("no@example.com", PASSWORD).await;

    // The next page shows (and removes) the "signed in" message: the session is saved again.
    let next = app.get(&paths::Account.to_string()).await;

    let cookie = session_cookie(&next).expect("the session saved again");
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
}

#[tokio::test]
async fn with_remember_me_every_later_cookie_keeps_the_remembered_lifetime() {
    let app = TestApp::spawn_with(|config| config.auth.remember_days = 30).await;
    app.create_user("yes@example.com", PASSWORD, false).await;
    let fields = [
        ("email", "yes@example.com"),
        ("password", PASSWORD),
        ("remember", "on"),
    ];
    app.submit(paths::SignIn, paths::SignIn, &fields).await;

    let next = app.get(&paths::Account.to_string()).await;

    let cookie = session_cookie(&next).expect("the session saved again");
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
}

/// Posts `fields` to `action` with a fresh form token, as a client at `peer` (`203.0.113.7:4000`).
async fn post_from(
    app: &TestApp,
    peer: &str,
    action: impl std::fmt::Display,
    fields: &[(&str, &str)],
) -> TestResponse {
    let token = app.form_token(paths::SignIn).await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.server
        .post(&action.to_string())
        .add_header("accept", "text/html")
        .add_header(TEST_PEER, peer)
        .form(&form)
        .await
}

#[tokio::test]
async fn registrations_from_one_network_are_limited_before_any_password_is_hashed() {
    let app = TestApp::spawn().await;

    let mut statuses = Vec::new();
    for n in 0..12 {
        let email = format!("new{n}@example.com");
        let fields = [("email", email.as_str()), ("password", PASSWORD)];
        let response = post_from(&app, "198.51.100.7:4000", paths::Register, &fields).await;
        statuses.push(response.status_code());
    }

    assert!(
        statuses[..10]
            .iter()
            .all(|status| *status == StatusCode::OK)
    );
    assert!(
        statuses[10..]
            .iter()
            .all(|status| *status == StatusCode::TOO_MANY_REQUESTS)
    );
    let users = Users::find().all(app.db()).await.unwrap();
    assert_eq!(users.len(), 10);
}

#[tokio::test]
async fn an_inbox_gets_a_few_mails_an_hour_whatever_asks_for_them() {
    let app = TestApp::spawn().await;
    app.create_user("victim@example.com", PASSWORD, false).await;

    // From eight networks: "you already have an account", then reset links.
    for n in 1..=8 {
        let peer = format!("203.0.113.{n}:4000");
        let fields = [("email", "victim@example.com"), ("password", PASSWORD)];
        let registered = post_from(&app, &peer, paths::Register, &fields).await;
        registered.assert_status_ok();
        let fields = [("email", "victim@example.com")];
        let reset = post_from(&app, &peer, paths::ForgotPassword, &fields).await;
        // The same answer as ever: nothing says a mail was skipped.
        reset.assert_status_ok();
        assert!(!select(&html(&reset), "[data-testid=check-inbox]").is_empty());
    }

    // Reset links are queued after the answer: wait for the share, then look for more.
    let share = app.state.config.rate_limit.mails_per_address_per_hour as usize;
    app.wait_for_mail("victim@example.com", share).await;
    assert_eq!(app.all_mail().await.len(), share);
}

#[tokio::test]
async fn sign_in_attempts_on_one_account_are_limited_however_many_networks_try() {
    let app = TestApp::spawn().await;
    app.create_user("admin@example.com", PASSWORD, true).await;
    let per_account = app.state.config.rate_limit.per_account_per_hour as usize;

    let mut statuses = Vec::new();
    for n in 0..per_account + 3 {
        // A new address for each guess, even a new network.
        let peer = format!("[2001:db8:{n:x}::1]:4000");
        let fields = [
            ("email", "admin@example.com"),
            ("password", "a wrong guess"),
        ];
        statuses.push(
            post_from(&app, &peer, paths::SignIn, &fields)
                .await
                .status_code(),
        );
    }

    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    assert!(
        statuses[..per_account]
            .iter()
            .all(|status| *status == refused)
    );
    assert!(
        statuses[per_account..]
            .iter()
            .all(|status| *status == StatusCode::TOO_MANY_REQUESTS)
    );
}

#[test]
fn user_create_refuses_what_registration_refuses() {
    for hostile in ["<script>@", "two words@example.com", "nobody"] {
        let output = std::process::Command::new(crate::APP_BINARY)
            .args(["user", "create", hostile])
            .env("APP_ENVIRONMENT", "test")
            .output()
            .expect("the app's executable runs");

        assert!(!output.status.success(), "{hostile}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("is not an email address"), "{stderr}");
    }
}

#[tokio::test]
async fn pages_for_the_signed_in_and_pages_with_a_form_token_are_kept_by_no_cache() {
    let app = TestApp::spawn().await;
    app.create_user("ca@example.com", PASSWORD, false).await;

    // A form page, before signing in: it holds the visitor's token.
    let form = app.get(&paths::SignIn.to_string()).await;
    assert_eq!(form.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(
        select_one(&html(&form), "main").attr("data-hx-history"),
        Some("false")
    );
    // A page without a token or an account is cacheable as ever.
    let public = app.second_client().get(paths::About).await;
    assert!(!public.contains_header(header::CACHE_CONTROL));
    assert!(
        select_one(&html(&public), "main")
            .attr("data-hx-history")
            .is_none()
    );

    app.sign_in("ca@example.com", PASSWORD).await;
    let account = paths::Account.to_string();
    for path in ["/", "/about", &account, "/no/such/page"] {
        let response = app.get(path).await;
        assert_eq!(response.header(header::CACHE_CONTROL), "no-store", "{path}");
    }
    let account = html(&app.get(&paths::Account.to_string()).await);
    assert_eq!(
        select_one(&account, "main").attr("data-hx-history"),
        Some("false")
    );
}

#[tokio::test]
async fn error_pages_show_a_signed_in_user_their_account_not_sign_in() {
    let app = TestApp::spawn().await;
    app.create_user("er@example.com", PASSWORD, false).await;
    app.sign_in("er@example.com", PASSWORD).await;

    let missing = app.get("/no/such/page").await;
    let wrong_method = app
        .server
        .put(&paths::Account.to_string())
        .add_header("accept", "text/html")
        .await;
    // The admin area: 403 for a user who is not an administrator (404 without the admin area).
    let admin = app.get("/admin").await;
    missing.assert_status(StatusCode::NOT_FOUND);
    wrong_method.assert_status(StatusCode::METHOD_NOT_ALLOWED);

    for response in [missing, wrong_method, admin] {
        let status = response.status_code();
        assert!(status.is_client_error(), "{status}");
        let page = html(&response);
        assert!(select(&page, "a[href='/login']").is_empty(), "{status}");
        assert_eq!(
            select(&page, "nav > ul a[href='/account']").len(),
            1,
            "{status}"
        );
        assert_eq!(
            response.header(header::CACHE_CONTROL),
            "no-store",
            "{status}"
        );
    }
}
