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
//! | [`RequireAdmin`] | a signed-in admin (with two-factor on, when `auth.admins_need_two_factor`) | 403, signed in or not: the admin area does not send visitors to a sign-in form; an admin without two-factor goes to set it up |
//! | [`RequireGuest`] | a visitor who is not signed in | redirect to the home page |
//!
//! They read the [`CurrentUser`] that `crate::auth::session::load_current_user` found;
//! [`RequireAdmin`] also reads the [`AdminPolicy`] from the app's state.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
    response::{IntoResponse, Response},
};
use sea_orm::DatabaseConnection;

use super::{session::CurrentUser, two_factor};
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

/// What [`RequireAdmin`] asks of an administrator besides the role, from the app's state.
#[derive(Debug, Clone)]
pub struct AdminPolicy {
    pub db: DatabaseConnection,
    /// `auth.admins_need_two_factor`.
    pub two_factor_required: bool,
}

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
    /// An administrator who must turn two-factor on first: off to set it up.
    TwoFactorRequired { wants_json: bool, hx: HxRequest },
    /// The check itself failed (the database did not answer).
    Failed(AppError),
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
            Self::TwoFactorRequired {
                wants_json: true, ..
            } => AppError::Forbidden(
                "Administrators need two-factor sign-in: turn it on first.".to_owned(),
            )
            .into_response(),
            Self::TwoFactorRequired { hx, .. } => htmx::redirect(&hx, paths::AccountTwoFactor),
            Self::Failed(error) => error.into_response(),
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

impl<S> FromRequestParts<S> for RequireAdmin
where
    S: Send + Sync,
    AdminPolicy: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(user) = current_user(parts).filter(|user| user.is_admin) else {
            return Err(Rejection::Forbidden);
        };
        let policy = AdminPolicy::from_ref(state);
        if policy.two_factor_required
            && !two_factor::is_on(&policy.db, user.id)
                .await
                .map_err(|error| Rejection::Failed(error.into()))?
        {
            return Err(Rejection::TwoFactorRequired {
                wants_json: crate::error::wants_json(&parts.headers),
                hx: HxRequest::from_headers(&parts.headers),
            });
        }
        Ok(Self(user))
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
