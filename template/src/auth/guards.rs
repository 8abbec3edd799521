//! Extractors that protect handlers. Take one as an argument and the handler only runs when the
//! visitor qualifies:
//!
//! ```ignore
//! async fn account(_: paths::Account, RequireUser(user): RequireUser, page: Page) -> Response
//! ```
//!
//! | guard | lets through | otherwise |
//! |---|---|---|
//! | [`RequireUser`] | a signed-in user | redirect to sign-in and back afterwards; 401 JSON for JSON requests |
//! | [`RequireAdmin`] | a signed-in admin | 403, signed in or not: the admin area does not send visitors to a sign-in form |
//! | [`RequireGuest`] | a visitor who is not signed in | redirect to the home page |
//!
//! They read the [`CurrentUser`] that `crate::auth::session::load_current_user` found.

use axum::{
    extract::FromRequestParts,
    http::request::Parts,
    response::{IntoResponse, Response},
};

use super::session::CurrentUser;
use crate::{
    error::AppError,
    htmx::{self, HxRequest},
    paths,
};

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct RequireUser(pub CurrentUser);

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub CurrentUser);

/// A visitor who is not signed in (the sign-in and sign-up pages).
#[derive(Debug, Clone, Copy)]
pub struct RequireGuest;

/// Why a guard turned the request away.
#[derive(Debug)]
pub enum Rejection {
    /// Not signed in: off to the sign-in form, which sends them back to `next`.
    SignInRequired {
        next: String,
        wants_json: bool,
        hx: HxRequest,
    },
    /// Signed in, but not allowed.
    Forbidden,
    /// Signed in already: there is no point in signing in again.
    AlreadySignedIn { hx: HxRequest },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignInRequired {
                wants_json: true, ..
            } => AppError::Unauthorized.into_response(),
            // A plain redirect for browsers, HX-Redirect for htmx requests.
            Self::SignInRequired { next, hx, .. } => {
                htmx::redirect(&hx, paths::SignIn::with_next(&next))
            }
            Self::Forbidden => {
                AppError::Forbidden("This page is for administrators only.".to_owned())
                    .into_response()
            }
            Self::AlreadySignedIn { hx } => htmx::redirect(&hx, paths::Home),
        }
    }
}

fn current_user(parts: &Parts) -> Option<CurrentUser> {
    parts.extensions.get::<CurrentUser>().cloned()
}

fn sign_in_required(parts: &Parts) -> Rejection {
    let wants_json = crate::error::wants_json(&parts.headers);
    let next = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), ToString::to_string);
    Rejection::SignInRequired {
        next,
        wants_json,
        hx: HxRequest::from_headers(&parts.headers),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireUser {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        current_user(parts)
            .map(Self)
            .ok_or_else(|| sign_in_required(parts))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match current_user(parts) {
            Some(user) if user.is_admin => Ok(Self(user)),
            Some(_) | None => Err(Rejection::Forbidden),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireGuest {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match current_user(parts) {
            Some(_) => Err(Rejection::AlreadySignedIn {
                hx: HxRequest::from_headers(&parts.headers),
            }),
            None => Ok(Self),
        }
    }
}
