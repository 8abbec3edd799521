//! Security headers, request ids, compression, and the production configuration check.

use std::collections::HashSet;

use axum_extra::routing::TypedPath;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use secrecy::SecretString;
use tower_cookies::cookie::CookieJar;

use crate::{
    app::{
        config::{Config, Environment, SmtpSecurity},
        middleware::CONTENT_SECURITY_POLICY,
        paths,
        routes::Routes,
        session::{entity::Entity as Sessions, signing_key},
    },
    helpers::{CsrfFormPage, TestApp, html, shown_tokens, test_config, text_of},
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
async fn each_response_gets_a_request_id_and_keeps_a_proxys() {
    let app = TestApp::spawn().await;

    let first = app.get(paths::Home).await.header("x-request-id");
    let second = app.get(paths::Home).await.header("x-request-id");
    let given = app
        .server
        .get(&paths::Home.to_string())
        .add_header("x-request-id", "proxy-7f3a.42")
        .await
        .header("x-request-id");

    assert_ne!(first, second);
    assert_eq!(given, "proxy-7f3a.42");
}

#[tokio::test]
async fn a_request_id_that_is_not_a_plain_token_is_replaced() {
    let app = TestApp::spawn().await;

    for hostile in ["<script>alert(1)</script>", &"a".repeat(65), "two words"] {
        let id = app
            .server
            .get("/missing")
            .add_header("x-request-id", hostile)
            .await
            .header("x-request-id");

        assert_ne!(id, hostile);
        assert_eq!(id.len(), 36, "a fresh UUID instead of {hostile:?}");
    }
}

async fn session_rows(app: &TestApp) -> u64 {
    Sessions::find().count(app.db()).await.unwrap()
}

#[derive(Debug, TypedPath)]
#[typed_path("/test/submit")]
struct Submit;

async fn submit(_: Submit) -> &'static str {
    "accepted"
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = TestApp::spawn_with_routes(Routes::new().post(submit)).await;
    let token = app.csrf_token().await;

    let cross_site = app
        .server
        .post(&Submit.to_string())
        .add_header("sec-fetch-site", "cross-site")
        .add_header("accept", "text/html")
        .await;
    let same_origin = app
        .server
        .post(&Submit.to_string())
        .add_header("sec-fetch-site", "same-origin")
        .add_header("x-csrf-token", token.as_str())
        .await;
    let other_origin = app
        .server
        .post(&Submit.to_string())
        .add_header("origin", "https://evil.example")
        .add_header("host", "localhost")
        .await;

    cross_site.assert_status_forbidden();
    assert_eq!(text_of(&html(&cross_site), "[data-testid=status]"), "403");
    same_origin.assert_status_ok();
    other_origin.assert_status_forbidden();
}

#[tokio::test]
async fn a_form_carrying_the_visitors_token_is_accepted_and_a_stale_one_refused() {
    let app = TestApp::spawn_with_routes(Routes::new().post(submit)).await;

    let accepted = app.submit(CsrfFormPage, Submit, &[]).await;
    let stale = app
        .post_with_token(Submit, "a-token-from-another-visitor", &[])
        .await;

    accepted.assert_status_ok();
    assert_eq!(accepted.text(), "accepted");
    stale.assert_status_forbidden();
    assert!(stale.text().contains("This form has expired"));
}

#[tokio::test]
async fn a_token_is_accepted_only_with_its_own_signed_cookie() {
    let app = TestApp::spawn_with_routes(Routes::new().post(submit)).await;
    let attacker = app.second_client();
    let attackers_token = attacker.form_token(paths::Contact).await;
    let victims_token = app.csrf_token().await;
    let post = |token: String, cookie: Option<String>| {
        let mut request = app
            .server
            .post(&Submit.to_string())
            .add_header("accept", "text/html")
            .do_not_save_cookies()
            .form(&[("csrf_token", token)]);
        match cookie.as_deref() {
            None => {}
            Some("") => request = request.clear_cookies(),
            Some(cookie) => request = request.clear_cookies().add_header("cookie", cookie),
        }
        request
    };

    // The attacker's own (valid) token, with the victim's cookie.
    post(attackers_token.clone(), None)
        .await
        .assert_status_forbidden();
    // A token without any cookie.
    post(victims_token.clone(), Some(String::new()))
        .await
        .assert_status_forbidden();
    // A cookie the attacker wrote (as a sibling subdomain could), unsigned, with its value.
    post("chosen".to_owned(), Some("csrf=chosen".to_owned()))
        .await
        .assert_status_forbidden();
    // The victim's own token, with their cookie.
    post(victims_token, None).await.assert_status_ok();
}

#[tokio::test]
async fn pages_show_the_token_masked_anew_and_never_as_its_cookie_holds_it() {
    // A compressed page that shows a secret the same way every time gives it away through the
    // responses' sizes (BREACH); masked, the visitor's one token reads differently on each page.
    let app = TestApp::spawn().await;
    let first = app.get(CsrfFormPage).await;
    let second = app.get(CsrfFormPage).await;
    let shown: Vec<String> = [&first, &second]
        .into_iter()
        .flat_map(shown_tokens)
        .collect();
    // The token as its cookie holds it, once the cookie's signature is checked.
    let mut jar = CookieJar::new();
    jar.add_original(first.cookie("csrf"));
    let kept = jar
        .signed(&app.state.session_key)
        .get("csrf")
        .expect("a cookie signed with the app's key")
        .value()
        .to_owned();

    assert!(!shown_tokens(&first).is_empty() && !shown_tokens(&second).is_empty());
    let distinct: HashSet<&String> = shown.iter().collect();
    assert_eq!(distinct.len(), shown.len(), "every token shown differs");
    for page in [&first, &second] {
        assert!(
            !page.text().contains(&kept),
            "the token as the cookie holds it"
        );
    }
    for token in &shown {
        assert!(
            app.accepts_token(token).await,
            "each masked token is the visitor's"
        );
    }
    assert!(!app.accepts_token(&kept).await, "the bare token is refused");
}

#[tokio::test]
async fn showing_forms_writes_no_session_however_many_visitors_ask() {
    let app = TestApp::spawn().await;

    for _ in 0..500 {
        for path in [paths::Contact.to_string(), CsrfFormPage.to_string()] {
            // Each a new visitor, without cookies.
            let response = app.server.get(&path).do_not_save_cookies().await;
            response.assert_status_ok();
            assert!(!response.text().is_empty());
        }
    }

    assert_eq!(session_rows(&app).await, 0);
}

#[test]
fn the_signing_key_uses_the_whole_secret() {
    let mut config = test_config();
    let secret = "0123456789abcdef".repeat(8);
    config.secret_key = SecretString::from(secret.clone());
    let key = signing_key(&config).unwrap();
    // Same first 64 bytes, different end.
    config.secret_key = SecretString::from(format!("{}ffff", &secret[..124]));
    let other = signing_key(&config).unwrap();

    assert_ne!(key.signing(), other.signing());
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it_and_small_answers_are_not() {
    let app = TestApp::spawn().await;
    let asking = |path: String, encodings: &'static str| {
        app.server
            .get(&path)
            .add_header("accept-encoding", encodings)
    };

    // A page rendered for each request (the page cache keeps copies of its own: page_cache.rs).
    let page = asking(paths::Contact.to_string(), "br, gzip").await;
    page.assert_status_ok();
    assert_eq!(page.header("content-encoding"), "gzip");
    let page = asking(paths::Contact.to_string(), "gzip, zstd").await;
    assert_eq!(page.header("content-encoding"), "zstd");

    // A few bytes gain nothing from compression: they fit in one packet either way.
    let health = asking(paths::Health.to_string(), "gzip, zstd").await;
    health.assert_status_ok();
    assert!(health.maybe_header("content-encoding").is_none());
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
    config.server.public_url = "https://example.com".to_owned();
    config.server.hsts = true;
    config.mail.contact_to = "owner@example.com".to_owned();
    config.mail.smtp.host = "smtp.example.com".to_owned();
    config.mail.smtp.security = SmtpSecurity::Starttls;

    assert!(config.check().is_ok(), "{:?}", config.problems());
}

#[test]
fn production_refuses_plain_http_no_hsts_and_plaintext_smtp_to_another_machine() {
    let mut config = test_config();
    config.environment = Environment::Production;
    config.server.public_url = "http://example.com".to_owned();
    config.server.hsts = false;
    config.mail.smtp.host = "smtp.example.com".to_owned();
    config.mail.smtp.security = SmtpSecurity::None;

    let settings: Vec<&str> = config.problems().iter().map(|p| p.setting).collect();

    for setting in ["server.public_url", "server.hsts", "mail.smtp.security"] {
        assert!(settings.contains(&setting), "{setting}: {settings:?}");
    }
    // On this machine, or said out loud, plain connections are allowed.
    config.server.public_url = "http://127.0.0.1:8000".to_owned();
    config.mail.smtp.allow_plaintext = true;
    let settings: Vec<&str> = config.problems().iter().map(|p| p.setting).collect();
    assert!(!settings.contains(&"server.public_url"), "{settings:?}");
    assert!(!settings.contains(&"mail.smtp.security"), "{settings:?}");
    config.mail.smtp.allow_plaintext = false;
    config.mail.smtp.host = "localhost".to_owned();
    let settings: Vec<&str> = config.problems().iter().map(|p| p.setting).collect();
    assert!(!settings.contains(&"mail.smtp.security"), "{settings:?}");
}

#[test]
fn development_refuses_to_listen_beyond_this_machine_unless_told() {
    let mut config = test_config();
    config.environment = Environment::Development;
    config.server.host = "0.0.0.0".parse().unwrap();

    let refused = config.check().unwrap_err().to_string();
    assert!(refused.contains("/dev/mail"), "{refused}");

    config.server.development_on_network = true;
    assert!(config.check().is_ok());
    config.server.development_on_network = false;
    config.server.host = "::1".parse().unwrap();
    assert!(config.check().is_ok());
}

#[test]
fn the_development_configuration_is_allowed_outside_production() {
    let config = test_config();

    assert!(config.check().is_ok());
}

/// Loads the test configuration with `toml` as the `--config` file, and returns why it failed.
fn refusal_of(toml: &str) -> String {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("local.toml");
    std::fs::write(&file, toml).unwrap();
    let refused = Config::load_for(Environment::Test, Some(&file)).unwrap_err();
    format!("{refused:#}")
}

#[test]
fn a_setting_that_would_break_the_app_is_refused_at_load() {
    let refused = refusal_of("[session]\nexpiry_days = 0\n");

    assert!(
        refused.contains("session.expiry_days must be above 0"),
        "{refused}"
    );
}

#[test]
fn a_typo_in_a_section_is_refused_at_load() {
    let refused = refusal_of("[server]\nprot = 8080\n");

    assert!(refused.contains("unknown field `prot`"), "{refused}");
}

#[test]
fn shutdown_must_leave_time_for_the_longest_request() {
    let refused = refusal_of("[server]\nrequest_timeout_secs = 30\nshutdown_timeout_secs = 10\n");

    assert!(
        refused.contains("shutdown_timeout_secs must be at least"),
        "{refused}"
    );
}

#[test]
fn trusted_proxies_are_networks_and_a_header_without_them_is_refused_in_production() {
    let refused = refusal_of("[server]\ntrusted_proxies = [\"not a network\"]\n");
    assert!(refused.contains("trusted_proxies"), "{refused}");

    let mut config = test_config();
    config.environment = Environment::Production;
    config.server.client_ip_header = "x-forwarded-for".to_owned();
    let problems = config.problems();
    assert!(
        problems
            .iter()
            .any(|problem| problem.setting == "server.trusted_proxies"),
        "{problems:?}"
    );
    config.server.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    assert!(
        !config
            .problems()
            .iter()
            .any(|problem| problem.setting == "server.trusted_proxies")
    );
}
