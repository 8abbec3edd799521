//! `just bench`: the home page's requests per second through the app's whole middleware stack,
//! against a bare axum handler serving the same bytes. The servers run in this process; `wrk`
//! loads one at a time, with the same connections and duration, in alternating rounds so that a
//! noisy machine slows all alike. The ratios of the medians are the cost of the stack:
//!
//! - "cached page": the app as configured. The home page is kept by the page cache for visitors
//!   without a session (`src/cache/pages.rs`), as `wrk` is: every middleware, no rendering.
//! - "rendered page": the same app with the page cache off (`cache.page_capacity_mb = 0`), as for
//!   a signed-in visitor: every middleware, and the page rendered for each request.
//!
//! A last column loads the cached page as a browser would, asking for compressed responses: the
//! cost of gzip on every page.
//!
//! Logging is off for all: a log line per request would measure the terminal.
//!
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
    http::Request,
    response::Html,
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
    config::{Config, Environment},
    routes,
};
{%- if auth %}

mod login_storm;
{%- endif %}
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
        Some("release") => release::run().await,
{%- if tasks %}
        Some("tasks") => tasks::run().await,
        Some(other) => bail!("no bench named {other}: `pages` (the default), `release` or `tasks`"),
{%- else %}
        Some(other) => bail!("no bench named {other}: `pages` (the default) or `release`"),
{%- endif %}
    }
}

/// The home page through the whole stack, cached and rendered, against bare axum{% if auth %}; then the
/// login storm{% endif %}.
async fn pages() -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let with_page_cache = Services::start(config(folder.path(), "cached.db")?).await?;
    let mut no_page_cache = config(folder.path(), "rendered.db")?;
    no_page_cache.cache.page_capacity_mb = 0;
    let without_page_cache = Services::start(no_page_cache).await?;
    let cached_app = routes::router(with_page_cache.state());
    let rendered_app = routes::router(without_page_cache.state());

    let page = home_page(&cached_app).await?;
    if home_page(&rendered_app).await? != page {
        bail!("the cached and rendered home pages differ");
    }
    let bare = Router::new().route("/", get(move || async move { Html(page.clone()) }));

    let cached_address = spawn(cached_app).await?;
    let rendered_address = spawn(rendered_app).await?;
    let bare_address = spawn(bare).await?;
    println!(
        "wrk, {CONNECTIONS} connections, {DURATION} per run, {ROUNDS} rounds; requests/s:\n\n\
         round   cached page   rendered page   bare axum   cached page, gzip"
    );
    let mut runs = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for round in 1..=ROUNDS {
        runs[0].push(requests_per_second(cached_address, None)?);
        runs[1].push(requests_per_second(rendered_address, None)?);
        runs[2].push(requests_per_second(bare_address, None)?);
        runs[3].push(requests_per_second(cached_address, Some("gzip, br"))?);
        let [cached, rendered, bare, gzip] = runs.each_ref().map(|run| run[round - 1]);
        println!("{round:>5} {cached:>13.0} {rendered:>15.0} {bare:>11.0} {gzip:>19.0}");
    }
    let [cached, rendered, bare, gzip] = runs.each_mut().map(|run| median(run));
    println!("median {cached:>12.0} {rendered:>15.0} {bare:>11.0} {gzip:>19.0}");
    println!("\nratio cached page / bare axum: {:.2}", cached / bare);
    println!("ratio rendered page / bare axum: {:.2}", rendered / bare);
    println!(
        "ratio cached page with gzip / bare axum: {:.2}",
        gzip / bare
    );
{%- if auth %}

    login_storm::run(&without_page_cache, rendered_address).await?;
{%- endif %}

    without_page_cache.stop().await;
    with_page_cache.stop().await;
    Ok(())
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

/// The home page's bytes; the first request also puts it in the page cache, when there is one.
async fn home_page(app: &Router) -> anyhow::Result<Bytes> {
    let response = app
        .clone()
        .oneshot(Request::get("/").body(Body::empty())?)
        .await?;
    if !response.status().is_success() {
        bail!("the home page answered {}", response.status());
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

/// Runs wrk against `address` and reads its "Requests/sec:" line.
fn requests_per_second(address: SocketAddr, accept_encoding: Option<&str>) -> anyhow::Result<f64> {
    let header = accept_encoding.map(|encodings| format!("Accept-Encoding: {encodings}"));
    let mut args = vec!["-c", CONNECTIONS, "-d", DURATION];
    if let Some(header) = &header {
        args.extend(["-H", header.as_str()]);
    }
    let report = wrk(address, &args)?;
    report
        .lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's report:\n{report}"))
}

/// Runs wrk, one thread, with `args` against the home page at `address`; its report, or an error
/// if any request failed.
fn wrk(address: SocketAddr, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("wrk")
        .arg("-t1")
        .args(args)
        .arg(format!("http://{address}/"))
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
