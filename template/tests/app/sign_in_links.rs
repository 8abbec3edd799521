//! Signing in with a link sent by email: one use, newest only, short-lived, stored as a hash; no
//! answer that tells whether an address has an account; the second step of two-factor after it;
//! and the limits on asking.

use axum::http::StatusCode;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, EntityTrait as _, IntoActiveModel as _};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{
    app::{
        models::{
            user::{self, NewUser},
            user_token::Entity as UserTokens,
        },
        paths,
    },
    auth::FORGED_TOKENS,
    helpers::{TestApp, html, select, text_of},
    two_factor::{
        enable_two_factor, is_signed_in, location, passes_only_with_the_second_step, sign_out,
    },
};

const PASSWORD: &str = "correct horse battery staple";

/// Asks for a link with the form under the password form of the sign-in page.
async fn ask_for_link(app: &TestApp, email: &str) -> axum_test::TestResponse {
    app.submit(paths::SignIn, paths::SignInLink, &[("email", email)])
        .await
}

/// The newest sign-in link emailed to `email`, once it has had `count` emails (others, such as
/// security notices, may arrive in any order around it).
async fn emailed_link(app: &TestApp, email: &str, count: usize) -> String {
    app.wait_for_mail(email, count).await;
    let mail = app
        .mail
        .to(email)
        .into_iter()
        .rev()
        .find(|mail| mail.subject().starts_with("Sign in to"))
        .expect("a sign-in email");
    mail.link_to(paths::OpenSignInLink)
}

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).expect("a token in the link")
}

/// Presses the button of the page the link opens.
async fn open_link(app: &TestApp, link: &str) -> axum_test::TestResponse {
    app.submit(
        link,
        paths::OpenSignInLink,
        &[("token", token_of(link)), ("remember", "on")],
    )
    .await
}

#[tokio::test]
async fn a_link_signs_in_without_the_password_once() {
    let app = TestApp::spawn().await;
    app.create_user("ann@example.com", PASSWORD, false).await;

    let asked = ask_for_link(&app, "ann@example.com").await;
    asked.assert_status_ok();
    assert!(!select(&html(&asked), "[data-testid=check-inbox]").is_empty());
    let link = emailed_link(&app, "ann@example.com", 1).await;

    // Opening the link shows who signs in, and signs no one in: a mail scanner following links
    // uses nothing up.
    let shown = app.get(&link).await;
    shown.assert_status_ok();
    assert_eq!(
        text_of(&html(&shown), "[data-testid=sign-in-link-email]"),
        "ann@example.com"
    );
    assert!(!is_signed_in(&app).await);
    app.get(&link).await.assert_status_ok();

    let signed_in = open_link(&app, &link).await;
    signed_in.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), paths::Home.to_string());
    assert!(is_signed_in(&app).await);

    // Used: it opens nothing any more, signed in or not.
    sign_out(&app).await;
    app.get(&link).await.assert_status(StatusCode::NOT_FOUND);
    let again = app
        .post_with_token(
            paths::OpenSignInLink,
            &app.form_token(paths::SignIn).await,
            &[("token", token_of(&link))],
        )
        .await;
    again.assert_status(StatusCode::NOT_FOUND);
    assert!(again.text().contains("no longer works"));
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn the_link_is_32_random_bytes_kept_as_a_sha256_for_ten_minutes() {
    let app = TestApp::spawn().await;
    app.create_user("bo@example.com", PASSWORD, false).await;

    ask_for_link(&app, "bo@example.com")
        .await
        .assert_status_ok();
    let link = emailed_link(&app, "bo@example.com", 1).await;

    let secret = URL_SAFE_NO_PAD.decode(token_of(&link)).expect("base64url");
    assert_eq!(secret.len(), 32);
    let rows = UserTokens::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token_hash, Sha256::digest(&secret).to_vec());
    assert_eq!(rows[0].purpose, "sign_in");
    assert_eq!(
        rows[0].expires_at - rows[0].created_at,
        Duration::minutes(10)
    );
}

#[tokio::test]
async fn only_the_newest_link_works_and_not_after_it_expires() {
    let app = TestApp::spawn().await;
    app.create_user("cy@example.com", PASSWORD, false).await;
    ask_for_link(&app, "cy@example.com")
        .await
        .assert_status_ok();
    let first = emailed_link(&app, "cy@example.com", 1).await;
    ask_for_link(&app, "cy@example.com")
        .await
        .assert_status_ok();
    let second = emailed_link(&app, "cy@example.com", 2).await;

    app.get(&first).await.assert_status(StatusCode::NOT_FOUND);
    let replaced = open_link_with_token(&app, token_of(&first)).await;
    replaced.assert_status(StatusCode::NOT_FOUND);
    assert!(!is_signed_in(&app).await);

    // The newest, once its time is up.
    let row = UserTokens::find().one(app.db()).await.unwrap().unwrap();
    let mut expired = row.into_active_model();
    expired.expires_at = Set(OffsetDateTime::now_utc() - Duration::seconds(1));
    expired.update(app.db()).await.unwrap();
    app.get(&second).await.assert_status(StatusCode::NOT_FOUND);
    open_link_with_token(&app, token_of(&second))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert!(!is_signed_in(&app).await);
}

async fn open_link_with_token(app: &TestApp, token: &str) -> axum_test::TestResponse {
    let csrf = app.form_token(paths::SignIn).await;
    app.post_with_token(paths::OpenSignInLink, &csrf, &[("token", token)])
        .await
}

#[tokio::test]
async fn forged_links_open_nothing() {
    let app = TestApp::spawn().await;
    for token in FORGED_TOKENS {
        app.get(format!("{}?token={token}", paths::OpenSignInLink))
            .await
            .assert_status(StatusCode::NOT_FOUND);
        open_link_with_token(&app, token)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    // No token at all is a dead link too, not a 400 or a 500.
    app.get(paths::OpenSignInLink)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_and_disabled_addresses_get_the_same_answer_and_no_mail() {
    let app = TestApp::spawn().await;
    let di = app.create_user("di@example.com", PASSWORD, false).await;
    let mut disabled = di.into_active_model();
    disabled.disabled_at = Set(Some(OffsetDateTime::now_utc()));
    disabled.update(app.db()).await.unwrap();

    let unknown = ask_for_link(&app, "nobody@example.com").await;
    let off = ask_for_link(&app, "di@example.com").await;

    for answer in [&unknown, &off] {
        answer.assert_status_ok();
        assert!(!select(&html(answer), "[data-testid=check-inbox]").is_empty());
    }
    assert!(app.all_mail().await.is_empty());
    assert!(UserTokens::find().all(app.db()).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unconfirmed_address_gets_its_confirmation_link_instead() {
    // Whoever registered with someone else's address chose the password: a sign-in link would
    // put the owner into an account the registrant can open too.
    let app = TestApp::spawn().await;
    let password_hash = app.state.passwords.hash(&PASSWORD.into()).await.unwrap();
    user::create(
        app.db(),
        NewUser {
            email: "ed@example.com".to_owned(),
            password_hash,
            is_admin: false,
            verified: false,
        },
    )
    .await
    .unwrap();

    ask_for_link(&app, "ed@example.com")
        .await
        .assert_status_ok();

    let mail = app.wait_for_mail("ed@example.com", 1).await;
    let confirm = mail.link_to(paths::VerifyEmail);
    assert!(confirm.contains("token="));
    assert!(!mail.text().contains(&paths::OpenSignInLink.to_string()));
    let purposes: Vec<String> = UserTokens::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|token| token.purpose)
        .collect();
    assert_eq!(purposes, ["verify_email"]);
}

#[tokio::test]
async fn with_two_factor_on_the_link_leads_to_the_second_step() {
    let app = TestApp::spawn().await;
    let enabled = enable_two_factor(&app, "fay@example.com").await;
    sign_out(&app).await;

    ask_for_link(&app, "fay@example.com")
        .await
        .assert_status_ok();
    // The notice of turning it on was an email too.
    let link = emailed_link(&app, "fay@example.com", 2).await;
    let opened = open_link(&app, &link).await;

    passes_only_with_the_second_step(&app, &opened, &enabled).await;
}

#[tokio::test]
async fn asking_for_links_is_rate_limited_and_a_bad_address_is_a_422() {
    let app = TestApp::spawn().await;
    app.create_user("gus@example.com", PASSWORD, false).await;
    let token = app.form_token(paths::SignInLink).await;

    let bad = app
        .post_with_token(paths::SignInLink, &token, &[("email", "not an address")])
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html(&bad), "#field-link-email-error").is_empty());

    for _ in 0..5 {
        app.post_with_token(paths::SignInLink, &token, &[("email", "gus@example.com")])
            .await
            .assert_status_ok();
    }
    let limited = app
        .post_with_token(paths::SignInLink, &token, &[("email", "gus@example.com")])
        .await;
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Five asked, but an inbox gets its hourly share of mail (three) and no more.
    app.wait_for_mail("gus@example.com", 3).await;
    assert_eq!(app.all_mail().await.len(), 3);
}

#[tokio::test]
async fn a_signed_in_visitor_is_sent_home_from_the_link_pages() {
    let app = TestApp::spawn().await;
    app.create_user("hal@example.com", PASSWORD, false).await;
    app.sign_in("hal@example.com", PASSWORD).await;

    let page = app.get(paths::SignInLink).await;

    page.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&page), paths::Home.to_string());
}

#[tokio::test]
async fn links_opened_at_the_same_moment_each_work_once() {
    // Found and deleted in one statement: no "database is locked" for a transaction that read
    // first (SQLite), and of two requests with one link, one wins.
    let app = TestApp::spawn().await;
    let other = app.second_client();
    let twin = app.second_client();
    for email in ["ivy@example.com", "jo@example.com"] {
        app.create_user(email, PASSWORD, false).await;
        ask_for_link(&app, email).await.assert_status_ok();
    }
    let ivy = emailed_link(&app, "ivy@example.com", 1).await;
    let jo = emailed_link(&app, "jo@example.com", 1).await;
    let (ivy_csrf, jo_csrf, twin_csrf) = (
        app.form_token(&ivy).await,
        other.form_token(&jo).await,
        twin.form_token(&ivy).await,
    );

    let (ivy_form, jo_form) = ([("token", token_of(&ivy))], [("token", token_of(&jo))]);
    let (a, b, c) = tokio::join!(
        app.post_with_token(paths::OpenSignInLink, &ivy_csrf, &ivy_form),
        other.post_with_token(paths::OpenSignInLink, &jo_csrf, &jo_form),
        twin.post_with_token(paths::OpenSignInLink, &twin_csrf, &ivy_form),
    );

    b.assert_status(StatusCode::SEE_OTHER);
    let mut ivy_answers = [a.status_code(), c.status_code()];
    ivy_answers.sort();
    assert_eq!(ivy_answers, [StatusCode::SEE_OTHER, StatusCode::NOT_FOUND]);
    assert!(is_signed_in(&other).await);
    assert!(is_signed_in(&app).await != is_signed_in(&twin).await);
}
