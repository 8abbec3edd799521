//! `FIELD` arguments: `name:type`, `name:type?` (may be empty), `name:type:unique`, with the
//! types `enum:a,b,c` and `references:TABLE` taking one more part.

use std::fmt;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use crate::names::{Names, check_snake_case};

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// Up to 255 characters.
    String,
    Text,
    Int,
    BigInt,
    Float,
    Decimal,
    Bool,
    Date,
    DateTime,
    Uuid,
    Json,
    /// One of these values (snake case), stored as text.
    Enum(Vec<String>),
    /// The id of a row of this table.
    References(String),
}

/// The types `FIELD` can name, as `just g` lists them.
pub const TYPES: &str = "string (up to 255 characters), text, int, bigint, float, decimal, bool, \
                         date, datetime, uuid, json, enum:a,b,c, references:TABLE";

/// Columns every generated table has, which no field may take.
const COLUMNS_OF_EVERY_TABLE: &[&str] = &["id", "created_at", "updated_at"];

/// Field names that would collide with the types sea-orm derives in the entity's module when an
/// enum type is named after its field.
const NAMES_OF_ENTITY_TYPES: &[&str] = &[
    "model",
    "entity",
    "column",
    "relation",
    "active_model",
    "primary_key",
    // what the entity's file imports by name, or uses from sea-orm's prelude for other fields
    "set",
    "date",
    "offset_date_time",
    "json",
    "decimal",
    "uuid",
];

/// One parsed `FIELD` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    /// `?`: NULL allowed, and the form may leave it empty.
    pub optional: bool,
    /// `:unique`: no two rows share a value.
    pub unique: bool,
}

impl Field {
    pub fn parse(arg: &str) -> Result<Self> {
        Self::parse_parts(arg).with_context(|| {
            format!("in `{arg}`: a field is name:type, name:type? or name:type:unique ({TYPES})")
        })
    }

    fn parse_parts(arg: &str) -> Result<Self> {
        let mut parts: Vec<&str> = arg.split(':').collect();
        if parts.len() < 2 {
            bail!("no type");
        }
        let name = parts.remove(0);
        check_snake_case(name, "the field")?;
        let unique = parts.last() == Some(&"unique");
        if unique {
            parts.pop();
        }
        // `?` closes the type, whichever part that is (`title:string?`, `tag:enum:a,b?`).
        let mut optional = false;
        if let Some(last) = parts.last_mut()
            && let Some(stripped) = last.strip_suffix('?')
        {
            *last = stripped;
            optional = true;
        }
        let ty = match parts.as_slice() {
            ["string"] => Type::String,
            ["text"] => Type::Text,
            ["int"] => Type::Int,
            ["bigint"] => Type::BigInt,
            ["float"] => Type::Float,
            ["decimal"] => Type::Decimal,
            ["bool"] => Type::Bool,
            ["date"] => Type::Date,
            ["datetime"] => Type::DateTime,
            ["uuid"] => Type::Uuid,
            ["json"] => Type::Json,
            ["enum", values] => Type::Enum(parse_enum_values(values)?),
            ["enum"] => bail!("an enum lists its values: enum:draft,published"),
            ["references", table] => {
                check_snake_case(table, "the referenced table")?;
                Type::References((*table).to_owned())
            }
            ["references"] => bail!("a reference names its table: references:users"),
            [known, extra, ..] if Type::names().contains(known) => {
                bail!("unexpected `{extra}` after the type (only `unique` may follow it)")
            }
            [other, ..] => bail!("unknown type `{other}`"),
            [] => bail!("no type"),
        };
        let field = Self {
            name: name.to_owned(),
            ty,
            optional,
            unique,
        };
        field.check()?;
        Ok(field)
    }

    fn check(&self) -> Result<()> {
        if self.column() == "table" {
            bail!("a column cannot be called `table`: migrations name the table itself so");
        }
        if COLUMNS_OF_EVERY_TABLE.contains(&self.column().as_str()) {
            bail!("`{}` is a column every table has already", self.column());
        }
        if self.unique
            && matches!(
                self.ty,
                Type::Bool | Type::Float | Type::Json | Type::Text | Type::Enum(_)
            )
        {
            bail!(
                "a {} cannot be unique here: use a string, a number, a date or a reference",
                self.ty
            );
        }
        if matches!(self.ty, Type::Enum(_)) && NAMES_OF_ENTITY_TYPES.contains(&self.name.as_str()) {
            bail!(
                "an enum field cannot be called `{}`: its type would clash with sea-orm's",
                self.name
            );
        }
        if let Type::References(_) = self.ty
            && self.name.ends_with("_id")
        {
            bail!(
                "name the reference, not its column: `{}` (the column is `{}_id`)",
                self.name.trim_end_matches("_id"),
                self.name.trim_end_matches("_id")
            );
        }
        Ok(())
    }

    /// The column: the field's name, with `_id` for a reference (`author` → `author_id`).
    pub fn column(&self) -> String {
        match self.ty {
            Type::References(_) => format!("{}_id", self.name),
            _ => self.name.clone(),
        }
    }
}

fn parse_enum_values(list: &str) -> Result<Vec<String>> {
    let mut values: Vec<String> = Vec::new();
    for value in list.split(',') {
        if value.is_empty() {
            bail!("an enum value is empty: list them as enum:a,b,c");
        }
        check_snake_case(value, "the enum value")?;
        if values
            .iter()
            .any(|seen| cruet::to_pascal_case(seen) == cruet::to_pascal_case(value))
        {
            bail!("the enum value `{value}` is listed twice, or reads the same as another in Rust");
        }
        values.push(value.to_owned());
    }
    Ok(values)
}

impl Type {
    /// Every type's name, as typed.
    fn names() -> [&'static str; 13] {
        [
            "string",
            "text",
            "int",
            "bigint",
            "float",
            "decimal",
            "bool",
            "date",
            "datetime",
            "uuid",
            "json",
            "enum",
            "references",
        ]
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::String => "string",
            Self::Text => "text",
            Self::Int => "int",
            Self::BigInt => "bigint",
            Self::Float => "float",
            Self::Decimal => "decimal",
            Self::Bool => "bool",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Uuid => "uuid",
            Self::Json => "json",
            Self::Enum(_) => "enum",
            Self::References(_) => "reference",
        };
        f.write_str(name)
    }
}

/// A field as the templates see it: everything spelled out, so a template only places words.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// `author`
    pub name: String,
    /// `author_id`
    pub column: String,
    /// `AuthorId`: the column's identifier in migrations and in `Column::`.
    pub iden: String,
    /// `Author name`: a label for people.
    pub label: String,
    /// The type as typed: `string`, `enum`, `references`…
    pub kind: String,
    /// The entity's field type, `Option<…>` when optional.
    pub rust_type: String,
    /// The schema helper of sea-orm-migration that makes the column (`string_len_null`…).
    pub column_fn: String,
    /// Its arguments after the column (`, 255`).
    pub column_args: String,
    pub optional: bool,
    pub unique: bool,
    /// For an enum: the Rust type (`Status`), its values and the longest value's length.
    pub enum_type: Option<String>,
    pub enum_values: Vec<EnumValue>,
    pub enum_max_len: usize,
    /// For a reference: the table it points to.
    pub references: Option<Reference>,
    /// When this column is added to a table that has rows: the value they get, if it is
    /// required (`None` for an optional column, or a type with no sensible default).
    pub default_for_existing_rows: Option<String>,
    /// A value for tests: an expression of the test's counter `n` (an `i32`), distinct for each
    /// `n` so unique columns stay unique. A reference's is set by the model generator, which
    /// knows how to make the row it points to.
    pub sample: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumValue {
    pub value: String,
    pub variant: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// `users`
    pub table: String,
    /// `Users`
    pub table_iden: String,
    /// `user`: its module in `src/models/`.
    pub module: String,
    /// `Author`: the variant of the entity's `Relation`.
    pub relation: String,
    /// What deleting the referenced row does: `Cascade`, or `SetNull` for an optional one.
    pub on_delete: String,
    /// Whether no other field references the same table (the entity is then `Related` to it).
    pub only_one_to_its_table: bool,
}

impl FieldView {
    pub fn of(field: &Field) -> Self {
        let column = field.column();
        let (base_type, column_fn, column_args) = match &field.ty {
            Type::String => ("String".to_owned(), "string_len", ", 255".to_owned()),
            Type::Text => ("String".to_owned(), "text", String::new()),
            Type::Int => ("i32".to_owned(), "integer", String::new()),
            Type::BigInt => ("i64".to_owned(), "big_integer", String::new()),
            Type::Float => ("f64".to_owned(), "double", String::new()),
            Type::Decimal => ("Decimal".to_owned(), "decimal_len", ", 16, 4".to_owned()),
            Type::Bool => ("bool".to_owned(), "boolean", String::new()),
            Type::Date => ("Date".to_owned(), "date", String::new()),
            Type::DateTime => (
                "OffsetDateTime".to_owned(),
                "timestamp_with_time_zone",
                String::new(),
            ),
            Type::Uuid => ("Uuid".to_owned(), "uuid", String::new()),
            Type::Json => ("Json".to_owned(), "json_binary", String::new()),
            Type::Enum(values) => {
                let longest = values.iter().map(String::len).max().unwrap_or(1);
                (
                    cruet::to_pascal_case(&field.name),
                    "string_len",
                    format!(", {longest}"),
                )
            }
            Type::References(_) => ("i64".to_owned(), "big_integer", String::new()),
        };
        let rust_type = if field.optional {
            format!("Option<{base_type}>")
        } else {
            base_type.clone()
        };
        let column_fn = if field.optional {
            format!("{column_fn}_null")
        } else {
            column_fn.to_owned()
        };
        let (enum_type, enum_values, enum_max_len) = match &field.ty {
            Type::Enum(values) => (
                Some(base_type),
                values
                    .iter()
                    .map(|value| EnumValue {
                        value: value.clone(),
                        variant: cruet::to_pascal_case(value),
                    })
                    .collect(),
                values.iter().map(String::len).max().unwrap_or(1),
            ),
            _ => (None, Vec::new(), 0),
        };
        let references = match &field.ty {
            Type::References(table) => {
                let names = Names::of_table(table).expect("checked when parsed");
                Some(Reference {
                    table: table.clone(),
                    table_iden: names.plural_pascal,
                    module: names.singular,
                    relation: cruet::to_pascal_case(&field.name),
                    on_delete: if field.optional { "SetNull" } else { "Cascade" }.to_owned(),
                    only_one_to_its_table: true,
                })
            }
            _ => None,
        };
        let default_for_existing_rows = match (&field.ty, field.optional) {
            (_, true) => None,
            (Type::String | Type::Text, false) => Some("\"\"".to_owned()),
            (Type::Int | Type::BigInt, false) => Some("0".to_owned()),
            (Type::Float | Type::Decimal, false) => Some("0.0".to_owned()),
            (Type::Bool, false) => Some("false".to_owned()),
            (Type::Enum(values), false) => Some(format!("\"{}\"", values[0])),
            _ => None,
        };
        let sample = match &field.ty {
            Type::String | Type::Text => {
                format!(
                    "format!(\"{} {{n}}\")",
                    cruet::to_sentence_case(&field.name)
                )
            }
            Type::Int => "n".to_owned(),
            Type::BigInt => "i64::from(n)".to_owned(),
            Type::Float => "f64::from(n) + 0.5".to_owned(),
            Type::Decimal => "Decimal::new(i64::from(n) * 100 + 25, 2)".to_owned(),
            Type::Bool => "true".to_owned(),
            Type::Date => {
                "datetime!(2026-01-01 0:00 UTC).date() + Duration::days(i64::from(n))".to_owned()
            }
            Type::DateTime => {
                "datetime!(2026-01-01 12:00 UTC) + Duration::hours(i64::from(n))".to_owned()
            }
            Type::Uuid => "Uuid::from_u128(u128::from(n.unsigned_abs()))".to_owned(),
            Type::Json => "serde_json::json!({ \"n\": n })".to_owned(),
            Type::Enum(values) => format!(
                "{}::{}",
                cruet::to_pascal_case(&field.name),
                cruet::to_pascal_case(&values[0])
            ),
            Type::References(_) => String::new(),
        };
        Self {
            sample,
            label: cruet::to_sentence_case(&field.name),
            name: field.name.clone(),
            iden: cruet::to_pascal_case(&column),
            column,
            kind: match field.ty {
                Type::References(_) => "references".to_owned(),
                ref other => other.to_string(),
            },
            rust_type,
            column_fn,
            column_args,
            optional: field.optional,
            unique: field.unique,
            enum_type,
            enum_values,
            enum_max_len,
            references,
            default_for_existing_rows,
        }
    }
}

/// Parses every `FIELD`, refusing a name given twice.
pub fn parse_all(args: &[String]) -> Result<Vec<Field>> {
    let mut fields: Vec<Field> = Vec::new();
    for arg in args {
        let field = Field::parse(arg)?;
        let iden = cruet::to_pascal_case(&field.column());
        if fields
            .iter()
            .any(|seen| cruet::to_pascal_case(&seen.column()) == iden)
        {
            bail!(
                "the column `{}` is given twice, or reads the same as another in Rust ({iden})",
                field.column()
            );
        }
        fields.push(field);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arg: &str) -> Field {
        Field::parse(arg).unwrap_or_else(|error| panic!("{arg}: {error:#}"))
    }

    #[test]
    fn every_type_parses_required_optional_and_unique() {
        assert_eq!(parse("title:string").ty, Type::String);
        assert!(parse("subtitle:text?").optional);
        let isbn = parse("isbn:string:unique");
        assert!(isbn.unique && !isbn.optional);
        let code = parse("code:string?:unique");
        assert!(code.unique && code.optional);
        for (arg, ty) in [
            ("pages:int", Type::Int),
            ("views:bigint", Type::BigInt),
            ("rating:float", Type::Float),
            ("price:decimal", Type::Decimal),
            ("done:bool", Type::Bool),
            ("due:date", Type::Date),
            ("at:datetime", Type::DateTime),
            ("token:uuid", Type::Uuid),
            ("extra:json", Type::Json),
        ] {
            assert_eq!(parse(arg).ty, ty);
        }
        let status = parse("status:enum:draft,published?");
        assert_eq!(
            status.ty,
            Type::Enum(vec!["draft".to_owned(), "published".to_owned()])
        );
        assert!(status.optional);
        let author = parse("author:references:users");
        assert_eq!(author.ty, Type::References("users".to_owned()));
        assert_eq!(author.column(), "author_id");
    }

    #[test]
    fn malformed_fields_are_refused_with_the_reason() {
        for (arg, reason) in [
            ("title", "no type"),
            ("title:varchar", "unknown type `varchar`"),
            ("Title:string", "not snake_case"),
            ("type:string", "Rust keyword"),
            ("id:int", "every table has"),
            ("created_at:datetime", "every table has"),
            ("status:enum", "lists its values"),
            ("status:enum:Draft", "not snake_case"),
            ("status:enum:a,a", "listed twice"),
            ("model:enum:a,b", "clash"),
            ("author:references", "names its table"),
            ("author_id:references:users", "name the reference"),
            ("done:bool:unique", "cannot be unique"),
            ("title:string:unique:unique", "unexpected `unique`"),
            ("title:strings", "unknown type `strings`"),
        ] {
            let error = format!("{:#}", Field::parse(arg).unwrap_err());
            assert!(error.contains(reason), "{arg}: {error}");
        }
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let args = [
            "author:references:users".to_owned(),
            "author_id:int".to_owned(),
        ];
        assert!(parse_all(&args).is_err());
    }

    #[test]
    fn views_spell_out_what_templates_place() {
        let view = FieldView::of(&parse("status:enum:draft,in_review?"));
        assert_eq!(view.rust_type, "Option<Status>");
        assert_eq!(view.column_fn, "string_len_null");
        assert_eq!(view.column_args, ", 9");
        assert_eq!(view.enum_values[1].variant, "InReview");
        let author = FieldView::of(&parse("author:references:users"));
        assert_eq!(author.iden, "AuthorId");
        let reference = author.references.unwrap();
        assert_eq!(
            (reference.module.as_str(), reference.on_delete.as_str()),
            ("user", "Cascade")
        );
    }
}
