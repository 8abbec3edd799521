//! Signing in with another provider, by the OAuth 2 authorization code flow: OpenID Connect
//! (with `openidconnect`) for Google, Microsoft, GitLab or any issuer, and GitHub's own API
//! (`[oauth.providers.NAME]`, [`settings`]).
//!
//! - **The trip** ([`Provider::start`]): the app sends the visitor to the provider with a random
//!   `state`, a PKCE challenge and (OpenID Connect) a `nonce`, and keeps them in the session
//!   ([`Trip`]) for [`TRIP_WITHIN`]. The provider sends them back to
//!   `<public_url>/login/oauth/NAME/callback`: the redirect URI is built from the settings, never
//!   from the request's `Host`.
//! - **The return** ([`Provider::finish`]): the trip is taken out of the session first (it counts
//!   once), `state` must match it, and the code is exchanged with the PKCE verifier. Then
//!   [`oidc`] checks the ID token (the issuer's signature, issuer, audience, expiry, nonce), or
//!   [`github`] asks GitHub's API who the token belongs to.
//! - **Who it is**: the provider's id of the person (`sub`, GitHub's numeric id), and an address
//!   only if the provider says it is verified. What the app then does (sign in, open an account, connect the identity to the
//!   signed-in user) is `crate::routes::oauth`'s: an existing account is never reached by its
//!   address, only connected by its owner once signed in.

mod github;
mod http;
mod oidc;
pub mod settings;

use std::sync::Arc;

use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, ErrorResponse, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

pub use self::settings::{OAuthConfig, Preset, ProviderConfig};
use self::{github::GitHub, http::ProviderHttp, oidc::OpenIdConnect};
use crate::error::AppError;

/// How long the visitor has at the provider before the trip is forgotten.
pub const TRIP_WITHIN: Duration = Duration::minutes(10);

/// The session key of the visitor's trip to a provider.
const TRIP: &str = "auth.oauth_trip";

/// The providers that have credentials, in the order of the settings.
#[derive(Debug, Clone)]
pub struct OAuth {
    providers: Vec<Arc<Provider>>,
}

impl OAuth {
    /// The providers of the settings that have a client id and secret; the site's address is
    /// where they send visitors back. A provider named or set up wrongly stops the app here, with
    /// the key to fix.
    pub fn new(config: &OAuthConfig, public_url: &str) -> anyhow::Result<Self> {
        let http = ProviderHttp::new()?;
        let mut providers = Vec::new();
        for (name, settings) in &config.providers {
            anyhow::ensure!(
                !name.is_empty()
                    && name.len() <= 64
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "oauth.providers.{name}: a provider's name may only hold a-z, 0-9 and -, at most 64 of \
                 them"
            );
            let secret = settings.client_secret.expose_secret();
            if settings.client_id.is_empty() || secret.is_empty() {
                continue;
            }
            providers.push(Arc::new(Provider::new(
                name,
                settings,
                public_url,
                http.clone(),
            )?));
        }
        Ok(Self { providers })
    }

    /// The providers that sign in, for their buttons.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.iter().map(AsRef::as_ref)
    }

    /// The provider of this name, or a 404 (none such, or without credentials).
    pub fn provider(&self, name: &str) -> Result<&Provider, AppError> {
        self.providers()
            .find(|provider| provider.name == name)
            .ok_or(AppError::NotFound)
    }

    /// The label of a provider named in the database, even one no longer set up.
    pub fn label_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.providers()
            .find(|provider| provider.name == name)
            .map_or(name, |provider| provider.label.as_str())
    }
}

/// One provider: who the app is to it, where it sends visitors back, and how it says who they
/// are.
pub struct Provider {
    /// Its name in the settings and the URLs.
    pub name: String,
    /// Its name for people ("Google").
    pub label: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    scopes: Vec<Scope>,
    redirect: RedirectUrl,
    http: ProviderHttp,
    kind: Kind,
}

/// How a provider says who the visitor is.
enum Kind {
    /// In a signed ID token ([`oidc`]).
    OpenIdConnect(OpenIdConnect),
    /// Through its API ([`github`]).
    GitHub(GitHub),
}

impl Kind {
    fn default_scopes(&self) -> &'static [&'static str] {
        match self {
            Self::OpenIdConnect(_) => &["openid", "email", "profile"],
            Self::GitHub(_) => &["read:user", "user:email"],
        }
    }
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why the visitor went to the provider, kept for their return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// To sign in (or open an account), then go on to `next`.
    SignIn { next: Option<String> },
    /// To connect the identity to this signed-in user.
    Connect { user_id: i64 },
}

/// The visitor's trip to a provider, as the session keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Trip {
    provider: String,
    state: String,
    /// OpenID Connect's: the ID token must carry it.
    nonce: Option<String>,
    pkce_verifier: String,
    purpose: Purpose,
    started: i64,
}

/// What the provider sends the visitor back with (`?code=…&state=…`, or `?error=…`).
#[derive(Debug, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Who the visitor is at the provider.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Who vouches for the person: the issuer's URL (GitHub: its API's root). Identities are
    /// kept by issuer, not by the provider's name in the settings, which can be pointed elsewhere.
    pub issuer: String,
    /// The issuer's id of the person, which never changes.
    pub subject: String,
    /// Their address, lower-cased, if the provider gave one.
    pub email: Option<String>,
    /// Whether the provider says they own that address.
    pub email_verified: bool,
}

impl Identity {
    /// Refused when longer than the `identities` table keeps (no provider sends such).
    fn fits(self) -> Result<Self, Refusal> {
        let fits = self.issuer.len() <= 255
            && self.subject.len() <= 255
            && self.email.as_ref().is_none_or(|email| email.len() <= 320);
        if fits {
            Ok(self)
        } else {
            Err(Refusal::BadToken("an identity longer than kept".to_owned()))
        }
    }
}

/// Why a trip did not end with an identity. Each is the visitor's or the provider's doing, and
/// each is told on the sign-in page with a 4xx.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No trip in the session (expired, finished already, or started in another browser), or
    /// another `state`: possibly someone else's link.
    #[error("no trip to this provider is under way in this session")]
    NoTrip,
    /// The visitor said no at the provider.
    #[error("the visitor declined at the provider")]
    Declined,
    /// The provider refused the code (expired or used), or sent an error of its own.
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The ID token (or the provider's account API) did not pass the checks.
    #[error("the answer did not pass the checks: {0}")]
    BadToken(String),
    /// The provider could not be reached, or its answer was not one.
    #[error("the provider did not answer: {0:#}")]
    Unreachable(anyhow::Error),
}

impl Provider {
    fn new(
        name: &str,
        settings: &ProviderConfig,
        public_url: &str,
        http: ProviderHttp,
    ) -> anyhow::Result<Self> {
        let problem =
            |problem: &dyn std::fmt::Display| anyhow::anyhow!("oauth.providers.{name}: {problem}");
        let kind = match settings.preset {
            Some(Preset::Github) => Kind::GitHub(GitHub::new(settings).map_err(|e| problem(&e))?),
            Some(preset) => {
                let issuer = preset.issuer(settings).map_err(|e| problem(&e))?;
                Kind::OpenIdConnect(OpenIdConnect::new(&issuer).map_err(|e| problem(&e))?)
            }
            None => {
                let Some(issuer) = &settings.issuer else {
                    return Err(problem(
                        &"give a `preset` (google, microsoft, gitlab, github) or the `issuer` URL \
                          of an OpenID Connect provider",
                    ));
                };
                Kind::OpenIdConnect(OpenIdConnect::new(issuer).map_err(|e| problem(&e))?)
            }
        };
        let label = settings
            .label
            .clone()
            .or_else(|| settings.preset.map(|preset| preset.label().to_owned()))
            .unwrap_or_else(|| name.to_owned());
        let scopes = settings.scopes.clone().unwrap_or_else(|| {
            kind.default_scopes()
                .iter()
                .map(|scope| (*scope).to_owned())
                .collect()
        });
        let redirect = format!(
            "{}/login/oauth/{name}/callback",
            public_url.trim_end_matches('/')
        );
        Ok(Self {
            name: name.to_owned(),
            label,
            client_id: ClientId::new(settings.client_id.clone()),
            client_secret: ClientSecret::new(settings.client_secret.expose_secret().to_owned()),
            // `openid` is what makes it OpenID Connect: the client adds it itself.
            scopes: scopes
                .into_iter()
                .filter(|scope| scope != "openid")
                .map(Scope::new)
                .collect(),
            redirect: RedirectUrl::new(redirect)?,
            http,
            kind,
        })
    }

    /// The URL the provider sends visitors back to: what to register with it.
    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    /// Checks that the provider answers: its discovery document and keys, or (GitHub) its API
    /// (`doctor`).
    pub async fn check(&self) -> anyhow::Result<()> {
        match &self.kind {
            Kind::OpenIdConnect(oidc) => oidc.metadata(&self.http, true).await.map(drop),
            Kind::GitHub(github) => github.check(&self.http).await,
        }
        .map_err(anyhow::Error::from)
    }

    /// Starts a trip: keeps its secrets in the session and gives the provider's URL to send the
    /// visitor to (or why not: the provider is out of reach). A trip started earlier in this
    /// session is replaced.
    pub async fn start(
        &self,
        session: &Session,
        purpose: Purpose,
    ) -> Result<Result<String, Refusal>, AppError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let started = match &self.kind {
            Kind::OpenIdConnect(oidc) => oidc.authorize_url(self, challenge).await,
            Kind::GitHub(github) => Ok(github.authorize_url(self, challenge)),
        };
        let (url, state, nonce) = match started {
            Ok(started) => started,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let trip = Trip {
            provider: self.name.clone(),
            state: state.secret().clone(),
            nonce: nonce.map(|nonce| nonce.secret().clone()),
            pkce_verifier: verifier.secret().clone(),
            purpose,
            started: OffsetDateTime::now_utc().unix_timestamp(),
        };
        session.insert(TRIP, trip).await?;
        Ok(Ok(url))
    }

    /// Ends the trip the visitor returns from: who they are at the provider, and why they went.
    pub async fn finish(
        &self,
        session: &Session,
        callback: Callback,
    ) -> Result<Result<(Identity, Purpose), Refusal>, AppError> {
        let Some(trip) = take_trip(session).await? else {
            return Ok(Err(Refusal::NoTrip));
        };
        let state_matches = callback
            .state
            .as_deref()
            .is_some_and(|state| bool::from(state.as_bytes().ct_eq(trip.state.as_bytes())));
        if trip.provider != self.name || !state_matches {
            return Ok(Err(Refusal::NoTrip));
        }
        if let Some(error) = callback.error {
            return Ok(Err(if error == "access_denied" {
                Refusal::Declined
            } else {
                Refusal::Refused(error)
            }));
        }
        let Some(code) = callback.code else {
            return Ok(Err(Refusal::Refused("no code".to_owned())));
        };
        let (code, verifier) = (
            AuthorizationCode::new(code),
            PkceCodeVerifier::new(trip.pkce_verifier),
        );
        let identified = match &self.kind {
            Kind::OpenIdConnect(oidc) => {
                let Some(nonce) = trip.nonce else {
                    return Ok(Err(Refusal::NoTrip));
                };
                oidc.identify(self, code, verifier, Nonce::new(nonce)).await
            }
            Kind::GitHub(github) => github.identify(self, code, verifier).await,
        };
        Ok(identified
            .and_then(Identity::fits)
            .map(|identity| (identity, trip.purpose)))
    }
}

/// How a token endpoint's failure reads: the provider said no (a used or expired code), or it
/// could not be asked.
fn token_refusal<E: std::error::Error + Send + Sync + 'static>(
    error: RequestTokenError<E, impl ErrorResponse + 'static>,
) -> Refusal {
    match error {
        RequestTokenError::ServerResponse(response) => Refusal::Refused(response.to_string()),
        // GitHub answers a bad code with 200 and an error object, which is no token.
        RequestTokenError::Parse(error, _) => Refusal::Refused(error.to_string()),
        RequestTokenError::Request(error) => {
            Refusal::Unreachable(anyhow::Error::new(error).context("the token request"))
        }
        RequestTokenError::Other(other) => Refusal::Unreachable(anyhow::anyhow!(other)),
    }
}

/// What an account opened by a provider has for a password: a string that is no hash, which no
/// password matches, random so that the sessions' fingerprint of it (`crate::auth::session`)
/// still changes when a password is set.
pub fn no_password() -> anyhow::Result<String> {
    Ok(format!("{NO_PASSWORD}{}", crate::random::token::<16>()?))
}

/// Whether the user has a password (an account opened by a provider has none until they set one).
pub fn has_password(user: &crate::models::user::Model) -> bool {
    !user.password_hash.starts_with(NO_PASSWORD)
}

/// How [`no_password`] starts: a PHC hash starts with `$`.
const NO_PASSWORD: &str = "!";

/// Takes the trip out of the session: `None` if there is none, or it started more than
/// [`TRIP_WITHIN`] ago, or it no longer reads.
async fn take_trip(session: &Session) -> Result<Option<Trip>, AppError> {
    let Some(kept) = session.remove_value(TRIP).await? else {
        return Ok(None);
    };
    let Ok(trip) = serde_json::from_value::<Trip>(kept) else {
        return Ok(None);
    };
    let age = OffsetDateTime::now_utc().unix_timestamp() - trip.started;
    Ok((0..=TRIP_WITHIN.whole_seconds())
        .contains(&age)
        .then_some(trip))
}
