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

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Which optional headers to send.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(hsts: bool) -> Self {
        Self { hsts }
    }
}

pub async fn security_headers(
    State(settings): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
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
    if settings.hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(HSTS));
    }
    response
}
