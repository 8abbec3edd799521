//! Accepting connections, and stopping without dropping requests.
//!
//! The app serves plain HTTP, or HTTPS itself when `server.tls.enabled` (most deployments leave
//! TLS to a reverse proxy or load balancer instead). With HTTPS it can also listen for plain HTTP
//! on another port and redirect every request there to `server.public_url`.
//!
//! On SIGTERM or Ctrl-C the server stops accepting connections and lets in-flight requests finish;
//! if some are still running after `server.shutdown_timeout_secs`, it stops waiting for them. The
//! caller then stops the services ([`crate::app::Services::stop`]) and the process exits, which
//! ends whatever requests were left.

use std::{
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use anyhow::Context as _;
use axum::{Router, http::Uri, response::Redirect};
use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{ServerConfig, TlsConfig};

/// The sockets the app listens on: its own, and with HTTPS the plain-HTTP one that redirects.
#[derive(Debug)]
pub struct Listeners {
    pub app: TcpListener,
    pub redirect: Option<TcpListener>,
}

impl Listeners {
    /// Binds the configured ports. Port 0 picks a free port: read it from `local_addr()`.
    pub async fn bind(config: &ServerConfig) -> anyhow::Result<Self> {
        let app = bind(config.host, config.port).await?;
        let redirect = if config.tls.enabled && config.tls.redirect_http {
            Some(bind(config.host, config.tls.redirect_port).await?)
        } else {
            None
        };
        Ok(Self { app, redirect })
    }
}

/// Binds one address; the error names it.
async fn bind(host: IpAddr, port: u16) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::new(host, port);
    TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen on {address}"))
}

/// Serves `router` as configured (plain HTTP, or HTTPS and the redirect) until `shutdown`
/// completes, then waits at most `server.shutdown_timeout_secs` for in-flight requests.
///
/// Returns `Ok(true)` when every request finished in time, `Ok(false)` when it stopped waiting.
pub async fn run(
    listeners: Listeners,
    config: &ServerConfig,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<bool> {
    let grace = config.shutdown_timeout();
    if !config.tls.enabled {
        return serve(listeners.app, router, shutdown, grace).await;
    }
    let tls = load_tls(&config.tls).await?;
    // One signal stops both listeners.
    let stop = CancellationToken::new();
    let signal = tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown.await;
            stop.cancel();
        }
    });
    let redirect = async {
        match listeners.redirect {
            Some(listener) => {
                let router = redirect_to_https(&config.public_url);
                serve(listener, router, stop.clone().cancelled_owned(), grace).await
            }
            None => Ok(true),
        }
    };
    let https = serve_tls(
        listeners.app,
        tls,
        router,
        stop.clone().cancelled_owned(),
        grace,
    );
    let result = tokio::try_join!(https, redirect).map(|(https, redirect)| https && redirect);
    // If a listener failed, the other one stopped too (try_join dropped it); so does the signal.
    signal.abort();
    result
}

/// Serves `router` over plain HTTP until `shutdown` completes, then waits at most `grace` for
/// in-flight requests. Returns whether they all finished in time.
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
    until_shutdown(server, move || stop_accepting.cancel(), shutdown, grace).await
}

/// Serves `router` over HTTPS (HTTP/1.1 and HTTP/2) until `shutdown` completes, then waits at
/// most `grace` for in-flight requests. Returns whether they all finished in time.
pub async fn serve_tls(
    listener: TcpListener,
    tls: RustlsConfig,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<bool> {
    let handle = axum_server::Handle::new();
    let listener = listener
        .into_std()
        .context("could not hand the socket to the HTTPS server")?;
    // TLS handshakes run in each connection's own task, never in the accept loop, so a slow
    // client cannot hold up the others.
    let server = axum_server::from_tcp_rustls(listener, tls)
        .context("could not start the HTTPS server")?
        .handle(handle.clone())
        .serve(router.into_make_service_with_connect_info::<SocketAddr>());
    until_shutdown(
        server,
        move || handle.graceful_shutdown(None),
        shutdown,
        grace,
    )
    .await
}

/// Makes ring the process's cryptography provider for rustls, which the TLS server and clients
/// that do not bring their own (the S3 client of uploads) need. ring is what every TLS client of
/// the app (database, SMTP) already uses. Calling it again is harmless.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Reads the certificate chain and private key (PEM files).
pub async fn load_tls(config: &TlsConfig) -> anyhow::Result<RustlsConfig> {
    use_ring_for_tls();
    RustlsConfig::from_pem_file(&config.cert_file, &config.key_file)
        .await
        .with_context(|| {
            format!(
                "could not load the TLS certificate {} and its key {}",
                config.cert_file.display(),
                config.key_file.display()
            )
        })
}

/// The plain-HTTP side of an HTTPS app: every request is redirected to the same path and query
/// at `public_url`. The `Host` header is ignored, so the redirect cannot be pointed elsewhere.
pub fn redirect_to_https(public_url: &str) -> Router {
    let base = public_url.trim_end_matches('/').to_owned();
    Router::new().fallback(move |uri: Uri| {
        let path = uri.path_and_query().map_or("/", |path| path.as_str());
        // 308 is permanent and keeps the method and body, unlike 301, which may turn a form's
        // POST into a GET.
        let redirect = Redirect::permanent(&format!("{base}{path}"));
        async move { redirect }
    })
}

/// Runs `server` until `shutdown` completes, calls `stop_accepting`, then gives in-flight requests
/// `grace` to finish.
async fn until_shutdown(
    server: impl Future<Output = io::Result<()>>,
    stop_accepting: impl FnOnce(),
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> anyhow::Result<bool> {
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => {
            result.context("the server stopped unexpectedly")?;
            return Ok(true);
        }
        () = shutdown => {
            tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
            stop_accepting();
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
