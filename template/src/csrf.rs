//! The CSRF token: the second defence against cross-site form posts.
//!
//! The first is tower-http's `CsrfLayer` (see [`crate::routes`]), which refuses unsafe requests
//! that the browser marks as coming from another site (`Sec-Fetch-Site`, `Origin`). Old browsers
//! send neither header, so every form also carries a random token that another site can neither
//! read nor choose:
//!
//! - the token lives in a cookie of its own, signed with the app's key, `HttpOnly` and
//!   `SameSite=Lax` (in production also `Secure` and `__Host-`, which a sibling subdomain cannot
//!   set); no session and no database row is needed, so showing a form writes nothing;
//! - [`CsrfToken`], an extractor, gives the visitor's token (made and set as a cookie on first
//!   use); forms render it as a hidden field named [`FIELD`], and the layout hands it to htmx as
//!   the [`HEADER`] header;
//! - [`protect`], a middleware on the page routes, refuses any POST, PUT, PATCH or DELETE whose
//!   token is missing or differs from its cookie's, with a 403 that asks to reload the page (a
//!   method that no route of the path takes gets the router's 405 instead). A multipart form (a
//!   file upload) carries the token in its action's query string, [`with_token`], as its body is
//!   not read ahead of the handler;
//! - a new session id (signing in, signing out) comes with a new token, so a token seen before
//!   is worthless after;
//! - a page never shows the token itself, only the token masked with random bytes drawn for that
//!   page ([`CsrfToken`] is `mask ‖ token ⊕ mask`), which [`protect`] takes off before comparing.
//!   Pages are compressed, and a compressed page that shows a secret beside text an attacker
//!   chose (a search, a form sent back with its errors) gives the secret away a character at a
//!   time through the response's size (BREACH); a token that is different on every page does not.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, MatchedPath, Request, State},
    http::{HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::Response,
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use subtle::ConstantTimeEq as _;
use tower_cookies::{
    Cookie, Cookies,
    cookie::{Key, SameSite},
};
use tower_sessions::Session;

use crate::{config::Config, error::AppError};

/// The form field carrying the token.
pub const FIELD: &str = "csrf_token";
/// The request header carrying the token (htmx requests).
pub const HEADER: &str = "x-csrf-token";
/// The token's length in bytes (its cookie holds them in URL-safe base64).
const TOKEN_BYTES: usize = 32;

/// A visitor's token, as drawn and kept in their cookie.
type Token = [u8; TOKEN_BYTES];

/// The token's cookie: its name and attributes, and the key that signs it.
#[derive(Clone)]
pub struct CsrfCookie {
    key: Key,
    secure: bool,
}

impl std::fmt::Debug for CsrfCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfCookie")
            .field("name", &self.name())
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl CsrfCookie {
    /// The cookie as configured: HTTPS-only with the `__Host-` prefix when the session cookie is.
    pub fn new(config: &Config, key: Key) -> Self {
        Self {
            key,
            secure: config.session.secure_cookie,
        }
    }

    /// The cookie's name.
    pub fn name(&self) -> &'static str {
        if self.secure { "__Host-csrf" } else { "csrf" }
    }

    /// The visitor's token, if their cookie holds one signed with our key.
    fn token(&self, cookies: &Cookies) -> Option<Token> {
        let cookie = cookies.signed(&self.key).get(self.name())?;
        URL_SAFE_NO_PAD.decode(cookie.value()).ok()?.try_into().ok()
    }

    /// Draws a new token and sets it as the visitor's cookie (for the browser's session).
    fn issue(&self, cookies: &Cookies) -> Result<Token, AppError> {
        let token = crate::random::bytes::<TOKEN_BYTES>()?;
        let cookie = Cookie::build((self.name(), URL_SAFE_NO_PAD.encode(token)))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .build();
        cookies.signed(&self.key).add(cookie);
        Ok(token)
    }
}

/// What [`protect`] needs: the token's cookie, and which unsafe methods each path takes (a
/// method it does not take gets the router's 405, not a 403 about a token).
#[derive(Debug, Clone)]
pub struct Protection {
    cookie: CsrfCookie,
    /// (method, path pattern) of every route that changes something.
    unsafe_routes: Arc<HashSet<(&'static str, &'static str)>>,
}

impl Protection {
    /// For the routes given as (method, path pattern).
    pub fn new(
        cookie: &CsrfCookie,
        routes: impl IntoIterator<Item = (&'static str, &'static str)>,
    ) -> Self {
        let unsafe_routes = routes
            .into_iter()
            .filter(|(method, _)| !is_safe(method))
            .collect();
        Self {
            cookie: cookie.clone(),
            unsafe_routes: Arc::new(unsafe_routes),
        }
    }

    /// Whether a route takes `method` at `path` (a pattern, such as `/admin/{resource}`).
    fn routes(&self, method: &Method, path: &str) -> bool {
        let routes: &HashSet<(&str, &str)> = &self.unsafe_routes;
        routes.contains(&(method.as_str(), path))
    }
}

fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// What [`protect`] leaves in the request for [`CsrfToken`]: the visitor's cookies, how to make
/// the token's, and whether the token was handed out.
#[derive(Clone)]
struct TokenCookies {
    cookies: Cookies,
    cookie: CsrfCookie,
    shown: TokenShown,
}

/// Whether the request's token was handed out, to go into its response: such a response must
/// be kept by no cache (`Cache-Control: no-store`, set by [`protect`]; no htmx history snapshot,
/// see `crate::page`).
#[derive(Debug, Clone, Default)]
pub struct TokenShown(Arc<AtomicBool>);

impl TokenShown {
    /// The request's, on routes with [`protect`].
    pub fn of(parts: &Parts) -> Option<Self> {
        parts
            .extensions
            .get::<TokenCookies>()
            .map(|found| found.shown.clone())
    }

    pub fn was_shown(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The visitor's CSRF token as a page shows it, masked (see the module's documentation): to
/// render in forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// The visitor's token, made (and set as their cookie) on first use. `None` on routes
    /// without [`protect`].
    pub fn of(parts: &Parts) -> Option<Result<Self, AppError>> {
        let found = parts.extensions.get::<TokenCookies>()?;
        let token = match found.cookie.token(&found.cookies) {
            Some(token) => Ok(token),
            None => found.cookie.issue(&found.cookies),
        };
        found.shown.mark();
        Some(token.and_then(|token| Self::masking(&token)))
    }

    /// The visitor's token if they have one already; unlike [`CsrfToken::of`], never sets a
    /// cookie.
    pub fn existing(parts: &Parts) -> Option<Self> {
        let found = parts.extensions.get::<TokenCookies>()?;
        let token = found.cookie.token(&found.cookies)?;
        let shown = Self::masking(&token).ok()?;
        found.shown.mark();
        Some(shown)
    }

    /// `token` masked with random bytes drawn for this page: `mask ‖ token ⊕ mask`.
    fn masking(token: &Token) -> Result<Self, AppError> {
        let mask = crate::random::bytes::<TOKEN_BYTES>()?;
        let shown = [mask, xor(token, &mask)].concat();
        Ok(Self(URL_SAFE_NO_PAD.encode(shown)))
    }
}

/// The token that a page showed (see [`CsrfToken::masking`]), its mask taken off; `None` for
/// anything else.
fn unmasked(shown: &str) -> Option<Token> {
    let shown = URL_SAFE_NO_PAD.decode(shown).ok()?;
    let (mask, masked) = shown.split_at_checked(TOKEN_BYTES)?;
    Some(xor(masked.try_into().ok()?, mask.try_into().ok()?))
}

/// `a ⊕ b`, byte by byte: masking and unmasking are the same operation.
fn xor(a: &Token, b: &Token) -> Token {
    std::array::from_fn(|i| a[i] ^ b[i])
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::of(parts).unwrap_or_else(|| {
            Err(AppError::Internal(anyhow::anyhow!(
                "CsrfToken used on a route without the csrf::protect middleware"
            )))
        })
    }
}

/// `action` with the token in its query string, for a multipart form's `action`.
pub fn with_token(action: impl std::fmt::Display, token: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(FIELD, token)
        .finish();
    format!("{action}?{query}")
}

/// Middleware (inside the session layer, whose cookies it shares): unsafe methods must carry the
/// visitor's token, in the [`HEADER`] header, in the [`FIELD`] field of a URL-encoded form, or in
/// the query string of a multipart form. After the handler, a new session id gets a new token.
pub async fn protect(
    State(protection): State<Protection>,
    cookies: Cookies,
    session: Session,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let cookie = &protection.cookie;
    // A method the path does not take runs no handler: the router answers 405 with `Allow`.
    let routed = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| protection.routes(request.method(), path.as_str()));
    if !is_safe(request.method().as_str()) && routed {
        let expected = cookie.token(&cookies);
        let (checked, sent) = sent_token(request).await?;
        request = checked;
        let valid = match (expected, sent.as_deref().and_then(unmasked)) {
            (Some(expected), Some(sent)) => bool::from(expected.ct_eq(&sent)),
            _ => false,
        };
        if !valid {
            return Err(AppError::Forbidden(
                "This form has expired. Reload the page and try again.".to_owned(),
            ));
        }
    }
    let session_before = session.id();
    let shown = TokenShown::default();
    request.extensions_mut().insert(TokenCookies {
        cookies: cookies.clone(),
        cookie: cookie.clone(),
        shown: shown.clone(),
    });
    let mut response = next.run(request).await;
    if session.id() != session_before {
        cookie.issue(&cookies)?;
    }
    // A page holding the token stays out of every cache: the browser's, a proxy's, a shared
    // computer's back button.
    if shown.was_shown() {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// The token the request carries, and the request put back together (the form body, once read,
/// is handed on to the handler).
async fn sent_token(request: Request) -> Result<(Request, Option<String>), AppError> {
    if let Some(token) = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
    {
        let token = token.to_owned();
        return Ok((request, Some(token)));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        // A file upload streams its body to storage in the handler, so it is not read here: the
        // form carries the token in its action's query string instead (`?csrf_token=…`).
        let token = form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned());
        return Ok((request, token));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    // The body-size limit of the router applies while reading.
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|error| {
            if is_length_limit_error(&error) {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The request body could not be read.".to_owned())
            }
        })?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn is_length_limit_error(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_reads_differently_each_time_and_unmasks_to_itself() {
        let token = crate::random::bytes::<TOKEN_BYTES>().unwrap();
        let first = CsrfToken::masking(&token).unwrap().0;
        let second = CsrfToken::masking(&token).unwrap().0;

        assert_ne!(first, second);
        assert_eq!(unmasked(&first), Some(token));
        assert_eq!(unmasked(&second), Some(token));
        // The token as its cookie holds it, a masked one cut short, and text that is not base64.
        assert_eq!(unmasked(&URL_SAFE_NO_PAD.encode(token)), None);
        assert_eq!(unmasked(&first[..first.len() - 4]), None);
        assert_eq!(unmasked("not a token!"), None);
    }
}
