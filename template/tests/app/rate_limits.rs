//! Rate limits as clients meet them, on the contact form: per network (an IPv6 /64 is one), and
//! an address taken from a proxy's header only when that proxy is trusted.

use axum::http::StatusCode;

use crate::{
    app::paths,
    helpers::{TEST_PEER, TestApp},
};

/// Sends a contact message from `peer` (and `email`), with any extra headers; the answer's status.
async fn contact_from(
    app: &TestApp,
    peer: &str,
    email: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let token = app.form_token(paths::Contact).await;
    let mut request = app
        .server
        .post(&paths::Contact.to_string())
        .add_header("accept", "text/html")
        .add_header(TEST_PEER, peer);
    for (name, value) in headers {
        request = request.add_header(*name, *value);
    }
    let fields = [
        ("csrf_token", token.as_str()),
        ("name", "Ada"),
        ("email", email),
        ("message", "Hello"),
    ];
    request.form(&fields).await.status_code()
}

/// How many of `statuses` were messages sent, and whether the others were all 429s.
fn sent_and_refused(statuses: &[StatusCode]) -> (usize, bool) {
    let sent = statuses
        .iter()
        .filter(|status| **status == StatusCode::SEE_OTHER)
        .count();
    let refused = statuses[sent..]
        .iter()
        .all(|status| *status == StatusCode::TOO_MANY_REQUESTS);
    (sent, refused)
}

#[tokio::test]
async fn a_burst_of_contact_messages_from_one_address_is_cut_short() {
    let app = TestApp::spawn().await;

    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(contact_from(&app, "198.51.100.7:4000", "ada@example.com", &[]).await);
    }

    // 5 a minute for one email from one network.
    assert_eq!(sent_and_refused(&statuses), (5, true));
    assert_eq!(app.all_mail().await.len(), 5);
    let elsewhere = contact_from(&app, "203.0.113.9:4000", "ada@example.com", &[]).await;
    assert_eq!(elsewhere, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_address_of_one_ipv6_64_counts_as_one_client() {
    let app = TestApp::spawn().await;

    let mut statuses = Vec::new();
    for n in 1..=14 {
        let rotated = format!("[2001:db8:1:2:{n:x}::{n:x}]:4000");
        let email = format!("{n}@example.com");
        statuses.push(contact_from(&app, &rotated, &email, &[]).await);
    }

    // 10 every 3 minutes from one network, whatever the email.
    assert_eq!(sent_and_refused(&statuses), (10, true));
    let next_64 = contact_from(&app, "[2001:db8:1:3::1]:4000", "x@example.com", &[]).await;
    assert_eq!(next_64, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    let app = TestApp::spawn_with(|config| {
        config.server.client_ip_header = "x-forwarded-for".to_owned();
        config.server.trusted_proxies = vec!["10.0.0.5/32".parse().unwrap()];
    })
    .await;

    // Someone reaching the app directly writes a new address in the header each time.
    let mut spoofed = Vec::new();
    for n in 1..=12 {
        let email = format!("{n}@example.com");
        let header = format!("198.51.100.{n}");
        let forwarded = [("x-forwarded-for", header.as_str())];
        spoofed.push(contact_from(&app, "203.0.113.9:4000", &email, &forwarded).await);
    }
    // Twelve visitors behind the proxy, each with their own address.
    let mut proxied = Vec::new();
    for n in 1..=12 {
        let email = format!("{n}@example.com");
        let header = format!("192.0.2.{n}");
        let forwarded = [("x-forwarded-for", header.as_str())];
        proxied.push(contact_from(&app, "10.0.0.5:4000", &email, &forwarded).await);
    }

    assert_eq!(sent_and_refused(&spoofed), (10, true), "counted as one");
    assert_eq!(sent_and_refused(&proxied), (12, true), "counted apart");
}
