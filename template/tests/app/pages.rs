//! The pages render, completely and accessibly.

use crate::{
    app::paths,
    helpers::{TestApp, html, select, select_one, test_config, text_of},
};

#[tokio::test]
async fn the_home_page_shows_the_app_and_nothing_of_its_insides() {
    let app = TestApp::spawn().await;

    let response = app.get(paths::Home).await;

    response.assert_status_ok();
    assert!(response.content_type().starts_with("text/html"));
    let page = html(&response);
    let name = &app.state.config.name;
    assert_eq!(text_of(&page, "title"), *name);
    assert_eq!(text_of(&page, "h1"), *name);
    assert_eq!(select(&page, "[data-testid=features] > li").len(), 6);
    // Which database runs it, how many visitors it has: for administrators only.
    assert!(select(&page, "[data-testid=database]").is_empty());
    assert!(select(&page, "[data-testid=open-sessions]").is_empty());
    assert!(!page.html().contains("open session"));
}

#[tokio::test]
async fn the_about_page_explains_the_request_journey_and_the_stack() {
    let app = TestApp::spawn().await;

    let response = app.get(paths::About).await;

    response.assert_status_ok();
    let page = html(&response);
    assert_eq!(
        text_of(&page, "h1"),
        format!("About {}", app.state.config.name)
    );
    assert_eq!(
        text_of(&page, "title"),
        format!("About · {}", app.state.config.name)
    );
    assert_eq!(select(&page, "ol.steps li").len(), 5);
    assert!(select(&page, "table tbody tr").len() >= 8);
}

#[tokio::test]
async fn every_page_has_the_layout_landmarks_and_marks_its_navigation_link() {
    let app = TestApp::spawn().await;

    for (path, label) in [
        (paths::Home.to_string(), "Home"),
        (paths::About.to_string(), "About"),
    ] {
        let page = html(&app.get(&path).await);

        assert_eq!(select_one(&page, "html").attr("lang"), Some("en"), "{path}");
        select_one(&page, "a.skip-link[href='#main']");
        select_one(&page, "header nav[aria-label=Main]");
        select_one(&page, "main#main");
        select_one(&page, "footer");
        select_one(&page, "#flash-messages");
        assert_eq!(
            text_of(&page, "nav > ul a[aria-current=page]"),
            label,
            "{path}"
        );
        assert!(
            select_one(&page, "meta[name=viewport]")
                .attr("content")
                .is_some(),
            "{path} is responsive"
        );
        assert!(
            !select_one(&page, "meta[name=description]")
                .attr("content")
                .unwrap_or_default()
                .is_empty(),
            "{path} describes itself"
        );
        // On a phone, the same links behind a menu button that needs no JavaScript.
        let links = |selector: &str| -> Vec<String> {
            select(&page, selector)
                .iter()
                .filter_map(|link| link.attr("href").map(str::to_owned))
                .collect()
        };
        select_one(&page, "header nav details > summary");
        assert_eq!(links("nav details a"), links("nav > ul a"), "{path}");
    }
}

#[tokio::test]
async fn pages_link_their_assets_by_content_hash_and_the_assets_are_served() {
    let app = TestApp::spawn().await;
    let page = html(&app.get(paths::Home).await);

    let stylesheet = select_one(&page, "link[rel=stylesheet]").attr("href");
    let scripts = select(&page, "script[src]");
    assert!(!scripts.is_empty(), "htmx at least");
    let assets = scripts
        .iter()
        .map(|script| (script.attr("src"), "text/javascript"))
        .chain([(stylesheet, "text/css")]);

    for (url, content_type) in assets {
        let url = url.expect("a URL");
        // /static/css/app.0123456789abcdef.css: the name holds a 16-digit hash.
        let hash = url.rsplit('.').nth(1).unwrap_or_default();
        assert!(
            hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{url} is not content-hashed: run `just assets` before the tests"
        );
        let asset = app.get(url).await;
        asset.assert_status_ok();
        assert!(asset.content_type().starts_with(content_type), "{url}");
    }
}

#[test]
fn the_route_table_lists_every_page_and_probe_the_router_serves() {
    let mut config = test_config();
    let table = crate::app::routes::table(&config).to_string();
    // Development with its outbox serves /dev/mail too, and says so.
    crate::helpers::use_development_outbox(&mut config, std::path::Path::new("data/mail"));
    let development = crate::app::routes::table(&config).to_string();

    assert!(!table.contains("/dev/mail"), "{table}");
    assert!(development.contains("/dev/mail"), "{development}");
    for path in ["/", "/about", "/health", "/ready", "/static"] {
        assert!(
            table
                .lines()
                .any(|line| line.split_whitespace().nth(1) == Some(path)),
            "{path} missing from:\n{table}"
        );
    }
    assert!(
        table.contains("routes::pages::about"),
        "handlers are named:\n{table}"
    );
}

/// `just dev` builds with the `livereload` feature; CI runs this test with it on.
#[cfg(feature = "livereload")]
#[tokio::test]
async fn under_just_dev_pages_load_the_reload_script_and_no_inline_script() {
    let app = TestApp::spawn().await;

    let response = app.get(paths::Home).await;

    let page = html(&response);
    let script = select_one(&page, "script[src*='dev-reload']")
        .attr("src")
        .unwrap()
        .to_owned();
    app.get(&script).await.assert_status_ok();
    assert!(
        select(&page, "script:not([src])").is_empty(),
        "no inline script"
    );
}
