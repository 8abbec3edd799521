//! Security headers on every response, unless a handler set its own.
//!
//! - `Content-Security-Policy`: scripts, styles, images and fonts only from this site; no inline
//!   script or style, no plugins, no framing, forms post only here. The pages need nothing more:
//!   htmx is a file under `/static` and its inline indicator styles are switched off.
//! - `X-Content-Type-Options: nosniff`: browsers trust the declared content type.
//! - `Referrer-Policy`: other sites see our origin, never full URLs.
//! - `X-Frame-Options` and `frame-ancestors`: no clickjacking through frames.
//! - `Strict-Transport-Security` when `server.hsts` is on (production): browsers remember to use
//!   HTTPS only. Never on plain HTTP, where it would lock a developer out of `http://localhost`.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, header};
use tower::util::MapResponseLayer;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The layer adding the headers to every response; `Strict-Transport-Security` too when `hsts`.
/// (A plain function over the response, for any body type: no boxing or cloning per request.)
pub fn security_headers<B>(hsts: bool) -> MapResponseLayer<fn(Response<B>) -> Response<B>> {
    MapResponseLayer::new(if hsts { with_hsts } else { without_hsts })
}

fn without_hsts<B>(mut response: Response<B>) -> Response<B> {
    insert_missing(response.headers_mut());
    response
}

fn with_hsts<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    insert_missing(headers);
    headers
        .entry(header::STRICT_TRANSPORT_SECURITY)
        .or_insert(HeaderValue::from_static(HSTS));
    response
}

fn insert_missing(headers: &mut HeaderMap) {
    let always: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in always {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}
