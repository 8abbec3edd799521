//! Security headers, request ids, compression, and the production configuration check.

use secrecy::SecretString;

use crate::{
    app::{
        config::{Config, Environment},
        middleware::CONTENT_SECURITY_POLICY,
        paths,
    },
    helpers::{TestApp, test_config},
};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let page = app.get(paths::Home).await;
    let missing = app.get("/missing").await;
    let stylesheet = app.get("/static/favicon.svg").await;

    for response in [&page, &missing, &stylesheet] {
        assert_eq!(
            response.header("content-security-policy"),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(response.header("x-content-type-options"), "nosniff");
        assert_eq!(
            response.header("referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(response.header("x-frame-options"), "DENY");
        assert!(
            !response.contains_header("strict-transport-security"),
            "no HSTS on plain HTTP"
        );
    }
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
}

#[tokio::test]
async fn hsts_is_sent_when_enabled() {
    let app = TestApp::spawn_with(|config| config.server.hsts = true).await;

    let response = app.get(paths::Home).await;

    assert_eq!(
        response.header("strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn each_response_gets_a_request_id_and_keeps_one_it_was_given() {
    let app = TestApp::spawn().await;

    let first = app.get(paths::Home).await.header("x-request-id");
    let second = app.get(paths::Home).await.header("x-request-id");
    let given = app
        .server
        .get(&paths::Home.to_string())
        .add_header("x-request-id", "from-the-proxy")
        .await
        .header("x-request-id");

    assert_ne!(first, second);
    assert_eq!(given, "from-the-proxy");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;

    let response = app
        .server
        .get(&paths::About.to_string())
        .add_header("accept-encoding", "br, gzip")
        .await;

    response.assert_status_ok();
    assert_eq!(response.header("content-encoding"), "br");
}

#[test]
fn production_refuses_the_development_secret_key_and_insecure_cookies() {
    let mut config = test_config();
    config.environment = Environment::Production;
    config.session.secure_cookie = false;

    let refused = config.check().unwrap_err().to_string();

    assert!(
        refused.contains("secret_key is the development default"),
        "{refused}"
    );
    assert!(refused.contains("secure_cookie"), "{refused}");
}

#[test]
fn production_refuses_a_short_secret_key() {
    let mut config = test_config();
    config.environment = Environment::Production;
    config.session.secure_cookie = true;
    config.secret_key = SecretString::from("too-short");

    let refused = config.check().unwrap_err().to_string();

    assert!(refused.contains("needs at least 64"), "{refused}");
}

#[test]
fn production_accepts_a_real_secret_and_secure_cookies() {
    let mut config = test_config();
    config.environment = Environment::Production;
    config.session.secure_cookie = true;
    config.secret_key = SecretString::from(crate::app::session::generate_secret_key());

    assert!(config.check().is_ok(), "{:?}", config.problems());
}

#[test]
fn the_development_configuration_is_allowed_outside_production() {
    let config = test_config();

    assert!(config.check().is_ok());
}

#[test]
fn a_setting_that_would_break_the_app_is_refused_at_load() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("local.toml");
    std::fs::write(&file, "[session]\ncleanup_interval_secs = 0\n").unwrap();

    let refused = Config::load_for(Environment::Test, Some(&file)).unwrap_err();

    let message = format!("{refused:#}");
    assert!(
        message.contains("session.cleanup_interval_secs must be above 0"),
        "{message}"
    );
}

#[test]
fn a_typo_in_a_section_is_refused_at_load() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("local.toml");
    std::fs::write(&file, "[server]\nprot = 8080\n").unwrap();

    let refused = Config::load_for(Environment::Test, Some(&file)).unwrap_err();

    assert!(
        format!("{refused:#}").contains("unknown field `prot`"),
        "{refused:#}"
    );
}
