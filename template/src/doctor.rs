//! `app doctor`: can this configuration run here, now, and safely?
//!
//! Like Django's `check --deploy`, run it on the server before the first deployment and after
//! changing settings: `APP_ENVIRONMENT=production app doctor`. It looks at
//! - the settings production refuses to start with (the development secret key, cookies without
//!   `Secure`, mail that never leaves the server…);
//! - debug output in production: a debug build, debug logs, the live-reload script;
//! - the HTTPS certificate and key, when the app serves HTTPS itself;
//! - the database: can it connect, are migrations pending;
//! - the cache: does a value put in it come back;
{%- if uploads %}
//! - the uploads' storage: can an object be written, read back and deleted;
{%- endif %}
//! - the SMTP server: does it answer and accept the credentials.
{%- if oauth %}
//! - each sign-in provider with credentials: can its discovery document and keys (GitHub: its
//!   API) be read.
{%- endif %}
//!
//! Each problem comes with its fix. Outside production, what production would refuse is only a
//! warning. The command fails (exit code 1) when any problem is found.

use std::{fmt, time::Duration};

use secrecy::ExposeSecret as _;

use crate::{
    cache::{Cache, Put},
    config::{Config, Environment, LogFormat, MailTransport, Problem},
    db::{self, Backend},
    mail::Mailer,
    server,
{%- if uploads %}
    uploads::{Storage, StorageBackend},
{%- endif %}
};

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked: `database`, `mail`, or the setting at fault.
    pub check: &'static str,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Fine, and what was seen.
    Ok(String),
    /// Worth knowing, but the app can run: production would refuse it, or it is only untidy.
    Warning(Problem),
    /// Must be fixed.
    Problem(Problem),
}

/// What the process is, beside its configuration: the tests pass their own.
#[derive(Debug, Clone)]
pub struct Process {
    /// Built with optimizations (`just build`), which also embeds the static files.
    pub optimized_build: bool,
    /// Built with the `livereload` feature of `just dev`.
    pub livereload: bool,
    /// `RUST_LOG`, which replaces `log.level`.
    pub rust_log: Option<String>,
}

impl Process {
    /// This process.
    pub fn current() -> Self {
        Self {
            optimized_build: !cfg!(debug_assertions),
            livereload: cfg!(feature = "livereload"),
            rust_log: std::env::var("RUST_LOG").ok(),
        }
    }
}

/// Runs every check. The slow ones (database, cache, {% if uploads %}storage, {% endif %}SMTP) wait at most their timeouts.
pub async fn examine(config: &Config, process: &Process) -> Vec<Finding> {
    let production = config.environment == Environment::Production;
    let mut findings = Vec::new();

    let problems = config.problems();
    if problems.is_empty() {
        findings.push(Finding::ok("settings", "nothing production would refuse"));
    }
    for problem in problems {
        findings.push(if production {
            Finding::problem(problem)
        } else {
            Finding::warning(problem)
        });
    }
    if production {
        findings.extend(debug_output(config, process));
    }
    findings.push(https(config).await);
    findings.extend(database(config).await);
    findings.push(cache(config).await);
{%- if uploads %}
    findings.push(storage(config).await);
{%- endif %}
    findings.push(mail(config).await);
{%- if oauth %}
    findings.extend(providers(config).await);
{%- endif %}
    findings
}

/// True when no finding is a problem.
pub fn passed(findings: &[Finding]) -> bool {
    !findings
        .iter()
        .any(|finding| matches!(finding.verdict, Verdict::Problem(_)))
}

impl Finding {
    fn ok(check: &'static str, seen: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Ok(seen.into()),
        }
    }

    fn problem(problem: Problem) -> Self {
        Self {
            check: problem.setting,
            verdict: Verdict::Problem(problem),
        }
    }

    fn warning(problem: Problem) -> Self {
        Self {
            check: problem.setting,
            verdict: Verdict::Warning(problem),
        }
    }
}

/// One line per finding, and the fix under each problem or warning.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (label, problem) = match &self.verdict {
            Verdict::Ok(seen) => return write!(f, "ok       {}: {seen}", self.check),
            Verdict::Warning(problem) => ("warning", problem),
            Verdict::Problem(problem) => ("PROBLEM", problem),
        };
        // "secret_key: secret_key is…" says it twice.
        if problem.problem.starts_with(self.check) {
            write!(f, "{label:<8} {}", problem.problem)?;
        } else {
            write!(f, "{label:<8} {}: {}", self.check, problem.problem)?;
        }
        write!(f, "\n         fix: {}", problem.fix)
    }
}

/// Debug builds, debug logs and the live-reload script have no place in production: they are
/// slow, or write more than anyone should read.
fn debug_output(config: &Config, process: &Process) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !process.optimized_build {
        findings.push(Finding::problem(Problem::new(
            "build",
            "this binary is a debug build: slow, and it reads static files from the source folder",
            "deploy the binary `just build` makes (target/release)",
        )));
    }
    if process.livereload {
        findings.push(Finding::problem(Problem::new(
            "build",
            "this binary has the livereload feature of `just dev`: every page loads its script",
            "build without `--features livereload` (`just build`)",
        )));
    }
    let (filter, key) = match &process.rust_log {
        Some(filter) => (filter.as_str(), "RUST_LOG"),
        None => (config.log.level.as_str(), "log.level"),
    };
    let filter_lowercase = filter.to_lowercase();
    if filter_lowercase.contains("debug") || filter_lowercase.contains("trace") {
        findings.push(Finding::problem(Problem::new(
            "log.level",
            format!(
                "{key} is `{filter}`: debug logs record request details and personal data, \
                 and are large"
            ),
            if key == "RUST_LOG" {
                "unset RUST_LOG, or set it to `info`"
            } else {
                "set APP_LOG__LEVEL=info"
            },
        )));
    }
    if config.log.format == LogFormat::Pretty {
        findings.push(Finding::warning(Problem::new(
            "log.format",
            "log.format is pretty: log collectors read one JSON object per line",
            "set APP_LOG__FORMAT=json",
        )));
    }
    if findings.is_empty() {
        findings.push(Finding::ok(
            "debug output",
            "an optimized build, logging at info or less",
        ));
    }
    findings
}

/// With `server.tls.enabled`, the certificate and key must load.
async fn https(config: &Config) -> Finding {
    let tls = &config.server.tls;
    if !tls.enabled {
        return Finding::ok(
            "https",
            "served by a reverse proxy or load balancer (server.tls.enabled is off)",
        );
    }
    match server::load_tls(tls).await {
        Ok(_) if !config.server.hsts && config.environment == Environment::Production => {
            Finding::warning(Problem::new(
                "server.hsts",
                "server.hsts is off although the app serves HTTPS: browsers keep trying plain \
                 HTTP first",
                "set APP_SERVER__HSTS=true",
            ))
        }
        Ok(_) => Finding::ok(
            "https",
            format!("the certificate {} loads", tls.cert_file.display()),
        ),
        Err(error) => Finding::problem(Problem::new(
            "server.tls",
            describe(&error),
            "point server.tls.cert_file and key_file to readable PEM files: the certificate \
             chain and its private key",
        )),
    }
}

/// Connects to the database, then compares the applied migrations with the binary's.
async fn database(config: &Config) -> Vec<Finding> {
    let backend = Backend::of_url(config.database.url.expose_secret())
        .map_or("database", |backend| backend.name());
    // Look, do not create a Postgres database (a SQLite URL with `mode=rwc` creates its file
    // either way, and doctor then reports every migration pending).
    let mut settings = config.database.clone();
    settings.create_if_missing = false;
    settings.min_connections = 0;
    settings.max_connections = 1;
    let db = match db::connect(&settings).await {
        Ok(db) => db,
        Err(error) => {
            return vec![Finding::problem(Problem::new(
                "database",
                describe(&error),
                "check database.url (APP_DATABASE__URL) and that the database server runs and \
                 accepts it",
            ))];
        }
    };
    let mut findings = vec![Finding::ok("database", format!("connected to {backend}"))];
    findings.push(match db::migration_status(&db).await {
        Ok(status) => {
            let pending: Vec<&str> = status
                .iter()
                .filter(|(_, applied)| !applied)
                .map(|(name, _)| name.as_str())
                .collect();
            if pending.is_empty() {
                Finding::ok("migrations", format!("all {} applied", status.len()))
            } else if config.database.migrate_on_start {
                Finding::ok(
                    "migrations",
                    format!(
                        "{} pending, applied at start (database.migrate_on_start)",
                        pending.len()
                    ),
                )
            } else {
                Finding::problem(Problem::new(
                    "migrations",
                    format!("{} pending: {}", pending.len(), pending.join(", ")),
                    "run `migrate up` before starting the new version",
                ))
            }
        }
        Err(error) => Finding::problem(Problem::new(
            "migrations",
            format!(
                "could not read the applied migrations: {}",
                describe(&error)
            ),
            "check that database.url names this app's database",
        )),
    });
    if let Err(error) = db.close().await {
        tracing::warn!(%error, "closing the database failed");
    }
    findings
}

/// Puts a value in the cache and reads it back.
async fn cache(config: &Config) -> Finding {
    const PROBE: &str = "doctor:probe";
    let round_trip = async {
        let cache = Cache::new(&config.cache).await?;
        cache
            .set(PROBE, &1, Put::ttl(Duration::from_secs(10)))
            .await?;
        let back: Option<i32> = cache.get(PROBE).await?;
        cache.delete(PROBE).await?;
        anyhow::ensure!(
            back == Some(1),
            "a value put in the cache did not come back"
        );
        anyhow::Ok(())
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), round_trip)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer from the cache within 10 s")));
    match outcome {
        Ok(()) => Finding::ok("cache", "a value put in the cache came back"),
        Err(error) => Finding::problem(Problem::new(
            "cache",
            describe(&error),
            "check the [cache] settings (APP_CACHE__…) and that the cache's server runs",
        )),
    }
}
{%- if uploads %}

/// Writes, reads back and deletes an object where uploads are stored.
async fn storage(config: &Config) -> Finding {
    let storage = &config.uploads.storage;
    let round_trip = async { Storage::from_config(storage)?.check().await };
    let outcome = tokio::time::timeout(Duration::from_secs(20), round_trip)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer from the storage within 20 s")));
    let place = match storage.backend {
        StorageBackend::Local => format!("the folder {}", storage.local_dir.display()),
        StorageBackend::S3 => format!("the S3 bucket {}", storage.s3.bucket),
    };
    match outcome {
        Ok(()) => Finding::ok("uploads", format!("{place} can be written and read")),
        Err(error) => Finding::problem(Problem::new(
            "uploads.storage",
            format!("{place}: {}", describe(&error)),
            "check the [uploads.storage] settings (APP_UPLOADS__STORAGE__…): the folder must be \
             writable by the app; the bucket must exist and the credentials may write to it",
        )),
    }
}
{%- endif %}
{%- if oauth %}

/// Reads each provider's discovery document and keys (GitHub: its API), as a sign-in would.
async fn providers(config: &Config) -> Vec<Finding> {
    let oauth = match crate::auth::oauth::OAuth::new(&config.oauth, &config.server.public_url) {
        Ok(oauth) => oauth,
        Err(error) => {
            return vec![Finding::problem(Problem::new(
                "oauth.providers",
                describe(&error),
                "fix that provider's settings in [oauth.providers]",
            ))];
        }
    };
    let mut findings = Vec::new();
    for provider in oauth.providers() {
        let answered = tokio::time::timeout(Duration::from_secs(15), provider.check())
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 15 s")));
        findings.push(match answered {
            Ok(()) => Finding::ok(
                "oauth",
                format!(
                    "{} answered; its redirect URI is {}",
                    provider.label,
                    provider.redirect_uri()
                ),
            ),
            Err(error) => Finding::problem(Problem::new(
                "oauth.providers",
                format!(
                    "{} ({}): {}",
                    provider.label,
                    provider.name,
                    describe(&error)
                ),
                "check the provider's issuer (its discovery document is \
                 <issuer>/.well-known/openid-configuration) and that this server reaches it",
            )),
        });
    }
    if findings.is_empty() {
        findings.push(Finding::ok(
            "oauth",
            "no provider has a client id and secret: no sign-in buttons",
        ));
    }
    findings
}
{%- endif %}

/// Connects to the SMTP server and signs in, as sending would.
async fn mail(config: &Config) -> Finding {
    let smtp = &config.mail.smtp;
    if config.mail.transport == MailTransport::Outbox {
        return Finding::ok(
            "mail",
            format!("written to the outbox {}", config.mail.outbox_dir),
        );
    }
    let mailer = match Mailer::new(&config.mail, &config.server.public_url) {
        Ok(mailer) => mailer,
        Err(error) => {
            return Finding::problem(Problem::new(
                "mail",
                describe(&error),
                "check the mail settings",
            ));
        }
    };
    match mailer.test_connection().await {
        Ok(()) => Finding::ok(
            "mail",
            format!("the SMTP server {}:{} answered", smtp.host, smtp.port),
        ),
        Err(error) => Finding::problem(Problem::new(
            "mail",
            format!(
                "the SMTP server {}:{} did not answer: {}",
                smtp.host,
                smtp.port,
                describe(&error)
            ),
            "check mail.smtp.host, port, security, username and APP_MAIL__SMTP__PASSWORD; then \
             `mail test ADDRESS` sends a real email",
        )),
    }
}

/// An error and its causes on one line, without the repeats some libraries' messages carry.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}
