//! The page cache: pages that opted in are rendered once and then served as they were to visitors
//! without a session, one entry per address and kind of answer, until their time to live; never to
//! or from a visitor with a session, never an error or a page that starts a session. Kept pages
//! are served compressed as each visitor asks, from copies compressed once.

use std::{
    io::Read as _,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::routing::TypedPath;
use axum_test::TestResponse;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::{
    app::{app::AppState, page::Page, paths, routes::Routes},
    helpers::{TestApp, html, shown_tokens, text_of},
};

/// Whether the response came from the page cache.
fn was_kept(response: &TestResponse) -> bool {
    response
        .maybe_header("x-cache")
        .is_some_and(|value| value == "hit")
}

#[tokio::test]
async fn the_home_page_is_rendered_once_then_served_as_it_was() {
    let app = TestApp::spawn().await;

    let first = app.get(paths::Home).await;
    let second = app.get(paths::Home).await;

    first.assert_status_ok();
    second.assert_status_ok();
    assert!(!was_kept(&first));
    assert!(was_kept(&second));
    assert_eq!(second.text(), first.text());
    // The same headers as a rendered page, and every middleware still ran.
    for name in ["content-type", "vary", "content-security-policy"] {
        assert_eq!(second.header(name), first.header(name), "{name}");
    }
    assert_ne!(second.header("x-request-id"), first.header("x-request-id"));
    // Only GET is answered from the cache.
    let head = app.server.method(Method::HEAD, "/").await;
    head.assert_status_ok();
    assert!(!was_kept(&head));
}

#[tokio::test]
async fn a_visitor_with_a_session_never_gets_a_kept_page_nor_has_theirs_kept() {
    let renders = Renders::default();
    let app = TestApp::spawn_with_routes(test_pages(&renders)).await;
    app.second_client().get(paths::Home).await;

    // A form page gave this visitor a form token, then a page gave them a session.
    app.csrf_token().await;
    app.get(StartsASession).await;
    let theirs = app.get(paths::Home).await;
    let anonymous = app.second_client().get(paths::Home).await;

    assert!(!was_kept(&theirs));
    let tokens = shown_tokens(&theirs);
    assert!(!tokens.is_empty(), "their page carries their token");
    for token in &tokens {
        assert!(app.accepts_token(token).await, "their own token");
    }
    assert!(was_kept(&anonymous));
    assert_eq!(shown_tokens(&anonymous), Vec::<String>::new());
}

#[tokio::test]
async fn a_visitor_with_only_a_form_token_gets_kept_pages_which_never_carry_it() {
    let app = TestApp::spawn().await;
    app.second_client().get(paths::Home).await;

    app.csrf_token().await;
    let theirs = app.get(paths::Home).await;

    assert!(was_kept(&theirs));
    assert_eq!(shown_tokens(&theirs), Vec::<String>::new());
}

#[tokio::test]
async fn documents_fragments_and_query_strings_are_kept_apart() {
    let app = TestApp::spawn().await;
    app.get(paths::About).await;

    let first_fragment = app.htmx_get(paths::About).await;
    let second_fragment = app.htmx_get(paths::About).await;
    let with_query = app.get("/about?from=home").await;
    let document = app.get(paths::About).await;

    assert!(!was_kept(&first_fragment));
    assert!(was_kept(&second_fragment));
    assert!(!second_fragment.text().contains("<html"));
    assert!(!was_kept(&with_query));
    assert!(was_kept(&document));
    assert!(document.text().contains("<html"));
}

#[derive(Debug, TypedPath)]
#[typed_path("/test/counted")]
struct Counted;

#[derive(Debug, TypedPath)]
#[typed_path("/test/not-opted-in")]
struct NotOptedIn;

#[derive(Debug, TypedPath)]
#[typed_path("/test/missing")]
struct Missing;

#[derive(Debug, TypedPath)]
#[typed_path("/test/starts-a-session")]
struct StartsASession;

/// How many times each test page was rendered.
#[derive(Clone, Default)]
struct Renders(Arc<AtomicUsize>);

impl Renders {
    fn count(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

fn counted_page(page: Page, renders: &Renders, ttl: Duration) -> Response {
    let count = renders.count();
    page.cache_for(ttl)
        .render("Counted", view! { <p data-testid="count">{count}</p> })
}

fn test_pages(renders: &Renders) -> Routes<AppState> {
    let counted = renders.clone();
    let not_opted_in = renders.clone();
    let missing = renders.clone();
    let starts_a_session = renders.clone();
    Routes::new()
        .get(move |_: Counted, page: Page| async move {
            counted_page(page, &counted, Duration::from_millis(400))
        })
        .get(move |_: NotOptedIn, page: Page| async move {
            let count = not_opted_in.count();
            page.render("Not kept", view! { <p data-testid="count">{count}</p> })
        })
        .get(move |_: Missing, page: Page| async move {
            let page = counted_page(page, &missing, Duration::from_secs(60));
            (StatusCode::NOT_FOUND, page).into_response()
        })
        .get(
            move |_: StartsASession, session: Session, page: Page| async move {
                session.insert("seen", true).await.expect("the session");
                counted_page(page, &starts_a_session, Duration::from_secs(60))
            },
        )
}

async fn count(app: &TestApp, path: impl std::fmt::Display) -> String {
    text_of(&html(&app.get(path).await), "[data-testid=count]")
}

#[tokio::test]
async fn a_page_is_rendered_again_after_its_time_to_live() {
    let renders = Renders::default();
    let app = TestApp::spawn_with_routes(test_pages(&renders)).await;

    let first = count(&app, Counted).await;
    let kept = count(&app, Counted).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = count(&app, Counted).await;

    assert_eq!((first.as_str(), kept.as_str()), ("1", "1"));
    assert_eq!(after, "2");
}

#[tokio::test]
async fn only_successful_pages_that_opted_in_and_start_no_session_are_kept() {
    let renders = Renders::default();
    let app = TestApp::spawn_with_routes(test_pages(&renders)).await;

    for path in [
        NotOptedIn.to_string(),
        Missing.to_string(),
        StartsASession.to_string(),
    ] {
        // Two visitors without a session: no cookie is sent or kept.
        let first = app.server.get(&path).do_not_save_cookies().await;
        let second = app.server.get(&path).do_not_save_cookies().await;

        assert!(!was_kept(&first), "{path}");
        assert!(!was_kept(&second), "{path}");
        assert_ne!(
            text_of(&html(&first), "[data-testid=count]"),
            text_of(&html(&second), "[data-testid=count]"),
            "{path} was rendered for each"
        );
    }
}

#[tokio::test]
async fn emptying_the_cache_forgets_the_pages() {
    let app = TestApp::spawn().await;
    app.get(paths::Home).await;
    assert!(was_kept(&app.get(paths::Home).await));

    app.state.cache.flush().await.unwrap();

    assert!(!was_kept(&app.get(paths::Home).await));
}

#[tokio::test]
async fn page_caching_can_be_turned_off() {
    let app = TestApp::spawn_with(|config| config.cache.page_capacity_mb = 0).await;

    app.get(paths::Home).await;
    let second = app.get(paths::Home).await;

    second.assert_status_ok();
    assert!(!was_kept(&second));
}

/// What clients send in `Accept-Encoding`, and the `Content-Encoding` each must get back: for a
/// kept page (compressed once, as small as can be), and for a page rendered for the request
/// (compressed as it leaves, as cheaply as can be: `src/middleware/compression.rs`).
const ASKED: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
    // Chromium and Firefox, then Safari.
    (Some("gzip, deflate, br, zstd"), Some("br"), Some("zstd")),
    (Some("gzip, deflate, br"), Some("br"), Some("gzip")),
    (None, None, None),
    (Some("gzip"), Some("gzip"), Some("gzip")),
    (Some("br;q=0.5, gzip"), Some("gzip"), Some("gzip")),
    (Some("zstd;q=0.5, gzip"), Some("gzip"), Some("gzip")),
    (Some("deflate"), None, None),
    (Some("identity"), None, None),
    (Some("br"), Some("br"), None),
];

async fn get_asking(app: &TestApp, accept_encoding: Option<&str>) -> TestResponse {
    let request = app.server.get(&paths::Home.to_string());
    match accept_encoding {
        Some(encodings) => request.add_header(header::ACCEPT_ENCODING, encodings).await,
        None => request.await,
    }
}

/// The body of `response`, decompressed as its `Content-Encoding` says.
fn decompressed(response: &TestResponse) -> Vec<u8> {
    let body = response.as_bytes();
    let mut page = Vec::new();
    match response.maybe_header(header::CONTENT_ENCODING) {
        None => page.extend_from_slice(body),
        Some(encoding) if encoding == "br" => {
            brotli::Decompressor::new(&body[..], 4096)
                .read_to_end(&mut page)
                .expect("valid brotli");
        }
        Some(encoding) if encoding == "gzip" => {
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut page)
                .expect("valid gzip");
        }
        Some(encoding) if encoding == "zstd" => {
            zstd::stream::read::Decoder::new(&body[..])
                .and_then(|mut decoder| decoder.read_to_end(&mut page))
                .expect("valid zstd");
        }
        Some(other) => panic!("an encoding nobody asked for: {other:?}"),
    }
    page
}

fn varies_on(response: &TestResponse, name: &str) -> bool {
    response
        .iter_headers_by_name(header::VARY)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(name))
}

#[tokio::test]
async fn a_kept_page_is_served_in_the_encoding_each_visitor_asks_for_and_decompresses_whole() {
    let app = TestApp::spawn().await;
    let rendered = app.get(paths::Home).await;
    rendered.assert_status_ok();
    assert!(!was_kept(&rendered));
    let page = rendered.as_bytes().to_vec();

    // Twice through the list, in turns: the copies are made on first demand, then served as kept,
    // and one visitor's encoding never reaches the next.
    for round in 0..2 {
        for &(asked, expected, _) in ASKED {
            let response = get_asking(&app, asked).await;

            response.assert_status_ok();
            assert!(was_kept(&response), "{asked:?}, round {round}");
            let encoding = response.maybe_header(header::CONTENT_ENCODING);
            assert_eq!(
                encoding.as_ref().map(|value| value.to_str().unwrap()),
                expected,
                "{asked:?}, round {round}"
            );
            assert_eq!(decompressed(&response), page, "{asked:?}, round {round}");
            assert!(varies_on(&response, "accept-encoding"), "{asked:?}");
            assert!(varies_on(&response, "hx-request"), "{asked:?}");
            assert_eq!(
                response.header(header::CONTENT_TYPE),
                rendered.header(header::CONTENT_TYPE)
            );
        }
    }
}

#[tokio::test]
async fn a_rendered_page_says_it_varies_by_encoding_and_decompresses_whole() {
    let app = TestApp::spawn_with(|config| config.cache.page_capacity_mb = 0).await;
    let page = app.get(paths::Home).await.as_bytes().to_vec();

    for &(asked, _, expected) in ASKED {
        let response = get_asking(&app, asked).await;

        response.assert_status_ok();
        assert!(!was_kept(&response));
        let encoding = response.maybe_header(header::CONTENT_ENCODING);
        assert_eq!(
            encoding.as_ref().map(|value| value.to_str().unwrap()),
            expected,
            "{asked:?}"
        );
        assert_eq!(decompressed(&response), page, "{asked:?}");
        assert!(varies_on(&response, "accept-encoding"), "{asked:?}");
        assert!(varies_on(&response, "hx-request"), "{asked:?}");
    }
}

#[tokio::test]
async fn a_fragment_and_a_document_keep_their_own_compressed_copies() {
    let app = TestApp::spawn().await;
    let fragment = |app: &TestApp| {
        app.server
            .get(&paths::Home.to_string())
            .add_header("hx-request", "true")
            .add_header(header::ACCEPT_ENCODING, "br")
    };
    let document = app.get(paths::Home).await.as_bytes().to_vec();
    let part = fragment(&app).await.as_bytes().to_vec();
    assert_ne!(document, part);

    let kept_document = get_asking(&app, Some("br")).await;
    let kept_fragment = fragment(&app).await;

    assert!(was_kept(&kept_document) && was_kept(&kept_fragment));
    assert_eq!(decompressed(&kept_document), document);
    assert_eq!(decompressed(&kept_fragment), part);
}
