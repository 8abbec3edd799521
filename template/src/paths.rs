//! Every URL of the app, one type each: the map of the site.
//!
//! A handler takes its path type as its first argument, which is how the router knows where to
//! mount it (`Routes::get` in [`crate::routes`]); views and redirects build links with
//! `paths::About.to_string()`. Renaming a URL is a one-line change here, and a link to a path that
//! no longer exists does not compile.
//!
//! A path with parameters is a struct with fields:
//!
//! ```ignore
//! #[derive(TypedPath, Deserialize)]
//! #[typed_path("/posts/{id}")]
//! pub struct Post { pub id: i64 }
//!
//! // Post { id: 7 }.to_string() == "/posts/7"
//! ```

use axum_extra::routing::TypedPath;

/// Where [`crate::assets`] serves the files of `static/`.
pub const STATIC_PREFIX: &str = "/static";

// Pages
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/")]
pub struct Home;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/about")]
pub struct About;

// Probes for load balancers and orchestrators
/// Answers 200 while the process runs.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/health")]
pub struct Health;

/// Answers 200 when the app can serve requests (its database answers), 503 otherwise.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/ready")]
pub struct Ready;
