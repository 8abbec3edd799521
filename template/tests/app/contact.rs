//! The contact form: validated in place, and emailed to the site's owner with the visitor's
//! address to reply to.

use axum::http::StatusCode;

use crate::{
    app::paths,
    helpers::{TestApp, html, select, select_one, text_of},
};

const OWNER: &str = "owner@localhost";

#[tokio::test]
async fn the_contact_page_shows_a_labelled_form() {
    let app = TestApp::spawn().await;

    let response = app.get(paths::Contact).await;

    response.assert_status_ok();
    let page = html(&response);
    assert_eq!(text_of(&page, "h1"), "Contact us");
    for field in ["name", "email", "message"] {
        let input = select_one(&page, &format!("[name={field}]"));
        let id = input.attr("id").expect("an id");
        assert_eq!(
            select(&page, &format!("label[for={id}]")).len(),
            1,
            "{field}"
        );
    }
    assert_eq!(select(&page, "nav > ul a[href='/contact']").len(), 1);
}

#[tokio::test]
async fn a_message_is_emailed_to_the_owner_with_the_visitor_to_reply_to() {
    let app = TestApp::spawn().await;

    let response = app
        .submit(
            paths::Contact,
            paths::Contact,
            &[
                ("name", "Ada"),
                ("email", " ada@example.com "),
                ("message", "Your <b>site</b> is lovely.\nCould it do more?"),
                ("website", ""),
            ],
        )
        .await;

    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(response.header("location"), "/contact");
    let mail = app.wait_for_mail(OWNER, 1).await;
    assert!(
        mail.subject().contains("a message from Ada"),
        "{}",
        mail.subject()
    );
    assert!(mail.text().contains("Could it do more?"));
    assert!(
        mail.html()
            .contains("Your &lt;b&gt;site&lt;/b&gt; is lovely.")
    );
    let raw = String::from_utf8_lossy(&mail.raw);
    assert!(raw.contains("Reply-To: ada@example.com"), "{raw}");
    let page = html(&app.get(paths::Contact).await);
    assert!(text_of(&page, "[role=status], [role=alert]").contains("on its way"));
}

#[tokio::test]
async fn a_wrong_message_comes_back_with_its_errors_and_what_was_typed() {
    let app = TestApp::spawn().await;

    let response = app
        .submit(
            paths::Contact,
            paths::Contact,
            &[("name", "  "), ("email", "ada-at-example"), ("message", "")],
        )
        .await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&response);
    assert_eq!(text_of(&page, "#field-name-error"), "Enter your name.");
    assert_eq!(
        text_of(&page, "#field-email-error"),
        "Enter an email address like name@example.com."
    );
    assert_eq!(
        text_of(&page, "#field-message-error"),
        "Write your message."
    );
    let email = select_one(&page, "[name=email]");
    assert_eq!(email.attr("value"), Some("ada-at-example"));
    assert_eq!(email.attr("aria-invalid"), Some("true"));
    assert!(app.all_mail().await.is_empty());
}

#[tokio::test]
async fn an_overlong_message_is_refused_with_its_length() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(5001);

    let response = app
        .submit(
            paths::Contact,
            paths::Contact,
            &[
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("message", &long),
            ],
        )
        .await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&response);
    assert!(text_of(&page, "#field-message-error").contains("5001 now"));
    assert_eq!(text_of(&page, "textarea[name=message]"), long);
}

#[tokio::test]
async fn a_robot_filling_the_hidden_field_gets_the_same_answer_and_sends_nothing() {
    let app = TestApp::spawn().await;

    let response = app
        .submit(
            paths::Contact,
            paths::Contact,
            &[
                ("name", "Bot"),
                ("email", "bot@example.com"),
                ("message", "Cheap watches"),
                ("website", "https://spam.example"),
            ],
        )
        .await;

    response.assert_status(StatusCode::SEE_OTHER);
    assert!(app.all_mail().await.is_empty());
}
