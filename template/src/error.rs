//! # Error policy
//!
//! 1. Handlers return `Result<_, AppError>`. A client mistake is a 4xx variant whose message is
//!    written for the person who made it; anything that is our fault is [`AppError::Internal`].
//! 2. Infrastructure errors (database, I/O, …) become `Internal` through `?`. Add
//!    `.context("loading the home page posts")` so the log says what was being done.
//! 3. The public message is the only thing about an error a client ever sees. An internal error's
//!    text, a database message or a panic message never reaches a response: the client gets
//!    "Something went wrong" and the request id to quote.
//! 4. Errors are not logged where they are created. [`crate::middleware::error_pages`] logs each
//!    5xx once, inside the request's span, and renders every error response: a full page, an htmx
//!    fragment, or JSON when the request asks for JSON.
//! 5. Outside a request (start-up, the CLI), errors are `anyhow::Error` with context.
//! 6. Other error responses get the same treatment: a plain-text or empty error body (axum's
//!    rejections, a bare `StatusCode`) is replaced by the status's sentence from
//!    [`default_message`]. To show your own words, return an `AppError` variant that carries them.

use std::sync::Arc;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// What a handler can fail with. See the module documentation for the policy.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404: the URL names nothing, or something the visitor may not know exists.
    #[error("not found")]
    NotFound,
    /// 400: the request cannot be understood; the message says what to fix.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: the visitor must sign in first (pages redirect to the sign-in form instead; see
    /// `crate::auth::guards`).
    #[error("sign-in required")]
    Unauthorized,
    /// 403: signed in, or not, this visitor may not do this; the message says why.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 413: the request body is over the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 429: too many attempts; the client may try again after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: a service we depend on is down; the error says which, for the log.
    #[error("service unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// 500: our fault. The error is logged; the client sees a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Whether a request asks for JSON rather than a page: `Accept` names JSON (or a `+json` type)
/// and not HTML. A browser's `text/html,…,application/json;q=0.9` wants a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let json = accept.contains("application/json") || accept.contains("+json");
    json && !accept.contains("text/html")
}

/// A session that cannot be read or saved is our fault: the store (the database) failed.
impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Internal(anyhow::Error::new(error).context("the session store failed"))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The text a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::BadRequest(message) | Self::Forbidden(message) => message.clone(),
            Self::TooManyRequests { retry_after_secs } => format!(
                "Too many attempts: please wait {} and try again.",
                match retry_after_secs {
                    0 | 1 => "a second".to_owned(),
                    secs @ 2..60 => format!("{secs} seconds"),
                    secs => format!("{} minutes", secs.div_ceil(60)),
                }
            ),
            Self::NotFound
            | Self::Unauthorized
            | Self::PayloadTooLarge
            | Self::Unavailable(_)
            | Self::Internal(_) => default_message(self.status()).to_owned(),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        // An update that found no row: another request deleted it in between.
        if matches!(error, sea_orm::DbErr::RecordNotUpdated) {
            return Self::NotFound;
        }
        Self::Internal(error.into())
    }
}

/// Turns the error into a bare response carrying an [`ErrorReport`]; the `error_pages`
/// middleware renders and logs it. Nothing happens here, so the conversion has no side effects.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        if let Self::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response.extensions_mut().insert(ErrorReport::from(self));
        response
    }
}

/// An error on its way out: what the client may see, and what only the log may see.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub public_message: String,
    /// The full error chain of an internal error, for the log.
    pub internal: Option<Arc<anyhow::Error>>,
}

impl ErrorReport {
    /// A report for a panic: the panic message goes to the log only.
    pub fn panic(message: String) -> Self {
        Self {
            public_message: default_message(StatusCode::INTERNAL_SERVER_ERROR).to_owned(),
            internal: Some(Arc::new(anyhow::anyhow!("panic: {message}"))),
        }
    }
}

impl From<AppError> for ErrorReport {
    fn from(error: AppError) -> Self {
        let public_message = error.public_message();
        let internal = match error {
            AppError::Internal(error) | AppError::Unavailable(error) => Some(Arc::new(error)),
            AppError::NotFound
            | AppError::BadRequest(_)
            | AppError::Unauthorized
            | AppError::Forbidden(_)
            | AppError::PayloadTooLarge
            | AppError::TooManyRequests { .. } => None,
        };
        Self {
            public_message,
            internal,
        }
    }
}

/// A sentence for each status the app answers with, for responses that carry no message of their
/// own (a 405 from the router, a 413 from the body limit, …).
pub fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "The request could not be understood.",
        StatusCode::UNAUTHORIZED => "Please sign in to continue.",
        StatusCode::FORBIDDEN => "You are not allowed to do that.",
        StatusCode::NOT_FOUND => "There is nothing at this address.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.",
        StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "What you sent is not in a format this page accepts.",
        StatusCode::UNPROCESSABLE_ENTITY => "Some of what you sent is not valid.",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests: please wait a moment and try again.",
        StatusCode::SERVICE_UNAVAILABLE => {
            "The service is briefly unavailable: please try again in a moment."
        }
        status if status.is_server_error() => "Something went wrong on our side.",
        _ => "The request could not be completed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_of_a_row_deleted_meanwhile_is_a_404_other_database_errors_a_500() {
        let gone = AppError::from(sea_orm::DbErr::RecordNotUpdated);
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        let broken = AppError::from(sea_orm::DbErr::Custom("disk full".to_owned()));
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!broken.public_message().contains("disk"));
    }

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn json_is_chosen_only_when_asked_for_without_html() {
        assert!(wants_json(&accept("application/json")));
        assert!(wants_json(&accept("application/problem+json")));
        assert!(!wants_json(&accept(
            "text/html,application/xhtml+xml,application/json;q=0.9"
        )));
        assert!(!wants_json(&accept("*/*")));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
