//! htmx requests get fragments; boosted navigation and plain browsers get whole documents.

use crate::{
    app::paths,
    helpers::{TestApp, fragment, html, select, text_of},
};

#[tokio::test]
async fn an_htmx_request_gets_the_page_content_without_the_layout() {
    let app = TestApp::spawn().await;

    let response = app.htmx_get(paths::About).await;

    response.assert_status_ok();
    let body = response.text();
    assert!(!body.contains("<html"), "a fragment, not a document");
    assert!(!body.contains("<nav"), "no layout");
    assert_eq!(
        text_of(&fragment(&response), "h1"),
        format!("About {}", app.state.config.name)
    );
}

#[tokio::test]
async fn a_boosted_request_gets_the_whole_document() {
    let app = TestApp::spawn().await;

    let response = app
        .server
        .get(&paths::About.to_string())
        .add_header("hx-request", "true")
        .add_header("hx-boosted", "true")
        .await;

    response.assert_status_ok();
    let page = html(&response);
    assert_eq!(select(&page, "nav > ul a[aria-current=page]").len(), 1);
    assert!(text_of(&page, "title").starts_with("About"));
}

#[tokio::test]
async fn the_layout_configures_htmx_for_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;

    let page = html(&app.get(paths::Home).await);

    let config = crate::helpers::select_one(&page, "meta[name=htmx-config]")
        .attr("content")
        .expect("htmx-config has content")
        .to_owned();
    let config: serde_json::Value = serde_json::from_str(&config).expect("valid JSON");
    assert_eq!(config["includeIndicatorStyles"], false);
    assert_eq!(config["allowEval"], false);
    assert_eq!(select(&page, "body[data-hx-boost=true]").len(), 1);
}

#[tokio::test]
async fn pages_and_errors_tell_caches_they_depend_on_htmx_headers() {
    let app = TestApp::spawn().await;

    for response in [app.get(paths::About).await, app.get("/missing").await] {
        let vary: Vec<_> = response
            .iter_headers_by_name("vary")
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(vary.iter().any(|v| v.contains("hx-request")), "{vary:?}");
    }
}
