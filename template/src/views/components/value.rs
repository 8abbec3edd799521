//! Values of a row as pages show them ([`Shown`]) and as form fields hold them
//! ([`Shown::as_input`]): dates as browsers' date inputs send them, an empty field for nothing;
//! [`first_line`], to name a row by its text; and [`day`], a date as people read it.

use sea_orm::prelude::{Decimal, Json, Uuid};
use time::{
    Date, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description,
};

const SHOWN_DATETIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
const INPUT_DATETIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// The first line of `text`, cut to `max_chars` characters (with `…` when cut), to name a row
/// by its text; `None` when it has none.
pub fn first_line(text: &str, max_chars: usize) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    if line.chars().count() <= max_chars {
        return Some(line.to_owned());
    }
    let cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
    Some(format!("{}…", cut.trim_end()))
}

/// A date as people read it: 4 December 2026.
pub fn day(at: OffsetDateTime) -> String {
    let date = at.date();
    format!("{} {} {}", date.day(), date.month(), date.year())
}

/// A value as a page shows it, and as a form field holds it.
pub trait Shown {
    /// For people: `Yes`, `2026-12-31 18:30 UTC`, `—` for nothing.
    fn shown(&self) -> String;

    /// For a form field: what the field sends back to give the same value.
    fn as_input(&self) -> String {
        self.shown()
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        self.as_ref().map_or_else(|| "—".to_owned(), Shown::shown)
    }

    fn as_input(&self) -> String {
        self.as_ref().map(Shown::as_input).unwrap_or_default()
    }
}

impl Shown for String {
    fn shown(&self) -> String {
        self.clone()
    }
}

macro_rules! shown_as_displayed {
    ($($type:ty),*) => {
        $(impl Shown for $type {
            fn shown(&self) -> String {
                self.to_string()
            }
        })*
    };
}

shown_as_displayed!(i32, i64, f64, Uuid, Date);

impl Shown for Decimal {
    /// Without the zeros Postgres pads its scale with: `19.99`, not `19.9900`.
    fn shown(&self) -> String {
        self.normalize().to_string()
    }
}

impl Shown for bool {
    fn shown(&self) -> String {
        if *self { "Yes" } else { "No" }.to_owned()
    }

    fn as_input(&self) -> String {
        self.to_string()
    }
}

impl Shown for OffsetDateTime {
    fn shown(&self) -> String {
        self.to_offset(time::UtcOffset::UTC)
            .format(SHOWN_DATETIME)
            .unwrap_or_default()
    }

    fn as_input(&self) -> String {
        self.to_offset(time::UtcOffset::UTC)
            .format(INPUT_DATETIME)
            .unwrap_or_default()
    }
}

impl Shown for Json {
    fn shown(&self) -> String {
        self.to_string()
    }

    fn as_input(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn values_are_shown_and_put_back_into_inputs() {
        assert_eq!(Some(true).shown(), "Yes");
        assert_eq!(None::<i32>.shown(), "—");
        assert_eq!(None::<i32>.as_input(), "");
        assert_eq!(Decimal::new(199_900, 4).shown(), "19.99");
        assert_eq!(
            first_line("\n  Dear diary,\nmore", 60).unwrap(),
            "Dear diary,"
        );
        assert_eq!(first_line("abcdef", 4).unwrap(), "abc…");
        assert_eq!(first_line(" \n ", 4), None);
        let at = datetime!(2026-12-31 18:30 +01:00);
        assert_eq!(at.shown(), "2026-12-31 17:30 UTC");
        assert_eq!(at.as_input(), "2026-12-31T17:30:00");
        let read = crate::input::datetime(&at.as_input()).unwrap().unwrap();
        assert_eq!(read, at);
    }
}
