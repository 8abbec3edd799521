//! Settings, read once at start.
//!
//! Layers, each overriding the one before:
//! 1. `config/default.toml`: every setting, with a development-friendly value;
//! 2. `config/<environment>.toml`: `development`, `test` or `production`;
//! 3. a file named by `--config` or `APP_CONFIG_FILE`, if any;
//! 4. environment variables `APP_<SECTION>__<KEY>`: `APP_SERVER__PORT=8080` sets `server.port`.
//!
//! The environment comes from `APP_ENVIRONMENT` (default `development`). A `.env` file in the
//! working directory is read first, except in production. The TOML files are compiled into the
//! binary, so a release build runs with nothing beside it.
//!
//! [`Config::check`] refuses a production configuration that still holds a development default.

use std::{
    fmt,
    net::IpAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context as _;
use config::{Environment as EnvSource, File, FileFormat};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULT: &str = include_str!("../config/default.toml");
const DEVELOPMENT: &str = include_str!("../config/development.toml");
const TEST: &str = include_str!("../config/test.toml");
const PRODUCTION: &str = include_str!("../config/production.toml");

/// `secret_key` must be at least this long.
pub const MIN_SECRET_KEY_BYTES: usize = 64;

/// The secret key in `config/default.toml`: fine on a laptop, refused in production.
const DEVELOPMENT_SECRET_KEY_PREFIX: &str = "development-only";

/// Where the app runs; each has its own `config/<name>.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Your machine: readable logs, migrations applied at start, browser reload.
    Development,
    /// `cargo test`: a fresh database per test, quiet logs.
    Test,
    /// A server: JSON logs, secure cookies, HSTS, and no development defaults allowed.
    Production,
}

impl Environment {
    /// Reads `APP_ENVIRONMENT`; unset means development.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("APP_ENVIRONMENT") {
            Err(std::env::VarError::NotPresent) => Ok(Self::Development),
            Ok(name) => <Self as clap::ValueEnum>::from_str(&name, true).map_err(|_| {
                anyhow::anyhow!(
                    "APP_ENVIRONMENT={name} is not an environment: use development, test or production"
                )
            }),
            Err(e) => Err(e).context("APP_ENVIRONMENT is not valid UTF-8"),
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::Development => DEVELOPMENT,
            Self::Test => TEST,
            Self::Production => PRODUCTION,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        })
    }
}

/// All settings, documented in `config/default.toml`.
///
/// Unknown keys inside a section are errors (a typo should not be silently ignored); unknown
/// top-level keys are not, so an unrelated `APP_…` variable in the environment does no harm.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Set by the loader from `APP_ENVIRONMENT`, not read from the files.
    pub environment: Environment,
    /// Shown in page titles and the header.
    pub name: String,
    /// What the site is, in a sentence: the pages' description for search engines and link
    /// previews (a page may give its own, `Page::describe`).
    pub description: String,
    /// Signs the session cookie: any random string of at least 64 bytes; `<app> secret` prints one.
    pub secret_key: SecretString,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub session: SessionConfig,
{%- if auth %}
    pub auth: crate::auth::AuthConfig,
{%- endif %}
{%- if oauth %}
    pub oauth: crate::auth::oauth::settings::OAuthConfig,
{%- endif %}
    pub rate_limit: RateLimitConfig,
    pub mail: MailConfig,
    pub cache: CacheConfig,
{%- if uploads %}
    pub uploads: crate::uploads::UploadsConfig,
{%- endif %}
{%- if tasks %}
    pub tasks: tenshu_queue::Settings,
{%- endif %}
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Development listens on a loopback address only (it shows every email at `/dev/mail` and
    /// signs cookies with a known key), unless `development_on_network` says otherwise.
    pub host: IpAddr,
    /// Let development listen beyond this machine (to try the app from a phone on your network).
    pub development_on_network: bool,
    /// 0 picks a free port (the tests do this).
    pub port: u16,
    /// A request still running after this long is answered with 503.
    pub request_timeout_secs: u64,
    /// On SIGTERM, in-flight requests get this long to finish.
    pub shutdown_timeout_secs: u64,
    /// Larger request bodies are refused with 413.
    pub body_limit_bytes: usize,
    /// Send `Strict-Transport-Security`: only when the app is reached over HTTPS.
    pub hsts: bool,
    /// The address people reach the app at, for links in emails: `https://example.com`.
    pub public_url: String,
    /// HTTPS from certificate files, when no reverse proxy terminates TLS.
    pub tls: TlsConfig,
    /// Behind a reverse proxy, the header in which it passes the client's IP address
    /// (`x-forwarded-for`, `x-real-ip`); empty when clients connect directly. Rate limits count
    /// per client address (see `crate::client_ip`).
    pub client_ip_header: String,
    /// The proxies whose `client_ip_header` is believed (CIDRs: `10.0.0.0/8`, `::1/128`); from
    /// anyone else the header is ignored.
    pub trusted_proxies: Vec<IpNet>,
}

/// HTTPS served by the app itself (see `crate::server`). Off by default: a reverse proxy or load
/// balancer in front of the app usually terminates TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Serve HTTPS on `server.port` instead of plain HTTP.
    pub enabled: bool,
    /// The certificate chain, PEM (Let's Encrypt's `fullchain.pem`).
    pub cert_file: PathBuf,
    /// Its private key, PEM (Let's Encrypt's `privkey.pem`).
    pub key_file: PathBuf,
    /// Also listen for plain HTTP on `redirect_port`, redirecting every request to
    /// `server.public_url`.
    pub redirect_http: bool,
    /// 80 on a server; 0 picks a free port (the tests do this).
    pub redirect_port: u16,
}

impl ServerConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db?mode=rwc` or `postgres://user:password@host/name`.
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    /// Apply pending migrations when the app starts (development and tests).
    pub migrate_on_start: bool,
    /// Create the database (the SQLite file and its folder, or the Postgres database) if missing.
    pub create_if_missing: bool,
}

impl DatabaseConfig {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Mark the cookie `Secure` (HTTPS only) and name it with the `__Host-` prefix.
    pub secure_cookie: bool,
    /// A session expires this many days after it last changed (a flash message…){% if auth %}; a signed-in
    /// one lives as "remember me" says (`crate::auth::session`){% endif %}.
    pub expiry_days: i64,
    /// How long an instance keeps a session it read or wrote in memory: how soon, at most, a
    /// session ended on another instance is refused here (see `crate::session::store`).
    pub cache_seconds: u64,
{%- unless tasks %}
    /// How often expired sessions are deleted from the database.
    pub cleanup_interval_secs: u64,
{%- endunless %}
}

/// Limits on what an attacker would repeat (see `crate::rate_limit`), each action counted apart.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// At most this many per minute for one email address from one network.
    pub per_email_and_ip_per_minute: u32,
    /// At most this many every three minutes from one network, whatever the email.
    pub per_ip_per_3_minutes: u32,
{%- if auth %}
    /// At most this many sign-in attempts an hour on one account, from anywhere.
    pub per_account_per_hour: u32,
    /// At most this many emails an hour to one address, whatever asks for them.
    pub mails_per_address_per_hour: u32,
{%- endif %}
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp` sends; `outbox` writes each message to `outbox_dir` instead, browsable at
    /// `/dev/mail` in development.
    pub transport: MailTransport,
    /// The sender of every email: `My App <hello@example.com>`.
    pub from: String,
    /// Where the contact form's messages go: the site's owner.
    pub contact_to: String,
    pub outbox_dir: String,
    pub smtp: SmtpConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Smtp,
    Outbox,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Allow `security = "none"` to a server beyond this machine in production (a relay on a
    /// network you trust, such as Mailpit beside the app in `compose.yaml`): emails, reset links
    /// included, then cross that network unencrypted.
    pub allow_plaintext: bool,
    /// Empty for a server without authentication.
    pub username: String,
    pub password: SecretString,
    pub timeout_secs: u64,
}

/// The cache (see `crate::cache`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
{%- if cache == "redis" %}
    /// The Redis server: `redis://host:6379/0`, `rediss://` for TLS, with a password:
    /// `redis://:password@host:6379/0`.
    pub url: SecretString,
    /// The start of every key of this app, so that apps can share a server.
    pub key_prefix: String,
{%- else %}
    /// The cache's size in memory; when full, the entries least likely to be used go first.
    pub max_capacity_mb: u64,
{%- endif %}
    /// Whole pages kept for visitors without a session (`crate::cache::pages`), in this
    /// process's memory; 0 keeps none.
    pub page_capacity_mb: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// No encryption: only for a mail catcher on this machine.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter such as `info,my_app=debug`; `RUST_LOG`, when set, replaces it.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Coloured, one line per event: for people.
    Pretty,
    /// One JSON object per line: for log collectors.
    Json,
}

impl Config {
    /// Loads the settings for `APP_ENVIRONMENT`, reading `.env` first outside production.
    pub fn load(extra_file: Option<&Path>) -> anyhow::Result<Self> {
        // Decide the environment before reading .env: production never reads it.
        let environment = Environment::from_env()?;
        if environment != Environment::Production {
            // A missing .env is normal; a broken one is not.
            match dotenvy::dotenv() {
                Ok(_) => {}
                Err(e) if e.not_found() => {}
                Err(e) => return Err(e).context("could not read .env"),
            }
        }
        // .env may itself set APP_ENVIRONMENT (to development or test).
        Self::load_for(Environment::from_env()?, extra_file)
    }

    /// Loads the settings of one environment, without reading `.env` (the tests use this).
    pub fn load_for(environment: Environment, extra_file: Option<&Path>) -> anyhow::Result<Self> {
        let extra_file = extra_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("APP_CONFIG_FILE").map(Into::into));
        let mut builder = config::Config::builder()
            .add_source(File::from_str(DEFAULT, FileFormat::Toml))
            .add_source(File::from_str(environment.file(), FileFormat::Toml));
        if let Some(path) = &extra_file {
            builder = builder.add_source(File::from(path.as_path()).required(true));
        }
        let config: Self = builder
            .add_source(
                EnvSource::with_prefix("APP")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    // APP_SERVER__TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1/32
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies"),
            )
            .set_override("environment", environment.to_string())?
            .build()
            .context("could not read the configuration")?
            .try_deserialize()
            .context("the configuration is not valid")?;
        config.validate()?;
        Ok(config)
    }

    /// Values that would make the app fail later, refused now with the key to fix.
    fn validate(&self) -> anyhow::Result<()> {
        let database = &self.database;
        let checks = [
            (
                self.server.request_timeout_secs > 0,
                "server.request_timeout_secs must be above 0",
            ),
            (
                self.server.shutdown_timeout_secs >= self.server.request_timeout_secs,
                "server.shutdown_timeout_secs must be at least server.request_timeout_secs, so \
                 shutting down lets any request that may run finish",
            ),
            (
                self.server.body_limit_bytes > 0,
                "server.body_limit_bytes must be above 0",
            ),
            (
                database.max_connections > 0,
                "database.max_connections must be above 0",
            ),
            (
                database.min_connections <= database.max_connections,
                "database.min_connections must not exceed database.max_connections",
            ),
            (
                self.session.expiry_days > 0,
                "session.expiry_days must be above 0",
            ),
            (
                self.session.cache_seconds <= 300,
                "session.cache_seconds must be at most 300: it bounds how long a session signed \
                 out elsewhere still works",
            ),
{%- if tasks %}
            (
                !self.tasks.queues.is_empty() && self.tasks.queues.values().all(|&n| n > 0),
                "tasks.queues must name at least one queue, each running at least 1 task at once",
            ),
            (
                self.tasks.poll_interval_ms > 0 && self.tasks.lease_secs > 0,
                "tasks.poll_interval_ms and tasks.lease_secs must be above 0",
            ),
{%- else %}
            (
                self.session.cleanup_interval_secs > 0,
                "session.cleanup_interval_secs must be above 0",
            ),
{%- endif %}
            (
                self.server.public_url.starts_with("http://")
                    || self.server.public_url.starts_with("https://"),
                "server.public_url must start with http:// or https://",
            ),
            (
                !self.server.tls.enabled
                    || (!self.server.tls.cert_file.as_os_str().is_empty()
                        && !self.server.tls.key_file.as_os_str().is_empty()),
                "server.tls.enabled needs server.tls.cert_file and server.tls.key_file",
            ),
            (
                !(self.server.tls.enabled && self.server.tls.redirect_http)
                    || self.server.public_url.starts_with("https://"),
                "server.tls.redirect_http sends visitors to server.public_url, which must then \
                 start with https://",
            ),
            (
                self.rate_limit.per_email_and_ip_per_minute > 0
                    && self.rate_limit.per_ip_per_3_minutes > 0
{%- if auth %}
                    && self.rate_limit.per_account_per_hour > 0
                    && self.rate_limit.mails_per_address_per_hour > 0
{%- endif %},
                "rate_limit values must be above 0",
            ),
            (
                self.mail.from.parse::<lettre::message::Mailbox>().is_ok(),
                "mail.from must be an address such as `My App <hello@example.com>`",
            ),
            (
                self.mail
                    .contact_to
                    .parse::<lettre::message::Mailbox>()
                    .is_ok(),
                "mail.contact_to must be an address such as `owner@example.com`",
            ),
        ];
{%- if auth %}
        let checks = checks.into_iter().chain(self.auth.checks());
{%- endif %}
{%- if uploads %}
        let checks = checks.into_iter().chain(self.uploads.checks());
{%- endif %}
        for (valid, message) in checks {
            anyhow::ensure!(valid, "the configuration is not valid: {message}");
        }
        Ok(())
    }

    /// Problems that make this configuration unsafe to run; production refuses to start with any.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let key = self.secret_key.expose_secret();
        let new_key = "set APP_SECRET_KEY to the output of `secret`";
        if key.starts_with(DEVELOPMENT_SECRET_KEY_PREFIX) {
            problems.push(Problem::new(
                "secret_key",
                "secret_key is the development default",
                new_key,
            ));
        } else if key.len() < MIN_SECRET_KEY_BYTES {
            problems.push(Problem::new(
                "secret_key",
                format!(
                    "secret_key is {} bytes long; it needs at least {MIN_SECRET_KEY_BYTES}",
                    key.len()
                ),
                new_key,
            ));
        }
        if self.environment == Environment::Production {
            if !self.session.secure_cookie {
                problems.push(Problem::new(
                    "session.secure_cookie",
                    "session.secure_cookie is false: production cookies must be HTTPS-only",
                    "set APP_SESSION__SECURE_COOKIE=true",
                ));
            }
            if self.server.public_url.contains("://localhost") {
                problems.push(Problem::new(
                    "server.public_url",
                    "server.public_url points to localhost: links in emails would not work",
                    "set APP_SERVER__PUBLIC_URL to the address people use",
                ));
            }
            if self.mail.contact_to.ends_with("@localhost") {
                problems.push(Problem::new(
                    "mail.contact_to",
                    "mail.contact_to is a local address: the contact form's messages would be lost",
                    "set APP_MAIL__CONTACT_TO to your address",
                ));
            }
            if !self.server.hsts {
                problems.push(Problem::new(
                    "server.hsts",
                    "server.hsts is false: a browser can be led to the site over plain HTTP",
                    "set APP_SERVER__HSTS=true once the site is served over HTTPS only",
                ));
            }
            if self.server.public_url.starts_with("http://")
                && !is_loopback_url(&self.server.public_url)
            {
                problems.push(Problem::new(
                    "server.public_url",
                    "server.public_url starts with http://: sign-in, cookies and the links in \
                     emails would cross the network unencrypted",
                    "serve the site over HTTPS and set APP_SERVER__PUBLIC_URL=https://…",
                ));
            }
            let smtp = &self.mail.smtp;
            if self.mail.transport == MailTransport::Smtp
                && smtp.security == SmtpSecurity::None
                && !is_loopback_host(&smtp.host)
                && !smtp.allow_plaintext
            {
                problems.push(Problem::new(
                    "mail.smtp.security",
                    format!(
                        "mail.smtp.security is none for {}: emails and their links would cross \
                         the network unencrypted",
                        smtp.host
                    ),
                    "set APP_MAIL__SMTP__SECURITY to starttls or tls (or, for a relay on a \
                     network you trust, APP_MAIL__SMTP__ALLOW_PLAINTEXT=true)",
                ));
            }
            if !self.server.client_ip_header.is_empty() && self.server.trusted_proxies.is_empty() {
                problems.push(Problem::new(
                    "server.trusted_proxies",
                    "server.client_ip_header is set but no proxy is trusted: the header is \
                     ignored, and every visitor counts as the proxy in rate limits",
                    "set APP_SERVER__TRUSTED_PROXIES to your proxies' addresses (CIDRs)",
                ));
            }
            if self.mail.transport == MailTransport::Outbox {
                problems.push(Problem::new(
                    "mail.transport",
                    "mail.transport is outbox: emails would never leave the server",
                    "set APP_MAIL__TRANSPORT=smtp and the mail.smtp settings",
                ));
            }
        }
        problems
    }

    /// Fails in production when [`Config::problems`] finds any; elsewhere they are only logged.
    /// Development fails to listen beyond this machine unless `server.development_on_network`.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.environment == Environment::Development
            && !self.server.host.is_loopback()
            && !self.server.development_on_network
        {
            anyhow::bail!(
                "refusing to serve development on {}: development shows every email (reset \
                 links too) at /dev/mail and signs cookies with a known key. Set \
                 APP_ENVIRONMENT=production on a server, or APP_SERVER__DEVELOPMENT_ON_NETWORK=true \
                 to try the app from another device of your own network",
                self.server.host
            );
        }
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        if self.environment == Environment::Production {
            anyhow::bail!(
                "refusing to start with an insecure production configuration (`doctor` checks \
                 it all):\n  - {}",
                problems
                    .iter()
                    .map(Problem::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  - ")
            );
        }
        for problem in problems {
            tracing::debug!(%problem, "would be refused in production");
        }
        Ok(())
    }
}

/// `localhost`, `127.0.0.1` or `::1`, maybe with brackets: a name for this machine.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Whether `url` (`http://127.0.0.1:8000/`) points to this machine.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    is_loopback_host(host)
}

/// A setting that is wrong for where the app runs, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key at fault: `secret_key`, `session.secure_cookie`…
    pub setting: &'static str,
    pub problem: String,
    pub fix: String,
}

impl Problem {
    pub fn new(setting: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            setting,
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.problem, self.fix)
    }
}
