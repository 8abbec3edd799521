//! Development tools, routed only in development with `mail.transport = "outbox"`: the outbox of
//! emails at `/dev/mail`. They show every email, reset links too, so they answer this machine
//! only: a request from another device, or relayed by a proxy (a development server left behind
//! nginx), gets a 404.

use std::{net::SocketAddr, path::PathBuf};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, header},
    middleware::{Next, from_fn},
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
    Routes::new()
        .get(outbox_page)
        .get(email_html)
        .route_layer(from_fn(only_from_this_machine))
}

/// Middleware: a 404 for any request not made on this machine directly.
async fn only_from_this_machine(request: Request, next: Next) -> Result<Response, AppError> {
    let from_here = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        // A request built in a test has no connection: it is this machine's.
        .is_none_or(|ConnectInfo(peer)| peer.ip().to_canonical().is_loopback());
    let relayed = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| request.headers().contains_key(*name));
    if !from_here || relayed {
        return Err(AppError::NotFound);
    }
    Ok(next.run(request).await)
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
