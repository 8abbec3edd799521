//! How the app talks to providers (discovery, keys, tokens, GitHub's API): reqwest, with no
//! redirects followed (a provider's answer never sends the app elsewhere), a deadline, and a bound
//! on what it reads.

use std::{future::Future, pin::Pin, time::Duration};

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse, http::StatusCode, url::Url};
use serde::de::DeserializeOwned;

/// No provider document or answer comes near this.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("the answer is over {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error(transparent)]
    Http(#[from] openidconnect::http::Error),
    #[error("the answer was {0}")]
    Status(StatusCode),
    #[error("the answer is not the JSON expected: {0}")]
    Json(#[from] serde_json::Error),
}

impl ProviderHttp {
    pub fn new() -> anyhow::Result<Self> {
        crate::server::use_ring_for_tls();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            // GitHub's API refuses requests without one.
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Self { client })
    }

    /// GETs `url` (with the access token, if any), and reads the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        access_token: Option<&str>,
        accept: &str,
    ) -> Result<T, HttpError> {
        let mut request = self.client.get(url).header(reqwest::header::ACCEPT, accept);
        if let Some(token) = access_token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let body = read_bounded(response).await?;
        if !status.is_success() {
            return Err(HttpError::Status(status));
        }
        Ok(serde_json::from_slice(&body)?)
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.client.execute(request.try_into()?).await?;
            let mut answer = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            Ok(answer.body(read_bounded(response).await?)?)
        })
    }
}
