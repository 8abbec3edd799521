//! Sign-in with another provider in a real browser: Chromium goes from the sign-in page to the
//! OpenID provider of `oauth.rs` (its own login and consent pages) and back, signed in. See
//! `browser.rs` for the harness and how to run these.

use fantoccini::Locator;

use crate::{
    browser::{Browser, LiveApp},
    oauth::{Keys, Provider, start_provider, with_provider},
};

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn sign_up_through_the_providers_login_and_consent_pages() {
    // The provider sends people back to this app's own address, known once it has a port.
    let mut provider: Option<Provider> = None;
    let app = LiveApp::start_with(|config| {
        let redirect_uri = format!("{}/login/oauth/test/callback", config.server.public_url);
        let started = start_provider(&redirect_uri, Keys::Own);
        with_provider(config, &started.issuer);
        provider = Some(started);
    })
    .await;
    let browser = Browser::open(&app.url).await;
    browser.visit("/login").await;
    let button = browser.wait_for("[data-testid=providers] button").await;
    assert_eq!(
        button.text().await.expect("a text"),
        "Continue with Test ID"
    );
    button.click().await.expect("pressed");

    // The provider's pages: who you are, then whether the app may know it.
    let login = browser.wait_for("input[name=login]").await;
    login.send_keys("nina@example.com").await.expect("typed");
    let password = browser.wait_for("input[name=password]").await;
    password.send_keys("anything").await.expect("typed");
    browser
        .wait_for("button[type=submit]")
        .await
        .click()
        .await
        .expect("signed in at the provider");
    browser
        .wait_for("input[name=prompt][value=consent] ~ button")
        .await
        .click()
        .await
        .expect("consented");

    // Back at the app, signed in to a new account.
    browser.wait_for_signed_in().await;
    browser.visit("/account/connections").await;
    let listed = browser.wait_for("[data-testid=connections]").await;
    let text = listed.text().await.expect("a text");
    assert!(text.contains("Test ID"), "{text}");
    assert!(text.contains("nina@example.com"), "{text}");
    let page = browser
        .client
        .find(Locator::Css("main"))
        .await
        .expect("main");
    assert!(
        page.text()
            .await
            .expect("a text")
            .contains("Connect an account")
    );

    browser.close().await;
    app.stop().await;
    drop(provider);
}
