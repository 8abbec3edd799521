//! Accepting connections, and stopping without dropping requests.
//!
//! On SIGTERM or Ctrl-C the server stops accepting connections and lets in-flight requests finish;
//! if some are still running after `server.shutdown_timeout_secs`, it stops waiting for them. The
//! caller then stops the services ([`crate::app::Services::stop`]) and the process exits, which
//! ends whatever requests were left.

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;

/// Binds the configured address. Port 0 picks a free port: read it from `local_addr()`.
pub async fn bind(config: &ServerConfig) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::new(config.host, config.port);
    TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen on {address}"))
}

/// Serves `router` until `shutdown` completes, then waits at most `grace` for in-flight requests.
///
/// Returns `Ok(true)` when every request finished in time, `Ok(false)` when it stopped waiting.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<bool> {
    let stop_accepting = CancellationToken::new();
    // The peer address reaches handlers as `ConnectInfo` (rate limits count by it).
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_accepting.clone().cancelled_owned())
    .into_future();
    tokio::pin!(server);

    tokio::select! {
        result = &mut server => {
            result.context("the server stopped unexpectedly")?;
            return Ok(true);
        }
        () = shutdown => {
            tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
            stop_accepting.cancel();
        }
    }

    match tokio::time::timeout(grace, server).await {
        Ok(result) => {
            result.context("the server failed while shutting down")?;
            Ok(true)
        }
        Err(_) => {
            tracing::warn!("stopped waiting for requests still running after the grace period");
            Ok(false)
        }
    }
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (sent by `kill`, systemd, Docker, Kubernetes).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
