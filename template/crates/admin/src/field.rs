//! One column as the admin area sees it: how to show its value, which form widget edits it, and
//! how the text a form sends becomes a database value again.

use sea_orm::{ColumnType, Value};
use time::{
    Date, OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem,
    macros::format_description,
};

/// How a column is edited: from its column type, or set by an override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widget {
    /// One line of text.
    Text,
    /// Several lines (a `Text` column).
    LongText,
    Integer,
    /// A number with decimals.
    Decimal,
    /// A checkbox (a yes / no / empty choice when the column is nullable).
    Boolean,
    /// A date and a time, in UTC.
    DateTime,
    Date,
    /// JSON text, checked before it is saved.
    Json,
    /// One of a fixed list of values (an enum column, or a string column given choices).
    Choice(Vec<String>),
    /// The id of a row of another table, picked by its title.
    Reference {
        table: String,
    },
    /// A password: never shown; a new value entered is hashed (argon2id) before it is stored.
    Password,
    /// Bytes: never shown or edited.
    Binary,
}

/// A column of a resource, with the overrides of its registration applied.
#[derive(Debug, Clone)]
pub struct Field {
    /// The column's name.
    pub name: &'static str,
    pub label: String,
    pub widget: Widget,
    pub column_type: ColumnType,
    pub nullable: bool,
    pub unique: bool,
    pub primary_key: bool,
    /// Shown, never edited (ids, timestamps the app keeps).
    pub read_only: bool,
    /// Neither shown nor edited.
    pub hidden: bool,
    /// Never shown; changed only when a new value is entered (password and token hashes).
    pub sensitive: bool,
    /// Set to the current time when a row is created (and, with `on_update`, saved).
    pub timestamp: Option<Timestamp>,
    /// What the text a form sends must be, and how it is stored: the value to store, or what is
    /// wrong (an email address checked and lower-cased, as every form of the app does).
    pub rule: Option<Rule>,
}

/// A field's own check of the text a form sends: the text to store, or the message to show.
pub type Rule = fn(&str) -> Result<String, &'static str>;

/// When the app sets a timestamp column itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    OnCreate,
    OnUpdate,
}

impl Field {
    /// A field as the column's metadata describes it.
    pub fn new(name: &'static str, column_type: ColumnType, nullable: bool, unique: bool) -> Self {
        let widget = match &column_type {
            ColumnType::Text => Widget::LongText,
            ColumnType::TinyInteger
            | ColumnType::SmallInteger
            | ColumnType::Integer
            | ColumnType::BigInteger
            | ColumnType::TinyUnsigned
            | ColumnType::SmallUnsigned
            | ColumnType::Unsigned
            | ColumnType::BigUnsigned => Widget::Integer,
            ColumnType::Float | ColumnType::Double => Widget::Decimal,
            ColumnType::Boolean => Widget::Boolean,
            ColumnType::DateTime | ColumnType::Timestamp | ColumnType::TimestampWithTimeZone => {
                Widget::DateTime
            }
            ColumnType::Date => Widget::Date,
            ColumnType::Json | ColumnType::JsonBinary => Widget::Json,
            ColumnType::Enum { variants, .. } => {
                Widget::Choice(variants.iter().map(|v| v.to_string()).collect())
            }
            ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => Widget::Binary,
            _ => Widget::Text,
        };
        let hidden = widget == Widget::Binary;
        Self {
            name,
            label: label_of(name),
            widget,
            column_type,
            nullable,
            unique,
            primary_key: false,
            read_only: false,
            hidden,
            sensitive: hidden,
            timestamp: None,
            rule: None,
        }
    }

    /// Whether a form edits this field.
    pub fn is_editable(&self) -> bool {
        !(self.primary_key || self.read_only || self.hidden || self.timestamp.is_some())
    }

    /// Whether the list shows this field (short values that may be shown).
    pub fn is_listed(&self) -> bool {
        !self.hidden && !self.sensitive && !matches!(self.widget, Widget::LongText | Widget::Json)
    }

    /// Whether the list can be searched on this field (text that may be shown).
    pub fn is_searchable(&self) -> bool {
        matches!(self.widget, Widget::Text | Widget::LongText) && !self.sensitive && !self.hidden
    }

    /// Whether the list can be filtered on this field.
    pub fn is_filterable(&self) -> bool {
        matches!(self.widget, Widget::Boolean | Widget::Choice(_)) && !self.hidden
    }

    /// The value a list filter (`?active=false`) compares this boolean or choice field with.
    pub fn filter_value(&self, text: &str) -> Option<Value> {
        match (&self.widget, text) {
            (Widget::Boolean, "true") => Some(Value::Bool(Some(true))),
            (Widget::Boolean, "false") => Some(Value::Bool(Some(false))),
            (Widget::Choice(choices), _) if choices.iter().any(|choice| choice == text) => {
                Some(Value::String(Some(text.to_owned())))
            }
            _ => None,
        }
    }

    /// The value as a person reads it.
    pub fn display(&self, value: &Value) -> String {
        if self.sensitive {
            return if is_null(value) { "not set" } else { "set" }.to_owned();
        }
        match value {
            Value::Bool(Some(true)) => "yes".to_owned(),
            Value::Bool(Some(false)) => "no".to_owned(),
            Value::TimeDateTimeWithTimeZone(Some(at)) => {
                let at = at.to_offset(time::UtcOffset::UTC);
                format!(
                    "{} UTC",
                    format_time(PrimitiveDateTime::new(at.date(), at.time()))
                )
            }
            Value::TimeDateTime(Some(at)) => format_time(*at),
            value if is_null(value) => "—".to_owned(),
            value => self.input_value(value),
        }
    }

    /// The value as a form field holds it (empty for null and for sensitive fields).
    pub fn input_value(&self, value: &Value) -> String {
        if self.sensitive || is_null(value) {
            return String::new();
        }
        match value {
            Value::Bool(Some(b)) => b.to_string(),
            Value::TinyInt(Some(n)) => n.to_string(),
            Value::SmallInt(Some(n)) => n.to_string(),
            Value::Int(Some(n)) => n.to_string(),
            Value::BigInt(Some(n)) => n.to_string(),
            Value::TinyUnsigned(Some(n)) => n.to_string(),
            Value::SmallUnsigned(Some(n)) => n.to_string(),
            Value::Unsigned(Some(n)) => n.to_string(),
            Value::BigUnsigned(Some(n)) => n.to_string(),
            Value::Float(Some(n)) => n.to_string(),
            Value::Double(Some(n)) => n.to_string(),
            Value::String(Some(s)) => s.clone(),
            Value::Char(Some(c)) => c.to_string(),
            Value::Json(Some(json)) => {
                serde_json::to_string_pretty(json).unwrap_or_else(|_| json.to_string())
            }
            Value::TimeDate(Some(date)) => date.to_string(),
            Value::TimeDateTime(Some(at)) => input_time(*at),
            Value::TimeDateTimeWithTimeZone(Some(at)) => {
                let at = at.to_offset(time::UtcOffset::UTC);
                input_time(PrimitiveDateTime::new(at.date(), at.time()))
            }
            Value::Bytes(Some(bytes)) => format!("({} bytes)", bytes.len()),
            other => format!("{other:?}"),
        }
    }

    /// The database value for what a form sent (`None`: the field was not in the form, which
    /// for a checkbox means unticked). An error is a message for the person who typed it.
    pub fn parse(&self, sent: Option<&str>) -> Result<Value, String> {
        if self.widget == Widget::Boolean && !self.nullable {
            // A checkbox sends its name when ticked, nothing otherwise.
            return Ok(Value::Bool(Some(sent.is_some())));
        }
        // Text columns cannot hold a NUL character (Postgres refuses it with an error).
        if sent.is_some_and(|sent| sent.contains('\0')) {
            return Err("This text holds a NUL character, which cannot be stored.".to_owned());
        }
        let text = sent.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return if self.nullable {
                Ok(self.null())
            } else {
                Err("This field is required.".to_owned())
            };
        }
        match &self.widget {
            Widget::Boolean => match text {
                "true" => Ok(Value::Bool(Some(true))),
                "false" => Ok(Value::Bool(Some(false))),
                _ => Err("Choose yes or no.".to_owned()),
            },
            Widget::Integer | Widget::Reference { .. } => self.integer(text),
            Widget::Decimal => {
                let n: f64 = text.parse().map_err(|_| "Enter a number, such as 12.5.")?;
                Ok(match self.column_type {
                    ColumnType::Float => Value::Float(Some(n as f32)),
                    _ => Value::Double(Some(n)),
                })
            }
            Widget::DateTime => {
                let at = PrimitiveDateTime::parse(text, INPUT_TIME)
                    .map_err(|_| "Enter a date and time, such as 2026-11-21T09:30.")?;
                Ok(match self.column_type {
                    ColumnType::TimestampWithTimeZone => {
                        Value::TimeDateTimeWithTimeZone(Some(at.assume_utc()))
                    }
                    _ => Value::TimeDateTime(Some(at)),
                })
            }
            Widget::Date => {
                let date = Date::parse(text, INPUT_DATE)
                    .map_err(|_| "Enter a date, such as 2026-11-21.")?;
                Ok(Value::TimeDate(Some(date)))
            }
            Widget::Json => {
                let json: serde_json::Value = serde_json::from_str(text)
                    .map_err(|error| format!("This is not valid JSON: {error}."))?;
                if json.to_string().contains("\\u0000") {
                    return Err(
                        "This JSON holds a NUL character, which cannot be stored.".to_owned()
                    );
                }
                Ok(match self.column_type {
                    ColumnType::Json | ColumnType::JsonBinary => Value::Json(Some(Box::new(json))),
                    _ => Value::String(Some(json.to_string())),
                })
            }
            Widget::Choice(choices) => {
                if choices.iter().any(|choice| choice == text) {
                    Ok(Value::String(Some(text.to_owned())))
                } else {
                    Err(format!("Choose one of: {}.", choices.join(", ")))
                }
            }
            Widget::Text | Widget::LongText | Widget::Password => {
                Ok(Value::String(Some(sent.unwrap_or_default().to_owned())))
            }
            Widget::Binary => Err("This field cannot be edited.".to_owned()),
        }
    }

    fn integer(&self, text: &str) -> Result<Value, String> {
        let n: i64 = text.parse().map_err(|_| "Enter a whole number.")?;
        let out_of_range = |_| "This number is out of range.".to_owned();
        Ok(match self.column_type {
            ColumnType::TinyInteger => Value::TinyInt(Some(n.try_into().map_err(out_of_range)?)),
            ColumnType::SmallInteger => Value::SmallInt(Some(n.try_into().map_err(out_of_range)?)),
            ColumnType::Integer => Value::Int(Some(n.try_into().map_err(out_of_range)?)),
            ColumnType::TinyUnsigned => {
                Value::TinyUnsigned(Some(n.try_into().map_err(out_of_range)?))
            }
            ColumnType::SmallUnsigned => {
                Value::SmallUnsigned(Some(n.try_into().map_err(out_of_range)?))
            }
            ColumnType::Unsigned => Value::Unsigned(Some(n.try_into().map_err(out_of_range)?)),
            ColumnType::BigUnsigned => {
                Value::BigUnsigned(Some(n.try_into().map_err(out_of_range)?))
            }
            _ => Value::BigInt(Some(n)),
        })
    }

    /// The column's null.
    pub fn null(&self) -> Value {
        match (&self.widget, &self.column_type) {
            (Widget::Boolean, _) => Value::Bool(None),
            (_, ColumnType::TinyInteger) => Value::TinyInt(None),
            (_, ColumnType::SmallInteger) => Value::SmallInt(None),
            (_, ColumnType::Integer) => Value::Int(None),
            (_, ColumnType::BigInteger) => Value::BigInt(None),
            (_, ColumnType::TinyUnsigned) => Value::TinyUnsigned(None),
            (_, ColumnType::SmallUnsigned) => Value::SmallUnsigned(None),
            (_, ColumnType::Unsigned) => Value::Unsigned(None),
            (_, ColumnType::BigUnsigned) => Value::BigUnsigned(None),
            (_, ColumnType::Float) => Value::Float(None),
            (_, ColumnType::Double) => Value::Double(None),
            (_, ColumnType::TimestampWithTimeZone) => Value::TimeDateTimeWithTimeZone(None),
            (_, ColumnType::DateTime | ColumnType::Timestamp) => Value::TimeDateTime(None),
            (_, ColumnType::Date) => Value::TimeDate(None),
            (_, ColumnType::Json | ColumnType::JsonBinary) => Value::Json(None),
            (_, ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob) => {
                Value::Bytes(None)
            }
            _ => Value::String(None),
        }
    }

    /// The current time, as this (timestamp) column stores it.
    pub fn now(&self) -> Value {
        let now = OffsetDateTime::now_utc();
        match self.column_type {
            ColumnType::TimestampWithTimeZone => Value::TimeDateTimeWithTimeZone(Some(now)),
            _ => Value::TimeDateTime(Some(PrimitiveDateTime::new(now.date(), now.time()))),
        }
    }
}

/// `email_verified_at` → "Email verified at".
pub fn label_of(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn is_null(value: &Value) -> bool {
    // Every variant holds an Option: null is the one whose Option is None.
    *value == value.as_null()
}

/// What a `datetime-local` input sends (seconds optional).
const INPUT_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute][optional [:[second]]]"
);
const INPUT_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

fn input_time(at: PrimitiveDateTime) -> String {
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

fn format_time(at: PrimitiveDateTime) -> String {
    format!("{} {:02}:{:02}", at.date(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::StringLen;

    use super::*;

    #[test]
    fn labels_read_like_words() {
        assert_eq!(label_of("email_verified_at"), "Email verified at");
        assert_eq!(label_of("id"), "Id");
    }

    #[test]
    fn form_text_becomes_the_columns_value_or_a_message() {
        let count = Field::new("count", ColumnType::Integer, false, false);
        assert_eq!(count.parse(Some(" 42 ")), Ok(Value::Int(Some(42))));
        assert_eq!(
            count.parse(Some("4.2")),
            Err("Enter a whole number.".to_owned())
        );
        assert_eq!(
            count.parse(Some("99999999999")),
            Err("This number is out of range.".to_owned())
        );
        assert_eq!(
            count.parse(Some("")),
            Err("This field is required.".to_owned())
        );

        let note = Field::new("note", ColumnType::String(StringLen::None), true, false);
        assert_eq!(note.parse(Some("")), Ok(Value::String(None)));

        let flag = Field::new("flag", ColumnType::Boolean, false, false);
        assert_eq!(flag.parse(Some("on")), Ok(Value::Bool(Some(true))));
        assert_eq!(flag.parse(None), Ok(Value::Bool(Some(false))));

        let at = Field::new("at", ColumnType::TimestampWithTimeZone, true, false);
        let parsed = at.parse(Some("2026-11-21T09:30")).unwrap();
        assert_eq!(at.input_value(&parsed), "2026-11-21T09:30");
        assert_eq!(at.display(&parsed), "2026-11-21 09:30 UTC");
        assert!(at.parse(Some("yesterday")).is_err());

        let mut payload = Field::new("payload", ColumnType::Text, false, false);
        payload.widget = Widget::Json;
        assert_eq!(
            payload.parse(Some(r#"{ "a": 1 }"#)),
            Ok(Value::String(Some(r#"{"a":1}"#.to_owned())))
        );
        assert!(
            payload
                .parse(Some("{ oops"))
                .unwrap_err()
                .starts_with("This is not valid JSON")
        );
    }
}
