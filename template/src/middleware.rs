//! Middleware shared by the route groups (the order they run in is in [`crate::routes`]).

mod compression;
mod error_pages;
mod security_headers;

use std::any::Any;

use axum::{
    body::Body,
    http::{HeaderName, Request, StatusCode},
    response::{IntoResponse, Response},
};
use tower::util::MapRequestLayer;
use tracing::Span;

pub use self::{
    compression::{Encoding, compression},
    error_pages::error_pages,
    security_headers::{CONTENT_SECURITY_POLICY, security_headers},
};
use crate::error::ErrorReport;

/// The header carrying each request's id, in requests and responses.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The span every request runs in: each log line inside it carries the method, the path and the
/// request id that the response also carries in `x-request-id`.
pub fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}

/// The layer that keeps an `x-request-id` set by a proxy in front of the app when it looks like
/// one (at most 64 letters, digits, `-`, `_` or `.`), and drops any other, so no client can put
/// arbitrary text into the logs or onto error pages. The next layer gives a fresh id to requests
/// without one. (A plain function over the request: no boxing or cloning per request.)
pub fn drop_unusable_request_ids() -> MapRequestLayer<fn(Request<Body>) -> Request<Body>> {
    MapRequestLayer::new(drop_unusable_request_id)
}

fn drop_unusable_request_id(mut request: Request<Body>) -> Request<Body> {
    let usable = request.headers().get(REQUEST_ID).is_some_and(|id| {
        let id = id.as_bytes();
        !id.is_empty()
            && id.len() <= 64
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !usable {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// Turns a panic in a handler into a 500 that `error_pages` logs and renders like any other error.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    };
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response
        .extensions_mut()
        .insert(ErrorReport::panic(message));
    response
}
