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
use axum::extract::FromRef;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_sessions::cookie::Key;

use crate::{
{%- if auth %}
    auth::{guards::AdminPolicy, passkeys::Passkeys, password::Passwords, session::RecentUsers},
{%- endif %}
    cache::Cache,
    client_ip::TrustedProxies,
    config::Config,
    db::{self, Backend, Migrations},
    mail::{Email, Mailer},
    rate_limit::RateLimits,
    session::{self, DbSessionStore},
{%- if tasks %}
    tasks::{self, Tasks},
{%- endif %}
{%- if uploads %}
    uploads::Storage,
{%- endif %}
};

/// How often idle rate-limit counters are forgotten.
const RATE_LIMIT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

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
    /// Whether the database has this version's migrations (`/ready` says so).
    pub migrations: Migrations,
    /// Signs session cookies; derived from `secret_key`.
    pub session_key: Key,
    /// The sessions: in the database, the recent ones also in memory.
    pub sessions: DbSessionStore,
{%- if auth %}
    /// The rows of recently signed-in users, kept as long as their sessions are.
    pub users: RecentUsers,
    /// Hashes and verifies passwords, a few at a time.
    pub passwords: Passwords,
    /// Checks what passkeys sign, for the site at `public_url`.
    pub passkeys: Passkeys,
{%- if oauth %}
    /// The providers that sign in (Google, GitLab…), with their credentials.
    pub oauth: crate::auth::oauth::OAuth,
{%- endif %}
{%- endif %}
    /// Counts what an attacker would repeat: see [`crate::rate_limit`].
    pub rate_limits: Arc<RateLimits>,
    /// The reverse proxies whose word on a client's address is taken: see [`crate::client_ip`].
    pub trusted_proxies: TrustedProxies,
    pub mailer: Mailer,
    /// Values worth keeping for a while: see [`crate::cache`].
    pub cache: Cache,
{%- if uploads %}
    /// Where uploaded files are kept: see [`crate::uploads`].
    pub storage: Storage,
{%- endif %}
{%- if tasks %}
    /// Enqueues tasks for the worker (see [`tenshu_queue`]).
    pub tasks: Tasks,
{%- endif %}
}

impl App {
{%- if tasks %}
    /// Sends `email` to `to` from the task queue, which retries while the mail server fails: the
    /// visitor does not wait for the mail server (which would also let response times tell
    /// which addresses have accounts). It waits sealed: see [`tasks::SendEmail`].
    pub async fn send_email(
        &self,
        to: &str,
        email: impl Email + Send + Sync + 'static,
    ) -> anyhow::Result<()> {
        let task = tasks::SendEmail::new(to, &email, &self.config.secret_key)?;
        self.tasks.enqueue(task).await.map(drop)
    }
{%- else %}
    /// Sends `email` to `to` in the background: the visitor does not wait for the mail server
    /// (which would also let response times tell which addresses have accounts). A failure is
    /// logged.
    pub async fn send_email(
        &self,
        to: &str,
        email: impl Email + Send + Sync + 'static,
    ) -> anyhow::Result<()> {
        let (mailer, to) = (self.mailer.clone(), to.to_owned());
        tokio::spawn(async move {
            if let Err(error) = mailer.send(&to, &email).await {
                tracing::error!(error = format!("{error:#}"), "could not send an email");
            }
        });
        Ok(())
    }
{%- endif %}
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

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(app: &AppState) -> Self {
        app.trusted_proxies.clone()
    }
}
{%- if auth %}

impl FromRef<AppState> for AdminPolicy {
    fn from_ref(app: &AppState) -> Self {
        Self {
            db: app.db.clone(),
            two_factor_required: app.config.auth.admins_need_two_factor,
        }
    }
}
{%- endif %}

/// The running app: its state and the background tasks it started.
#[derive(Debug)]
pub struct Services {
    state: AppState,
    /// Cancelled by [`Services::stop`]; background tasks watch it.
    stopping: CancellationToken,
    background: Vec<Background>,
}

/// A task running beside the requests, until [`Services::stop`].
#[derive(Debug)]
struct Background {
    name: &'static str,
    task: JoinHandle<()>,
    /// How long stopping may take.
    grace: Duration,
}

impl Background {
    fn new(name: &'static str, task: JoinHandle<()>) -> Self {
        Self {
            name,
            task,
            grace: STOP_STEP_TIMEOUT,
        }
    }
}

impl Services {
    /// Starts everything, in dependency order: database (created and migrated as configured), then
    /// the background tasks{% if tasks %}, with the task worker when `tasks.worker_in_serve` is on{% endif %}.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
{%- if tasks %}
        let worker = config.tasks.worker_in_serve;
        Self::start_with(config, worker).await
    }

    /// Starts everything and the task worker, for `app worker`.
    pub async fn start_worker(config: Config) -> anyhow::Result<Self> {
        Self::start_with(config, true).await
    }

    async fn start_with(config: Config, worker: bool) -> anyhow::Result<Self> {
{%- endif %}
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
        let sessions = session::store_for(&config, db.clone());
        let migrations = Migrations::default();
        match migrations.pending(&db).await {
            Ok(pending) if pending.is_empty() => {}
            Ok(pending) => tracing::error!(
                pending = pending.join(", "),
                "the database lacks {} migration(s) of this version: run `migrate up` (until \
                 then /ready answers 503 and pages fail)",
                pending.len()
            ),
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                "could not read the applied migrations (/ready answers 503 until it can)"
            ),
        }
{%- if auth %}
        let users = RecentUsers::remembering(session::memory_bound(&config));
        let passwords = Passwords::new(&config.auth)?;
        let passkeys = Passkeys::new(&config.server.public_url, &config.name)?;
{%- endif %}
{%- if oauth %}
        let oauth = crate::auth::oauth::OAuth::new(&config.oauth, &config.server.public_url)?;
{%- endif %}
        let rate_limits = Arc::new(RateLimits::new(&config.rate_limit));
        let trusted_proxies = TrustedProxies::new(
            &config.server.client_ip_header,
            &config.server.trusted_proxies,
        )?;
        let mailer = Mailer::new(&config.mail, &config.server.public_url)
            .context("could not set up mail")?;
        let cache = Cache::new(&config.cache)
            .await
            .context("could not set up the cache")?;
{%- if uploads %}
        let storage = Storage::from_config(&config.uploads.storage)
            .context("could not set up the storage of uploads")?;
{%- endif %}

{%- if tasks %}
        let registry = tasks::registry();
        registry.check()?;
        registry.check_queues(&config.tasks)?;
        let tasks = Tasks::new(db.clone());
{%- endif %}

        let mut services = Self {
            state: AppState(Arc::new(App {
                config,
                db,
                backend,
                migrations,
                session_key,
                sessions,
{%- if auth %}
                users,
                passwords,
                passkeys,
{%- endif %}
{%- if oauth %}
                oauth,
{%- endif %}
                rate_limits,
                trusted_proxies,
                mailer,
                cache,
{%- if uploads %}
                storage,
{%- endif %}
{%- if tasks %}
                tasks,
{%- endif %}
            })),
            stopping: CancellationToken::new(),
            background: Vec::new(),
        };
{%- unless tasks %}
        services.background.push(Background::new(
            "session cleanup",
            session::spawn_cleanup(
                services.state.db.clone(),
                Duration::from_secs(services.state.config.session.cleanup_interval_secs),
                services.stopping.clone(),
            ),
        ));
{%- endunless %}
        let rate_limits = Arc::clone(&services.state.rate_limits);
        services.background.push(Background::new(
            "rate limit sweep",
            spawn_every(
                RATE_LIMIT_SWEEP_INTERVAL,
                services.stopping.clone(),
                move || rate_limits.forget_idle(),
            ),
        ));
{%- if tasks %}
        if worker {
            let worker =
                tenshu_queue::worker::spawn(services.state(), registry, services.stopping.clone());
            services.background.push(Background {
                // Stopping waits for running tasks: give it their time on top of the usual.
                grace: services.state.config.tasks.shutdown_timeout() + STOP_STEP_TIMEOUT,
                ..Background::new("task worker", worker)
            });
        }
{%- endif %}
        Ok(services)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Stops in reverse order of start: background tasks first, the database pool last. Each step
    /// waits a bounded time ([`STOP_STEP_TIMEOUT`], more for the task worker), so a stuck task or
    /// a request still holding a connection cannot keep the process from exiting.
    pub async fn stop(self) {
        self.stopping.cancel();
        for Background { name, task, grace } in self.background.into_iter().rev() {
            match tokio::time::timeout(grace, task).await {
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
