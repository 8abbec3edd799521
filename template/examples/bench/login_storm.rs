//! The login storm (see `main.rs`): the home page's p99 latency, measured by wrk, while a second
//! load generator posts failing sign-ins at a fixed rate.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use secrecy::SecretString;

use super::{ROUNDS, median, wrk};
use crate::app::{
    app::Services,
    models::user::{self, NewUser},
    paths,
};

const STORM_PER_SECOND: u64 = 50;
const LATENCY_CONNECTIONS: &str = "4";
const LATENCY_DURATION: &str = "10s";
/// The target: the home page's p99 under the storm, in milliseconds.
const STORM_P99_TARGET_MS: f64 = 50.0;

/// The account the storm guesses the password of, and the signed-in page's bench signs in to.
const EMAIL: &str = "storm@example.com";
const PASSWORD: &str = "the right password";

/// Creates the account, hashing its password as production does.
pub async fn create_account(services: &Services) -> anyhow::Result<()> {
    let app = services.state();
    let password_hash = app.passwords.hash(&SecretString::from(PASSWORD)).await?;
    user::create(
        &app.db,
        NewUser {
            email: EMAIL.to_owned(),
            password_hash,
            is_admin: false,
            verified: true,
        },
    )
    .await?;
    Ok(())
}

/// Signs in to the account through the sign-in form, as a browser does: the `Cookie` header it
/// then sends, checked to open the home page as signed in (with the sign-out button).
pub async fn signed_in_cookie(address: SocketAddr) -> anyhow::Result<String> {
    let cookie = storm::SignInForm::fetch(address, EMAIL, PASSWORD)
        .await?
        .sign_in(address)
        .await?;
    let home = storm::get(address, "/", &cookie).await?;
    anyhow::ensure!(
        home.contains(&format!(r#"action="{}""#, paths::SignOut)),
        "the home page with the session's cookie is not signed in"
    );
    Ok(cookie)
}

/// Home page p99 latency without and with 50 failing sign-ins a second, in alternating rounds.
pub async fn run(address: SocketAddr) -> anyhow::Result<()> {
    let form = storm::SignInForm::fetch(address, EMAIL, "not the right password").await?;

    println!(
        "\nlogin storm: home page latency, wrk, {LATENCY_CONNECTIONS} connections, \
         {LATENCY_DURATION} per run; {STORM_PER_SECOND} failing sign-ins/s beside it\n\n\
         round   p99 quiet   p99 storm   sign-ins: sent  answered  median  timed out (503)"
    );
    let (mut quiet, mut stormy) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        quiet.push(tokio::task::block_in_place(|| home_p99_ms(address))?);
        let storm = storm::start(address, form.clone(), STORM_PER_SECOND);
        // wrk blocks this thread; the storm runs on the runtime's other threads.
        let p99 = tokio::task::block_in_place(|| home_p99_ms(address))?;
        let report = storm.stop().await;
        stormy.push(p99);
        println!(
            "{round:>5} {:>9.1}ms {:>9.1}ms {:>16} {:>9} {:>5.0}ms {:>16}",
            quiet[round - 1],
            p99,
            report.sent,
            report.answered,
            report.median_ms(),
            report.timed_out,
        );
        if report.failed > 0 {
            bail!(
                "{} sign-in attempts failed (a 5xx other than 503, or no answer)",
                report.failed
            );
        }
    }
    let (quiet, stormy) = (median(&mut quiet), median(&mut stormy));
    println!("median {quiet:>9.1}ms {stormy:>9.1}ms");
    println!(
        "\nhome page p99 under the login storm: {stormy:.1} ms (target: at most \
         {STORM_P99_TARGET_MS:.0} ms; {:.1}x the quiet p99)",
        stormy / quiet
    );
    Ok(())
}

/// Runs wrk with `--latency` against the home page and reads its 99th percentile, in ms.
fn home_p99_ms(address: SocketAddr) -> anyhow::Result<f64> {
    let report = wrk(
        &format!("http://{address}/"),
        &[
            "-c",
            LATENCY_CONNECTIONS,
            "-d",
            LATENCY_DURATION,
            "--latency",
        ],
    )?;
    let value = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .map(str::trim)
        .with_context(|| format!("no 99% line in wrk's report:\n{report}"))?;
    parse_wrk_duration_ms(value).with_context(|| format!("cannot read wrk's duration {value:?}"))
}

/// wrk prints durations as `812.00us`, `3.21ms` or `1.02s`.
fn parse_wrk_duration_ms(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(number) = value.strip_suffix("us") {
        (number, 0.001)
    } else if let Some(number) = value.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = value.strip_suffix('s') {
        (number, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|number| number * scale)
}

/// The second load generator: sign-in attempts at a fixed rate, each on its own task, so a slow
/// answer does not slow the rate (an open loop, like real visitors).
mod storm {
    use std::{
        net::SocketAddr,
        sync::{Arc, Mutex},
        time::{Duration, Instant},
    };

    use anyhow::Context as _;
    use axum::{
        body::Bytes,
        http::{Request, header},
    };
    use http_body_util::{BodyExt as _, Full};
    use hyper_util::{
        client::legacy::{Client, connect::HttpConnector},
        rt::TokioExecutor,
    };
    use tokio::task::JoinHandle;
    use tokio_util::sync::CancellationToken;

    type HttpClient = Client<HttpConnector, Full<Bytes>>;

    fn client() -> HttpClient {
        Client::builder(TokioExecutor::new()).build_http()
    }

    /// What a browser holds after opening the sign-in page: its CSRF token, in the form and in
    /// the cookie the page set.
    #[derive(Debug, Clone)]
    pub struct SignInForm {
        cookie: String,
        body: String,
    }

    impl SignInForm {
        pub async fn fetch(
            address: SocketAddr,
            email: &str,
            password: &str,
        ) -> anyhow::Result<Self> {
            let response = client()
                .request(Request::get(format!("http://{address}/login")).body(Full::default())?)
                .await?;
            let cookie = response
                .headers()
                .get(header::SET_COOKIE)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(';').next())
                .context("the sign-in page set no cookie")?
                .to_owned();
            let page = response.into_body().collect().await?.to_bytes();
            let page = String::from_utf8_lossy(&page);
            let token = page
                .split(r#"name="csrf_token" value=""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .context("the sign-in page has no CSRF token")?;
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("csrf_token", token)
                .append_pair("email", email)
                .append_pair("password", password)
                .finish();
            Ok(Self { cookie, body })
        }

        /// Sends the form, which must sign in: the new session's `Cookie` header.
        pub async fn sign_in(&self, address: SocketAddr) -> anyhow::Result<String> {
            let response = client().request(self.request(address)?).await?;
            anyhow::ensure!(
                response.status().is_redirection(),
                "signing in answered {}",
                response.status()
            );
            // The new session's cookie, and the form token's beside it.
            let cookies: Vec<&str> = response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .filter_map(|value| value.split(';').next())
                .collect();
            anyhow::ensure!(
                cookies.iter().any(|cookie| cookie.starts_with("session=")),
                "signing in set no session cookie: {cookies:?}"
            );
            Ok(cookies.join("; "))
        }

        fn request(&self, address: SocketAddr) -> anyhow::Result<Request<Full<Bytes>>> {
            Ok(Request::post(format!("http://{address}/login"))
                .header(header::COOKIE, &self.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(self.body.clone())))?)
        }
    }

    /// The body of the page at `path`, asked with `cookie`.
    pub async fn get(address: SocketAddr, path: &str, cookie: &str) -> anyhow::Result<String> {
        let request = Request::get(format!("http://{address}{path}"))
            .header(header::COOKIE, cookie)
            .body(Full::default())?;
        let body = client()
            .request(request)
            .await?
            .into_body()
            .collect()
            .await?;
        Ok(String::from_utf8_lossy(&body.to_bytes()).into_owned())
    }

    #[derive(Debug, Default)]
    pub struct Report {
        pub sent: usize,
        /// Answers below 500 (a refused sign-in is a 422).
        pub answered: usize,
        /// 503: the attempt waited for the hashing pool longer than the request timeout.
        pub timed_out: usize,
        /// Other 5xx answers, and requests that got no answer.
        pub failed: usize,
        latencies_ms: Vec<f64>,
    }

    impl Report {
        pub fn median_ms(&self) -> f64 {
            let mut latencies = self.latencies_ms.clone();
            latencies.sort_by(f64::total_cmp);
            latencies
                .get(latencies.len() / 2)
                .copied()
                .unwrap_or(f64::NAN)
        }
    }

    pub struct Storm {
        stop: CancellationToken,
        sender: JoinHandle<Vec<JoinHandle<()>>>,
        report: Arc<Mutex<Report>>,
    }

    pub fn start(address: SocketAddr, form: SignInForm, per_second: u64) -> Storm {
        let stop = CancellationToken::new();
        let report = Arc::new(Mutex::new(Report::default()));
        let sender = tokio::spawn({
            let (stop, report) = (stop.clone(), Arc::clone(&report));
            async move {
                let client = client();
                let mut ticks =
                    tokio::time::interval(Duration::from_micros(1_000_000 / per_second));
                let mut attempts = Vec::new();
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break attempts,
                        _ = ticks.tick() => {}
                    }
                    report.lock().expect("not poisoned").sent += 1;
                    let (client, form, report) =
                        (client.clone(), form.clone(), Arc::clone(&report));
                    attempts.push(tokio::spawn(async move {
                        let started = Instant::now();
                        let answer = attempt(&client, address, &form).await;
                        let mut report = report.lock().expect("not poisoned");
                        match answer {
                            Ok(status) if status < 500 => {
                                report.answered += 1;
                                report
                                    .latencies_ms
                                    .push(started.elapsed().as_secs_f64() * 1000.0);
                            }
                            Ok(503) => report.timed_out += 1,
                            _ => report.failed += 1,
                        }
                    }));
                }
            }
        });
        Storm {
            stop,
            sender,
            report,
        }
    }

    impl Storm {
        /// Stops sending, waits for the attempts in flight, and reports.
        pub async fn stop(self) -> Report {
            self.stop.cancel();
            for attempt in self.sender.await.unwrap_or_default() {
                attempt.await.ok();
            }
            std::mem::take(&mut *self.report.lock().expect("not poisoned"))
        }
    }

    async fn attempt(
        client: &HttpClient,
        address: SocketAddr,
        form: &SignInForm,
    ) -> anyhow::Result<u16> {
        let response = client.request(form.request(address)?).await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok(status)
    }
}
