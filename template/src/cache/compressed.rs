//! A kept page's compressed copies. Every browser asks for compressed pages, and compressing a
//! page of a few kilobytes costs more CPU than everything else on the page cache's path: a kept
//! page is compressed once per encoding, when a visitor first asks for it, and then served as
//! those bytes.
//!
//! Brotli for every browser that takes it (all current ones: 15–20% smaller than gzip, and its
//! cost is paid once), zstd or gzip for the rest, the page as it is for a client that takes none.

use std::io::Write as _;

use axum::body::Bytes;
use flate2::{Compression, write::GzEncoder};
use tokio::sync::OnceCell;

use crate::middleware::Encoding;

/// Brotli's quality for kept pages: 9 of 11, near the smallest output, at a millisecond or so for
/// a page of a few kilobytes, once per entry.
const BROTLI_QUALITY: u32 = 9;
/// Brotli's window: 4 MB, more than the largest page kept.
const BROTLI_WINDOW_BITS: u32 = 22;
/// zstd's level for kept pages (for the few clients that take zstd and not Brotli): 19 of 22,
/// the highest of its normal levels.
const ZSTD_LEVEL: i32 = 19;

/// The encodings a kept page is served in, besides none, the preferred first on a tie.
pub const ENCODINGS: &[Encoding] = &[Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

/// The compressed copies of one page, each made the first time it is asked for.
#[derive(Debug, Default)]
pub struct Compressed {
    brotli: OnceCell<Option<Bytes>>,
    zstd: OnceCell<Option<Bytes>>,
    gzip: OnceCell<Option<Bytes>>,
}

impl Compressed {
    /// `page` in `encoding`, compressed now if this is the first time (on a blocking thread: a
    /// large page takes milliseconds, and other visitors asking meanwhile wait for this copy);
    /// `None` if the encoder failed, and the page is then served as it is.
    pub async fn get(&self, encoding: Encoding, page: &Bytes) -> Option<Bytes> {
        let copy = match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Zstd => &self.zstd,
            Encoding::Gzip => &self.gzip,
        };
        let page = page.clone();
        copy.get_or_init(|| async move {
            let compress = match encoding {
                Encoding::Brotli => brotli,
                Encoding::Zstd => zstd,
                Encoding::Gzip => gzip,
            };
            let compressed = tokio::task::spawn_blocking(move || compress(&page)).await;
            compressed.ok()?.ok().map(Bytes::from)
        })
        .await
        .clone()
    }
}

fn brotli(page: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut writer = brotli::CompressorWriter::new(
        Vec::with_capacity(page.len() / 4),
        4096,
        BROTLI_QUALITY,
        BROTLI_WINDOW_BITS,
    );
    writer.write_all(page)?;
    writer.flush()?;
    Ok(writer.into_inner())
}

fn zstd(page: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::bulk::compress(page, ZSTD_LEVEL)
}

fn gzip(page: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(page.len() / 3), Compression::best());
    encoder.write_all(page)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::*;

    fn asking(accept_encoding: &str) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept_encoding).unwrap(),
        );
        Encoding::negotiate(&headers, ENCODINGS)
    }

    #[test]
    fn browsers_get_brotli_and_the_rest_what_they_take() {
        // What Chromium, Firefox and Safari send.
        assert_eq!(asking("gzip, deflate, br, zstd"), Some(Encoding::Brotli));
        assert_eq!(asking("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(asking("gzip"), Some(Encoding::Gzip));
        assert_eq!(asking("gzip, zstd"), Some(Encoding::Zstd));
        assert_eq!(asking("deflate"), None);
        assert_eq!(asking("identity"), None);
        assert_eq!(Encoding::negotiate(&HeaderMap::new(), ENCODINGS), None);
    }

    #[test]
    fn weights_are_honoured() {
        assert_eq!(asking("br;q=0.5, gzip"), Some(Encoding::Gzip));
        assert_eq!(asking("br;q=0, gzip;q=0.1"), Some(Encoding::Gzip));
        assert_eq!(asking("br;q=0, gzip;q=0"), None);
        assert_eq!(asking("BR ; q=1.0, GZIP;q=0.9"), Some(Encoding::Brotli));
        assert_eq!(asking("*"), Some(Encoding::Brotli));
        assert_eq!(asking("*;q=0.5, br;q=0.1"), Some(Encoding::Zstd));
        assert_eq!(asking("*;q=0"), None);
        // Unreadable weights take nothing.
        assert_eq!(asking("br;q=high, gzip;q=2"), None);
    }
}
