//! Development tools, routed only in development with `mail.transport = "outbox"`: the outbox of
//! emails at `/dev/mail`.

use std::path::PathBuf;

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use leptos::prelude::*;

use super::Routes;
use crate::{
    app::AppState, error::AppError, mail::outbox, page::Page, paths,
    views::pages::dev_mail::DevMailPage,
};

/// An email's own HTML may use inline styles and images from anywhere, but no script, and only
/// this app's outbox page may frame it.
const EMAIL_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; \
    frame-ancestors 'self'";

pub fn routes() -> Routes<AppState> {
    Routes::new().get(outbox_page).get(email_html)
}

fn outbox_dir(app: &AppState) -> PathBuf {
    PathBuf::from(&app.config.mail.outbox_dir)
}

async fn outbox_page(
    _: paths::DevMail,
    State(app): State<AppState>,
    page: Page,
) -> Result<Response, AppError> {
    let messages = outbox::list(&outbox_dir(&app)).await?;
    let outbox_dir = app.config.mail.outbox_dir.clone();
    Ok(page.render("Outbox", view! { <DevMailPage messages outbox_dir /> }))
}

async fn email_html(
    paths::DevMailHtml { id }: paths::DevMailHtml,
    State(app): State<AppState>,
) -> Result<Response, AppError> {
    let html = outbox::html_of(&outbox_dir(&app), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(EMAIL_CSP),
            ),
            (
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            ),
        ],
        Html(html),
    )
        .into_response())
}
