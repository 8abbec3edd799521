//! `doctor`: every finding, against the test's real database and SMTP server.

use secrecy::SecretString;

use crate::app::{
    config::{Config, Environment, LogFormat, MailTransport},
    db,
    doctor::{self, Finding, Process, Verdict},
    session,
};
use crate::helpers::TestApp;
use crate::https::Certificate;

/// An optimized build without live reload, `RUST_LOG` unset: what a deployment runs.
fn release_build() -> Process {
    Process {
        optimized_build: true,
        livereload: false,
        rust_log: None,
    }
}

/// A production configuration with nothing to fix, on this test's database and SMTP server.
fn sound_production(app: &TestApp) -> Config {
    let mut config = app.state.config.clone();
    config.environment = Environment::Production;
    config.secret_key = SecretString::from(session::generate_secret_key());
    config.session.secure_cookie = true;
    config.server.hsts = true;
    config.server.public_url = "https://example.com".to_owned();
    config.mail.contact_to = "owner@example.com".to_owned();
    config.log.level = "info".to_owned();
    config.log.format = LogFormat::Json;
    config
}

/// The findings of `check` that are problems, as "problem — fix".
fn problems(findings: &[Finding], check: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|finding| finding.check == check)
        .filter_map(|finding| match &finding.verdict {
            Verdict::Problem(problem) => Some(format!("{} — {}", problem.problem, problem.fix)),
            _ => None,
        })
        .collect()
}

fn warnings(findings: &[Finding], check: &str) -> usize {
    findings
        .iter()
        .filter(|finding| finding.check == check && matches!(finding.verdict, Verdict::Warning(_)))
        .count()
}

fn ok(findings: &[Finding], check: &str) -> String {
    findings
        .iter()
        .find_map(|finding| match &finding.verdict {
            Verdict::Ok(seen) if finding.check == check => Some(seen.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ok finding for {check}: {findings:#?}"))
}

#[tokio::test]
async fn a_sound_production_configuration_passes_every_check() {
    let app = TestApp::spawn().await;
    let config = sound_production(&app);

    let findings = doctor::examine(&config, &release_build()).await;

    assert!(
        findings
            .iter()
            .all(|finding| matches!(finding.verdict, Verdict::Ok(_))),
        "{findings:#?}"
    );
    assert!(doctor::passed(&findings));
    assert_eq!(
        ok(&findings, "database"),
        format!("connected to {}", app.backend().name())
    );
    assert!(ok(&findings, "migrations").starts_with("all "));
    assert!(ok(&findings, "mail").ends_with("answered"));
    app.stop().await;
}

#[tokio::test]
async fn insecure_production_settings_are_problems_each_with_its_fix() {
    let app = TestApp::spawn().await;
    let mut config = sound_production(&app);
    config.secret_key = app.state.config.secret_key.clone();
    config.session.secure_cookie = false;
    config.mail.transport = MailTransport::Outbox;
    config.mail.contact_to = "owner@localhost".to_owned();
    config.server.public_url = "http://localhost:8000".to_owned();

    let findings = doctor::examine(&config, &release_build()).await;

    assert!(!doctor::passed(&findings));
    let secret = problems(&findings, "secret_key");
    assert_eq!(secret.len(), 1, "{findings:#?}");
    assert!(secret[0].contains("development default — set APP_SECRET_KEY"));
    assert!(
        problems(&findings, "session.secure_cookie")[0].contains("APP_SESSION__SECURE_COOKIE=true")
    );
    assert!(problems(&findings, "mail.transport")[0].contains("APP_MAIL__TRANSPORT=smtp"));
    assert_eq!(problems(&findings, "mail.contact_to").len(), 1);
    assert_eq!(problems(&findings, "server.public_url").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_short_secret_key_is_a_problem() {
    let app = TestApp::spawn().await;
    let mut config = sound_production(&app);
    config.secret_key = SecretString::from("too-short");

    let findings = doctor::examine(&config, &release_build()).await;

    let secret = problems(&findings, "secret_key");
    assert!(secret[0].contains("is 9 bytes long"), "{secret:?}");
    app.stop().await;
}

#[tokio::test]
async fn outside_production_what_production_refuses_is_only_a_warning() {
    let app = TestApp::spawn().await;
    let config = app.state.config.clone();
    assert_eq!(config.environment, Environment::Test);

    let findings = doctor::examine(&config, &Process::current()).await;

    assert_eq!(warnings(&findings, "secret_key"), 1, "{findings:#?}");
    assert!(
        problems(&findings, "build").is_empty(),
        "debug builds are fine here"
    );
    assert!(doctor::passed(&findings));
    app.stop().await;
}

#[tokio::test]
async fn debug_output_in_production_is_a_problem() {
    let app = TestApp::spawn().await;
    let mut config = sound_production(&app);
    config.log.format = LogFormat::Pretty;
    let debug_build = Process {
        optimized_build: false,
        livereload: true,
        rust_log: Some("info,tower_http=debug".to_owned()),
    };

    let findings = doctor::examine(&config, &debug_build).await;
    config.log.level = "trace".to_owned();
    let from_settings = doctor::examine(&config, &release_build()).await;

    let build = problems(&findings, "build");
    assert_eq!(build.len(), 2, "{findings:#?}");
    assert!(build[0].contains("debug build"));
    assert!(build[0].contains("deploy the binary `just build` makes"));
    assert!(build[1].contains("livereload"));
    assert!(problems(&findings, "log.level")[0].contains("RUST_LOG is `info,tower_http=debug`"));
    assert_eq!(warnings(&findings, "log.format"), 1);
    assert!(problems(&from_settings, "log.level")[0].contains("APP_LOG__LEVEL=info"));
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_database_is_a_problem_and_skips_the_migrations() {
    let app = TestApp::spawn().await;
    let mut config = sound_production(&app);
    // Nothing listens on port 1.
    config.database.url = SecretString::from("postgres://app@127.0.0.1:1/app");
    config.database.connect_timeout_secs = 2;

    let findings = doctor::examine(&config, &release_build()).await;

    let database = problems(&findings, "database");
    assert!(
        database[0].starts_with("could not open the Postgres database: "),
        "{database:?}"
    );
    assert!(database[0].contains("APP_DATABASE__URL"));
    assert!(findings.iter().all(|finding| finding.check != "migrations"));
    app.stop().await;
}

#[tokio::test]
async fn pending_migrations_are_a_problem_unless_applied_at_start() {
    let app = TestApp::spawn().await;
    let status = db::migration_status(app.db()).await.unwrap();
    let (last, _) = status.last().unwrap().clone();
    db::migrate_down(app.db(), 1).await.unwrap();
    let mut config = sound_production(&app);
    config.database.migrate_on_start = false;

    let findings = doctor::examine(&config, &release_build()).await;
    config.database.migrate_on_start = true;
    let migrating_at_start = doctor::examine(&config, &release_build()).await;

    let migrations = problems(&findings, "migrations");
    assert!(
        migrations[0].starts_with(&format!("1 pending: {last}")),
        "{migrations:?}"
    );
    assert!(migrations[0].contains("run `migrate up`"));
    assert!(ok(&migrating_at_start, "migrations").contains("applied at start"));
    app.stop().await;
}

#[tokio::test]
async fn an_smtp_server_that_does_not_answer_is_a_problem() {
    let app = TestApp::spawn().await;
    let mut config = sound_production(&app);
    // A port that was free a moment ago: nothing answers there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.mail.smtp.port = closed.local_addr().unwrap().port();
    drop(closed);

    let findings = doctor::examine(&config, &release_build()).await;

    let mail = problems(&findings, "mail");
    assert!(mail[0].contains("did not answer"), "{mail:?}");
    assert!(mail[0].contains("APP_MAIL__SMTP__PASSWORD"));
    app.stop().await;
}

#[tokio::test]
async fn https_needs_a_certificate_and_key_that_load_and_hsts() {
    let app = TestApp::spawn().await;
    let certificate = Certificate::new();
    let mut config = sound_production(&app);
    config.server.tls.enabled = true;
    config.server.tls.cert_file = certificate.path("cert.pem");
    config.server.tls.key_file = certificate.path("key.pem");

    let loads = doctor::examine(&config, &release_build()).await;
    config.server.hsts = false;
    let without_hsts = doctor::examine(&config, &release_build()).await;
    config.server.tls.key_file = certificate.path("cert.pem");
    let wrong_key = doctor::examine(&config, &release_build()).await;

    assert!(ok(&loads, "https").contains("loads"));
    assert_eq!(
        warnings(&without_hsts, "server.hsts"),
        1,
        "{without_hsts:#?}"
    );
    let tls = problems(&wrong_key, "server.tls");
    assert!(
        tls[0].contains("could not load the TLS certificate"),
        "{tls:?}"
    );
    app.stop().await;
}
