//! GitHub, which speaks OAuth 2 but not OpenID Connect: no ID token, so who the visitor is comes
//! from its REST API with the access token of the sign-in: `GET /user` (the numeric `id`, which
//! never changes, unlike the login) and `GET /user/emails` (the primary address, if GitHub has
//! verified it). GitHub Enterprise Server works the same at its own address.

use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, TokenResponse as _, TokenUrl, basic::BasicClient,
};
use openidconnect::{Nonce, url::Url};
use serde::Deserialize;

use super::{
    Identity, Provider, ProviderConfig, Refusal,
    http::{HttpError, ProviderHttp},
    oidc::is_loopback,
    token_refusal,
};

/// What the API answers to, as GitHub documents it.
const ACCEPT: &str = "application/vnd.github+json";

pub struct GitHub {
    authorize: AuthUrl,
    token: TokenUrl,
    /// The REST API's root, ending with `/`.
    api: Url,
}

/// `GET /user`: the signed-in user.
#[derive(Debug, Deserialize)]
struct User {
    id: u64,
}

/// One of `GET /user/emails`.
#[derive(Debug, Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHub {
    /// github.com, or the GitHub Enterprise Server at `issuer` (its API under `/api/v3/`, unless
    /// `api_url` says otherwise).
    pub fn new(settings: &ProviderConfig) -> anyhow::Result<Self> {
        let web = settings.issuer.as_deref().unwrap_or("https://github.com");
        let web = Url::parse(web).map_err(|e| anyhow::anyhow!("issuer {web:?}: {e}"))?;
        let api = match (&settings.api_url, web.host_str()) {
            (Some(api), _) => api.clone(),
            (None, Some("github.com")) => "https://api.github.com/".to_owned(),
            (None, _) => web.join("api/v3/")?.to_string(),
        };
        let api = format!("{}/", api.trim_end_matches('/'));
        let api = Url::parse(&api).map_err(|e| anyhow::anyhow!("api_url {api:?}: {e}"))?;
        for url in [&web, &api] {
            anyhow::ensure!(
                url.scheme() == "https" || is_loopback(url),
                "{url} must be an https:// URL"
            );
        }
        Ok(Self {
            authorize: AuthUrl::from_url(web.join("login/oauth/authorize")?),
            token: TokenUrl::from_url(web.join("login/oauth/access_token")?),
            api,
        })
    }

    fn client(
        &self,
        provider: &Provider,
    ) -> BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet> {
        BasicClient::new(provider.client_id.clone())
            .set_client_secret(provider.client_secret.clone())
            .set_auth_uri(self.authorize.clone())
            .set_token_uri(self.token.clone())
            .set_redirect_uri(provider.redirect.clone())
            // As GitHub documents it: the credentials in the form, not a Basic header.
            .set_auth_type(AuthType::RequestBody)
    }

    /// Where to send the visitor, with the trip's state (no nonce: there is no ID token).
    pub fn authorize_url(
        &self,
        provider: &Provider,
        challenge: PkceCodeChallenge,
    ) -> (String, CsrfToken, Option<Nonce>) {
        let (url, state) = self
            .client(provider)
            .authorize_url(CsrfToken::new_random)
            .add_scopes(provider.scopes.iter().cloned())
            .set_pkce_challenge(challenge)
            .url();
        (url.to_string(), state, None)
    }

    /// Exchanges the code for an access token, and asks the API whose it is.
    pub async fn identify(
        &self,
        provider: &Provider,
        code: AuthorizationCode,
        verifier: PkceCodeVerifier,
    ) -> Result<Identity, Refusal> {
        let http = &provider.http;
        let tokens = self
            .client(provider)
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(token_refusal)?;
        let token = tokens.access_token().secret();
        let user: User = self.get(http, "user", token).await?;
        let emails: Vec<Email> = self.get(http, "user/emails", token).await?;
        let email = emails
            .into_iter()
            .find(|email| email.primary && email.verified)
            .map(|email| crate::models::user::normalize_email(&email.email));
        Ok(Identity {
            issuer: self.api.to_string(),
            subject: user.id.to_string(),
            email_verified: email.is_some(),
            email,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        http: &ProviderHttp,
        path: &str,
        token: &str,
    ) -> Result<T, Refusal> {
        let url = self
            .api
            .join(path)
            .map_err(|e| Refusal::Unreachable(e.into()))?;
        http.get_json(url, Some(token), ACCEPT)
            .await
            .map_err(|e| match e {
                // The token was refused (revoked meanwhile, or not GitHub's).
                HttpError::Status(status) if status.is_client_error() => {
                    Refusal::Refused(format!("GET /{path}: {status}"))
                }
                other => {
                    let error =
                        anyhow::Error::new(other).context(format!("GitHub's API, GET /{path}"));
                    Refusal::Unreachable(error)
                }
            })
    }

    /// Whether the API answers (`doctor`): its root needs no token.
    pub async fn check(&self, http: &ProviderHttp) -> Result<(), Refusal> {
        http.get_json::<serde_json::Value>(self.api.clone(), None, ACCEPT)
            .await
            .map(drop)
            .map_err(|e| Refusal::Unreachable(anyhow::Error::new(e).context("GitHub's API")))
    }
}
