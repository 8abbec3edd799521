//! The application as a library: `main.rs` only calls [`cli::run`], and the integration tests in
//! `tests/app/` drive the same code. The modules below are listed in reading order.{% if tasks or admin %}
//!
//! The engines it builds on but rarely edits are crates of this workspace, under `crates/`: each
//! knows the app only through a trait the app implements for its state.{% endif %}

// Start and stop
/// The command line: `serve`, {% if tasks %}`worker`, {% endif %}`migrate …`, `doctor`, `routes`, `secret`.
pub mod cli;
/// Settings: TOML files per environment, overridden by `APP_…` environment variables.
pub mod config;
/// Logs: readable in development, JSON in production, one span per request.
pub mod telemetry;
/// The services every request can reach ([`app::AppState`]), started and stopped in order.
pub mod app;
/// Listening for connections (HTTP, or HTTPS and a redirect) and shutting down gracefully.
pub mod server;
/// `doctor`: checks a configuration before it goes live, and says how to fix what is wrong.
pub mod doctor;

// Data
/// The database connection (SQLite or Postgres), created and migrated on demand.
pub mod db;
/// Sessions stored in the app database, and flash messages on top of them.
pub mod session;
/// Values kept for a while: typed get, set and get-or-compute, with a time to live and tags.
pub mod cache;
/// The tables: one sea-orm entity per table, with its queries.
pub mod models;
/// Lists of rows: the page, order and search a list's URL asks for, and the rows it selects.
pub mod listing;

{% if auth -%}
// Accounts and mail
/// Registration, sign-in (with two-factor codes), email verification, password reset, guards.
pub mod auth;
{%- else -%}
// Mail
{%- endif %}
/// Emails written as leptos components, sent over SMTP or kept in a development outbox.
pub mod mail;
{%- if admin %}
/// The admin area: the tables it lists, searches and edits, and what it does to accounts.
pub mod admin;
{%- endif %}
{%- if uploads %}
/// File uploads: checked while they stream in, kept on disk or in an S3 bucket.
pub mod uploads;
{%- endif %}
{%- if tasks %}

// Background work
/// The app's tasks (sending email, housekeeping) and their schedules, for the task queue.
pub mod tasks;
{%- endif %}

// HTTP
/// Every URL of the app as a type: handlers receive them, views and redirects build links from them.
pub mod paths;
/// The router: URL → handler, grouped by concern, each group with its own middleware.
pub mod routes;
/// Middleware shared by the route groups: security headers, error pages, request ids.
pub mod middleware;
/// The one error type handlers return, and the written policy on what a client may see.
pub mod error;
/// htmx: which requests want a fragment, and redirects htmx understands.
pub mod htmx;
/// The token every form carries against cross-site request forgery.
pub mod csrf;
/// What people type into form fields, read into values or a sentence saying what to fix.
pub mod input;
/// The client's IP address, also behind trusted reverse proxies.
pub mod client_ip;
/// Limits on what an attacker would repeat{% if auth %} (sign-in attempts, registrations…){% else %} (contact messages){% endif %}, per client network.
pub mod rate_limit;
/// Values no one can guess: tokens, keys, salts.
pub mod random;
{%- if auth or tasks %}
/// Secrets kept in the database, sealed under a key derived from `secret_key`.
pub mod seal;
{%- endif %}
/// Static files: embedded in release builds, served with content-hashed URLs.
pub mod assets;

// HTML
/// The page being answered: what the layout needs from the request, and how to render it.
pub mod page;
/// Leptos components: the layout, the pages and the pieces they share.
pub mod views;
