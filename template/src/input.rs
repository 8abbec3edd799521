//! What people type into forms, read into values. Each function takes the text a field sent and
//! gives its value (`None` when the field was left empty), or the sentence that tells the person
//! what to fix, shown under the field by [`FormErrors::check`]. [`required`] turns an empty field
//! into an error. The forms `just g scaffold` writes use them.
//!
//! ```ignore
//! let mut errors = FormErrors::default();
//! let title = errors.check("title", input::text(&form.title, 255).and_then(input::required));
//! let pages = errors.check("pages", input::number::<i32>(&form.pages));
//! ```
//!
//! Every value that passes can be stored on SQLite and on Postgres alike: no NUL character
//! (Postgres refuses them in text), dates within years 1 to 9999, decimals within
//! `NUMERIC(16, 4)`.
//!
//! [`FormErrors::check`]: crate::views::components::form::FormErrors::check

use std::str::FromStr;

use sea_orm::{
    ActiveEnum, Iterable,
    prelude::{Decimal, Json, Uuid},
};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem};

/// A field's value, `None` when left empty, or what to fix.
pub type Read<T> = Result<Option<T>, String>;

/// The longest `string` a field takes, in characters (a `VARCHAR(255)` column).
pub const STRING_MAX_CHARS: usize = 255;
/// The longest `text` a field takes, in characters.
pub const TEXT_MAX_CHARS: usize = 10_000;
/// The longest JSON document a field takes, in characters.
pub const JSON_MAX_CHARS: usize = 10_000;
/// Digits a decimal keeps after the point, and before it: within `NUMERIC(16, 4)` on Postgres,
/// and within the 15 significant digits a REAL keeps exactly on SQLite.
const DECIMAL_SCALE: u32 = 4;
const DECIMAL_INTEGER_DIGITS: u32 = 11;

const DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");
/// What `<input type="datetime-local">` sends, with or without seconds.
const DATETIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]");
const DATETIME_SECONDS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
/// With a fraction of a second, as the input sends it when its `step` is under a second.
const DATETIME_FRACTION: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");

/// A required field's value: an empty one is an error.
pub fn required<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "Fill this in.".to_owned())
}

/// One line of text (a `string` column) of at most `max_chars` characters, trimmed: no line
/// break, no control character.
pub fn line(sent: &str, max_chars: usize) -> Read<String> {
    if sent.trim().contains(['\n', '\r']) {
        return Err("Keep it on one line.".to_owned());
    }
    checked_text(sent, max_chars, |c| c.is_control())
}

/// Text (a `text` column) of at most `max_chars` characters, trimmed. Line breaks and tabs are
/// kept; other control characters are refused.
pub fn text(sent: &str, max_chars: usize) -> Read<String> {
    checked_text(sent, max_chars, |c| {
        c.is_control() && !matches!(c, '\n' | '\r' | '\t')
    })
}

/// Trimmed text, `None` when nothing visible is left, refused when it holds a character
/// `refused` names or one that turns the text's direction around (which can make a link read
/// as another: U+202A to U+202E, U+2066 to U+2069).
fn checked_text(sent: &str, max_chars: usize, refused: impl Fn(char) -> bool) -> Read<String> {
    let text = sent.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().any(refused) {
        return Err("Remove the invisible control characters.".to_owned());
    }
    if text
        .chars()
        .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    {
        return Err("Remove the invisible characters that turn the text's direction.".to_owned());
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(format!("Use at most {max_chars} characters ({chars} now)."));
    }
    Ok(Some(text.to_owned()))
}

/// Characters that take no room: zero-width spaces and joiners, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// A whole number that fits in `T` (`i32` or `i64`).
pub fn number<T>(sent: &str) -> Read<T>
where
    T: FromStr + Bounded,
{
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    if !sent
        .strip_prefix('-')
        .unwrap_or(sent)
        .chars()
        .all(|c| c.is_ascii_digit())
    {
        return Err("Enter a whole number, such as 42.".to_owned());
    }
    sent.parse()
        .map(Some)
        .map_err(|_| format!("Enter a number from {} to {}.", T::SMALLEST, T::LARGEST))
}

/// The range of a whole number type, for the message when a number is out of it.
pub trait Bounded {
    const SMALLEST: &'static str;
    const LARGEST: &'static str;
}

impl Bounded for i32 {
    const SMALLEST: &'static str = "-2147483648";
    const LARGEST: &'static str = "2147483647";
}

impl Bounded for i64 {
    const SMALLEST: &'static str = "-9223372036854775808";
    const LARGEST: &'static str = "9223372036854775807";
}

/// A number with or without a fraction (`3.5`, `-1e3`); not infinity or NaN.
pub fn float(sent: &str) -> Read<f64> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    match sent.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err("Enter a number, such as 3.5.".to_owned()),
    }
}

/// An exact decimal with at most 4 digits after the point and 11 before (`1234.5`).
pub fn decimal(sent: &str) -> Read<Decimal> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    // Digits and a point only: the parser would also take `1_000` and `1e3`.
    let digits = sent.strip_prefix('-').unwrap_or(sent);
    let parsed = digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.')
        .then(|| Decimal::from_str_exact(sent).ok())
        .flatten();
    let Some(value) = parsed else {
        return Err("Enter a number, such as 19.99.".to_owned());
    };
    let value = value.normalize();
    if value.scale() > DECIMAL_SCALE {
        return Err(format!(
            "Use at most {DECIMAL_SCALE} digits after the point."
        ));
    }
    if value.abs() >= Decimal::from(10_i64.pow(DECIMAL_INTEGER_DIGITS)) {
        return Err(format!(
            "Use at most {DECIMAL_INTEGER_DIGITS} digits before the point."
        ));
    }
    Ok(Some(value))
}

/// A date as `<input type="date">` sends it: `2026-12-31`.
pub fn date(sent: &str) -> Read<Date> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    match Date::parse(sent, DATE) {
        Ok(date) if date.year() >= 1 => Ok(Some(date)),
        _ => Err("Enter a date such as 2026-12-31.".to_owned()),
    }
}

/// A date and time in UTC as `<input type="datetime-local">` sends it: `2026-12-31T18:30`.
pub fn datetime(sent: &str) -> Read<OffsetDateTime> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    let parsed = PrimitiveDateTime::parse(sent, DATETIME)
        .or_else(|_| PrimitiveDateTime::parse(sent, DATETIME_SECONDS))
        .or_else(|_| PrimitiveDateTime::parse(sent, DATETIME_FRACTION));
    match parsed {
        Ok(at) if at.year() >= 1 => Ok(Some(at.assume_utc())),
        _ => Err("Enter a date and time such as 2026-12-31T18:30.".to_owned()),
    }
}

/// A UUID: `67e55044-10b1-426f-9247-bb680e5fe0c8`.
pub fn uuid(sent: &str) -> Read<Uuid> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(sent)
        .map(Some)
        .map_err(|_| "Enter a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8.".to_owned())
}

/// A JSON document (`{"size": 3}`) of at most [`JSON_MAX_CHARS`] characters.
pub fn json(sent: &str) -> Read<Json> {
    let sent = sent.trim();
    if sent.is_empty() {
        return Ok(None);
    }
    if sent.chars().count() > JSON_MAX_CHARS {
        return Err(format!("Use at most {JSON_MAX_CHARS} characters."));
    }
    let value: Json =
        serde_json::from_str(sent).map_err(|error| format!("This is not JSON: {error}."))?;
    // Postgres refuses a NUL character in a JSON string.
    if holds_nul(&value) {
        return Err("Remove the NUL characters (\\u0000).".to_owned());
    }
    Ok(Some(value))
}

/// Whether a string or a key of `value` holds a NUL character.
fn holds_nul(value: &Json) -> bool {
    match value {
        Json::String(text) => text.contains('\0'),
        Json::Array(items) => items.iter().any(holds_nul),
        Json::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// One of the values of the enum `E`, as stored (`draft`).
pub fn choice<E>(sent: &str) -> Read<E>
where
    E: ActiveEnum<Value = String> + Iterable,
{
    if sent.is_empty() {
        return Ok(None);
    }
    E::iter()
        .find(|value| value.to_value() == sent)
        .map(Some)
        .ok_or_else(|| "Choose one of the values listed.".to_owned())
}

/// A checkbox: ticked (`true`) or not sent.
pub fn checkbox(sent: &str) -> Result<bool, String> {
    match sent {
        "true" => Ok(true),
        "" => Ok(false),
        _ => Err("Tick the box or leave it.".to_owned()),
    }
}

/// A yes-or-no choice that may be left open: `true`, `false` or empty.
pub fn yes_or_no(sent: &str) -> Read<bool> {
    match sent {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        "" => Ok(None),
        _ => Err("Choose yes or no.".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_none_and_required_says_so() {
        assert_eq!(text("  ", 10), Ok(None));
        assert_eq!(number::<i32>(""), Ok(None));
        assert_eq!(required::<i32>(None).unwrap_err(), "Fill this in.");
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text(" Dune \n", 10), Ok(Some("Dune".to_owned())));
        assert_eq!(text("a\nb", 10), Ok(Some("a\nb".to_owned())));
        assert!(text("ééééé", 4).is_err());
        assert!(text("ééééé", 5).is_ok());
        assert!(text("a\0b", 10).is_err());
        assert!(text("a\u{1b}b", 10).is_err());
    }

    #[test]
    fn a_line_has_no_line_break_and_invisible_text_is_empty() {
        assert_eq!(line(" Dune ", 10), Ok(Some("Dune".to_owned())));
        assert!(line("Du\r\nne", 10).is_err());
        assert!(line("Du\tne", 10).is_err());
        assert_eq!(line("\u{200b}\u{feff} ", 10), Ok(None));
        assert_eq!(
            required(line("\u{200b}", 10).unwrap()).unwrap_err(),
            "Fill this in."
        );
        assert!(line("abc\u{202e}gpj.exe", 20).is_err());
        assert!(text("abc\u{2067}", 20).is_err());
    }

    #[test]
    fn numbers_fit_their_column() {
        assert_eq!(number::<i32>("-42"), Ok(Some(-42)));
        assert!(number::<i32>("2147483648").is_err());
        assert_eq!(number::<i64>("2147483648"), Ok(Some(2_147_483_648)));
        for bad in ["1.5", "1e3", "+-1", "--1", "0x10", "٣", "-"] {
            assert!(number::<i64>(bad).is_err(), "{bad}");
        }
        assert_eq!(float("-1e3"), Ok(Some(-1000.0)));
        for bad in ["inf", "NaN", "1e999", "infinity", "one"] {
            assert!(float(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_fit_numeric_16_4() {
        assert_eq!(decimal("19.990"), Ok(Some(Decimal::new(1999, 2))));
        assert!(decimal("0.00001").is_err());
        assert!(decimal("-99999999999.9999").is_ok());
        assert!(decimal("100000000000").is_err());
        for bad in ["1e3", "NaN", "1_000", "+-1", "1.2.3", "."] {
            assert!(decimal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_and_times_are_what_the_browser_sends() {
        assert_eq!(
            date("2026-12-31").unwrap().unwrap().to_string(),
            "2026-12-31"
        );
        for bad in [
            "31/12/2026",
            "2026-02-30",
            "0000-01-01",
            "-0001-01-01",
            "+10000-01-01",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
        let at = datetime("2026-12-31T18:30").unwrap().unwrap();
        assert_eq!(at.offset(), time::UtcOffset::UTC);
        assert_eq!(at.hour(), 18);
        assert!(datetime("2026-12-31T18:30:15").unwrap().is_some());
        let fraction = datetime("2026-12-31T18:30:15.500").unwrap().unwrap();
        assert_eq!(fraction.millisecond(), 500);
        assert!(datetime("2026-12-31 18:30").is_err());
    }

    #[test]
    fn json_and_uuids_are_parsed() {
        assert_eq!(
            json(r#"{"a": 1}"#).unwrap(),
            Some(serde_json::json!({ "a": 1 }))
        );
        assert!(json("{").is_err());
        assert!(json(r#"{"a": "\u0000"}"#).is_err());
        assert!(json(r#"{"a\u0000": 1}"#).is_err());
        // A backslash followed by `u0000` is text like any other.
        assert!(json(r#"{"a": "\\u0000"}"#).is_ok());
        assert!(
            uuid("67e55044-10b1-426f-9247-bb680e5fe0c8")
                .unwrap()
                .is_some()
        );
        assert!(uuid("not-a-uuid").is_err());
    }

    #[test]
    fn checkboxes_and_yes_or_no() {
        assert_eq!(checkbox("true"), Ok(true));
        assert_eq!(checkbox(""), Ok(false));
        assert!(checkbox("on").is_err());
        assert_eq!(yes_or_no("false"), Ok(Some(false)));
        assert!(yes_or_no("maybe").is_err());
    }
}
