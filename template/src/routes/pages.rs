//! The site's pages. Each handler takes its path type first (see [`crate::paths`]), loads what
//! the page shows, and renders its view with [`Page::render`].

use axum::{extract::State, response::Response};
use leptos::prelude::*;

use super::Routes;
use crate::{
    app::AppState,
    page::Page,
    paths,
    views::pages::{
        about::AboutPage,
        home::{HomeData, HomePage},
    },
};

pub fn routes() -> Routes<AppState> {
    Routes::new().get(home).get(about)
}

async fn home(_: paths::Home, State(app): State<AppState>, page: Page) -> Response {
    let data = HomeData {
        app_name: page.app_name().to_owned(),
        database: app.backend.name(),
    };
    page.render("", view! { <HomePage data /> })
}

async fn about(_: paths::About, page: Page) -> Response {
    let app_name = page.app_name().to_owned();
    page.render("About", view! { <AboutPage app_name /> })
}
