//! `just bench`: the home page's requests per second through the app's whole middleware stack,
//! against a bare axum handler serving the same bytes. The servers run in this process; `wrk`
//! loads one at a time, with the same connections and duration, in alternating rounds so that a
//! noisy machine slows all alike. The ratios of the medians are the cost of the stack:
//!
//! - "cached page": the app as configured. The home page is kept by the page cache for visitors
//!   without a session (`src/cache/pages.rs`), as `wrk` is: every middleware, no rendering.
//! - "rendered page": the same app with the page cache off (`cache.page_capacity_mb = 0`): every
//!   middleware, and the page rendered for each request.
//!
//! Each is loaded twice: as `wrk` asks by default (no compression), and as a browser asks
//! (Chromium's `Accept-Encoding: gzip, deflate, br, zstd`). A browser gets the cached page from
//! the copy the page cache compressed once, and the rendered page compressed for each request;
//! the bare handler then serves the cached page's compressed bytes as they are.
//!
//! Then, as a browser asks:{% if auth %} the home page for a signed-in visitor (its session from memory, its
//! user from the database), and{% endif %} the stylesheet, which the build compressed (`src/assets.rs`).
//!
//! Logging is off for all: a log line per request would measure the terminal.
//!
//! `just bench encodings` times each encoding and level on the home page (see `encodings.rs`).
//! `just bench release` measures the release binary instead: size, start time, memory (see
//! `release.rs`).
{%- if tasks %}
//! `just bench tasks` measures the task queue (see `tasks.rs`).
{%- endif %}
{%- if auth %}
//!
//! Then the login storm: the rendered home page's latency (wrk's p99, a few connections) while a
//! second load generator posts 50 failing sign-ins a second, against the same page with no
//! sign-ins, in alternating rounds. Passwords are hashed with the production costs of
//! `config/default.toml`, and the rate limits are lifted, as for a storm from many addresses:
//! every attempt is hashed. The hashing pool's cap keeps a core free for the pages.
{%- endif %}

use std::{net::SocketAddr, path::Path, process::Command, time::Duration};

use anyhow::{Context as _, bail};
use axum::{
    Router,
    body::{Body, Bytes, to_bytes},
    http::{HeaderMap, Request, header},
    response::{Html, IntoResponse as _},
    routing::get,
};
use secrecy::SecretString;
use tower::ServiceExt as _;

// The app, whatever the project is called.
{% if crate_name == "app" -%}
use ::app;
{%- else -%}
use ::{{crate_name}} as app;
{%- endif %}
use app::{
    app::Services,
    assets,
    config::{Config, Environment},
    routes,
};
{%- if auth %}

mod login_storm;
{%- endif %}
mod encodings;
mod release;
{%- if tasks %}
mod tasks;
{%- endif %}

// The same allocator as the app's binary (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 3;
const CONNECTIONS: &str = "32";
const DURATION: &str = "5s";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1);
    match what.as_deref() {
        None | Some("pages") => pages().await,
        Some("encodings") => encodings().await,
        Some("release") => release::run().await,
{%- if tasks %}
        Some("tasks") => tasks::run().await,
        Some(other) => bail!(
            "no bench named {other}: `pages` (the default), `encodings`, `release` or `tasks`"
        ),
{%- else %}
        Some(other) => {
            bail!("no bench named {other}: `pages` (the default), `encodings` or `release`")
        }
{%- endif %}
    }
}

/// The home page through the whole stack, cached and rendered{% if auth %} (and signed in){% endif %}, and a static
/// file, against bare axum{% if auth %}; then the login storm{% endif %}.
async fn pages() -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let with_page_cache = Services::start(config(folder.path(), "cached.db")?).await?;
    let mut no_page_cache = config(folder.path(), "rendered.db")?;
    no_page_cache.cache.page_capacity_mb = 0;
    let without_page_cache = Services::start(no_page_cache).await?;
    let cached_app = routes::router(with_page_cache.state());
    let rendered_app = routes::router(without_page_cache.state());

    let page = home_page(&cached_app, None).await?;
    if home_page(&rendered_app, None).await? != page {
        bail!("the cached and rendered home pages differ");
    }
    // The page cache's compressed copy, which a browser then gets from it.
    let compressed = home_page(&cached_app, Some(BROWSER)).await?;
    let bare = Router::new().route(
        "/",
        get(move |headers: HeaderMap| async move {
            let browser = headers.get(header::ACCEPT_ENCODING).is_some();
            if browser {
                ([(header::CONTENT_ENCODING, "br")], Html(compressed.clone())).into_response()
            } else {
                Html(page.clone()).into_response()
            }
        }),
    );

    let cached_server = spawn(cached_app).await?;
    let rendered_server = spawn(rendered_app).await?;
    let bare_server = spawn(bare).await?;
    let stylesheet = assets::url("/css/app.css");
{%- if auth %}
    login_storm::create_account(&without_page_cache).await?;
    let cookie = login_storm::signed_in_cookie(rendered_server).await?;
    let signed_in = format!("Cookie: {cookie}");
{%- endif %}
    let loads = [
        Load::new("cached", cached_server, "/"),
        Load::new("rendered", rendered_server, "/"),
        Load::new("bare axum", bare_server, "/"),
        Load::new("cached", cached_server, "/").like_a_browser(),
        Load::new("rendered", rendered_server, "/").like_a_browser(),
{%- if auth %}
        Load::new("signed in", rendered_server, "/")
            .like_a_browser()
            .with_header(&signed_in),
{%- endif %}
        Load::new("stylesheet", cached_server, &stylesheet).like_a_browser(),
        Load::new("bare axum", bare_server, "/").like_a_browser(),
    ];
    println!(
        "wrk, {CONNECTIONS} connections, {DURATION} per run, {ROUNDS} rounds; requests/s, without \
         compression and as a browser asks ({BROWSER}):\n"
    );
    print!("round ");
    for load in &loads {
        print!(" {:>14}", load.name);
    }
    print!("\n      ");
    for load in &loads {
        print!(" {:>14}", if load.browser { "as a browser" } else { "" });
    }
    println!();
    let mut runs = vec![Vec::new(); loads.len()];
    for round in 1..=ROUNDS {
        print!("{round:>5} ");
        for (load, run) in loads.iter().zip(&mut runs) {
            let requests = load.requests_per_second()?;
            run.push(requests);
            print!(" {requests:>14.0}");
        }
        println!();
    }
    let medians: Vec<f64> = runs.iter_mut().map(|run| median(run)).collect();
    print!("median");
    for requests in &medians {
        print!(" {requests:>14.0}");
    }
    println!("\n");
    // The median of the load named `name`, as a browser asks or not.
    let median_of = |name: &str, browser: bool| {
        loads
            .iter()
            .zip(&medians)
            .find(|(load, _)| load.name == name && load.browser == browser)
            .map(|(_, requests)| *requests)
            .expect("a load of that name")
    };
    let (cached, rendered, bare) = (
        median_of("cached", false),
        median_of("rendered", false),
        median_of("bare axum", false),
    );
    let (cached_br, rendered_br, bare_br) = (
        median_of("cached", true),
        median_of("rendered", true),
        median_of("bare axum", true),
    );
    println!("ratio cached page / bare axum: {:.2}", cached / bare);
    println!("ratio rendered page / bare axum: {:.2}", rendered / bare);
    println!(
        "ratio cached page, as a browser asks / bare axum serving its compressed bytes: {:.2}",
        cached_br / bare_br
    );
    println!(
        "ratio rendered page, as a browser asks / bare axum serving the cached page's compressed \
         bytes: {:.2}",
        rendered_br / bare_br
    );
{%- if auth %}
    println!(
        "ratio signed-in page / the same page rendered for a visitor without a session, as a \
         browser asks: {:.2}",
        median_of("signed in", true) / rendered_br
    );

    login_storm::run(rendered_server).await?;
{%- endif %}

    without_page_cache.stop().await;
    with_page_cache.stop().await;
    Ok(())
}

/// One column of the table: wrk's load on one URL.
struct Load {
    name: &'static str,
    address: SocketAddr,
    path: String,
    /// Sent as a browser: `Accept-Encoding` as Chromium sends it.
    browser: bool,
    headers: Vec<String>,
}

impl Load {
    fn new(name: &'static str, address: SocketAddr, path: &str) -> Self {
        Self {
            name,
            address,
            path: path.to_owned(),
            browser: false,
            headers: Vec::new(),
        }
    }

    fn like_a_browser(mut self) -> Self {
        self.browser = true;
        self.with_header(&format!("Accept-Encoding: {BROWSER}"))
    }

    fn with_header(mut self, header: &str) -> Self {
        self.headers.push(header.to_owned());
        self
    }

    /// Runs wrk and reads its "Requests/sec:" line.
    fn requests_per_second(&self) -> anyhow::Result<f64> {
        let mut args = vec!["-c", CONNECTIONS, "-d", DURATION];
        for header in &self.headers {
            args.extend(["-H", header.as_str()]);
        }
        let report = wrk(&format!("http://{}{}", self.address, self.path), &args)?;
        report
            .lines()
            .find_map(|line| line.strip_prefix("Requests/sec:"))
            .and_then(|value| value.trim().parse().ok())
            .with_context(|| format!("no Requests/sec in wrk's report:\n{report}"))
    }
}

/// The cost and gain of each encoding, on the home page as the app renders it.
async fn encodings() -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let services = Services::start(config(folder.path(), "encodings.db")?).await?;
    let page = home_page(&routes::router(services.state()), None).await?;
    services.stop().await;
    tokio::task::block_in_place(|| encodings::run(&page))
}

/// The test configuration, on a database of its own in `folder`{% if auth %}; passwords hashed as in
/// production, and no rate limits, for the login storm{% endif %}.
fn config(folder: &Path, database: &str) -> anyhow::Result<Config> {
    let mut config = Config::load_for(Environment::Test, None)?;
{%- if auth %}
    // The storm hashes as production does (config/default.toml), from "many addresses".
    config.auth.argon2_memory_kib = 19_456;
    config.auth.argon2_iterations = 2;
    config.rate_limit.per_email_and_ip_per_minute = u32::MAX;
    config.rate_limit.per_ip_per_3_minutes = u32::MAX;
    config.rate_limit.per_account_per_hour = u32::MAX;
{%- endif %}
    config.database.url =
        SecretString::from(format!("sqlite://{}/{database}?mode=rwc", folder.display()));
    Ok(config)
}

/// What Chromium sends.
const BROWSER: &str = "gzip, deflate, br, zstd";

/// The home page's bytes, compressed as `accept_encoding` asks; the first request also puts it in
/// the page cache, when there is one.
async fn home_page(app: &Router, accept_encoding: Option<&str>) -> anyhow::Result<Bytes> {
    let mut request = Request::get("/");
    if let Some(encodings) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    let response = app.clone().oneshot(request.body(Body::empty())?).await?;
    if !response.status().is_success() {
        bail!("the home page answered {}", response.status());
    }
    if accept_encoding.is_some() && response.headers().get(header::CONTENT_ENCODING).is_none() {
        bail!("the home page came uncompressed to a browser");
    }
    Ok(to_bytes(response.into_body(), usize::MAX).await?)
}

async fn spawn(router: Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(address)
}

/// Runs wrk, one thread, with `args` against `url`; its report, or an error if any request
/// failed.
fn wrk(url: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("wrk")
        .arg("-t1")
        .args(args)
        .arg(url)
        .output()
        .context("could not run wrk: install it (apt-get install wrk, brew install wrk)")?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    if report.contains("Non-2xx") {
        bail!("some requests failed:\n{report}");
    }
    Ok(report)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
