//! Whole pages, kept for visitors without a session: the second visitor to the home page gets
//! the bytes the first one got, without rendering (as Pagoda's page cache, or Rails' page
//! caching).
//!
//! A handler opts in per page, with how long the page may be served as it was:
//!
//! ```ignore
//! page.cache_for(Duration::from_secs(60)).render("", view! { <HomePage data /> })
//! ```
//!
//! [`serve_cached_pages`] wraps the HTML routes, in front of the session. It serves and keeps
//! only what is the same for everyone:
//! - `GET` requests without the session cookie: such a visitor has no account, no flash message
//!   and no form token, so the page cannot hold anything of theirs;
//! - responses that the handler opted into, `200 OK`, setting no cookie, and rendered by
//!   [`crate::page::Page`] for a visitor without any of the above (it checks again);
//! - one entry per path and query, and per kind of answer: a whole document, or the fragment
//!   htmx asked for.
//!
//! So a cached page must depend on nothing else of the request, and may be up to its time to
//! live behind the database. The entries live in this process's memory whatever the cache's
//! store, within `cache.page_capacity_mb` (0 turns page caching off); emptying the cache
//! ([`super::Cache::flush`], the admin area's button) empties them too.
//!
//! A kept page is served compressed as the visitor's browser asks, from copies compressed once
//! per entry ([`super::compressed`]), not for every request.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes, HttpBody as _, to_bytes},
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use moka::{Expiry, future::Cache as Moka};

use super::compressed::{self, Compressed};
use crate::{
    htmx::{HxRequest, VARY_HTMX},
    middleware::Encoding,
};

/// Set on responses served from the page cache: `x-cache: hit`.
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Larger pages are served, never kept.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The kept pages. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PageCache {
    /// `None` when page caching is off.
    entries: Option<Moka<String, CachedPage>>,
}

#[derive(Clone, Debug)]
struct CachedPage {
    html: Bytes,
    ttl: Duration,
    compressed: Arc<Compressed>,
}

/// Put on a response by [`crate::page::Page::render`] when the handler called `cache_for`: the
/// page may be kept for this long.
#[derive(Clone, Copy, Debug)]
pub struct Cacheable(pub Duration);

/// Each page lives for the time to live its handler gave.
struct PerPageTtl;

impl Expiry<String, CachedPage> for PerPageTtl {
    fn expire_after_create(&self, _: &String, page: &CachedPage, _: Instant) -> Option<Duration> {
        Some(page.ttl)
    }
}

impl PageCache {
    /// A page cache of at most `capacity_mb` megabytes; 0 keeps nothing.
    pub fn new(capacity_mb: u64) -> Self {
        let entries = (capacity_mb > 0).then(|| {
            Moka::builder()
                .max_capacity(capacity_mb.saturating_mul(1_000_000))
                // The compressed copies weigh a quarter of the page each, or less.
                .weigher(|key: &String, page: &CachedPage| {
                    let page_and_copies = page.html.len().saturating_mul(3) / 2;
                    u32::try_from(key.len().saturating_add(page_and_copies)).unwrap_or(u32::MAX)
                })
                .expire_after(PerPageTtl)
                .build()
        });
        Self { entries }
    }

    /// Forgets every page.
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    async fn get(&self, key: &str) -> Option<CachedPage> {
        self.entries.as_ref()?.get(key).await
    }

    async fn put(&self, key: String, html: Bytes, ttl: Duration) {
        if let Some(entries) = &self.entries {
            let compressed = Arc::default();
            let page = CachedPage {
                html,
                ttl,
                compressed,
            };
            entries.insert(key, page).await;
        }
    }

    fn is_on(&self) -> bool {
        self.entries.is_some()
    }
}

/// The middleware: answers from the page cache when it can, and keeps the pages handlers marked
/// [`Cacheable`]. Its state: the pages, and the session cookie's name (a visitor who has one is
/// never served a kept page).
pub async fn serve_cached_pages(
    State((pages, session_cookie)): State<(PageCache, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let key = if pages.is_on() {
        key_of(&request, session_cookie)
    } else {
        None
    };
    let Some(key) = key else {
        return next.run(request).await;
    };
    if let Some(page) = pages.get(&key).await {
        return hit(
            &page,
            Encoding::negotiate(request.headers(), compressed::ENCODINGS),
        )
        .await;
    }
    let response = next.run(request).await;
    let Some(&Cacheable(ttl)) = response.extensions().get::<Cacheable>() else {
        return response;
    };
    let size = response.body().size_hint().exact();
    if response.status() != StatusCode::OK
        || response.headers().contains_key(header::SET_COOKIE)
        || size.is_none_or(|size| size > MAX_PAGE_BYTES as u64)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The body is the page's string, already whole: this cannot wait or fail.
    let Ok(html) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    pages.put(key, html.clone(), ttl).await;
    Response::from_parts(parts, Body::from(html))
}

/// The page's key, when the request may be answered from the cache.
fn key_of(request: &Request, session_cookie: &str) -> Option<String> {
    if request.method() != Method::GET || has_cookie(request, session_cookie) {
        return None;
    }
    let kind = if HxRequest::from_headers(request.headers()).wants_fragment() {
        "fragment"
    } else {
        "document"
    };
    let target = request.uri().path_and_query()?.as_str();
    Some(format!("{kind} {target}"))
}

fn has_cookie(request: &Request, name: &str) -> bool {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .any(|cookie| {
            cookie
                .trim_start()
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
}

/// A kept page, in `encoding` when it has a copy in it, with the headers a rendered page gets
/// from [`crate::page::Page::render`] and the compression layer.
async fn hit(page: &CachedPage, encoding: Option<Encoding>) -> Response {
    let compressed = match encoding {
        Some(encoding) => page
            .compressed
            .get(encoding, &page.html)
            .await
            .map(|body| (encoding, body)),
        None => None,
    };
    let mut response = match compressed {
        Some((encoding, body)) => {
            // The compression layer leaves a response with an encoding as it is.
            let mut response = Html(body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, encoding.header_value());
            response
        }
        None => Html(page.html.clone()).into_response(),
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static(VARY_HTMX));
    headers.append(
        header::VARY,
        HeaderValue::from_static(header::ACCEPT_ENCODING.as_str()),
    );
    headers.insert(X_CACHE, HeaderValue::from_static("hit"));
    response
}
