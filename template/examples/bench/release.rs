//! `just bench release`: what the deployable binary costs. `just build` makes it; this bench runs
//! it as production would, on a SQLite file of its own, and measures
//!
//! - its size on disk (stripped, with the static files and migrations inside);
//! - the time from starting the process to the first `200` from `/ready`, over several starts;
//! - its memory (resident set size) idle after start, and after serving the home page
//!   1,000 times.
//!
//! It fails when a figure is over its budget.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

/// How many times the binary is started for the time to `/ready`.
const STARTS: usize = 7;
/// The budgets the template holds itself to.
const SIZE_BUDGET_MB: f64 = 25.0;
const READY_BUDGET_MS: f64 = 300.0;
const MEMORY_BUDGET_MB: f64 = 30.0;

pub async fn run() -> anyhow::Result<()> {
    let binary = release_binary()?;
    let folder = tempfile::tempdir()?;
    let size = std::fs::metadata(&binary)?.len() as f64 / 1e6;
    println!("release binary {}\n", binary.display());
    println!("size                          {size:>7.1} MB   (budget {SIZE_BUDGET_MB} MB)");

    // Production does not migrate at start: as in a deployment, `migrate up` runs first.
    let migrated = production(&binary, folder.path(), 0)
        .args(["migrate", "up"])
        .status()?;
    if !migrated.success() {
        bail!("`migrate up` failed");
    }

    let mut times = Vec::new();
    for _ in 0..STARTS {
        let port = free_port()?;
        let started = Instant::now();
        let mut server = Server::start(&binary, folder.path(), port).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        server.stop()?;
    }
    times.sort_by(f64::total_cmp);
    let ready = times[STARTS / 2];
    println!(
        "start → /ready, median       {:>7.0} ms   (budget {READY_BUDGET_MS} ms; {STARTS} starts, \
         slowest {:.0} ms)",
        ready,
        times[STARTS - 1]
    );

    let port = free_port()?;
    let mut server = Server::start(&binary, folder.path(), port).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = resident_mb(server.0.id())?;
    for _ in 0..1_000 {
        let response = get(port, "/").await?;
        if !response.starts_with("HTTP/1.1 200") {
            bail!("the home page answered: {}", first_line(&response));
        }
    }
    let busy = resident_mb(server.0.id())?;
    server.stop()?;
    println!("memory, idle after start      {idle:>7.1} MB   (budget {MEMORY_BUDGET_MB} MB)");
    println!("memory, after 1,000 pages     {busy:>7.1} MB");

    let over: Vec<&str> = [
        (size > SIZE_BUDGET_MB, "size"),
        (ready > READY_BUDGET_MS, "start → /ready"),
        (idle > MEMORY_BUDGET_MB, "idle memory"),
    ]
    .into_iter()
    .filter_map(|(over, what)| over.then_some(what))
    .collect();
    if !over.is_empty() {
        bail!("over budget: {}", over.join(", "));
    }
    Ok(())
}

/// `target/release/<app>`, beside `target/release/examples/bench` (this program).
fn release_binary() -> anyhow::Result<PathBuf> {
    let this = std::env::current_exe()?;
    let binary = this
        .parent()
        .and_then(Path::parent)
        .map(|release| release.join(env!("CARGO_PKG_NAME")))
        .context("where is target/release?")?;
    if !binary.is_file() {
        bail!("{} is missing: run `just build` first", binary.display());
    }
    Ok(binary)
}

/// The binary as production runs it, with what production requires set in the environment, a
/// SQLite file in `folder`, and logs kept out of the measurement.
fn production(binary: &Path, folder: &Path, port: u16) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(folder)
        .env("APP_ENVIRONMENT", "production")
        .env(
            "APP_SECRET_KEY",
            "bench-only-secret-key-0123456789-0123456789-0123456789-0123456789",
        )
        .env("APP_SERVER__HOST", "127.0.0.1")
        .env("APP_SERVER__PORT", port.to_string())
        .env("APP_SERVER__PUBLIC_URL", "https://bench.example")
        .env("APP_MAIL__CONTACT_TO", "owner@bench.example")
        .env(
            "APP_DATABASE__URL",
            format!("sqlite://{}/production.db?mode=rwc", folder.display()),
        )
        .env("APP_LOG__LEVEL", "warn")
        .stdout(Stdio::null());
    command
}

/// A started server, killed if the bench fails before stopping it.
struct Server(Child);

impl Server {
    /// Starts `serve` and waits for its first `200` from `/ready`.
    async fn start(binary: &Path, folder: &Path, port: u16) -> anyhow::Result<Self> {
        let mut server = Self(production(binary, folder, port).arg("serve").spawn()?);
        server.wait_until_ready(port).await?;
        Ok(server)
    }

    async fn wait_until_ready(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait()? {
                bail!("the server exited with {status} before answering /ready");
            }
            if let Ok(response) = get(port, "/ready").await
                && response.starts_with("HTTP/1.1 200")
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        bail!("no answer from /ready within 10 s")
    }

    /// SIGTERM, as a deployment stops it, then wait for the exit.
    fn stop(&mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()?;
        let status = self.0.wait()?;
        if !status.success() {
            bail!("the server exited with {status}");
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request on a new connection; the whole response.
async fn get(port: u16, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

fn first_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Resident memory of process `pid`, in MB: `VmRSS` on Linux, `ps` elsewhere.
fn resident_mb(pid: u32) -> anyhow::Result<f64> {
    let kib: f64 = match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS line in /proc/<pid>/status")?,
        Err(_) => {
            let output = Command::new("ps")
                .args(["-o", "rss=", "-p", &pid.to_string()])
                .output()?;
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .context("could not read the memory of the server from ps")?
        }
    };
    Ok(kib * 1024.0 / 1e6)
}
