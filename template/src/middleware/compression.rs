//! Compression of the responses compressed as they leave: the rendered pages and fragments. Pages
//! kept by the page cache and static files come compressed already (`crate::cache::pages`,
//! `crate::assets`), and this layer leaves them as they are.
//!
//! Each response is compressed once and sent once, so the cheapest encoding per byte saved wins,
//! not the smallest. On a 6 KB page (the home page; CPU time per response, and its size; `just
//! bench encodings`):
//!
//! | encoding, level                      | time   | bytes |
//! |--------------------------------------|--------|-------|
//! | none                                 |        | 6,013 |
//! | gzip 6 (tower-http's default)        | ~70 µs | 2,048 |
//! | gzip 1, a new encoder per response   | ~30 µs | 2,288 |
//! | zstd 1, a new encoder per response   | ~25 µs | 2,243 |
//! | zstd 1, this thread's encoder again  | ~10 µs | 2,243 |
//! | brotli 0, 1                          | ~45 µs | 2,313 |
//!
//! So zstd at its fastest level for the browsers that take it (Chromium, Firefox), gzip at its
//! fastest for the others (Safari), each with an encoder kept per thread and reset for each
//! response: making a zstd encoder costs more than compressing a page with it. Brotli costs
//! more than zstd here for bigger output.
//!
//! A response is compressed whole, in memory: the app renders its pages into one buffer anyway.
//! A response of unknown length (a stream) is sent as it is.

use std::{cell::RefCell, io};

use axum::{
    body::{Body, HttpBody as _, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse as _, Response},
};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Below this, a response fits in one packet compressed or not: it is sent as it is.
const MIN_COMPRESSED_BYTES: u64 = 1024;
/// Larger responses are compressed on a blocking thread, not between other requests.
const MAX_INLINE_BYTES: u64 = 128 * 1024;
/// Larger responses are sent as they are: nothing the app renders is near this.
const MAX_COMPRESSED_BYTES: u64 = 8 * 1024 * 1024;
/// zstd's level for responses: its fastest positive one.
const ZSTD_LEVEL: i32 = 1;

/// An encoding of `Content-Encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Zstd,
    Gzip,
}

impl Encoding {
    /// Of `offered`, the encoding that the `Accept-Encoding` of `headers` weighs highest, the
    /// first offered on a tie; `None` when it takes none of them (or sends no such header).
    pub fn negotiate(headers: &HeaderMap, offered: &[Self]) -> Option<Self> {
        // Weights of 0 to 1; an encoding not named is weighed as `*`, and `*` not named is 0.
        let mut weights = [None; 3];
        let mut any = 0.0;
        let accepted = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for item in accepted {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            // `q=0.5`; an unreadable weight accepts nothing.
            let weight = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
            if name == "*" {
                any = weight;
            } else if let Some(encoding) = Self::named(name) {
                weights[encoding as usize] = Some(weight);
            }
        }
        let mut best = None;
        let mut best_weight = 0.0;
        for &encoding in offered {
            let weight = weights[encoding as usize].unwrap_or(any);
            if weight > best_weight {
                (best, best_weight) = (Some(encoding), weight);
            }
        }
        best
    }

    fn named(name: &str) -> Option<Self> {
        [
            ("br", Self::Brotli),
            ("zstd", Self::Zstd),
            ("gzip", Self::Gzip),
            ("x-gzip", Self::Gzip),
        ]
        .into_iter()
        .find_map(|(known, encoding)| name.eq_ignore_ascii_case(known).then_some(encoding))
    }

    /// Its `Content-Encoding`.
    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Brotli => "br",
            Self::Zstd => "zstd",
            Self::Gzip => "gzip",
        })
    }
}

/// The middleware: compresses a response of a kilobyte or more in zstd or gzip, as the request
/// takes them, and says that the response varies by `Accept-Encoding`.
pub async fn compression(request: Request, next: Next) -> Response {
    let encoding = Encoding::negotiate(request.headers(), &[Encoding::Zstd, Encoding::Gzip]);
    let response = next.run(request).await;
    let Some(length) = compressible_length(&response) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let varies = parts
        .headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|name| {
            name.trim()
                .eq_ignore_ascii_case(header::ACCEPT_ENCODING.as_str())
        });
    if !varies {
        parts.headers.append(
            header::VARY,
            HeaderValue::from_static(header::ACCEPT_ENCODING.as_str()),
        );
    }
    let Some(encoding) = encoding else {
        return Response::from_parts(parts, body);
    };
    // The whole body is here already (its length is known): this only takes it out.
    let Ok(bytes) = to_bytes(body, MAX_COMPRESSED_BYTES as usize).await else {
        tracing::error!("a response's body failed while it was read for compression");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let compressed = if length <= MAX_INLINE_BYTES {
        compress(encoding, &bytes)
    } else {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || compress(encoding, &bytes))
            .await
            .unwrap_or_else(|joined| Err(io::Error::other(joined)))
    };
    match compressed {
        Ok(compressed) => {
            parts
                .headers
                .insert(header::CONTENT_ENCODING, encoding.header_value());
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(compressed))
        }
        Err(error) => {
            tracing::warn!(%error, ?encoding, "a response is sent uncompressed");
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

/// The length of `response`'s body when it is worth compressing: known, a kilobyte or more, of
/// a textual type, not compressed already, not a part of a whole (`206`), and not asked to be
/// left as it is (`Cache-Control: no-transform`, or an `ETag` that names these exact bytes).
fn compressible_length(response: &Response) -> Option<u64> {
    let headers = response.headers();
    let textual = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| {
            let essence = content_type.split(';').next().unwrap_or_default().trim();
            essence.starts_with("text/")
                || matches!(
                    essence,
                    "application/json"
                        | "application/javascript"
                        | "application/xml"
                        | "application/manifest+json"
                        | "image/svg+xml"
                )
        });
    let no_transform = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().contains("no-transform"));
    let length = response.body().size_hint().exact()?;
    let worth_it = textual
        && !no_transform
        && response.status() != StatusCode::PARTIAL_CONTENT
        && !headers.contains_key(header::CONTENT_ENCODING)
        && !headers.contains_key(header::CONTENT_RANGE)
        && !headers.contains_key(header::ETAG)
        && (MIN_COMPRESSED_BYTES..=MAX_COMPRESSED_BYTES).contains(&length);
    worth_it.then_some(length)
}

fn compress(encoding: Encoding, bytes: &[u8]) -> io::Result<Vec<u8>> {
    match encoding {
        Encoding::Zstd => zstd(bytes),
        Encoding::Gzip => gzip(bytes),
        // Never offered for responses (see the table above).
        Encoding::Brotli => Err(io::Error::other("brotli is kept for pages compressed once")),
    }
}

thread_local! {
    /// This thread's zstd encoder, made on first use.
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    /// This thread's deflate encoder (raw deflate: the gzip frame is written around it).
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

fn zstd(bytes: &[u8]) -> io::Result<Vec<u8>> {
    ZSTD.with_borrow_mut(|kept| {
        let encoder = match kept {
            Some(encoder) => encoder,
            None => kept.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        encoder.compress(bytes)
    })
}

/// A gzip member (RFC 1952): a fixed header, the deflated bytes, their CRC-32 and length.
fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    // No name, no time, from an unknown system (as flate2's own encoder writes it).
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    out.extend_from_slice(&HEADER);
    DEFLATE.with_borrow_mut(|deflate| {
        deflate.reset();
        loop {
            let read = usize::try_from(deflate.total_in()).unwrap_or(bytes.len());
            match deflate.compress_vec(&bytes[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Ok(()),
                // Out of room in `out`: make some, and go on.
                Ok(Status::Ok | Status::BufError) => out.reserve(bytes.len() / 4 + 64),
                Err(error) => return Err(io::Error::other(error)),
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(bytes);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the length modulo 2^32.
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn asking(accept_encoding: &str, offered: &[Encoding]) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept_encoding).unwrap(),
        );
        Encoding::negotiate(&headers, offered)
    }

    const RESPONSES: &[Encoding] = &[Encoding::Zstd, Encoding::Gzip];

    #[test]
    fn browsers_get_zstd_or_gzip_and_the_rest_what_they_take() {
        // What Chromium, Firefox and Safari send.
        assert_eq!(
            asking("gzip, deflate, br, zstd", RESPONSES),
            Some(Encoding::Zstd)
        );
        assert_eq!(asking("gzip, deflate, br", RESPONSES), Some(Encoding::Gzip));
        assert_eq!(asking("x-gzip", RESPONSES), Some(Encoding::Gzip));
        assert_eq!(asking("br, deflate", RESPONSES), None);
        assert_eq!(asking("identity", RESPONSES), None);
        assert_eq!(asking("", RESPONSES), None);
        assert_eq!(Encoding::negotiate(&HeaderMap::new(), RESPONSES), None);
    }

    #[test]
    fn weights_are_honoured_and_ties_go_to_the_first_offered() {
        assert_eq!(asking("zstd;q=0.5, gzip", RESPONSES), Some(Encoding::Gzip));
        assert_eq!(
            asking("zstd;q=0, gzip;q=0.1", RESPONSES),
            Some(Encoding::Gzip)
        );
        assert_eq!(asking("zstd;q=0, gzip;q=0", RESPONSES), None);
        assert_eq!(
            asking("GZIP ; q=1.0, ZSTD;q=1", RESPONSES),
            Some(Encoding::Zstd)
        );
        assert_eq!(asking("*", RESPONSES), Some(Encoding::Zstd));
        assert_eq!(
            asking("*;q=0.5, zstd;q=0.1", RESPONSES),
            Some(Encoding::Gzip)
        );
        assert_eq!(asking("*;q=0", RESPONSES), None);
        // Unreadable weights take nothing.
        assert_eq!(asking("zstd;q=high, gzip;q=2", RESPONSES), None);
    }

    #[test]
    fn the_kept_encoders_give_whole_streams_response_after_response() {
        let page = "<p>Already here.</p>\n".repeat(400);
        let short = "<p>Short.</p>\n".repeat(100);
        // The same thread's encoders, reset for each response: nothing of one reaches the next.
        for text in [&page, &short, &page] {
            let mut read = String::new();
            flate2::read::GzDecoder::new(&gzip(text.as_bytes()).unwrap()[..])
                .read_to_string(&mut read)
                .unwrap();
            assert_eq!(&read, text);
            let unzstd = zstd::stream::decode_all(&zstd(text.as_bytes()).unwrap()[..]).unwrap();
            assert_eq!(unzstd, text.as_bytes());
        }
        // An empty body is a valid (empty) stream too.
        let mut read = Vec::new();
        flate2::read::GzDecoder::new(&gzip(b"").unwrap()[..])
            .read_to_end(&mut read)
            .unwrap();
        assert!(read.is_empty());
    }
}
