//! File names from browsers are untrusted text: cleaned before they are stored, and encoded
//! before they go back out in a header.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Names are cut to this many characters.
const MAX_NAME_CHARS: usize = 120;

/// What is left of a name with nothing usable in it.
const FALLBACK_NAME: &str = "file";

/// The name to keep for an uploaded file: the last part of what the browser sent (some send a
/// whole path, `C:\Users\ann\photo.png`), without path separators, control characters, names
/// Windows reserves (by `sanitize-filename`) or the invisible characters that reorder text
/// (`invoice`, U+202E, `gnp.exe` shows as `invoiceexe.png`), and at most [`MAX_NAME_CHARS`]
/// characters, its extension kept.
pub fn clean_file_name(sent: &str) -> String {
    let last_part = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = last_part
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect();
    let visible = shorten(&visible, MAX_NAME_CHARS);
    let options = sanitize_filename::Options {
        windows: true,
        truncate: true,
        replacement: "",
    };
    let clean = sanitize_filename::sanitize_with_options(visible.trim(), options);
    let clean = clean.trim();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        FALLBACK_NAME.to_owned()
    } else {
        clean.to_owned()
    }
}

/// `name` cut to `max` characters, keeping its extension (up to 16 letters or digits): a long
/// name still opens with the right program.
fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension)
        .filter(|extension| {
            (1..=16).contains(&extension.chars().count())
                && extension.chars().all(char::is_alphanumeric)
        });
    match extension {
        Some(extension) => {
            let stem: String = name
                .chars()
                .take(max - extension.chars().count() - 1)
                .collect();
            format!("{stem}.{extension}")
        }
        None => name.chars().take(max).collect(),
    }
}

/// The Unicode characters that change the direction of the text around them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters kept as they are in `filename*` (RFC 8187's attr-char, less a few for safety).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `Content-Disposition` header value that makes browsers download the file under `name`:
/// an ASCII `filename` for old clients and the exact name, UTF-8 and percent-encoded, in
/// `filename*` (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(clean_file_name("holiday photo.png"), "holiday photo.png");
        assert_eq!(clean_file_name("résumé 2026.pdf"), "résumé 2026.pdf");
    }

    #[test]
    fn drops_paths_and_dangerous_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name(r"C:\Users\ann\photo.png"), "photo.png");
        assert_eq!(clean_file_name("a<b>c:d|e?f*g\".png"), "abcdefg.png");
        assert_eq!(clean_file_name("new\nline\u{0}.png"), "newline.png");
        assert_eq!(clean_file_name("invoice\u{202E}gnp.exe"), "invoicegnp.exe");
        assert_eq!(clean_file_name("CON"), FALLBACK_NAME);
        assert_eq!(clean_file_name(".."), FALLBACK_NAME);
        assert_eq!(clean_file_name("   "), FALLBACK_NAME);
        assert_eq!(clean_file_name(""), FALLBACK_NAME);
        assert_eq!(
            clean_file_name(&"x".repeat(500)).chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn a_long_name_keeps_its_extension() {
        let long = clean_file_name(&format!("{}.pdf", "a very long report ".repeat(20)));

        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with(".pdf"), "{long}");
        let odd = clean_file_name(&format!("{}.not an extension", "x".repeat(200)));
        assert_eq!(odd.chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn content_disposition_carries_any_name_safely() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("naïve \"quote\" 100%.pdf"),
            "attachment; filename=\"na_ve _quote_ 100_.pdf\"; \
             filename*=UTF-8''na%C3%AFve%20%22quote%22%20100%25.pdf"
        );
    }
}
