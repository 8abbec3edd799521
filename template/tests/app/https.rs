//! HTTPS served by the app itself (`server.tls`): a certificate made by the test, the app over TLS
//! with HSTS, the plain-HTTP listener that redirects, and the errors a bad set-up gets.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use tempfile::TempDir;
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_rustls::{
    TlsConnector,
    rustls::{ClientConfig, RootCertStore, pki_types::ServerName},
};

use crate::app::{
    config::{Config, Environment},
    routes,
    server::{self, Listeners},
};
use crate::helpers::{TestApp, raw_request, test_config};

/// A self-signed certificate for `localhost`, written as PEM files.
pub struct Certificate {
    folder: TempDir,
    /// What a client must trust.
    der: Vec<u8>,
}

impl Certificate {
    pub fn new() -> Self {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("cert.pem"), certified.cert.pem()).unwrap();
        std::fs::write(
            folder.path().join("key.pem"),
            certified.signing_key.serialize_pem(),
        )
        .unwrap();
        Self {
            folder,
            der: certified.cert.der().to_vec(),
        }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.folder.path().join(name)
    }
}

/// The app serving HTTPS on one port and redirecting plain HTTP from another.
struct HttpsApp {
    app: TestApp,
    https: SocketAddr,
    http: SocketAddr,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<anyhow::Result<bool>>,
}

impl HttpsApp {
    async fn start(certificate: &Certificate) -> Self {
        let mut config = test_config();
        use_tls(&mut config, certificate);
        let listeners = Listeners::bind(&config.server).await.unwrap();
        let https = listeners.app.local_addr().unwrap();
        let http = listeners.redirect.as_ref().unwrap().local_addr().unwrap();
        let server_config = config.server.clone();
        let app = TestApp::spawn_with(|config| {
            config.server = server_config;
            config.server.public_url = format!("https://localhost:{}", https.port());
        })
        .await;

        let (stop, stopped) = oneshot::channel::<()>();
        let router = routes::router(app.state.clone());
        let config = app.state.config.server.clone();
        let serving = tokio::spawn(async move {
            let shutdown = async move {
                stopped.await.ok();
            };
            server::run(listeners, &config, router, shutdown).await
        });
        Self {
            app,
            https,
            http,
            stop,
            serving,
        }
    }
}

fn use_tls(config: &mut Config, certificate: &Certificate) {
    config.server.host = "127.0.0.1".parse().unwrap();
    config.server.hsts = true;
    config.server.tls.enabled = true;
    config.server.tls.cert_file = certificate.path("cert.pem");
    config.server.tls.key_file = certificate.path("key.pem");
    config.server.tls.redirect_http = true;
    config.server.tls.redirect_port = 0;
}

/// A TLS client that trusts only `certificate`.
fn client(certificate: &Certificate) -> TlsConnector {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(certificate.der.clone().into()).unwrap();
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn https_get(certificate: &Certificate, address: SocketAddr, path: &str) -> String {
    let tcp = TcpStream::connect(address).await.unwrap();
    let localhost = ServerName::try_from("localhost").unwrap();
    let tls = client(certificate).connect(localhost, tcp).await.unwrap();
    raw_request(tls, "GET", path, "localhost").await
}

/// A response header's value, by its lowercase name.
fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn pages_are_served_over_https_with_hsts_then_shut_down_cleanly() {
    let certificate = Certificate::new();
    let running = HttpsApp::start(&certificate).await;

    let home = https_get(&certificate, running.https, "/").await;
    let health = https_get(&certificate, running.https, "/health").await;

    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(home.contains("<h1"), "{home}");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let hsts = header(&health, "strict-transport-security").unwrap_or_default();
    assert!(hsts.starts_with("max-age="), "{health}");

    running.stop.send(()).unwrap();
    let finished_in_time = running.serving.await.unwrap().unwrap();
    assert!(finished_in_time);
    assert!(TcpStream::connect(running.https).await.is_err());
    assert!(TcpStream::connect(running.http).await.is_err());
    running.app.stop().await;
}

#[tokio::test]
async fn plain_http_is_redirected_to_the_same_page_over_https() {
    let certificate = Certificate::new();
    let running = HttpsApp::start(&certificate).await;
    let public_url = running.app.state.config.server.public_url.clone();

    let get = raw_request(
        TcpStream::connect(running.http).await.unwrap(),
        "GET",
        "/about?tab=team",
        "localhost",
    )
    .await;
    // A form posted over HTTP: 308 tells the browser to post it again, to the HTTPS address.
    let post = raw_request(
        TcpStream::connect(running.http).await.unwrap(),
        "POST",
        "/contact",
        "localhost",
    )
    .await;
    // The Host header cannot send visitors elsewhere.
    let forged_host = raw_request(
        TcpStream::connect(running.http).await.unwrap(),
        "GET",
        "/",
        "evil.example",
    )
    .await;

    assert!(get.starts_with("HTTP/1.1 308"), "{get}");
    assert_eq!(
        header(&get, "location"),
        Some(format!("{public_url}/about?tab=team").as_str())
    );
    assert!(post.starts_with("HTTP/1.1 308"), "{post}");
    assert_eq!(
        header(&post, "location"),
        Some(format!("{public_url}/contact").as_str())
    );
    assert_eq!(
        header(&forged_host, "location"),
        Some(format!("{public_url}/").as_str())
    );
    assert_eq!(
        header(&get, "strict-transport-security"),
        None,
        "browsers ignore HSTS over plain HTTP"
    );
    running.app.stop().await;
}

#[tokio::test]
async fn a_missing_certificate_stops_the_start_with_the_file_named() {
    let certificate = Certificate::new();
    let mut config = test_config();
    use_tls(&mut config, &certificate);
    config.server.tls.cert_file = certificate.path("missing.pem");
    let listeners = Listeners::bind(&config.server).await.unwrap();

    let started = tokio::time::timeout(
        Duration::from_secs(5),
        server::run(
            listeners,
            &config.server,
            axum::Router::new(),
            std::future::pending(),
        ),
    )
    .await
    .expect("fails at once");

    let error = format!("{:#}", started.unwrap_err());
    assert!(
        error.contains("could not load the TLS certificate"),
        "{error}"
    );
    assert!(error.contains("missing.pem"), "{error}");
}

#[test]
fn https_settings_that_cannot_work_are_refused_when_loading() {
    let load_with = |settings: &[(&str, &str)]| {
        let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        let toml: String = settings
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect();
        std::fs::write(file.path(), format!("[server.tls]\n{toml}")).unwrap();
        Config::load_for(Environment::Test, Some(Path::new(file.path())))
            .map(|_| ())
            .map_err(|error| format!("{error:#}"))
    };

    let without_files = load_with(&[("enabled", "true")]).unwrap_err();
    let redirect_to_http = load_with(&[
        ("enabled", "true"),
        ("cert_file", "\"cert.pem\""),
        ("key_file", "\"key.pem\""),
    ])
    .unwrap_err();

    assert!(
        without_files.contains("server.tls.cert_file"),
        "{without_files}"
    );
    assert!(redirect_to_http.contains("https://"), "{redirect_to_http}");
}
