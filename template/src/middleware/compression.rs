//! Compression of the responses compressed as they leave: the rendered pages and fragments. Pages
//! kept by the page cache and static files come compressed already (`crate::cache::pages`,
//! `crate::assets`), and this layer leaves them as they are.
//!
//! Each response is compressed once and sent once, so the cheapest encoding per byte saved wins,
//! not the smallest. On a 6 KB page (the home page; CPU time per response, and its size):
//!
//! | encoding, level       | time   | bytes |
//! |-----------------------|--------|-------|
//! | none                  |        | 6,013 |
//! | gzip 6 (the default)  | ~70 µs | 2,048 |
//! | gzip 1                | ~30 µs | 2,288 |
//! | zstd 1                | ~25 µs | 2,243 |
//! | zstd 3                | ~50 µs | 2,137 |
//! | brotli 0, 1           | ~45 µs | 2,313 |
//!
//! So zstd at its fastest level for the browsers that take it (Chromium, Firefox), gzip at its
//! fastest for the others (Safari); brotli costs more than zstd here for bigger output. A faster
//! deflate backend (zlib-rs) was faster still at level 1, but its output 20% larger.

use tower_http::compression::{
    CompressionLayer, CompressionLevel,
    predicate::{NotForContentType, Predicate, SizeAbove},
};

/// Below this, a response fits in one packet compressed or not: it is sent as it is.
const MIN_COMPRESSED_BYTES: u64 = 1024;

/// The layer: zstd or gzip (the encodings of tower-http's features in Cargo.toml), at their
/// fastest levels, for responses of a kilobyte or more.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let worth_it = SizeAbove::new(MIN_COMPRESSED_BYTES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(worth_it)
}
