//! The command line. `--help` on any command explains it; without a command, the app serves.
//!
//! ```text
//! app serve                 # the web server (the default)
{%- if tasks %}
//! app worker                # the task worker alone, for running it apart from the web server
{%- endif %}
//! app migrate up|down|status|fresh
//! app routes                # every route, its method and handler
//! app secret                # a fresh value for APP_SECRET_KEY
//! app doctor                # is this configuration safe and working? (database, SMTP, HTTPS…)
{%- if auth %}
//! app user create EMAIL [--admin]   # an account, with a random password printed once
//! app user two-factor-off EMAIL     # for someone who lost their authenticator and codes
{%- endif %}
//! app mail test ADDRESS     # send a test email, to check the mail settings
//! ```

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::{
    app::Services,
    config::{Config, Environment, MailTransport},
    db, doctor,
    mail::{Mailer, emails::TestMessage},
    routes, server, telemetry,
};
{%- if auth %}

mod user;
{%- endif %}

#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// A TOML file read after `config/<environment>.toml` (also `APP_CONFIG_FILE`).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default command).
    Serve,
{%- if tasks %}
    /// Run queued tasks, without serving pages (set `tasks.worker_in_serve = false` for `serve`).
    Worker,
{%- endif %}
    /// Apply, revert or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print every route: method, path and handler.
    Routes,
    /// Print a new random secret key for `APP_SECRET_KEY`.
    Secret,
    /// Check the settings as production would, then HTTPS, the database, the cache and SMTP.
    Doctor,
{%- if auth %}
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: user::UserAction,
    },
{%- endif %}
    /// Check the mail settings.
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum MailAction {
    /// Send a short email to ADDRESS through the configured transport (SMTP, or the outbox).
    Test { address: String },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migrations.
    Down {
        /// How many to revert.
        #[arg(short = 'n', long, default_value_t = 1)]
        steps: u32,
    },
    /// List the migrations, applied or pending.
    Status,
    /// Drop every table, then apply all migrations: a blank database. Refused in production.
    Fresh,
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain: "could not connect to the database: …: …".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    // The one command that needs no configuration.
    if let Command::Secret = command {
        println!("{}", crate::session::generate_secret_key());
        return Ok(());
    }

    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(&config.log)?;
    match command {
        Command::Serve => serve(config).await,
{%- if tasks %}
        Command::Worker => worker(config).await,
{%- endif %}
        Command::Migrate { action } => migrate(&config, action).await,
{%- if auth %}
        Command::User { action } => user::run(&config, action).await,
{%- endif %}
        Command::Mail { action } => mail(&config, action).await,
        Command::Doctor => run_doctor(&config).await,
        // As this configuration serves them: with /dev/mail in development.
        Command::Routes => {
            print!("{}", routes::table(&config));
            Ok(())
        }
        Command::Secret => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    config.check()?;
    if config.environment == Environment::Development && !cfg!(debug_assertions) {
        tracing::warn!(
            "a release build is running in development (known secret key, emails shown at \
             /dev/mail): set APP_ENVIRONMENT=production on a server"
        );
    }
    // Bind first: a port already taken fails before anything starts.
    let listeners = server::Listeners::bind(&config.server).await?;
    let services = Services::start(config).await?;
    let app = services.state();
    let scheme = if app.config.server.tls.enabled {
        "https"
    } else {
        "http"
    };
    // The address to open is the public URL: the one the links in emails use, so the browser
    // keeps one set of cookies (localhost and 127.0.0.1 are two sites to it).
    tracing::info!(
        address = %format!("{scheme}://{}", listeners.app.local_addr()?),
        environment = %app.config.environment,
        "listening: open {}",
        app.config.server.public_url
    );
    if let Some(redirect) = &listeners.redirect {
        tracing::info!(address = %format!("http://{}", redirect.local_addr()?), "redirecting to https");
    }
    let router = routes::router(app.clone());
    let result = server::run(
        listeners,
        &app.config.server,
        router,
        server::shutdown_signal(),
    )
    .await;
    services.stop().await;
    result.map(|_| ())
}
{%- if tasks %}

/// The worker alone: runs tasks until SIGTERM or Ctrl-C, then lets running ones finish.
async fn worker(config: Config) -> anyhow::Result<()> {
    config.check()?;
    let services = Services::start_worker(config).await?;
    server::shutdown_signal().await;
    tracing::info!("stopping the task worker");
    services.stop().await;
    Ok(())
}
{%- endif %}

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    if matches!(action, MigrateAction::Fresh) {
        anyhow::ensure!(
            config.environment != Environment::Production,
            "`migrate fresh` deletes every table; it is refused in production"
        );
    }
    let db = db::connect(&config.database)
        .await
        .context("could not connect to the database")?;
    let result = match action {
        MigrateAction::Up => db::migrate_up(&db).await,
        MigrateAction::Down { steps } => db::migrate_down(&db, steps).await,
        MigrateAction::Status => db::migration_status(&db).await.map(|status| {
            for (name, applied) in status {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }),
        MigrateAction::Fresh => db::migrate_fresh(&db).await,
    };
    db.close().await.context("could not close the database")?;
    result
}

async fn run_doctor(config: &Config) -> anyhow::Result<()> {
    println!("doctor: the {} configuration", config.environment);
    let findings = doctor::examine(config, &doctor::Process::current()).await;
    for finding in &findings {
        println!("{finding}");
    }
    let count = |kind: fn(&doctor::Verdict) -> bool| {
        findings
            .iter()
            .filter(|finding| kind(&finding.verdict))
            .count()
    };
    let problems = count(|verdict| matches!(verdict, doctor::Verdict::Problem(_)));
    let warnings = count(|verdict| matches!(verdict, doctor::Verdict::Warning(_)));
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let warnings = plural(warnings, "warning");
    anyhow::ensure!(
        doctor::passed(&findings),
        "doctor found {} and {warnings}",
        plural(problems, "problem")
    );
    println!("no problem found, {warnings}");
    Ok(())
}

async fn mail(config: &Config, action: MailAction) -> anyhow::Result<()> {
    let MailAction::Test { address } = action;
    let mailer =
        Mailer::new(&config.mail, &config.server.public_url).context("could not set up mail")?;
    let email = TestMessage {
        app_name: config.name.clone(),
        environment: config.environment.to_string(),
        home_link: mailer.link("/"),
    };
    mailer
        .send(&address, &email)
        .await
        .with_context(|| format!("could not send the test email to {address}"))?;
    let via = match config.mail.transport {
        MailTransport::Smtp => format!(
            "through {}:{}",
            config.mail.smtp.host, config.mail.smtp.port
        ),
        MailTransport::Outbox => format!("into the outbox {}", config.mail.outbox_dir),
    };
    println!("sent a test email to {address} {via}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
