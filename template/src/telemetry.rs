//! Logs with `tracing`: readable lines in development, one JSON object per line in production.
//!
//! Every request runs inside a span carrying its method, path and `x-request-id` (see
//! [`crate::middleware::request_span`]), so each log line a handler writes can be traced back to the
//! request. Log an error once, where it is handled: [`crate::error`] does it for handler errors.

use anyhow::Context as _;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt as _, util::SubscriberInitExt as _};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. `RUST_LOG`, when set, replaces the configured filter.
///
/// Fails when the filter in use is not valid, rather than logging less than asked. Calling it twice
/// is harmless: the second call keeps the first subscriber.
pub fn init(config: &LogConfig) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => EnvFilter::try_new(&directives)
            .with_context(|| format!("RUST_LOG={directives:?} is not a valid filter"))?,
        Err(_) => EnvFilter::try_new(&config.level)
            .with_context(|| format!("log.level {:?} is not a valid filter", config.level))?,
    };
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init` fails only when a subscriber is already installed, which is fine to ignore.
    let _ = match config.format {
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
    Ok(())
}
