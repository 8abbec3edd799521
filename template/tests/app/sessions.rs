//! Sessions and flash messages: stored in the database, signed cookies, cleaned up when expired.

use std::time::Duration as StdDuration;

use axum::{
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::routing::TypedPath;
use axum_messages::Messages;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use time::{Duration, OffsetDateTime};
use tower_sessions::{
    SessionStore as _,
    session::{Id, Record},
    session_store::ExpiredDeletion as _,
};

use crate::{
    app::{
        app::AppState,
        error::AppError,
        page::Page,
        paths,
        routes::Routes,
        session::{DbSessionStore, entity::Entity as Sessions},
    },
    helpers::{TestApp, fragment, html, select, select_one, text_of},
};

#[derive(Debug, TypedPath)]
#[typed_path("/test/flash")]
struct SetFlash;

/// A GET, so that these tests need no CSRF token (and no session before this one).
async fn set_flash(_: SetFlash, messages: Messages) -> Response {
    messages.success("Saved.").warning("Check your inbox.");
    Redirect::to(&paths::About.to_string()).into_response()
}

#[derive(Debug, TypedPath)]
#[typed_path("/test/page-then-fail")]
struct PageThenFail;

/// A handler that takes `Page`, then fails before rendering it.
async fn page_then_fail(_: PageThenFail, _page: Page) -> Result<Response, AppError> {
    Err(AppError::NotFound)
}

fn flash_routes() -> Routes<AppState> {
    Routes::new().get(set_flash).get(page_then_fail)
}

async fn session_rows(app: &TestApp) -> u64 {
    Sessions::find().count(app.db()).await.unwrap()
}

#[tokio::test]
async fn a_flash_message_shows_once_on_the_next_page() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;

    app.server
        .get(&SetFlash.to_string())
        .await
        .assert_status_see_other();
    let next = html(&app.get(paths::About).await);
    let after = html(&app.get(paths::About).await);

    assert_eq!(text_of(&next, "[data-flash-level=success]"), "Saved.");
    assert_eq!(
        text_of(&next, "[data-flash-level=warning]"),
        "Check your inbox."
    );
    assert_eq!(
        select(&next, "[data-flash-level=warning][role=alert]").len(),
        1
    );
    assert!(
        select(&after, "[data-flash-level]").is_empty(),
        "shown once"
    );
}

#[tokio::test]
async fn a_flash_message_is_shown_to_its_own_browser_only() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;
    let other_browser = app.second_client();

    app.server.get(&SetFlash.to_string()).await;
    let elsewhere = html(&other_browser.get(paths::About).await);
    let here = html(&app.get(paths::About).await);

    assert!(select(&elsewhere, "[data-flash-level]").is_empty());
    assert_eq!(text_of(&here, "[data-flash-level=success]"), "Saved.");
}

#[tokio::test]
async fn a_session_started_on_one_instance_is_read_by_another() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;
    let other_instance = app.another_instance().await;

    let flashed = app.server.get(&SetFlash.to_string()).await;
    let cookie = flashed
        .iter_headers_by_name(header::SET_COOKIE)
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let there = other_instance
        .server
        .get(&paths::About.to_string())
        .add_header(header::COOKIE, cookie)
        .await;

    assert_eq!(
        text_of(&html(&there), "[data-flash-level=success]"),
        "Saved."
    );
    other_instance.stop().await;
}

#[tokio::test]
async fn a_flash_message_survives_a_page_that_failed_before_rendering() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;
    app.server.get(&SetFlash.to_string()).await;

    app.get(PageThenFail).await.assert_status_not_found();
    let next = html(&app.get(paths::About).await);

    assert_eq!(text_of(&next, "[data-flash-level=success]"), "Saved.");
}

#[tokio::test]
async fn an_htmx_fragment_brings_pending_flash_messages_out_of_band() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;
    app.server.get(&SetFlash.to_string()).await;

    let response = app.htmx_get(paths::About).await;

    let fragment = fragment(&response);
    let region = select_one(&fragment, "#flash-messages[data-hx-swap-oob=true]");
    assert_eq!(
        region.attr("aria-live"),
        Some("polite"),
        "the whole region, not a bare div"
    );
    assert!(region.text().any(|text| text.contains("Saved.")));
}

#[tokio::test]
async fn reading_pages_creates_no_session() {
    let app = TestApp::spawn().await;

    let response = app.get(paths::Home).await;

    assert!(!response.contains_header("set-cookie"));
    assert_eq!(session_rows(&app).await, 0);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_stored_in_the_database() {
    let app = TestApp::spawn_with_routes(flash_routes()).await;

    let response = app.server.get(&SetFlash.to_string()).await;

    let cookie = response.cookie("session");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(
        cookie.same_site(),
        Some(tower_sessions::cookie::SameSite::Lax)
    );
    assert_eq!(cookie.path(), Some("/"));
    assert_ne!(cookie.secure(), Some(true), "plain HTTP in tests");
    assert_eq!(session_rows(&app).await, 1);
}

#[tokio::test]
async fn secure_cookies_are_https_only_and_host_prefixed() {
    let app =
        TestApp::spawn_custom(|config| config.session.secure_cookie = true, flash_routes()).await;

    let response = app.server.get(&SetFlash.to_string()).await;

    let cookie = response.cookie("__Host-session");
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.domain(), None, "__Host- cookies carry no domain");
}

#[tokio::test]
async fn a_forged_session_cookie_is_ignored() {
    let app = TestApp::spawn().await;

    let response = app
        .server
        .get(&paths::About.to_string())
        .add_header("cookie", "session=forged-value")
        .await;

    response.assert_status_ok();
}

#[tokio::test]
async fn expired_sessions_are_not_loaded_and_are_cleaned_up() {
    let app = TestApp::spawn().await;
    let store = DbSessionStore::new(app.db().clone());
    let mut live = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    let mut expired = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() - Duration::hours(1),
    };
    store.create(&mut live).await.unwrap();
    store.create(&mut expired).await.unwrap();

    assert!(store.load(&live.id).await.unwrap().is_some());
    assert!(store.load(&expired.id).await.unwrap().is_none());

    store.delete_expired().await.unwrap();
    assert_eq!(session_rows(&app).await, 1);
}

#[tokio::test]
async fn a_session_kept_in_memory_is_never_written_back_once_ended_elsewhere() {
    let app = TestApp::spawn().await;
    let this_instance = DbSessionStore::remembering(app.db().clone(), StdDuration::from_secs(60));
    let other_instance = DbSessionStore::remembering(app.db().clone(), StdDuration::from_secs(60));
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    this_instance.create(&mut record).await.unwrap();
    assert!(other_instance.load(&record.id).await.unwrap().is_some());

    // Signed out on this instance: gone here at once, and from the database.
    this_instance.delete(&record.id).await.unwrap();
    assert!(this_instance.load(&record.id).await.unwrap().is_none());
    assert_eq!(session_rows(&app).await, 0);

    // The other instance still holds it in memory, for its minute: a request there that changes it
    // (a flash message) must not bring it back.
    record
        .data
        .insert("flash".to_owned(), serde_json::json!("Saved."));
    other_instance.save(&record).await.unwrap();
    assert_eq!(session_rows(&app).await, 0, "the ended session came back");
    assert!(
        other_instance.load(&record.id).await.unwrap().is_none(),
        "the instance that tried to save it forgets it"
    );
}

#[tokio::test]
async fn a_session_is_read_from_memory_for_cache_seconds_then_from_the_database_again() {
    let app = TestApp::spawn().await;
    let store = DbSessionStore::remembering(app.db().clone(), StdDuration::from_secs(1));
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    // Ended by another instance (its row deleted): still known here, from memory…
    Sessions::delete_many().exec(app.db()).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_some());
    // …until the bound has passed.
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    assert!(store.load(&record.id).await.unwrap().is_none());
}
