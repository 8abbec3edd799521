//! OpenID Connect providers (Google, Microsoft, GitLab, any issuer): found by their discovery
//! document, and who the visitor is read from the ID token, which must be signed by one of the
//! issuer's keys (read again once when a token names a key the app has not seen: keys rotate),
//! name this issuer and this app, be unexpired and carry the trip's nonce.

use std::time::{Duration, Instant};

use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, SignatureVerificationError,
    TokenResponse as _,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
    url::Url,
};
use tokio::sync::Mutex;

use super::{Identity, Provider, Refusal, http::ProviderHttp, token_refusal};

/// A provider's discovery document and keys are read again after this long.
const DISCOVERY_FOR: Duration = Duration::from_secs(3600);

pub struct OpenIdConnect {
    issuer: IssuerUrl,
    /// The discovery document and keys, and when they were read (boxed: they are large).
    discovered: Mutex<Option<Box<(CoreProviderMetadata, Instant)>>>,
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
            discovered: Mutex::new(None),
        })
    }

    /// The discovery document and keys: read once an hour, or again now if `fresh`.
    pub async fn metadata(
        &self,
        http: &ProviderHttp,
        fresh: bool,
    ) -> Result<CoreProviderMetadata, Refusal> {
        let mut discovered = self.discovered.lock().await;
        if let Some((metadata, read)) = discovered.as_deref()
            && !fresh
            && read.elapsed() < DISCOVERY_FOR
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), http)
            .await
            .map_err(|e| {
                let error = anyhow::Error::new(e).context("reading the discovery document");
                Refusal::Unreachable(error)
            })?;
        *discovered = Some(Box::new((metadata.clone(), Instant::now())));
        Ok(metadata)
    }

    fn client(
        provider: &Provider,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
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
        let mut verified = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        if let Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) = verified
        {
            client = Self::client(provider, self.metadata(http, true).await?);
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

/// `localhost`, `127.0.0.1` or `[::1]`: the tests' providers, which need no TLS.
pub fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}
