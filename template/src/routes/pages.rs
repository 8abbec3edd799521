//! The site's pages. Each handler takes its path type first (see [`crate::paths`]), loads what
//! the page shows, and renders its view with [`Page::render`].

use std::time::Duration;

use axum::{extract::State, response::Response};
use leptos::prelude::*;

use super::Routes;
use crate::{
    app::AppState,
    cache::Put,
    error::AppError,
    page::Page,
    paths, session,
    views::pages::{
        about::AboutPage,
        home::{HomeData, HomePage},
    },
};

pub fn routes() -> Routes<AppState> {
    Routes::new().get(home).get(about)
}

/// How long the home page's count of open sessions is reused.
const OPEN_SESSIONS_TTL: Duration = Duration::from_secs(60);

/// How long the home page is served as it was rendered, to visitors without a session.
const HOME_PAGE_TTL: Duration = Duration::from_secs(10);

/// The about page says the same to everyone until the app is deployed again.
const ABOUT_TTL: Duration = Duration::from_secs(600);

async fn home(
    _: paths::Home,
    State(app): State<AppState>,
    page: Page,
) -> Result<Response, AppError> {
    // Counted at most once a minute, however many visitors ask at once.
    let open_sessions = app
        .cache
        .get_or_compute("home:open_sessions", Put::ttl(OPEN_SESSIONS_TTL), || {
            session::store::count_open(&app.db)
        })
        .await?;
    let data = HomeData {
        app_name: page.app_name().to_owned(),
        database: app.backend.name(),
        open_sessions,
    };
    Ok(page
        .cache_for(HOME_PAGE_TTL)
        .render("", view! { <HomePage data /> }))
}

async fn about(_: paths::About, page: Page) -> Response {
    let app_name = page.app_name().to_owned();
    page.cache_for(ABOUT_TTL)
        .render("About", view! { <AboutPage app_name /> })
}
