//! The account flows in a real browser (see `browser.rs` for the harness and how to run them):
//! each is one person's whole journey, through the development outbox at `/dev/mail`.

use std::time::Duration;

use fantoccini::{Locator, elements::Element};

use crate::{
    browser::{Browser, LiveApp},
    two_factor::{authenticator, code_of},
};

const PASSWORD: &str = "correct horse battery staple";

/// The link matching `selector` in the development outbox (`/dev/mail`), reloaded until the
/// email is there: emails go out after the answer, through the queue.
async fn link_in_outbox(browser: &Browser, selector: &str) -> Element {
    for _ in 0..50 {
        browser.visit("/dev/mail").await;
        if let Ok(link) = browser.client.find(Locator::Css(selector)).await {
            return link;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no email with {selector} reached the outbox");
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn register_confirm_from_the_outbox_then_sign_out_and_in() {
    let app = LiveApp::start().await;
    let browser = Browser::open(&app.url).await;
    let email = "new.reader@example.com";

    // Register: htmx swaps the form for "check your inbox".
    browser.visit("/register").await;
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.submit().await;
    browser.wait_for("[data-testid=check-inbox]").await;

    // The confirmation link, from the development outbox.
    link_in_outbox(
        &browser,
        "[data-testid=mail] a[href*='/verify-email?token=']",
    )
    .await
    .click()
    .await
    .expect("followed the link");
    let shown = browser.wait_for("[data-testid=verify-email]").await;
    assert_eq!(shown.text().await.expect("a text"), email);
    browser.fill("input[name=password]", PASSWORD).await;
    browser.submit().await;
    browser.wait_for_signed_in().await;

    browser.sign_out().await;
    browser.sign_in(email, PASSWORD).await;
    browser.wait_for_signed_in().await;
    browser.sign_out().await;

    browser.close().await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn sign_in_with_a_link_from_the_outbox_without_the_password() {
    let app = LiveApp::start().await;
    let email = "linked@example.com";
    app.app.create_user(email, PASSWORD, false).await;
    let browser = Browser::open(&app.url).await;

    // The second form of the sign-in page, answered in place by htmx.
    browser.visit("/login").await;
    browser.fill("#field-link-email", email).await;
    browser
        .wait_for("form[action='/login/link'] button[type=submit]")
        .await
        .click()
        .await
        .expect("asked for a link");
    browser.wait_for("[data-testid=check-inbox]").await;
    assert!(
        browser
            .client
            .find(Locator::Css("input[name=password]"))
            .await
            .is_ok(),
        "only the link form was replaced"
    );

    link_in_outbox(
        &browser,
        "[data-testid=mail] a[href*='/login/link/open?token=']",
    )
    .await
    .click()
    .await
    .expect("followed the link");
    let shown = browser.wait_for("[data-testid=sign-in-link-email]").await;
    assert_eq!(shown.text().await.expect("a text"), email);
    browser.submit().await;
    browser.wait_for_signed_in().await;

    browser.close().await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn forgot_password_reset_from_the_outbox_then_sign_in_with_the_new_one() {
    let app = LiveApp::start().await;
    let email = "forgetful@example.com";
    app.app.create_user(email, PASSWORD, false).await;
    let browser = Browser::open(&app.url).await;
    let new_password = "a brand new passphrase";

    browser.visit("/forgot-password").await;
    browser.fill("input[name=email]", email).await;
    browser.submit().await;
    browser.wait_for("[data-testid=check-inbox]").await;

    link_in_outbox(
        &browser,
        "[data-testid=mail] a[href*='/reset-password?token=']",
    )
    .await
    .click()
    .await
    .expect("followed the link");
    browser.fill("input[name=password]", new_password).await;
    browser.submit().await;
    // Sent to the sign-in page, which confirms the change.
    browser.wait_for("main input[name=email]").await;
    let flash = browser.wait_for("[data-flash-level=success]").await;
    assert!(
        flash
            .text()
            .await
            .expect("a text")
            .contains("password is changed")
    );

    // The old password no longer works; the new one does.
    browser.sign_in(email, PASSWORD).await;
    browser.wait_for("main form [role=alert]").await;
    browser.sign_in(email, new_password).await;
    browser.wait_for_signed_in().await;

    browser.close().await;
    app.stop().await;
}

/// The steps every account flow shares.
#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn two_factor_set_up_from_the_account_page_then_asked_for_at_sign_in() {
    let app = LiveApp::start().await;
    let email = "careful@example.com";
    app.app.create_user(email, PASSWORD, false).await;
    let browser = Browser::open(&app.url).await;
    browser.sign_in(email, PASSWORD).await;
    browser.wait_for_signed_in().await;

    // From the account page to the setup page; the key is read off it as an app would scan it.
    browser.visit("/account").await;
    browser
        .wait_for("a[href='/account/two-factor']")
        .await
        .click()
        .await
        .expect("followed the link");
    let shown = browser.wait_for("[data-testid=totp-secret]").await;
    let key = authenticator(&shown.text().await.expect("a text"));
    browser.fill("input[name=code]", &code_of(&key, 0)).await;
    browser.fill("input[name=current_password]", PASSWORD).await;
    browser.submit().await;
    let codes = browser.wait_for("[data-testid=recovery-codes]").await;
    let items = codes.find_all(Locator::Css("li")).await.expect("the codes");
    assert_eq!(items.len(), 10);

    // Signing in again: the password, then the second step, with the app's next code.
    browser.sign_out().await;
    browser.sign_in(email, PASSWORD).await;
    browser.fill("input[name=code]", &code_of(&key, 1)).await;
    browser.submit().await;
    browser.wait_for_signed_in().await;
    browser.visit("/account").await;
    let status = browser.wait_for("[data-testid=two-factor-status]").await;
    assert_eq!(status.text().await.expect("a text").trim(), "on");

    browser.close().await;
    app.stop().await;
}

impl Browser {
    pub async fn fill(&self, selector: &str, value: &str) {
        let field = self.wait_for(selector).await;
        field.clear().await.expect("cleared");
        field.send_keys(value).await.expect("typed");
    }

    /// Presses the submit button of the page's form.
    async fn submit(&self) {
        self.wait_for("main form button[type=submit]")
            .await
            .click()
            .await
            .expect("clicked");
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        self.visit("/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.submit().await;
    }

    pub async fn wait_for_signed_in(&self) {
        self.wait_for("header a[href='/account']").await;
    }

    /// Presses "Sign out" in the header, and waits for the header to offer signing in.
    pub async fn sign_out(&self) {
        self.wait_for("header nav > ul form[action='/logout'] button")
            .await
            .click()
            .await
            .expect("clicked");
        self.wait_for("header a[href='/login']").await;
    }
}
