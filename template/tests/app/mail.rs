//! Mail outside the account flows: `app mail test` through a real SMTP server, and the development
//! outbox at `/dev/mail`.

use std::process::Output;

use axum::http::{StatusCode, header};

use crate::{
    APP_BINARY,
    app::{config::MailTransport, mail::emails::TestMessage},
    helpers::{TEST_PEER, TestApp, html, select, select_one, text_of, use_development_outbox},
    smtp,
};

/// Runs the app's executable in the test environment, sending mail to 127.0.0.1:`smtp_port`
/// (set in full: the variables win over a developer's `.env`).
async fn run_app(smtp_port: u16, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(APP_BINARY);
    command
        .args(args)
        .env("APP_ENVIRONMENT", "test")
        .env("APP_MAIL__TRANSPORT", "smtp")
        .env("APP_MAIL__SMTP__HOST", "127.0.0.1")
        .env("APP_MAIL__SMTP__SECURITY", "none")
        .env("APP_MAIL__SMTP__PORT", smtp_port.to_string());
    // Blocking wait on the blocking pool: the SMTP server keeps running on this test's runtime.
    tokio::task::spawn_blocking(move || command.output().expect("the app's executable runs"))
        .await
        .expect("joined")
}

#[tokio::test]
async fn mail_test_command_sends_a_message_over_smtp() {
    let (port, inbox) = smtp::start().await;

    let output = run_app(port, &["mail", "test", "ops@example.com"]).await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("sent a test email to ops@example.com through 127.0.0.1"),
        "{stdout}"
    );
    let mail = inbox.wait_for("ops@example.com", 1).await;
    assert!(
        mail.subject().starts_with("Test email from"),
        "{}",
        mail.subject()
    );
    assert!(mail.subject().ends_with("(test)"), "{}", mail.subject());
    assert!(mail.text().contains("Its mail settings work."));
    assert!(mail.html().contains("Mail works"));
}

#[tokio::test]
async fn mail_test_command_refuses_a_bad_address_and_says_why() {
    let (port, inbox) = smtp::start().await;

    let output = run_app(port, &["mail", "test", "not an address"]).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("not an email address"), "{stderr}");
    assert!(inbox.all().is_empty());
}

#[tokio::test]
async fn mail_test_command_names_an_unreachable_server() {
    // A port nothing listens on: bind one, then free it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bound");
        listener.local_addr().expect("an address").port()
    };

    let output = run_app(port, &["mail", "test", "ops@example.com"]).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("could not send the test email to ops@example.com"),
        "{stderr}"
    );
    assert!(stderr.contains("SMTP failed"), "{stderr}");
}

/// The app in development with the outbox transport, writing into a temporary folder.
async fn app_with_outbox(outbox: &tempfile::TempDir) -> TestApp {
    TestApp::spawn_with(|config| use_development_outbox(config, outbox.path())).await
}

fn test_message(app: &TestApp) -> TestMessage {
    TestMessage {
        app_name: "Outbox Test".to_owned(),
        environment: "development".to_owned(),
        home_link: app.state.mailer.link("/"),
    }
}

#[tokio::test]
async fn the_app_sends_html_and_text_with_absolute_links_over_smtp() {
    let app = TestApp::spawn_with(|config| {
        config.server.public_url = "https://app.example.com".to_owned();
    })
    .await;

    app.state
        .mailer
        .send("reader@example.com", &test_message(&app))
        .await
        .expect("sent");

    let mail = app.mail.wait_for("reader@example.com", 1).await;
    assert_eq!(mail.to, ["reader@example.com"]);
    assert_eq!(mail.link_to("/"), "/");
    assert!(
        mail.text()
            .contains("Open the app: https://app.example.com/")
    );
    assert!(mail.html().contains(r#"href="https://app.example.com/""#));
    app.stop().await;
}

#[tokio::test]
async fn dev_mail_lists_the_outbox_with_links_and_the_html_part() {
    let outbox = tempfile::tempdir().expect("a temporary folder");
    let app = app_with_outbox(&outbox).await;
    let empty = app.get("/dev/mail").await;
    empty.assert_status_ok();
    assert!(select(&html(&empty), "[data-testid=mail]").is_empty());

    app.state
        .mailer
        .send("reader@example.com", &test_message(&app))
        .await
        .expect("written to the outbox");

    let page = app.get("/dev/mail").await;
    page.assert_status_ok();
    let document = html(&page);
    let cards = select(&document, "[data-testid=mail]");
    assert_eq!(cards.len(), 1);
    assert_eq!(
        text_of(&document, "[data-testid=mail] h2"),
        "Test email from Outbox Test (development)"
    );
    assert!(text_of(&document, "[data-testid=mail]").contains("reader@example.com"));
    let frame = select_one(&document, "[data-testid=mail] iframe");
    assert_eq!(frame.value().attr("sandbox"), Some(""));
    let src = frame.value().attr("src").expect("a src").to_owned();

    let part = app.get(&src).await;
    part.assert_status_ok();
    assert!(part.text().contains("Mail works"));
    let csp = part.header(header::CONTENT_SECURITY_POLICY);
    assert!(csp.to_str().expect("ascii").contains("default-src 'none'"));
    app.stop().await;
}

#[tokio::test]
async fn dev_mail_answers_this_machine_only() {
    let outbox = tempfile::tempdir().expect("a temporary folder");
    let app = app_with_outbox(&outbox).await;

    let here = app
        .server
        .get("/dev/mail")
        .add_header(TEST_PEER, "127.0.0.1:4000")
        .await;
    let another_device = app
        .server
        .get("/dev/mail")
        .add_header(TEST_PEER, "192.168.1.20:4000")
        .await;
    // A development server left behind a proxy: the connection is local, the visitor is not.
    let through_a_proxy = app
        .server
        .get("/dev/mail")
        .add_header(TEST_PEER, "127.0.0.1:4000")
        .add_header("x-forwarded-for", "203.0.113.9")
        .await;

    here.assert_status_ok();
    another_device.assert_status_not_found();
    through_a_proxy.assert_status_not_found();
    app.stop().await;
}

#[tokio::test]
async fn dev_mail_refuses_names_outside_the_outbox() {
    let outbox = tempfile::tempdir().expect("a temporary folder");
    let app = app_with_outbox(&outbox).await;

    let too_long = "a".repeat(2000);
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "not-hex-zz",
        "0123abcd",
        &too_long,
    ] {
        let response = app.get(&format!("/dev/mail/{id}/html")).await;
        assert_eq!(response.status_code(), StatusCode::NOT_FOUND, "{id}");
    }
    app.stop().await;
}

#[tokio::test]
async fn dev_mail_exists_in_development_only() {
    let app = TestApp::spawn_with(|config| {
        config.mail.transport = MailTransport::Outbox;
    })
    .await;

    let response = app.get("/dev/mail").await;

    assert_eq!(response.status_code(), StatusCode::NOT_FOUND);
    app.stop().await;
}
