//! `just bench encodings`: what compressing the home page costs in each encoding and level, and
//! what it saves: the measurements behind the choices of `src/middleware/compression.rs` (pages
//! compressed for each response) and `src/cache/compressed.rs` (kept pages, compressed once).
//!
//! Each encoder is made anew for each page, as tower-http's compression layer does for each
//! response, and then kept and reset for each page, as the app's own layer does; the time is the
//! best of several runs of many pages, the least disturbed by whatever else the machine does.

use std::{
    io::Write as _,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use axum::body::Bytes;

const PAGES_PER_RUN: u32 = 500;
const RUNS: usize = 7;

pub fn run(page: &Bytes) -> anyhow::Result<()> {
    println!(
        "the home page, {} bytes; CPU time to compress it once (best of {RUNS} runs of \
         {PAGES_PER_RUN}), and its size:\n",
        page.len()
    );
    println!("{:<14} {:>8} {:>8}", "encoding", "µs", "bytes");
    for level in [1, 3, 6, 9] {
        report(&format!("gzip {level}"), || gzip(page, level))?;
    }
    report("gzip 1 kept", {
        let mut deflate = flate2::Compress::new(flate2::Compression::fast(), false);
        move || deflate_again(&mut deflate, page)
    })?;
    for level in [1, 3, 6] {
        report(&format!("zstd {level}"), || zstd(page, level))?;
    }
    for level in [-1, 1, 3] {
        let mut encoder = zstd::bulk::Compressor::new(level)?;
        report(&format!("zstd {level} kept"), || {
            Ok(encoder.compress(page)?.len())
        })?;
    }
    for quality in [0, 1, 4, 5, 9] {
        report(&format!("brotli {quality}"), || brotli(page, quality))?;
    }
    Ok(())
}

fn report(name: &str, mut compress: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<()> {
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        for _ in 0..PAGES_PER_RUN {
            size = compress()?;
        }
        best = best.min(started.elapsed() / PAGES_PER_RUN);
    }
    println!(
        "{name:<14} {:>8.1} {size:>8}",
        best.as_secs_f64() * 1_000_000.0
    );
    Ok(())
}

fn gzip(page: &[u8], level: u32) -> anyhow::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(page)?;
    Ok(encoder.finish()?.len())
}

/// Deflate (gzip's body, without its 18 bytes of frame) with an encoder kept from page to page.
fn deflate_again(deflate: &mut flate2::Compress, page: &[u8]) -> anyhow::Result<usize> {
    deflate.reset();
    let mut compressed = Vec::with_capacity(page.len());
    let status = deflate.compress_vec(page, &mut compressed, flate2::FlushCompress::Finish)?;
    anyhow::ensure!(status == flate2::Status::StreamEnd, "the page did not fit");
    Ok(compressed.len() + 18)
}

/// As a streaming encoder, as tower-http's compression layer makes one for each response.
fn zstd(page: &[u8], level: i32) -> anyhow::Result<usize> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), level)?;
    encoder.write_all(page)?;
    Ok(encoder.finish()?.len())
}

/// With the window of the page cache's copies (`src/cache/compressed.rs`).
fn brotli(page: &[u8], quality: u32) -> anyhow::Result<usize> {
    let mut compressed = Vec::new();
    {
        let mut encoder = brotli::CompressorWriter::new(&mut compressed, 4096, quality, 22);
        encoder.write_all(page).context("brotli")?;
    }
    Ok(compressed.len())
}
