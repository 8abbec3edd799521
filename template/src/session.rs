//! Sessions: a signed cookie holding a random id, and the session's data in the app database.
//!
//! - [`layer`] configures the cookie: `HttpOnly`, `SameSite=Lax`, signed with a key derived from
//!   `secret_key`; in production also `Secure` and named with the `__Host-` prefix (which browsers
//!   only accept over HTTPS, from the same host, for the whole site).
//! - A session expires `session.expiry_days` after it last changed, as in Django: reading pages
//!   does not write to the database. Each instance keeps the sessions it has just used in memory
//!   for `session.cache_seconds`: reading pages does not read the database either (see
//!   [`store`]).
//! - A visitor gets a session (and a row) only once something is stored in it, such as a flash
//!   message; reading pages costs nothing.
{%- if tasks %}
//! - The recurring task `tasks::DeleteExpiredSessions` deletes expired rows every hour.
{%- else %}
//! - [`spawn_cleanup`] deletes expired rows in the background.
{%- endif %}
//!
//! Flash messages ride on the session: a handler takes `axum_messages::Messages` and calls
//! `messages.success("Saved.")`; the next page shows it (see [`crate::page::Page`]).

pub mod entity;
pub mod store;

use std::time::Duration;

use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret as _;
{%- unless tasks %}
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
{%- endunless %}
use tower_sessions::{
    Expiry, SessionManagerLayer,
    cookie::{Key, SameSite},
    service::SignedCookie,
{%- unless tasks %}
    session_store::ExpiredDeletion as _,
{%- endunless %}
};

pub use self::store::DbSessionStore;
use crate::config::{Config, MIN_SECRET_KEY_BYTES};

/// The layer that loads and saves sessions for the routes it wraps.
pub type SessionLayer = SessionManagerLayer<DbSessionStore, SignedCookie>;

/// The key that signs session cookies, derived (HKDF) from all of `secret_key`, whatever its
/// format: hex, base64 or a long passphrase.
pub fn signing_key(config: &Config) -> anyhow::Result<Key> {
    let secret = config.secret_key.expose_secret().as_bytes();
    anyhow::ensure!(
        secret.len() >= MIN_SECRET_KEY_BYTES,
        "secret_key must be at least {MIN_SECRET_KEY_BYTES} bytes long: generate one with the \
         `secret` command"
    );
    Ok(Key::derive_from(secret))
}

/// The session cookie's name.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.session.secure_cookie {
        "__Host-session"
    } else {
        "session"
    }
}

/// The store of the app's sessions: in the database, and for `session.cache_seconds` in memory.
pub fn store_for(config: &Config, db: DatabaseConnection) -> DbSessionStore {
    DbSessionStore::remembering(db, memory_bound(config))
}

/// How long what a session needs is kept in memory: `session.cache_seconds`.
pub fn memory_bound(config: &Config) -> Duration {
    Duration::from_secs(config.session.cache_seconds)
}

/// The session layer, as configured, on `store` (one per app, shared by its routers).
pub fn layer(config: &Config, store: DbSessionStore, key: Key) -> SessionLayer {
    let secure = config.session.secure_cookie;
    SessionManagerLayer::new(store)
        .with_name(cookie_name(config))
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            config.session.expiry_days,
        )))
        .with_signed(key)
}
{%- unless tasks %}

/// Deletes expired sessions now and then every `interval`, until `stopping` is cancelled.
pub fn spawn_cleanup(
    db: DatabaseConnection,
    interval: Duration,
    stopping: CancellationToken,
) -> JoinHandle<()> {
    let store = DbSessionStore::new(db);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                () = stopping.cancelled() => break,
                _ = ticks.tick() => {
                    if let Err(error) = store.delete_expired().await {
                        tracing::warn!(%error, "could not delete expired sessions");
                    }
                }
            }
        }
    })
}
{%- endunless %}

/// A fresh random secret key: 64 random bytes, hex-encoded (128 characters).
pub fn generate_secret_key() -> String {
    Key::generate()
        .master()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
