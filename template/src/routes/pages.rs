//! The site's pages. Each handler takes its path type first (see [`crate::paths`]), loads what
//! the page shows, and renders its view with [`Page::render`].

use std::time::Duration;

use axum::response::Response;
use leptos::prelude::*;

use super::Routes;
use crate::{
    app::AppState,
    page::Page,
    paths,
    views::pages::{about::AboutPage, home::HomePage},
};

pub fn routes() -> Routes<AppState> {
    Routes::new().get(home).get(about)
}

/// How long the home page is served as it was rendered, to visitors without a session.
const HOME_PAGE_TTL: Duration = Duration::from_secs(10);

/// The about page says the same to everyone until the app is deployed again.
const ABOUT_TTL: Duration = Duration::from_secs(600);

async fn home(_: paths::Home, page: Page) -> Response {
    let app_name = page.app_name().to_owned();
    page.cache_for(HOME_PAGE_TTL)
        .render("", view! { <HomePage app_name /> })
}

async fn about(_: paths::About, page: Page) -> Response {
    let app_name = page.app_name().to_owned();
    page.cache_for(ABOUT_TTL)
        .describe(format!(
            "How {app_name} answers a request, and the crates it is built with."
        ))
        .render("About", view! { <AboutPage app_name /> })
}
