//! Signing in with another provider: OpenID Connect's authorization code flow (with
//! `openidconnect`), for Google, Microsoft, GitLab or any OpenID Connect issuer
//! (`[oauth.providers.NAME]`, [`settings`]).
//!
//! - **The trip** ([`Provider::start`]): the app sends the visitor to the provider with a random
//!   `state`, a `nonce` and a PKCE challenge, and keeps them in the session ([`Trip`]) for
//!   [`TRIP_WITHIN`]. The provider sends them back to `<public_url>/login/oauth/NAME/callback`:
//!   the redirect URI is built from the settings, never from the request's `Host`.
//! - **The return** ([`Provider::finish`]): the trip is taken out of the session first (it counts
//!   once), `state` must match it, the code is exchanged with the PKCE verifier, and the ID token
//!   must be signed by one of the issuer's keys (fetched again once when it names a key the app
//!   has not seen: keys rotate), name this issuer and this app, be unexpired and carry the nonce.
//! - **Who it is**: the provider's `sub`, and an address only if the provider says it is
//!   verified. What the app then does (sign in, open an account, connect the identity to the
//!   signed-in user) is `crate::routes::oauth`'s: an existing account is never reached by its
//!   address, only connected by its owner once signed in.

mod http;
pub mod settings;

use std::{sync::Arc, time::Instant};

use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse as _,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex;
use tower_sessions::Session;

use self::http::ProviderHttp;
pub use self::settings::{OAuthConfig, Preset, ProviderConfig};
use crate::error::AppError;

/// How long the visitor has at the provider before the trip is forgotten.
pub const TRIP_WITHIN: Duration = Duration::minutes(10);

/// A provider's discovery document and keys are read again after this long.
const DISCOVERY_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

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
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "oauth.providers.{name}: a provider's name may only hold a-z, 0-9 and -"
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

/// One provider: where it is, who the app is to it, and what it told the app of itself.
pub struct Provider {
    /// Its name in the settings and the URLs.
    pub name: String,
    /// Its name for people ("Google").
    pub label: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    scopes: Vec<Scope>,
    redirect: RedirectUrl,
    http: ProviderHttp,
    /// The discovery document and keys, and when they were read.
    discovered: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("issuer", &self.issuer.as_str())
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
    nonce: String,
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
    /// The provider's id of the person, which never changes.
    pub subject: String,
    /// Their address, lower-cased, if the provider gave one.
    pub email: Option<String>,
    /// Whether the provider says they own that address.
    pub email_verified: bool,
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
    /// The ID token did not pass the checks.
    #[error("the ID token did not pass the checks: {0}")]
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
        let issuer = match (settings.preset, &settings.issuer) {
            (Some(preset), _) => preset
                .issuer(settings)
                .map_err(|problem| anyhow::anyhow!("oauth.providers.{name}: {problem}"))?,
            (None, Some(issuer)) => issuer.clone(),
            (None, None) => anyhow::bail!(
                "oauth.providers.{name}: give a `preset` (google, microsoft, gitlab) or the \
                 `issuer` URL of an OpenID Connect provider"
            ),
        };
        let issuer_url = openidconnect::url::Url::parse(&issuer)
            .map_err(|e| anyhow::anyhow!("oauth.providers.{name}: issuer {issuer:?}: {e}"))?;
        let loopback = matches!(
            issuer_url.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]")
        );
        anyhow::ensure!(
            issuer_url.scheme() == "https" || loopback,
            "oauth.providers.{name}: the issuer must be an https:// URL"
        );
        let label = settings
            .label
            .clone()
            .or_else(|| settings.preset.map(|preset| preset.label().to_owned()))
            .unwrap_or_else(|| name.to_owned());
        let scopes = settings
            .scopes
            .clone()
            .unwrap_or_else(|| ["openid", "email", "profile"].map(str::to_owned).to_vec());
        let redirect = format!(
            "{}/login/oauth/{name}/callback",
            public_url.trim_end_matches('/')
        );
        Ok(Self {
            name: name.to_owned(),
            label,
            issuer: IssuerUrl::new(issuer)?,
            client_id: ClientId::new(settings.client_id.clone()),
            client_secret: ClientSecret::new(settings.client_secret.expose_secret().to_owned()),
            // `openid` is what makes it OpenID Connect; the client adds it.
            scopes: scopes
                .into_iter()
                .filter(|scope| scope != "openid")
                .map(Scope::new)
                .collect(),
            redirect: RedirectUrl::new(redirect)?,
            http,
            discovered: Mutex::new(None),
        })
    }

    /// The URL the provider sends visitors back to: what to register with it.
    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    /// The provider's discovery document and keys: read once an hour, or again now if `fresh`.
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, Refusal> {
        let mut discovered = self.discovered.lock().await;
        if let Some((metadata, read)) = discovered.as_ref()
            && !fresh
            && read.elapsed() < DISCOVERY_FOR
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                Refusal::Unreachable(
                    anyhow::Error::new(e).context("reading the discovery document"),
                )
            })?;
        *discovered = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// Checks that the provider's discovery document and keys can be read (`doctor`).
    pub async fn check(&self) -> anyhow::Result<()> {
        self.metadata(true)
            .await
            .map(drop)
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
        let metadata = match self.metadata(false).await {
            Ok(metadata) => metadata,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let client = CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(self.scopes.iter().cloned())
            .set_pkce_challenge(challenge)
            .url();
        let trip = Trip {
            provider: self.name.clone(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            purpose,
            started: OffsetDateTime::now_utc().unix_timestamp(),
        };
        session.insert(TRIP, trip).await?;
        Ok(Ok(url.to_string()))
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
        Ok(self
            .identify(code, trip.pkce_verifier, Nonce::new(trip.nonce))
            .await
            .map(|identity| (identity, trip.purpose)))
    }

    /// Exchanges the code for tokens and checks the ID token.
    async fn identify(
        &self,
        code: String,
        pkce_verifier: String,
        nonce: Nonce,
    ) -> Result<Identity, Refusal> {
        let client = CoreClient::from_provider_metadata(
            self.metadata(false).await?,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| Refusal::BadToken(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(response) => {
                    Refusal::Refused(response.error().to_string())
                }
                RequestTokenError::Request(error) => {
                    Refusal::Unreachable(anyhow::Error::new(error).context("the token request"))
                }
                other => Refusal::Unreachable(anyhow::Error::new(other)),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::BadToken("no ID token".to_owned()))?;

        // A key the app has not seen may be the provider's new one: read its keys again, once.
        let mut client = client;
        let mut verified = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        if let Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) = verified
        {
            client = CoreClient::from_provider_metadata(
                self.metadata(true).await?,
                self.client_id.clone(),
                Some(self.client_secret.clone()),
            )
            .set_redirect_uri(self.redirect.clone());
            verified = id_token
                .claims(&client.id_token_verifier(), &nonce)
                .cloned();
        }
        let claims = verified.map_err(|e| Refusal::BadToken(e.to_string()))?;

        // The access token must be the one the ID token was issued with.
        if let Some(expected) = claims.access_token_hash() {
            let bad = |e: &dyn std::fmt::Display| Refusal::BadToken(e.to_string());
            let verifier = client.id_token_verifier();
            let alg = id_token.signing_alg().map_err(|e| bad(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| bad(&e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| bad(&e))?;
            if actual != *expected {
                return Err(Refusal::BadToken(
                    "the access token hash differs".to_owned(),
                ));
            }
        }
        Ok(Identity {
            subject: claims.subject().to_string(),
            email: claims
                .email()
                .map(|email| crate::models::user::normalize_email(email.as_str())),
            email_verified: claims.email_verified() == Some(true),
        })
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
