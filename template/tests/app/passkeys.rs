//! Passkeys without a browser: the challenges the server makes, and every refusal. The ceremonies
//! with a device answering are in `passkeys_browser.rs` (Chromium's virtual authenticator).

use axum::http::StatusCode;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{
    app::{
        auth::two_factor,
        models::{passkey, recovery_code, user},
        paths,
    },
    helpers::{TestApp, html, select},
    two_factor::{is_signed_in, location, second_step, sign_out},
};

const PASSWORD: &str = "correct horse battery staple";
const NOT_ACCEPTED: &str = "This passkey was not accepted";

/// Signs up `email` and signs in with the password.
async fn signed_in(app: &TestApp, email: &str) -> user::Model {
    let user = app.create_user(email, PASSWORD, false).await;
    app.sign_in(email, PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    user
}

/// A passkey row for `user_id`, as adding one stores it, but with a public key no device holds:
/// for what only looks at the rows (two-factor on or off, the list, removing).
async fn stored_passkey(app: &TestApp, user_id: i64, name: &str) -> passkey::Model {
    passkey::ActiveModel {
        user_id: Set(user_id),
        credential_id: Set(name.as_bytes().to_vec()),
        user_handle: Set(vec![7; 16]),
        name: Set(name.to_owned()),
        credential: Set("{}".to_owned()),
        created_at: Set(OffsetDateTime::now_utc()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("stored a passkey")
}

async fn passkeys_of(app: &TestApp, user_id: i64) -> u64 {
    passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(app.db())
        .await
        .expect("counted")
}

async fn recovery_codes_of(app: &TestApp, user_id: i64) -> u64 {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(app.db())
        .await
        .expect("counted")
}

#[tokio::test]
async fn a_new_passkey_is_asked_of_the_device_as_a_discoverable_key_behind_its_lock() {
    let app = TestApp::spawn().await;
    signed_in(&app, "pk@example.com").await;
    let token = app.form_token(paths::AccountPasskeys).await;

    let answer = app
        .post_with_token(
            paths::AccountPasskeyChallenge,
            &token,
            &[("name", "Phone"), ("current_password", PASSWORD)],
        )
        .await;

    answer.assert_status_ok();
    let options = answer.json::<Value>()["publicKey"].clone();
    let public_url = &app.state.config.server.public_url;
    let host = public_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split([':', '/']).next())
        .unwrap();
    assert_eq!(options["rp"]["id"], host);
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required");
    assert_eq!(selection["requireResidentKey"], true);
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(options["user"]["name"], "pk@example.com");
    // The handle the device keeps is random, 16 bytes: not the row id, not the address.
    let handle = options["user"]["id"].as_str().expect("a handle");
    assert_eq!(URL_SAFE_NO_PAD.decode(handle).expect("base64url").len(), 16);
}

#[tokio::test]
async fn a_new_passkey_needs_a_name_and_the_password() {
    let app = TestApp::spawn().await;
    let user = signed_in(&app, "pw@example.com").await;
    let token = app.form_token(paths::AccountPasskeys).await;

    for fields in [
        [("name", "Phone"), ("current_password", "wrong password")],
        [("name", " "), ("current_password", PASSWORD)],
    ] {
        app.post_with_token(paths::AccountPasskeyChallenge, &token, &fields)
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The script then sends the form as it is, and the page says what is wrong.
    let page = app
        .post_with_token(
            paths::AccountPasskeys,
            &token,
            &[
                ("name", "Phone"),
                ("current_password", "wrong password"),
                ("credential", ""),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("This password is not right."));
    let page = app
        .post_with_token(
            paths::AccountPasskeys,
            &token,
            &[("name", ""), ("current_password", PASSWORD)],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("Name it"));
    assert_eq!(passkeys_of(&app, user.id).await, 0);
}

#[tokio::test]
async fn an_answer_not_from_the_device_is_refused_and_uses_the_challenge_up() {
    let app = TestApp::spawn().await;
    let user = signed_in(&app, "forged@example.com").await;
    let token = app.form_token(paths::AccountPasskeys).await;
    let fields = [("name", "Phone"), ("current_password", PASSWORD)];
    app.post_with_token(paths::AccountPasskeyChallenge, &token, &fields)
        .await
        .assert_status_ok();

    let forged = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#;
    let mut answer = fields.to_vec();
    answer.push(("credential", forged));
    let refused = app
        .post_with_token(paths::AccountPasskeys, &token, &answer)
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains(NOT_ACCEPTED), "{}", refused.text());

    // The challenge went with that answer: the same one again has nothing to match.
    let again = app
        .post_with_token(paths::AccountPasskeys, &token, &answer)
        .await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains("Your browser did not make a passkey"));
    assert_eq!(passkeys_of(&app, user.id).await, 0);
    assert_eq!(recovery_codes_of(&app, user.id).await, 0);
}

#[tokio::test]
async fn signing_in_with_a_passkey_takes_a_challenge_and_a_real_answer() {
    let app = TestApp::spawn().await;
    app.create_user("nobody@example.com", PASSWORD, false).await;
    let token = app.form_token(paths::SignIn).await;

    // Without a challenge first.
    let refused = app
        .post_with_token(paths::SignInPasskey, &token, &[("credential", "{}")])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains(NOT_ACCEPTED));

    // Any passkey of the site may answer; the device must check its user.
    let challenge = app
        .post_with_token(paths::SignInPasskeyChallenge, &token, &[])
        .await;
    challenge.assert_status_ok();
    let options = challenge.json::<Value>()["publicKey"].clone();
    assert_eq!(options["userVerification"], "required");
    assert!(
        options["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{options}"
    );
    assert!(options["challenge"].as_str().is_some_and(|c| c.len() >= 22));

    let forged = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"BwcHBwcHBwcHBwcHBwcHBw"}}"#;
    let refused = app
        .post_with_token(paths::SignInPasskey, &token, &[("credential", forged)])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains(NOT_ACCEPTED));
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn passkey_challenges_are_rate_limited() {
    let app = TestApp::spawn().await;
    let token = app.form_token(paths::SignIn).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let answer = app
            .post_with_token(paths::SignInPasskeyChallenge, &token, &[])
            .await;
        statuses.push(answer.status_code());
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_passkey_turns_the_second_step_on_and_removing_the_last_turns_it_off() {
    let app = TestApp::spawn().await;
    let user = app.create_user("second@example.com", PASSWORD, false).await;
    stored_passkey(&app, user.id, "Phone").await;
    let codes =
        two_factor::regenerate_recovery_codes(app.db(), &app.state.config.secret_key, user.id)
            .await
            .expect("made recovery codes");

    // The password alone no longer signs in: the second step offers the passkey, and a
    // recovery code for when it is out of reach.
    let first_step = app.sign_in("second@example.com", PASSWORD).await;
    first_step.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&first_step), paths::SignInTwoFactor.to_string());
    assert!(!is_signed_in(&app).await);
    let page = html(&app.get(paths::SignInTwoFactor).await);
    assert_eq!(select(&page, "form[data-passkey=second-step]").len(), 1);
    assert!(
        select(&page, "label[for=field-code]")[0]
            .text()
            .collect::<String>()
            .contains("Recovery code")
    );
    // A passkey answer without its challenge does not pass.
    let token = app.form_token(paths::SignInTwoFactor).await;
    let refused = app
        .post_with_token(
            paths::SignInTwoFactorPasskey,
            &token,
            &[("credential", "{}")],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains(NOT_ACCEPTED));
    second_step(&app, &codes[0])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);

    // Removing it asks for the password.
    let listed = html(&app.get(paths::AccountPasskeys).await);
    assert_eq!(select(&listed, "[data-testid=passkeys] li").len(), 1);
    let key = passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user.id))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let remove = paths::AccountPasskeyRemove { id: key.id };
    let token = app.form_token(paths::AccountPasskeys).await;
    let refused = app
        .post_with_token(&remove, &token, &[("current_password", "wrong password")])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("This password is not right."));
    assert_eq!(passkeys_of(&app, user.id).await, 1);

    app.post_with_token(&remove, &token, &[("current_password", PASSWORD)])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(passkeys_of(&app, user.id).await, 0);
    // The recovery codes went with the last factor: nothing else protected them.
    assert_eq!(recovery_codes_of(&app, user.id).await, 0);
    // After the notice of the recovery code used to sign in.
    let notice = app.wait_for_mail("second@example.com", 2).await;
    assert!(notice.text().contains("The passkey \"Phone\" was removed"));
    assert!(notice.text().contains("turned two-factor sign-in off"));

    sign_out(&app).await;
    app.sign_in("second@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
}

#[tokio::test]
async fn no_one_removes_or_sees_another_accounts_passkey() {
    let app = TestApp::spawn().await;
    let owner = app.create_user("owner@example.com", PASSWORD, false).await;
    let key = stored_passkey(&app, owner.id, "Owner's phone").await;
    signed_in(&app, "other@example.com").await;

    let listed = app.get(paths::AccountPasskeys).await;
    assert!(!listed.text().contains("Owner's phone"));
    let token = app.form_token(paths::AccountPasskeys).await;
    app.post_with_token(
        paths::AccountPasskeyRemove { id: key.id },
        &token,
        &[("current_password", PASSWORD)],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(passkeys_of(&app, owner.id).await, 1);
}

#[tokio::test]
async fn the_passkeys_page_and_its_forms_need_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let page = app.get(paths::AccountPasskeys).await;
    page.assert_status(StatusCode::SEE_OTHER);
    assert!(location(&page).starts_with(&paths::SignIn.to_string()));
    let token = app.form_token(paths::SignIn).await;
    for action in [
        paths::AccountPasskeyChallenge.to_string(),
        paths::AccountPasskeys.to_string(),
        paths::AccountPasskeyRemove { id: 1 }.to_string(),
    ] {
        let answer = app
            .post_with_token(
                &action,
                &token,
                &[("name", "x"), ("current_password", PASSWORD)],
            )
            .await;
        assert_eq!(answer.status_code(), StatusCode::SEE_OTHER, "{action}");
    }
}

#[tokio::test]
async fn passkeys_are_off_when_the_site_is_named_by_an_ip_address() {
    let app = TestApp::spawn_with(|config| {
        config.server.public_url = "http://127.0.0.1:8000".to_owned();
    })
    .await;
    let sign_in = html(&app.get(paths::SignIn).await);
    assert!(select(&sign_in, "form[data-passkey]").is_empty());
    let token = app.form_token(paths::SignIn).await;
    app.post_with_token(paths::SignInPasskeyChallenge, &token, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);

    signed_in(&app, "ip@example.com").await;
    let page = app.get(paths::AccountPasskeys).await;
    page.assert_status_ok();
    assert!(page.text().contains("Passkeys are off on this site"));
    let token = app.form_token(paths::AccountPasskeys).await;
    app.post_with_token(
        paths::AccountPasskeyChallenge,
        &token,
        &[("name", "Phone"), ("current_password", PASSWORD)],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_passkeys_alone_new_recovery_codes_are_made_on_the_passkeys_page() {
    let app = TestApp::spawn().await;
    let user = signed_in(&app, "codes@example.com").await;
    stored_passkey(&app, user.id, "Phone").await;
    let old =
        two_factor::regenerate_recovery_codes(app.db(), &app.state.config.secret_key, user.id)
            .await
            .expect("made recovery codes");
    let page = html(&app.get(paths::AccountPasskeys).await);
    assert_eq!(
        select(&page, "[data-testid=recovery-codes-left]").len(),
        1,
        "no recovery codes card without an authenticator app"
    );

    let token = app.form_token(paths::AccountPasskeys).await;
    app.post_with_token(
        paths::AccountPasskeyRecoveryCodes,
        &token,
        &[("current_password", "wrong password")],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let shown = app
        .post_with_token(
            paths::AccountPasskeyRecoveryCodes,
            &token,
            &[("current_password", PASSWORD)],
        )
        .await;
    shown.assert_status_ok();
    let new: Vec<String> = select(&html(&shown), "[data-testid=recovery-codes] li")
        .iter()
        .map(|code| code.text().collect())
        .collect();
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|code| !old.contains(code)));
    assert_eq!(recovery_codes_of(&app, user.id).await, 10);
    let notice = app.wait_for_mail("codes@example.com", 1).await;
    assert!(notice.text().contains("New recovery codes were made"));
}
