//! A kept page's compressed copies. Every browser asks for compressed pages, and compressing a
//! page of a few kilobytes costs more CPU than everything else on the page cache's path: a kept
//! page is compressed once per encoding, when a visitor first asks for it, and then served as
//! those bytes.
//!
//! Brotli for every browser that takes it (all current ones: 15–20% smaller than gzip, and its
//! cost is paid once), gzip for the rest, the page as it is for a client that takes neither.

use std::io::Write as _;

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, header},
};
use flate2::{Compression, write::GzEncoder};
use tokio::sync::OnceCell;

/// Brotli's quality for kept pages: 9 of 11, near the smallest output, at a millisecond or so for
/// a page of a few kilobytes, once per entry.
const BROTLI_QUALITY: u32 = 9;
/// Brotli's window: 4 MB, more than the largest page kept.
const BROTLI_WINDOW_BITS: u32 = 22;

/// The encodings a kept page is served in, besides none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// The encoding to answer `headers` with: the one its `Accept-Encoding` weighs highest,
    /// Brotli on a tie, `None` when it takes neither (or sends no such header).
    pub fn for_request(headers: &HeaderMap) -> Option<Self> {
        // Weights of 0 to 1; an encoding not named is weighed as `*`, and `*` not named is 0.
        let (mut brotli, mut gzip, mut any) = (None, None, 0.0);
        let accepted = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for item in accepted {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            // `q=0.5`; an unreadable weight accepts nothing.
            let quality = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
            match name.to_ascii_lowercase().as_str() {
                "br" => brotli = Some(quality),
                "gzip" | "x-gzip" => gzip = Some(quality),
                "*" => any = quality,
                _ => {}
            }
        }
        let (brotli, gzip) = (brotli.unwrap_or(any), gzip.unwrap_or(any));
        if brotli > 0.0 && brotli >= gzip {
            Some(Self::Brotli)
        } else if gzip > 0.0 {
            Some(Self::Gzip)
        } else {
            None
        }
    }

    /// Its `Content-Encoding`.
    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        })
    }
}

/// The compressed copies of one page, each made the first time it is asked for.
#[derive(Debug, Default)]
pub struct Compressed {
    brotli: OnceCell<Option<Bytes>>,
    gzip: OnceCell<Option<Bytes>>,
}

impl Compressed {
    /// `page` in `encoding`, compressed now if this is the first time (on a blocking thread: a
    /// large page takes milliseconds, and other visitors asking meanwhile wait for this copy);
    /// `None` if the encoder failed, and the page is then served as it is.
    pub async fn get(&self, encoding: Encoding, page: &Bytes) -> Option<Bytes> {
        let copy = match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
        };
        let page = page.clone();
        copy.get_or_init(|| async move {
            let compress = match encoding {
                Encoding::Brotli => brotli,
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

fn gzip(page: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(page.len() / 3), Compression::best());
    encoder.write_all(page)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(accept_encoding: &str) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept_encoding).unwrap(),
        );
        Encoding::for_request(&headers)
    }

    #[test]
    fn browsers_get_brotli_and_the_rest_what_they_take() {
        // What Chromium, Firefox and Safari send.
        assert_eq!(asking("gzip, deflate, br, zstd"), Some(Encoding::Brotli));
        assert_eq!(asking("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(asking("gzip"), Some(Encoding::Gzip));
        assert_eq!(asking("x-gzip"), Some(Encoding::Gzip));
        assert_eq!(asking("deflate, zstd"), None);
        assert_eq!(asking("identity"), None);
        assert_eq!(asking(""), None);
        assert_eq!(Encoding::for_request(&HeaderMap::new()), None);
    }

    #[test]
    fn weights_are_honoured() {
        assert_eq!(asking("br;q=0.5, gzip"), Some(Encoding::Gzip));
        assert_eq!(asking("br;q=0, gzip;q=0.1"), Some(Encoding::Gzip));
        assert_eq!(asking("br;q=0, gzip;q=0"), None);
        assert_eq!(asking("BR ; q=1.0, GZIP;q=0.9"), Some(Encoding::Brotli));
        assert_eq!(asking("*"), Some(Encoding::Brotli));
        assert_eq!(asking("*;q=0.5, br;q=0.1"), Some(Encoding::Gzip));
        assert_eq!(asking("*;q=0"), None);
        // Unreadable weights take nothing.
        assert_eq!(asking("br;q=high, gzip;q=2"), None);
    }
}
