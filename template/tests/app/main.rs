//! The app's integration tests: one test binary (one link step), one module per concern. Each test
//! boots the whole app on a database of its own (see `helpers`).

// The library under test, whatever the project is called (`::` so that a project named like one
// of the modules below still means the crate).
use ::{{crate_name}} as app;

mod helpers;
mod smtp;

mod auth;
mod database;
mod errors;
mod health;
mod htmx;
mod migrations;
mod pages;
mod security;
mod server;
mod sessions;
