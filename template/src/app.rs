//! The services of the app, started once in dependency order and stopped in reverse.
//!
//! - [`App`] holds what request handlers use. Handlers receive it as [`AppState`], a cheap clone
//!   of one `Arc`: `State(app): State<AppState>`, then `app.db`, `app.config`.
//! - [`Services`] owns the running app: `main` and the tests start it with the same
//!   [`Services::start`], and only its owner can [`Services::stop`] it.
//!
//! To add a service (a mail client, a cache…): build it in `start` after what it depends on, add
//! it to [`App`], and close it in `stop` before what it depends on.

use std::{ops::Deref, sync::Arc, time::Duration};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_sessions::cookie::Key;

use crate::{
{%- if auth %}
    auth::{password::Passwords, rate_limit::RateLimits},
{%- endif %}
    config::Config,
    db::{self, Backend},
    mail::Mailer,
    session,
};
{% if auth %}
/// How often idle rate-limit counters are forgotten.
const RATE_LIMIT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);
{% endif %}
/// How long [`Services::stop`] waits for each service.
pub const STOP_STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// What request handlers can reach.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    /// The connection pool.
    pub db: DatabaseConnection,
    /// SQLite or Postgres, as the configured URL says.
    pub backend: Backend,
    /// Signs session cookies; derived from `secret_key`.
    pub session_key: Key,
{%- if auth %}
    /// Hashes and verifies passwords, a few at a time.
    pub passwords: Passwords,
    /// Counts sign-in attempts, reset requests and verification resends.
    pub rate_limits: Arc<RateLimits>,
{%- endif %}
    pub mailer: Mailer,
}

/// The state every handler receives: one `Arc` around [`App`], dereferencing to it.
#[derive(Debug, Clone)]
pub struct AppState(Arc<App>);

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// The running app: its state and the background tasks it started.
#[derive(Debug)]
pub struct Services {
    state: AppState,
    /// Cancelled by [`Services::stop`]; background tasks watch it.
    stopping: CancellationToken,
    background: Vec<(&'static str, JoinHandle<()>)>,
}

impl Services {
    /// Starts everything, in dependency order: database (created and migrated as configured), then
    /// the background tasks.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let session_key = session::signing_key(&config)?;
        let backend = Backend::of_url(config.database.url.expose_secret())?;
        let db = db::connect(&config.database)
            .await
            .context("could not connect to the database")?;
        if config.database.migrate_on_start {
            db::migrate_up(&db)
                .await
                .context("could not apply the database migrations")?;
        }
{% if auth %}
        let passwords = Passwords::new(&config.auth)?;
        let rate_limits = Arc::new(RateLimits::new(&config.auth.rate_limit));
{%- endif %}
        let mailer = Mailer::new(&config.mail, &config.server.public_url)
            .context("could not set up mail")?;

        let stopping = CancellationToken::new();
        let session_cleanup = session::spawn_cleanup(
            db.clone(),
            Duration::from_secs(config.session.cleanup_interval_secs),
            stopping.clone(),
        );
{%- if auth %}
        let rate_limit_sweep = spawn_every(RATE_LIMIT_SWEEP_INTERVAL, stopping.clone(), {
            let rate_limits = Arc::clone(&rate_limits);
            move || rate_limits.forget_idle()
        });
        let background = vec![
            ("session cleanup", session_cleanup),
            ("rate limit sweep", rate_limit_sweep),
        ];
{%- else %}
        let background = vec![("session cleanup", session_cleanup)];
{%- endif %}

        Ok(Self {
            state: AppState(Arc::new(App {
                config,
                db,
                backend,
                session_key,
{%- if auth %}
                passwords,
                rate_limits,
{%- endif %}
                mailer,
            })),
            stopping,
            background,
        })
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Stops in reverse order of start: background tasks first, the database pool last. Each step
    /// waits at most [`STOP_STEP_TIMEOUT`], so a stuck task or a request still holding a
    /// connection cannot keep the process from exiting.
    pub async fn stop(self) {
        self.stopping.cancel();
        for (name, task) in self.background {
            match tokio::time::timeout(STOP_STEP_TIMEOUT, task).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::error!(task = name, %error, "background task ended badly")
                }
                Err(_) => tracing::warn!(task = name, "background task did not stop in time"),
            }
        }
        // Closing waits for connections in use to come back.
        match tokio::time::timeout(STOP_STEP_TIMEOUT, self.state.db.close_by_ref()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "closing the database pool failed"),
            Err(_) => tracing::warn!("database connections still in use: closing anyway"),
        }
        tracing::info!("services stopped");
    }
}

/// Runs `work` every `interval` until `stopping` is cancelled.
pub fn spawn_every(
    interval: Duration,
    stopping: CancellationToken,
    work: impl Fn() + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                () = stopping.cancelled() => break,
                _ = ticks.tick() => work(),
            }
        }
    })
}
