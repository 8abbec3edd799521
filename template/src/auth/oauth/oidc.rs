//! OpenID Connect providers (Google, Microsoft, GitLab, any issuer): found by their discovery
//! document, and who the visitor is read from the ID token, which must be signed by one of the
//! issuer's keys (read again once when a token names a key the app has not seen: keys rotate),
//! name this issuer and this app, be unexpired and carry the trip's nonce.

use std::time::{Duration, Instant};

use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, CsrfToken, IdTokenVerifier,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier,
    SignatureVerificationError, TokenResponse as _,
    core::{
        CoreAuthenticationFlow, CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm,
        CoreProviderMetadata,
    },
    url::Url,
};
use tokio::sync::Mutex;

use super::{Identity, Provider, Refusal, http::ProviderHttp, token_refusal};

/// A provider's discovery document and keys are read again after this long.
const DISCOVERY_FOR: Duration = Duration::from_secs(3600);

/// After a failed read, or a read for a key the app had not seen, the next waits this long: a
/// provider that is down, or a token naming a key no one has, does not make every visitor's
/// request ask the provider again.
const READ_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// The signatures an ID token may carry: public-key ones. An HMAC signed with the client secret
/// (which some providers offer) proves less, and `none` proves nothing.
const SIGNATURES: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A client made from the discovery document: its authorization endpoint is set, its token and
/// user info endpoints may be.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

pub struct OpenIdConnect {
    issuer: IssuerUrl,
    discovery: Mutex<Discovery>,
}

/// What the app has read of the provider's description of itself.
#[derive(Default)]
struct Discovery {
    /// The discovery document and keys (boxed: they are large), and when they were read.
    document: Option<Box<(CoreProviderMetadata, Instant)>>,
    /// When reading them last failed.
    failed_at: Option<Instant>,
    /// When they were last read again for a key the app had not seen.
    refreshed_at: Option<Instant>,
}

impl OpenIdConnect {
    /// The provider at `issuer`, an `https://` URL (or a loopback one, for tests).
    pub fn new(issuer: &str) -> anyhow::Result<Self> {
        let url = Url::parse(issuer).map_err(|e| anyhow::anyhow!("issuer {issuer:?}: {e}"))?;
        anyhow::ensure!(
            url.scheme() == "https" || is_loopback(&url),
            "the issuer must be an https:// URL"
        );
        Ok(Self {
            issuer: IssuerUrl::new(issuer.to_owned())?,
            discovery: Mutex::new(Discovery::default()),
        })
    }

    /// The issuer's URL, which its ID tokens name.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The discovery document and keys: read once an hour (the old ones serve on while the
    /// provider does not answer), or again now if `fresh` (a token names a key the app has not
    /// seen).
    pub async fn metadata(
        &self,
        http: &ProviderHttp,
        fresh: bool,
    ) -> Result<CoreProviderMetadata, Refusal> {
        let mut discovery = self.discovery.lock().await;
        let recent = |at: Option<Instant>| at.is_some_and(|at| at.elapsed() < READ_AGAIN_AFTER);
        let cached = discovery.document.as_deref().cloned();
        let read_again = if fresh {
            !recent(discovery.refreshed_at)
        } else {
            cached
                .as_ref()
                .is_none_or(|(_, read)| read.elapsed() >= DISCOVERY_FOR)
                && !recent(discovery.failed_at)
        };
        if !read_again {
            return cached.map(|(document, _)| document).ok_or_else(|| {
                Refusal::Unreachable(anyhow::anyhow!(
                    "the discovery document could not be read a moment ago"
                ))
            });
        }
        if fresh {
            discovery.refreshed_at = Some(Instant::now());
        }
        match CoreProviderMetadata::discover_async(self.issuer.clone(), http).await {
            Ok(document) => {
                discovery.document = Some(Box::new((document.clone(), Instant::now())));
                discovery.failed_at = None;
                Ok(document)
            }
            Err(error) => {
                discovery.failed_at = Some(Instant::now());
                let error = anyhow::Error::new(error).context("reading the discovery document");
                match cached {
                    Some((document, _)) if !fresh => {
                        tracing::warn!(
                            issuer = self.issuer.as_str(),
                            error = format!("{error:#}"),
                            "the provider's discovery document could not be read again; the \
                             one read before serves on"
                        );
                        Ok(document)
                    }
                    _ => Err(Refusal::Unreachable(error)),
                }
            }
        }
    }

    fn client(provider: &Provider, metadata: CoreProviderMetadata) -> Client {
        CoreClient::from_provider_metadata(
            metadata,
            provider.client_id.clone(),
            Some(provider.client_secret.clone()),
        )
        .set_redirect_uri(provider.redirect.clone())
    }

    /// Where to send the visitor, with the trip's state and nonce.
    pub async fn authorize_url(
        &self,
        provider: &Provider,
        challenge: PkceCodeChallenge,
    ) -> Result<(String, CsrfToken, Option<Nonce>), Refusal> {
        let client = Self::client(provider, self.metadata(&provider.http, false).await?);
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(provider.scopes.iter().cloned())
            .set_pkce_challenge(challenge)
            .url();
        Ok((url.to_string(), state, Some(nonce)))
    }

    /// Exchanges the code for tokens and checks the ID token.
    pub async fn identify(
        &self,
        provider: &Provider,
        code: AuthorizationCode,
        verifier: PkceCodeVerifier,
        nonce: Nonce,
    ) -> Result<Identity, Refusal> {
        let http = &provider.http;
        let mut client = Self::client(provider, self.metadata(http, false).await?);
        let tokens = client
            .exchange_code(code)
            .map_err(|e| Refusal::BadToken(e.to_string()))?
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(token_refusal)?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::BadToken("no ID token".to_owned()))?;

        // A key the app has not seen may be the provider's new one: read its keys again, once.
        let mut verified = id_token.claims(&token_verifier(&client), &nonce).cloned();
        if let Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) = verified
        {
            client = Self::client(provider, self.metadata(http, true).await?);
            verified = id_token.claims(&token_verifier(&client), &nonce).cloned();
        }
        let claims = verified.map_err(|e| Refusal::BadToken(e.to_string()))?;

        // The access token must be the one the ID token was issued with.
        if let Some(expected) = claims.access_token_hash() {
            let bad = |e: &dyn std::fmt::Display| Refusal::BadToken(e.to_string());
            let verifier = token_verifier(&client);
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
            issuer: self.issuer().to_owned(),
            subject: claims.subject().to_string(),
            email: claims
                .email()
                .map(|email| crate::models::user::normalize_email(email.as_str())),
            email_verified: claims.email_verified() == Some(true),
        })
    }
}

/// What checks an ID token: `openidconnect`'s (issuer, audience, expiry, the key's signature),
/// with public-key signatures only.
fn token_verifier<'a>(client: &'a Client) -> IdTokenVerifier<'a, CoreJsonWebKey> {
    client.id_token_verifier().set_allowed_algs(SIGNATURES)
}

/// `localhost`, `127.0.0.1` or `[::1]`: the tests' providers, which need no TLS.
pub fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}
