//! The synchronizer token: the second defence against cross-site form posts.
//!
//! The first is tower-http's `CsrfLayer` (see [`crate::routes`]), which refuses unsafe requests
//! that the browser marks as coming from another site (`Sec-Fetch-Site`, `Origin`). Old browsers
//! send neither header, so every form also carries a random token that another site cannot read:
//!
//! - [`CsrfToken`], an extractor, gives the session's token (made on first use); forms render it
//!   as a hidden field named [`FIELD`], and the layout hands it to htmx as the [`HEADER`] header;
//! - [`verify`], a middleware on the page routes, refuses any POST, PUT, PATCH or DELETE that does
//!   not carry it, with a 403 that asks to reload the page. A multipart form (a file upload)
//!   carries it in its action's query string, [`with_token`], as its body is not read ahead of
//!   the handler.
//!
//! Signing in and out replaces the token (`crate::auth::session`).

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, Request},
    http::{Method, header, request::Parts},
    middleware::Next,
    response::Response,
};
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;

use crate::error::AppError;

/// The form field carrying the token.
pub const FIELD: &str = "csrf_token";
/// The request header carrying the token (htmx requests).
pub const HEADER: &str = "x-csrf-token";

const SESSION_KEY: &str = "csrf.token";

/// The session's CSRF token, to render in forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// The session's token, created and stored on first use.
    pub async fn of(session: &Session) -> Result<Self, AppError> {
        if let Some(token) = session.get::<String>(SESSION_KEY).await.map_err(store)? {
            return Ok(Self(token));
        }
        let token = crate::random::token::<32>()?;
        session.insert(SESSION_KEY, &token).await.map_err(store)?;
        Ok(Self(token))
    }

    /// The session's token if it has one already; unlike [`CsrfToken::of`], never writes to the
    /// session. A store error counts as no token: the form that needs one will make it.
    pub async fn existing(session: &Session) -> Option<Self> {
        session
            .get::<String>(SESSION_KEY)
            .await
            .ok()
            .flatten()
            .map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| AppError::Internal(anyhow::anyhow!(message)))?;
        Self::of(&session).await
    }
}

/// Drops the session's token: the next form gets a new one.
pub async fn forget_token(session: &Session) -> Result<(), AppError> {
    session
        .remove::<String>(SESSION_KEY)
        .await
        .map(drop)
        .map_err(store)
}

/// `action` with the token in its query string, for a multipart form's `action`.
pub fn with_token(action: impl std::fmt::Display, token: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(FIELD, token)
        .finish();
    format!("{action}?{query}")
}

/// Middleware: unsafe methods must carry the session's token, in the [`HEADER`] header, in the
/// [`FIELD`] field of a URL-encoded form, or in the query string of a multipart form.
pub async fn verify(session: Session, request: Request, next: Next) -> Result<Response, AppError> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(next.run(request).await);
    }
    let expected = session.get::<String>(SESSION_KEY).await.map_err(store)?;
    let (request, sent) = sent_token(request).await?;
    let valid = match (expected, sent) {
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    };
    if !valid {
        return Err(AppError::Forbidden(
            "This form has expired. Reload the page and try again.".to_owned(),
        ));
    }
    Ok(next.run(request).await)
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

fn store(error: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::Error::new(error).context("the session store failed"))
}
