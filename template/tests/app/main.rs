//! The app's integration tests: one test binary (one link step), one module per concern. Each test
//! boots the whole app on a database of its own (see `helpers`).

// The library under test, whatever the project is called (`::` so that a project named like one
// of the modules below still means the crate).
{% if crate_name == "app" -%}
use ::app;
{%- else -%}
use ::{{crate_name}} as app;
{%- endif %}

/// The app's executable, built by cargo for these tests: for tests of the command line.
const APP_BINARY: &str = env!("CARGO_BIN_EXE_{{project-name}}");

mod helpers;
mod smtp;

{% if admin -%}
mod admin;
mod admin_resource;
{% endif -%}
{% if auth -%}
mod auth;
mod auth_browser;
{% endif -%}
mod browser;
mod cache;
{%- if cache == "redis" %}
mod cache_redis;
{%- endif %}
mod contact;
mod database;
mod doctor;
mod errors;
mod health;
mod htmx;
mod https;
mod injection;
mod mail;
mod migrations;
{%- if oauth %}
mod oauth;
mod oauth_browser;
mod oauth_github;
{%- endif %}
{%- if oauth and admin %}
mod oauth_admin;
{%- endif %}
mod page_cache;
mod pages;
mod rate_limits;
mod security;
mod server;
mod sessions;
{%- if auth %}
mod sign_in_links;
{%- endif %}
{%- if admin and tasks %}
mod task_monitor;
{%- endif %}
{%- if tasks %}
mod tasks;
mod tasks_worker;
{%- endif %}
{%- if auth %}
mod two_factor;
mod passkeys;
mod passkeys_browser;
{%- endif %}
{%- if uploads %}
mod uploads;
mod uploads_s3;
{%- endif %}
{%- if ci == "github" %}
mod workflow;
{%- endif %}
