//! htmx support: the app answers htmx requests with fragments and full page loads with documents.
//!
//! - [`HxRequest`] reads the `HX-*` request headers. A plain htmx request (`hx-get`, `hx-post`) wants
//!   the fragment it will swap in; a boosted link or form (`hx-boost`) wants the whole page, of
//!   which htmx keeps the `<body>`.
//! - [`redirect`] answers a browser with `303 See Other` and htmx with `HX-Redirect`, because htmx
//!   would otherwise follow the redirect itself and swap the next page into the target element.
//!
//! The htmx settings the pages rely on (which error responses are swapped, no inline styles) are in
//! the `htmx-config` meta tag of [`crate::views::layout`].

use std::{convert::Infallible, fmt::Display};

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::error::AppError;

/// Response header: navigate the browser to this URL (a full page load).
pub const HX_REDIRECT: &str = "hx-redirect";
/// Response header: swap the response into this CSS selector instead of the request's target.
pub const HX_RETARGET: &str = "hx-retarget";
/// The request headers a page's HTML depends on, for the `Vary` response header: caches must not
/// serve a fragment to a full page load, or the reverse.
pub const VARY_HTMX: &str = "hx-request, hx-boosted, hx-history-restore-request";

/// Response header: how to swap the response (`innerHTML`, `afterbegin`, …).
pub const HX_RESWAP: &str = "hx-reswap";

/// What an htmx request says about itself. Never fails: a request without `HX-*` headers is a
/// plain browser request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HxRequest {
    /// `HX-Request: true`: htmx sent this request.
    pub is_htmx: bool,
    /// `HX-Boosted: true`: a boosted link or form, which wants a full page.
    pub boosted: bool,
    /// `HX-History-Restore-Request: true`: htmx restores a page missing from its history cache,
    /// and needs the full page.
    pub history_restore: bool,
    /// `HX-Target`: the id of the element the response will be swapped into, if it has one.
    pub target: Option<String>,
}

impl HxRequest {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let is_true = |name: &str| headers.get(name).is_some_and(|v| v == "true");
        Self {
            is_htmx: is_true("hx-request"),
            boosted: is_true("hx-boosted"),
            history_restore: is_true("hx-history-restore-request"),
            target: headers
                .get("hx-target")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// True when the response should be a fragment rather than a whole document.
    pub fn wants_fragment(&self) -> bool {
        self.is_htmx && !self.boosted && !self.history_restore
    }
}

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// Sends the browser to `to` after a form post: `303 See Other`, or `HX-Redirect` for htmx.
pub fn redirect(hx: &HxRequest, to: impl Display) -> Response {
    let to = to.to_string();
    let Ok(location) = HeaderValue::try_from(to.as_str()) else {
        // URLs come from `crate::paths`, which builds valid ones: this is a bug, not bad input.
        return AppError::Internal(anyhow::anyhow!("cannot redirect to {to:?}")).into_response();
    };
    if hx.is_htmx {
        (StatusCode::OK, [(HX_REDIRECT, location)]).into_response()
    } else {
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_is_redirected_with_see_other() {
        let response = redirect(&HxRequest::default(), "/about");

        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[header::LOCATION], "/about");
        assert!(!response.headers().contains_key(HX_REDIRECT));
    }

    #[test]
    fn htmx_is_redirected_with_hx_redirect() {
        let hx = HxRequest {
            is_htmx: true,
            ..HxRequest::default()
        };

        let response = redirect(&hx, "/about");

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[HX_REDIRECT], "/about");
    }

    #[test]
    fn only_plain_htmx_requests_want_a_fragment() {
        let mut headers = HeaderMap::new();
        assert!(!HxRequest::from_headers(&headers).wants_fragment());

        headers.insert("hx-request", HeaderValue::from_static("true"));
        assert!(HxRequest::from_headers(&headers).wants_fragment());

        headers.insert("hx-boosted", HeaderValue::from_static("true"));
        assert!(!HxRequest::from_headers(&headers).wants_fragment());

        headers.remove("hx-boosted");
        headers.insert(
            "hx-history-restore-request",
            HeaderValue::from_static("true"),
        );
        assert!(!HxRequest::from_headers(&headers).wants_fragment());
    }
}
