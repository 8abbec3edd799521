//! Error responses: the right status, a page, JSON or an htmx alert as asked, and never an
//! internal detail.

use anyhow::anyhow;
use axum::{Form, http::StatusCode};
use axum_extra::routing::TypedPath;
use serde::Deserialize;

use crate::{
    app::{app::AppState, error::AppError, paths, routes::Routes},
    helpers::{TestApp, fragment, html, select_one, text_of},
};

#[derive(Debug, TypedPath)]
#[typed_path("/test/internal-error")]
struct InternalError;

#[derive(Debug, TypedPath)]
#[typed_path("/test/panic")]
struct Panic;

#[derive(Debug, TypedPath)]
#[typed_path("/test/form")]
struct FormPath;

#[derive(Debug, TypedPath)]
#[typed_path("/test/slow")]
struct Slow;

#[derive(Debug, Deserialize)]
struct Signup {
    age: u32,
}

async fn internal_error(_: InternalError) -> Result<&'static str, AppError> {
    Err(AppError::Internal(anyhow!(
        "password=hunter2 in connection string"
    )))
}

async fn panics(_: Panic) -> &'static str {
    panic!("the secret panic message");
}

async fn takes_a_form(_: FormPath, Form(signup): Form<Signup>) -> String {
    format!("age {}", signup.age)
}

async fn slow(_: Slow) -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    "too late"
}

fn failing_routes() -> Routes<AppState> {
    Routes::new()
        .get(internal_error)
        .get(panics)
        .post(takes_a_form)
        .get(slow)
}

#[tokio::test]
async fn an_unknown_address_gets_a_404_page_with_its_request_id() {
    let app = TestApp::spawn().await;

    let response = app.get("/no/such/page").await;

    response.assert_status_not_found();
    assert!(response.content_type().starts_with("text/html"));
    let page = html(&response);
    assert_eq!(text_of(&page, "[data-testid=status]"), "404");
    assert_eq!(
        text_of(&page, "[data-testid=message]"),
        "There is nothing at this address."
    );
    let request_id = response.header("x-request-id");
    assert_eq!(
        text_of(&page, "[data-testid=request-id]"),
        request_id.to_str().unwrap()
    );
    select_one(&page, "main#main");
}

#[tokio::test]
async fn a_json_client_gets_json_errors() {
    let app = TestApp::spawn().await;

    let response = app
        .server
        .get("/no/such/page")
        .add_header("accept", "application/json")
        .await;

    response.assert_status_not_found();
    let body: serde_json::Value = response.json();
    assert_eq!(body["error"]["status"], 404);
    assert_eq!(
        body["error"]["message"],
        "There is nothing at this address."
    );
    assert!(body["error"]["request_id"].is_string());
}

#[tokio::test]
async fn a_wrong_method_gets_a_405_page_that_says_what_is_allowed() {
    let app = TestApp::spawn().await;
    let token = app.csrf_token().await;

    // With a token or without: no handler takes the method, so the token is not the question.
    let with_token = app
        .server
        .post(&paths::About.to_string())
        .add_header("x-csrf-token", token.as_str())
        .await;
    let without = app.server.delete(&paths::Contact.to_string()).await;

    for response in [with_token, without] {
        response.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        let allow = response.header("allow");
        assert!(allow.to_str().unwrap().contains("GET"), "Allow: {allow:?}");
        assert_eq!(text_of(&html(&response), "[data-testid=status]"), "405");
    }
    // A method the path takes still needs the token.
    app.server
        .post(&paths::Contact.to_string())
        .await
        .assert_status_forbidden();
}

#[tokio::test]
async fn an_htmx_request_gets_an_alert_for_the_flash_region() {
    let app = TestApp::spawn().await;

    let response = app.htmx_get("/no/such/page").await;

    response.assert_status_not_found();
    assert_eq!(response.header("hx-retarget"), "#flash-messages");
    assert_eq!(response.header("hx-reswap"), "innerHTML");
    let alert = fragment(&response);
    assert_eq!(
        text_of(&alert, "[role=alert]"),
        "There is nothing at this address."
    );
    assert!(!response.text().contains("<html"));
}

#[tokio::test]
async fn an_internal_error_shows_a_generic_message_and_hides_its_cause() {
    let app = TestApp::spawn_with_routes(failing_routes()).await;

    let response = app.get(InternalError).await;

    response.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!response.text().contains("hunter2"));
    assert_eq!(
        text_of(&html(&response), "[data-testid=message]"),
        "Something went wrong on our side."
    );
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_page_without_the_panic_message() {
    let app = TestApp::spawn_with_routes(failing_routes()).await;

    let response = app.get(Panic).await;

    response.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!response.text().contains("secret panic"));
    assert_eq!(text_of(&html(&response), "[data-testid=status]"), "500");

    // The app keeps serving.
    app.get(paths::Home).await.assert_status_ok();
}

#[tokio::test]
async fn an_unreadable_form_gets_a_4xx_page_without_the_parser_message() {
    let app = TestApp::spawn_with_routes(failing_routes()).await;
    let token = app.csrf_token().await;

    let response = app
        .server
        .post(&FormPath.to_string())
        .add_header("x-csrf-token", token.as_str())
        .add_header("accept", "text/html")
        .text("age=not-a-number")
        .content_type("application/x-www-form-urlencoded")
        .await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !response.text().contains("invalid digit"),
        "{}",
        response.text()
    );
    assert_eq!(
        text_of(&html(&response), "[data-testid=message]"),
        "Some of what you sent is not valid."
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_413_page() {
    let app = TestApp::spawn_with_routes(failing_routes()).await;
    let limit = app.state.config.server.body_limit_bytes;
    let token = app.csrf_token().await;

    let response = app
        .server
        .post(&FormPath.to_string())
        .add_header("x-csrf-token", token.as_str())
        .add_header("accept", "text/html")
        .text(format!("age={}", "9".repeat(limit)))
        .content_type("application/x-www-form-urlencoded")
        .await;

    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(text_of(&html(&response), "[data-testid=status]"), "413");
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_a_503_page() {
    let app = TestApp::spawn_custom(
        |config| config.server.request_timeout_secs = 1,
        failing_routes(),
    )
    .await;

    let response = app.get(Slow).await;

    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(text_of(&html(&response), "[data-testid=status]"), "503");
}
