//! Renders every error response, and logs the ones that are our fault (see [`crate::error`]).
//!
//! An error response is rendered here when it carries an [`ErrorReport`] (from an [`AppError`] or
//! a panic), has no body of its own (a 405 from the router, a 413 from the body limit, a 503
//! from the timeout, a 403 from the CSRF check), or a plain-text one: axum's extractor rejections
//! are plain text, and their parser messages are not for users. So a handler returning
//! `(StatusCode::CONFLICT, "taken")` shows the status's own sentence: return
//! `AppError::BadRequest("…")` for a message of yours. A handler that writes its own HTML or JSON
//! error, such as a form re-rendered with a 422, is left alone.
//!
//! The format follows the request:
//! - `Accept: application/json` (without `text/html`): `{"error": {"status", "message", "request_id"}}`;
//! - an htmx request that is not boosted: an alert swapped into the flash region;
//! - anything else: a full page in the layout.
//!
//! [`AppError`]: crate::error::AppError

use std::sync::Arc;

use axum::{
    Json,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Response as HttpResponse, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use serde_json::json;

use crate::{
    config::Config,
    error::{ErrorReport, default_message, wants_json},
    htmx::{HX_RESWAP, HX_RETARGET, HxRequest, VARY_HTMX},
    middleware::REQUEST_ID,
    page::Page,
    views::{
        self,
        components::flash::FLASH_REGION_SELECTOR,
        pages::error::{ErrorAlert, ErrorData, ErrorPage},
    },
};

/// Takes the configuration: an error page is a page of the site, with its name.
pub async fn error_pages(
    State(config): State<Arc<Config>>,
    request: Request,
    next: Next,
) -> Response {
    let wants_json = wants_json(request.headers());
    let hx = HxRequest::from_headers(request.headers());
    let path = request.uri().path().to_owned();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned);

    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let report = response.extensions().get::<ErrorReport>().cloned();
    if report.is_none() && has_own_body(response.headers()) {
        return response;
    }

    // The one place errors are logged, inside the request's span (which has its id).
    match report.as_ref().and_then(|r| r.internal.as_ref()) {
        Some(error) if status.is_server_error() => {
            tracing::error!(
                status = status.as_u16(),
                error = format!("{error:#}"),
                "request failed"
            );
        }
        Some(error) => tracing::warn!(
            status = status.as_u16(),
            error = format!("{error:#}"),
            "request failed"
        ),
        None if status.is_server_error() => {
            tracing::error!(status = status.as_u16(), "request failed")
        }
        None => tracing::debug!(status = status.as_u16(), "request refused"),
    }

    let data = ErrorData {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: report.map_or_else(|| default_message(status).to_owned(), |r| r.public_message),
        request_id,
    };
    let (mut parts, _) = response.into_parts();
    let rendered = if wants_json {
        Json(json!({
            "error": {
                "status": data.status,
                "message": data.message,
                "request_id": data.request_id,
            }
        }))
        .into_response()
    } else if hx.wants_fragment() {
        let mut fragment =
            Html(views::render(leptos::view! { <ErrorAlert data /> })).into_response();
        let headers = fragment.headers_mut();
        headers.insert(HX_RETARGET, HeaderValue::from_static(FLASH_REGION_SELECTOR));
        headers.insert(HX_RESWAP, HeaderValue::from_static("innerHTML"));
        fragment
    } else {
        let title = data.reason.clone();
        let page = Page::for_error(&config, path, hx, &parts.extensions);
        Html(page.render_to_string(title, leptos::view! { <ErrorPage data /> })).into_response()
    };

    // Keep the status and headers such as `Allow` (405) or `Retry-After`; replace the body.
    let (new_parts, body) = rendered.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept"));
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static(VARY_HTMX));
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    HttpResponse::from_parts(parts, Body::new(body))
}

/// A response with an HTML or JSON body of its own (anything but empty or plain text).
fn has_own_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| !content_type.starts_with("text/plain"))
}
