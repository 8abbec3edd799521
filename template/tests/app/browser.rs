//! End to end, in a real browser: headless Chromium, driven over WebDriver by fantoccini, against
//! the app serving on a real socket. htmx, cookies, the CSRF header and the development outbox at
//! `/dev/mail` all take part, as they do for a person at a keyboard.
//!
//! This module holds the harness ([`LiveApp`], [`Browser`]) and the tests of the site itself;
//! the account flows are in `auth_browser.rs`. They need Chromium and its driver (Debian: `apt
//! install chromium chromium-driver`); each test starts a `chromedriver` of its own. Plain `cargo
//! test` leaves them out (they are `#[ignore]`d); `just test-browser` runs them. `CHROMEDRIVER`
//! and `CHROME` name other executables.

use std::{
    net::{SocketAddr, TcpListener as StdListener},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    app::{config::Config, routes, server},
    helpers::{TestApp, use_development_outbox},
};

/// How long the browser may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(15);
/// How often a step looks again for what it waits for.
const POLL: Duration = Duration::from_millis(50);

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn links_load_pages_through_htmx_without_reloading_the_document() {
    let app = LiveApp::start().await;
    let browser = Browser::open(&app.url).await;
    browser.visit("/").await;
    browser.wait_for("main h1").await;
    // A mark on the document: a full page load would lose it.
    browser
        .client
        .execute("window.stillTheSameDocument = true;", vec![])
        .await
        .expect("ran a script");

    browser
        .wait_for("header nav > ul a[href='/about']")
        .await
        .click()
        .await
        .expect("clicked");
    browser
        .wait_for("header nav > ul a[href='/about'][aria-current=page]")
        .await;

    let title = browser.client.title().await.expect("a title");
    assert!(title.starts_with("About"), "{title}");
    let kept = browser
        .client
        .execute("return window.stillTheSameDocument === true;", vec![])
        .await
        .expect("ran a script");
    assert_eq!(kept, json!(true), "the link reloaded the whole document");
    let url = browser.client.current_url().await.expect("a URL");
    assert_eq!(url.path(), "/about");

    browser.close().await;
    app.stop().await;
}

/// The app in development mode (so `/dev/mail` exists, over an outbox folder), serving on a free
/// port of 127.0.0.1, reached as `localhost`, with the links of its emails pointing there.
pub struct LiveApp {
    pub url: String,
    pub app: TestApp,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<anyhow::Result<bool>>,
    _outbox: tempfile::TempDir,
}

impl LiveApp {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts it after `configure` has adjusted the configuration (`public_url` set already).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        // By name, as people reach a site: some browser features (WebAuthn) refuse an IP address.
        let port = listener.local_addr().expect("an address").port();
        let url = format!("http://localhost:{port}");
        let outbox = tempfile::tempdir().expect("a temporary folder");
        let app = TestApp::spawn_with(|config| {
            use_development_outbox(config, outbox.path());
            config.server.public_url = url.clone();
            configure(config);
        })
        .await;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(server::serve(
            listener,
            routes::router(app.state.clone()),
            async move {
                stopped.await.ok();
            },
            Duration::from_secs(5),
        ));
        Self {
            url,
            app,
            stop,
            serving,
            _outbox: outbox,
        }
    }

    pub async fn stop(self) {
        self.stop.send(()).ok();
        self.serving
            .await
            .expect("joined")
            .expect("served until stopped");
        self.app.stop().await;
    }
}

/// A headless Chromium with its own chromedriver, closed when the test ends.
pub struct Browser {
    pub client: Client,
    base_url: String,
    _driver: Driver,
}

impl Browser {
    pub async fn open(base_url: &str) -> Self {
        let driver = Driver::start().await;
        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,900",
            ],
        });
        if let Ok(chrome) = std::env::var("CHROME") {
            options["binary"] = json!(chrome);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{}", driver.address))
            .await
            .expect("chromedriver opened a Chromium session");
        Self {
            client,
            base_url: base_url.to_owned(),
            _driver: driver,
        }
    }

    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .unwrap_or_else(|error| panic!("could not open {path}: {error}"));
    }

    /// The first element matching `selector`, once the page shows it. Every failed look is
    /// retried until `PATIENCE` runs out, not only "no such element": a look made while the page
    /// navigates (after a redirect, say) gets chromedriver's "aborted by navigation".
    pub async fn wait_for(&self, selector: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.client.find(Locator::Css(selector)).await {
                Ok(element) => return element,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(POLL).await,
                Err(error) => {
                    let url = self.client.current_url().await.map(|url| url.to_string());
                    let source = self.client.source().await.unwrap_or_default();
                    panic!("{selector} did not appear on {url:?} ({error}); the page:\n{source}")
                }
            }
        }
    }

    pub async fn close(self) {
        self.client.close().await.expect("closed the browser");
    }
}

/// A chromedriver process on a free port, killed on drop.
struct Driver {
    process: Child,
    address: SocketAddr,
}

impl Driver {
    async fn start() -> Self {
        let address = StdListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let process = Command::new(&program)
            .arg(format!("--port={}", address.port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start {program} ({error}): install Chromium and its driver \
                     (Debian: apt install chromium chromium-driver) or set CHROMEDRIVER"
                )
            });
        let driver = Self { process, address };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{program} did not listen on {address} within 10 s");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.process.kill().ok();
        self.process.wait().ok();
    }
}
