//! Static files: everything under `static/` (the built CSS and JavaScript, the favicon…).
//!
//! `build.rs` hands the folder to memory-serve. A release build embeds the files, compressed, so
//! the binary is the only thing to deploy; a debug build reads them from disk on each request,
//! so a rebuilt stylesheet shows up without recompiling.
//!
//! Each file is served twice: at its plain URL (`/static/css/app.css`) and at a URL holding a
//! hash of its content (`/static/css/app.3f9a1c2b7d84e6a0.css`), which browsers may cache
//! forever (`immutable`) because new content gets a new URL. Views link with [`url`], which
//! returns the hashed URL.

use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

use axum::Router;
use memory_serve::{CacheControl, MemoryServe};

use crate::paths::STATIC_PREFIX;

/// The files' router and the URL to link each file with, built once: memory-serve keeps the files
/// in memory for the life of the process, and every page links the same few.
static FILES: LazyLock<(Router, HashMap<&'static str, String>)> = LazyLock::new(|| {
    let files = files();
    let urls = files
        .manifest()
        .iter()
        .map(|(file, hashed)| (file, format!("{STATIC_PREFIX}{hashed}")))
        .collect();
    (files.into_router(), urls)
});

fn files() -> MemoryServe {
    memory_serve::load!()
        .index_file(None)
        .enable_hashed_routes(true)
        // While developing, files change without their hashed URL being recomputed: no caching.
        .cache_control(if cfg!(debug_assertions) {
            CacheControl::NoCache
        } else {
            CacheControl::Medium
        })
}

/// Serves the files, to be mounted at [`STATIC_PREFIX`].
pub fn router() -> Router {
    FILES.0.clone()
}

/// The URL to link `file` with (`"/css/app.css"`): its content-hashed URL under [`STATIC_PREFIX`].
///
/// An unknown file keeps its plain URL, which answers 404 (and the log says so) rather than
/// breaking the page.
pub fn url(file: &str) -> Cow<'static, str> {
    match FILES.1.get(file) {
        Some(url) => Cow::Borrowed(url),
        None => {
            tracing::warn!(
                file,
                "no such static file: run `just assets` to build the CSS and JavaScript"
            );
            Cow::Owned(format!("{STATIC_PREFIX}{file}"))
        }
    }
}
