//! Passkeys in a real browser: Chromium's virtual authenticator (the WebDriver extension for
//! WebAuthn that chromedriver implements) plays the phone, with its screen lock passed. See
//! `browser.rs` for the harness and how to run these.

use std::str::FromStr;

use fantoccini::{Locator, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use webauthn_rs::prelude::Url;

use crate::browser::{Browser, LiveApp};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn add_a_passkey_then_sign_in_with_it_without_a_password_then_remove_it() {
    let app = LiveApp::start().await;
    let email = "keyholder@example.com";
    app.app.create_user(email, PASSWORD, false).await;
    let browser = Browser::open(&app.url).await;
    let authenticator = browser.add_virtual_authenticator().await;
    browser.sign_in(email, PASSWORD).await;
    browser.wait_for_signed_in().await;

    // The first passkey turns two-factor sign-in on: the recovery codes are shown once.
    browser.visit("/account").await;
    browser
        .wait_for("a[href='/account/passkeys']")
        .await
        .click()
        .await
        .expect("followed the link");
    browser.wait_for("[data-testid=no-passkeys]").await;
    browser.fill("input[name=name]", "Test phone").await;
    browser.fill("#add-current_password", PASSWORD).await;
    browser.click("form[data-passkey=add] button").await;
    let codes = browser.wait_for("[data-testid=recovery-codes]").await;
    let items = codes.find_all(Locator::Css("li")).await.expect("the codes");
    assert_eq!(items.len(), 10);
    let stored = browser.authenticator_credentials(&authenticator).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["isResidentCredential"], json!(true), "{stored:?}");

    browser.visit("/account/passkeys").await;
    let listed = browser.wait_for("[data-testid=passkeys] h2").await;
    assert_eq!(listed.text().await.expect("a text"), "Test phone");

    // Signed out, the sign-in page's email field offers the passkey, which the virtual
    // authenticator picks at once: signed in without an address or a password.
    browser.sign_out().await;
    browser.visit("/login").await;
    browser.wait_for_signed_in().await;
    browser.visit("/account/passkeys").await;
    let used = browser.wait_for("[data-testid=passkeys] p").await;
    assert!(
        used.text().await.expect("a text").contains("last used"),
        "the sign-in was not recorded"
    );

    // Where the browser offers no passkeys in the field, the button signs in.
    browser.sign_out().await;
    browser.open_sign_in_without_autofill().await;
    browser.click("form[data-passkey=sign-in] button").await;
    browser.wait_for_signed_in().await;

    // The password now leads to the second step, which the passkey passes.
    browser.sign_out().await;
    browser.open_sign_in_without_autofill().await;
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("main form button[type=submit]").await;
    browser.click("form[data-passkey=second-step] button").await;
    browser.wait_for_signed_in().await;

    // Removing it needs the password; then two-factor is off, and the list is empty.
    browser.visit("/account/passkeys").await;
    browser.click("[data-testid=passkeys] summary").await;
    browser
        .fill(
            "[data-testid=passkeys] input[name=current_password]",
            PASSWORD,
        )
        .await;
    browser
        .click("[data-testid=passkeys] button[type=submit]")
        .await;
    browser.wait_for("[data-testid=no-passkeys]").await;
    browser.visit("/account").await;
    let status = browser.wait_for("[data-testid=two-factor-status]").await;
    assert_eq!(status.text().await.expect("a text").trim(), "off");

    browser.close().await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn the_email_field_offers_nothing_but_the_button_says_why_without_a_passkey() {
    let app = LiveApp::start().await;
    let browser = Browser::open(&app.url).await;
    // An authenticator with no passkey of this site: the request finds nothing to sign with.
    browser.add_virtual_authenticator().await;
    browser.visit("/login").await;
    let field = browser.wait_for("input[name=email]").await;
    assert_eq!(
        field.attr("autocomplete").await.expect("an attribute"),
        Some("username webauthn".to_owned())
    );
    browser.click("form[data-passkey=sign-in] button").await;
    let message = browser
        .wait_for("form[data-passkey=sign-in] [data-passkey-message]:not([hidden])")
        .await;
    assert!(
        !message.text().await.expect("a text").is_empty(),
        "no word on why the passkey did not sign in"
    );
    browser.wait_for("header a[href='/login']").await;

    browser.close().await;
    app.stop().await;
}

/// A virtual authenticator of the browser session, by its id.
struct VirtualAuthenticator(String);

/// A command of WebDriver's WebAuthn extension (fantoccini has none built in).
#[derive(Debug)]
struct WebAuthnCommand {
    /// After `/session/{id}/webauthn/`.
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, <Url as FromStr>::Err> {
        let session = session.unwrap_or_default();
        base.join(&format!("session/{session}/webauthn/{}", self.path))
    }

    fn method_and_body(&self, _: &Url) -> (axum::http::Method, Option<String>) {
        match &self.body {
            Some(body) => (axum::http::Method::POST, Some(body.to_string())),
            None => (axum::http::Method::GET, None),
        }
    }
}

impl Browser {
    /// A platform authenticator that keeps discoverable credentials and whose user always
    /// passes its check (the fingerprint, the PIN), as a phone with a screen lock.
    async fn add_virtual_authenticator(&self) -> VirtualAuthenticator {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
            "isUserConsenting": true,
        });
        let added = self
            .client
            .issue_cmd(WebAuthnCommand {
                path: "authenticator".to_owned(),
                body: Some(options),
            })
            .await
            .expect("chromedriver added a virtual authenticator");
        VirtualAuthenticator(added.as_str().expect("an authenticator id").to_owned())
    }

    /// The credentials the authenticator holds.
    async fn authenticator_credentials(&self, authenticator: &VirtualAuthenticator) -> Vec<Value> {
        let listed = self
            .client
            .issue_cmd(WebAuthnCommand {
                path: format!("authenticator/{}/credentials", authenticator.0),
                body: None,
            })
            .await
            .expect("chromedriver listed the credentials");
        listed.as_array().cloned().unwrap_or_default()
    }

    /// Opens the sign-in page (through the header's link, as htmx swaps pages) in a browser
    /// that says it cannot offer passkeys in form fields, as some do not.
    async fn open_sign_in_without_autofill(&self) {
        self.visit("/").await;
        self.client
            .execute(
                "PublicKeyCredential.isConditionalMediationAvailable = async () => false;",
                vec![],
            )
            .await
            .expect("ran a script");
        self.click("header nav > ul a[href='/login']").await;
        self.wait_for("form[data-passkey=sign-in]").await;
    }

    async fn click(&self, selector: &str) {
        self.wait_for(selector)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("could not click {selector}: {error}"));
    }
}
