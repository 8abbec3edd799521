//! The providers' settings (`[oauth.providers.NAME]` in `config/default.toml`), read with the
//! rest by `crate::config`.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The providers, by the name in their URLs (`/login/oauth/NAME`). One without a client id
    /// and secret is off: no button, no route.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// A provider this app knows (its address, its label, its scopes): `google`, `microsoft`,
    /// `gitlab`, `github`. Without one, `issuer` names any OpenID Connect provider.
    pub preset: Option<Preset>,
    /// The provider's issuer URL, where its discovery document is: for no preset, required; for
    /// `gitlab`, your own GitLab (default `https://gitlab.com`); for `github`, your GitHub
    /// Enterprise Server (default `https://github.com`).
    pub issuer: Option<String>,
    /// `github` only: the REST API's root, if not `https://api.github.com` (or, for a GitHub
    /// Enterprise Server, `<issuer>/api/v3`).
    pub api_url: Option<String>,
    /// `microsoft` only: your directory (tenant) id, whose accounts may sign in.
    pub tenant: Option<String>,
    /// What the button says after "Continue with" (default: the preset's name, or `NAME`).
    pub label: Option<String>,
    /// The app's id at the provider (`APP_OAUTH__PROVIDERS__NAME__CLIENT_ID`).
    #[serde(default)]
    pub client_id: String,
    /// The app's secret at the provider: from the environment
    /// (`APP_OAUTH__PROVIDERS__NAME__CLIENT_SECRET`), never in a committed file.
    #[serde(default = "no_secret")]
    pub client_secret: SecretString,
    /// What the app asks for (default `openid email profile`).
    pub scopes: Option<Vec<String>>,
}

fn no_secret() -> SecretString {
    SecretString::from(String::new())
}

/// The providers whose addresses and names the app knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Google,
    Microsoft,
    Gitlab,
    /// OAuth 2 and GitHub's API: not OpenID Connect (`crate::auth::oauth::github`).
    Github,
}

impl Preset {
    pub fn label(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Microsoft => "Microsoft",
            Self::Gitlab => "GitLab",
            Self::Github => "GitHub",
        }
    }

    /// The OpenID Connect issuer, from the settings the preset needs.
    pub fn issuer(self, config: &ProviderConfig) -> Result<String, &'static str> {
        match self {
            Self::Google => Ok("https://accounts.google.com".to_owned()),
            // Microsoft's "common" endpoint names no single issuer, so ID tokens could not be
            // checked against one: a tenant it must be.
            Self::Microsoft => match config.tenant.as_deref() {
                Some(tenant) if is_tenant_id(tenant) => Ok(format!(
                    "https://login.microsoftonline.com/{}/v2.0",
                    tenant.to_lowercase()
                )),
                _ => Err("needs `tenant`: your directory (tenant) id, a UUID from Entra ID"),
            },
            Self::Gitlab => Ok(config
                .issuer
                .clone()
                .unwrap_or_else(|| "https://gitlab.com".to_owned())),
            Self::Github => Err("GitHub is no OpenID Connect issuer"),
        }
    }
}

fn is_tenant_id(tenant: &str) -> bool {
    tenant.len() == 36 && tenant.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}
