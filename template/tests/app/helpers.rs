//! What the tests share: [`TestApp`], a booted app on a fresh database, with a cookie-keeping
//! client and HTML assertions by CSS selector.
//!
//! ```ignore
//! let app = TestApp::spawn().await;
//! let page = app.get("/about").await;
//! page.assert_status_ok();
//! assert_eq!(text_of(&html(&page), "h1"), "About My App");
//! ```
//!
//! On SQLite each test gets a file in its own temporary folder; on Postgres, a database of its own
//! on the configured server, dropped when the test ends. Set `TEST_LOG=1` to see the app's logs.

use std::{fmt::Display, net::SocketAddr, path::Path, sync::Once};

use axum::{
    Router,
    extract::{ConnectInfo, Request},
    middleware::{Next, from_fn},
    response::Response,
};
use axum_extra::routing::TypedPath;
use axum_test::{TestResponse, TestServer, TestServerBuilder};
use leptos::prelude::*;
use scraper::{ElementRef, Html, Selector};
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret as _, SecretString};
use tempfile::TempDir;

use crate::app::{
    app::{AppState, Services},
    config::{Config, Environment, LogConfig, LogFormat, MailTransport},
    csrf::{self, CsrfToken},
    db::{self, Backend},
    page::Page,
    routes::{self, Routes},
{%- if tasks %}
    tasks, telemetry,
{%- else %}
    telemetry,
{%- endif %}
    views::components::form::CsrfField,
};
use crate::smtp::{self, Inbox, ReceivedMail};

/// The app, booted for one test.
pub struct TestApp {
    /// Sends requests straight to the router (no socket) and keeps cookies between them.
    pub server: TestServer,
    pub state: AppState,
    /// What the app sent to its SMTP server (a real one, started for this test).
    pub mail: Inbox,
    services: Option<Services>,
    /// `None` for a second client of another test's app, which owns the database.
    database: Option<TestDatabase>,
{%- if uploads %}
    /// The folder of uploaded files, deleted with the app (`None` for a second client).
    _uploads: Option<TempDir>,
{%- endif %}
}

impl TestApp {
    /// Boots the app with the test configuration.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Boots the app after `configure` has adjusted the test configuration.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_custom(configure, Routes::new()).await
    }

    /// Boots the app with test-only routes beside its pages, under the same middleware.
    pub async fn spawn_with_routes(extra_pages: Routes<AppState>) -> Self {
        Self::spawn_custom(|_| {}, extra_pages).await
    }

    /// Boots the app with both an adjusted configuration and test-only routes.
    pub async fn spawn_custom(
        configure: impl FnOnce(&mut Config),
        extra_pages: Routes<AppState>,
    ) -> Self {
        let mut config = test_config();
        let database = TestDatabase::create(&config).await;
        config.database.url = SecretString::from(database.url.clone());
        let (smtp_port, mail) = smtp::start().await;
        config.mail.smtp.port = smtp_port;
{%- if uploads %}
        let uploads = tempfile::tempdir().expect("a temporary folder");
        config.uploads.storage.local_dir = uploads.path().to_owned();
{%- endif %}
        configure(&mut config);

        let services = Services::start(config).await.expect("the app starts");
        let state = services.state();
        let extra_pages = extra_pages.get(csrf_form_page).post(csrf_form_sent);
        let server = TestServer::builder()
            .save_cookies()
            .mock_transport()
            .build(with_test_peers(routes::router_with(
                state.clone(),
                extra_pages,
            )));
        Self {
            server,
            state,
            mail,
            services: Some(services),
            database: Some(database),
{%- if uploads %}
            _uploads: Some(uploads),
{%- endif %}
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The URL of this test's own database.
    pub fn database_url(&self) -> &str {
        &self.database.as_ref().expect("the app's own database").url
    }

    /// Another browser on the same app: its own cookies, the same database and mail (and the app's
    /// own routes only, without the test's extra ones).
    pub fn second_client(&self) -> Self {
        self.client_with(TestServer::builder().mock_transport())
    }
{%- if uploads %}

    /// Another browser that reaches the app over a real socket (a free port of 127.0.0.1), where
    /// a large request body arrives in pieces, as it does in production; other clients hand the
    /// router each body whole.
    pub fn socket_client(&self) -> Self {
        self.client_with(TestServer::builder().http_transport())
    }
{%- endif %}

    /// A second instance of the app, as a deployment with several runs them: the same
    /// configuration and database, but services of its own (what it keeps in memory, its
    /// workers) and a browser of its own.
    pub async fn another_instance(&self) -> Self {
        let services = Services::start(self.state.config.clone())
            .await
            .expect("a second instance starts");
        let state = services.state();
        let server = TestServer::builder()
            .save_cookies()
            .mock_transport()
            .build(with_test_peers(routes::router(state.clone())));
        Self {
            server,
            state,
            mail: self.mail.clone(),
            services: Some(services),
            database: None,
{%- if uploads %}
            _uploads: None,
{%- endif %}
        }
    }

    fn client_with(&self, builder: TestServerBuilder) -> Self {
        let server = builder
            .save_cookies()
            .build(with_test_peers(routes::router(self.state.clone())));
        Self {
            server,
            state: self.state.clone(),
            mail: self.mail.clone(),
            services: None,
            database: None,
{%- if uploads %}
            _uploads: None,
{%- endif %}
        }
    }

    /// SQLite or Postgres, as the test configuration says.
    pub fn backend(&self) -> Backend {
        self.state.backend
    }

    /// `GET path`, as a browser would (asking for HTML).
    pub async fn get(&self, path: impl Display) -> TestResponse {
        self.server
            .get(&path.to_string())
            .add_header("accept", "text/html,application/xhtml+xml")
            .await
    }

    /// `GET path` as an htmx request (not boosted), which wants a fragment.
    pub async fn htmx_get(&self, path: impl Display) -> TestResponse {
        self.server
            .get(&path.to_string())
            .add_header("hx-request", "true")
            .await
    }

    /// The visitor's CSRF token (the first call sets the cookie holding it), for requests
    /// that send it as the `x-csrf-token` header, as htmx does.
    pub async fn csrf_token(&self) -> String {
        self.form_token(CsrfFormPage).await
    }

    /// The CSRF token of the form on the page at `path` (which sets the cookie holding it).
    pub async fn form_token(&self, path: impl Display) -> String {
        let page = self.get(path).await;
        let document = html(&page);
        // Any form's will do: each shows the visitor's one token, masked anew.
        select(&document, "input[name=csrf_token]")
            .first()
            .expect("a form with a CSRF token")
            .attr("value")
            .expect("a value")
            .to_owned()
    }

    /// Whether the app takes `token` as this visitor's: a POST to the test form page carrying
    /// it, as htmx sends it.
    pub async fn accepts_token(&self, token: &str) -> bool {
        let sent = self
            .server
            .post(&CsrfFormPage.to_string())
            .add_header(csrf::HEADER, token)
            .await;
        sent.status_code() == axum::http::StatusCode::OK
    }

    /// Posts a URL-encoded form to `action`, with the CSRF token of the form page `form_page`.
    pub async fn submit(
        &self,
        form_page: impl Display,
        action: impl Display,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let token = self.form_token(form_page).await;
        self.post_with_token(action, &token, fields).await
    }

    /// Posts a URL-encoded form with a given CSRF token.
    pub async fn post_with_token(
        &self,
        action: impl Display,
        token: &str,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token)];
        form.extend_from_slice(fields);
        self.server
            .post(&action.to_string())
            .add_header("accept", "text/html")
            .form(&form)
            .await
    }
{%- if tasks %}

    /// Runs the queued tasks that are ready, as the worker would (which tests do not start), and
    /// says how many ran.
    pub async fn drain(&self) -> tenshu_queue::DrainReport {
        self.state
            .tasks
            .drain(&self.state, &tasks::registry())
            .await
            .expect("the queue can be read")
    }
{%- endif %}

    /// The `count`-th email to `address`, waited for{% if tasks %}, running the queued tasks
    /// (which send the app's mail) meanwhile: some answers queue their email after they are sent{% endif %}.
    pub async fn wait_for_mail(&self, address: &str, count: usize) -> ReceivedMail {
{%- if tasks %}
        for _ in 0..40 {
            self.drain().await;
            if self.mail.to(address).len() >= count {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
{%- endif %}
        self.mail.wait_for(address, count).await
    }

    /// Every email sent so far. Mail goes out after the answer: this gives it a moment{% if tasks %},
    /// then runs the queued tasks{% endif %}.
    pub async fn all_mail(&self) -> Vec<ReceivedMail> {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
{%- if tasks %}
        self.drain().await;
{%- endif %}
        self.mail.all()
    }

    /// Stops the background tasks and closes the pool, as `serve` does on shutdown.
    pub async fn stop(mut self) {
        if let Some(services) = self.services.take() {
            services.stop().await;
        }
    }
}

/// The request header that the tests' router takes as the connection's peer address
/// (`203.0.113.7:4000`), which `ClientIp` counts by: tests of rate limits play several clients
/// with it. Without it, every request of a test comes from one unknown client.
pub const TEST_PEER: &str = "x-test-peer";

fn with_test_peers(router: Router) -> Router {
    router.layer(from_fn(|mut request: Request, next: Next| async move {
        let peer = request
            .headers()
            .get(TEST_PEER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<SocketAddr>().ok());
        if let Some(peer) = peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        next.run(request).await
    }))
}

/// A page holding an empty form, beside the pages of every [`TestApp`]: where tests that post
/// find a CSRF token, whatever pages the app has.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/test/csrf-form")]
pub struct CsrfFormPage;

async fn csrf_form_page(_: CsrfFormPage, CsrfToken(token): CsrfToken, page: Page) -> Response {
    page.render(
        "A form",
        view! { <form method="post"><CsrfField token /></form> },
    )
}

/// The test form's action: reached only with the visitor's token (see [`TestApp::accepts_token`]).
async fn csrf_form_sent(_: CsrfFormPage) -> &'static str {
    "accepted"
}

/// Makes `config` what `just dev` runs: the development environment, whose mail goes to an
/// outbox (here the folder `dir`) shown at `/dev/mail`.
pub fn use_development_outbox(config: &mut Config, dir: &Path) {
    config.environment = Environment::Development;
    config.mail.transport = MailTransport::Outbox;
    config.mail.outbox_dir = dir.to_string_lossy().into_owned();
{%- if tasks %}
    config.tasks.worker_in_serve = true;
{%- endif %}
}

/// The test configuration, read like the app reads its own (files, then `APP_…` variables).
pub fn test_config() -> Config {
{%- if cache == "redis" %}
    let mut config = Config::load_for(Environment::Test, None).expect("config/test.toml is valid");
    // Each test's cache keys apart from the others' (and from the development app's).
    config.cache.key_prefix = format!("{}test-{}:", config.cache.key_prefix, uuid::Uuid::new_v4());
{%- else %}
    let config = Config::load_for(Environment::Test, None).expect("config/test.toml is valid");
{%- endif %}
    init_logs(&config.log);
    config
}

fn init_logs(log: &LogConfig) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let verbose = LogConfig {
                level: "debug".to_owned(),
                format: LogFormat::Pretty,
            };
            telemetry::init(&verbose).expect("valid log filter");
        } else {
            telemetry::init(log).expect("valid log filter");
        }
    });
}

/// A database for one test, removed afterwards.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    // Holds the SQLite file; deleted on drop.
    _folder: Option<TempDir>,
}

impl TestDatabase {
    /// A new, empty database next to the one `config` names.
    pub async fn create(config: &Config) -> Self {
        let configured = config.database.url.expose_secret();
        let backend = Backend::of_url(configured).expect("a known database URL");
        match backend {
            Backend::Sqlite => {
                let folder = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}/test.db?mode=rwc", folder.path().display());
                Self {
                    url,
                    backend,
                    _folder: Some(folder),
                }
            }
            Backend::Postgres => {
                // postgres://host/app_test?sslmode=… → postgres://host/app_test_<random>?sslmode=…
                let suffix = uuid::Uuid::new_v4().simple();
                let url = match configured.split_once('?') {
                    Some((base, query)) => format!("{base}_{suffix}?{query}"),
                    None => format!("{configured}_{suffix}"),
                };
                db::create_postgres_database(&url)
                    .await
                    .expect("the Postgres server in config/test.toml is reachable");
                Self {
                    url,
                    backend,
                    _folder: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.backend != Backend::Postgres {
            return;
        }
        // Drop runs outside async code: use a small runtime on its own thread.
        let url = self.url.clone();
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(db::drop_postgres_database(&url))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test database {}", self.url);
        }
    }
}

/// Parses a response body as an HTML document.
pub fn html(response: &TestResponse) -> Html {
    Html::parse_document(&response.text())
}

/// Every CSRF token a page shows: in its forms, and the one it hands to htmx.
pub fn shown_tokens(response: &TestResponse) -> Vec<String> {
    let document = html(response);
    let in_forms = select(&document, "input[name=csrf_token]")
        .into_iter()
        .filter_map(|input| input.attr("value").map(str::to_owned));
    let for_htmx = select(&document, "body[data-hx-headers]")
        .into_iter()
        .filter_map(|body| {
            let headers: serde_json::Value =
                serde_json::from_str(body.attr("data-hx-headers")?).ok()?;
            headers[csrf::HEADER].as_str().map(str::to_owned)
        });
    in_forms.chain(for_htmx).collect()
}

/// Parses a response body as an HTML fragment.
pub fn fragment(response: &TestResponse) -> Html {
    Html::parse_fragment(&response.text())
}

/// Every element matching `selector`.
pub fn select<'a>(document: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    let parsed = Selector::parse(selector).unwrap_or_else(|_| panic!("bad selector {selector}"));
    document.select(&parsed).collect()
}

/// The one element matching `selector`; fails the test if there are none or several.
pub fn select_one<'a>(document: &'a Html, selector: &str) -> ElementRef<'a> {
    let mut found = select(document, selector);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one element matching {selector}"
    );
    found.remove(0)
}

/// The text of the one element matching `selector`, with whitespace collapsed.
pub fn text_of(document: &Html, selector: &str) -> String {
    let text: String = select_one(document, selector).text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sends one raw HTTP/1.1 request on `stream` (plain TCP or TLS) and returns the whole response
/// as text: for tests of what happens on the wire, below the router.
pub async fn raw_request(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    method: &str,
    path: &str,
    host: &str,
) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A TLS server may close without close_notify once the response is complete.
    match stream.read_to_end(&mut response).await {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(error) => panic!("reading the response failed: {error}"),
    }
    String::from_utf8_lossy(&response).into_owned()
}
