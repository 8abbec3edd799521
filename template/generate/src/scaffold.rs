//! `just g scaffold NAME FIELD… [--owned] [--nav]`: a whole resource. The model (its migration,
//! entity and test), then its pages: the paths (`src/paths/PLURAL.rs`), the handlers
//! (`src/routes/PLURAL.rs`: list, show, new, create, edit, update, delete), the views
//! (`src/views/pages/PLURAL.rs`) and a test of every action. With the admin area, one line
//! registers the table there; `--nav` adds the list to the main navigation.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};
use serde::Serialize;

use crate::{
    app::App,
    fields::{Field, FieldView, Type},
    model,
    names::Names,
    plan::Plan,
    templates::Templates,
};

/// The column that says whose a row is, with `--owned`.
const OWNER: &str = "user";

/// Names the scaffold's files import or define besides its own: a resource whose types or
/// module would be called so would clash with them.
const TAKEN_TYPES: &[&str] = &[
    "AppError",
    "AppState",
    "Checkbox",
    "ConfirmDelete",
    "CsrfField",
    "CsrfToken",
    "Deserialize",
    "Field",
    "Fixture",
    "Form",
    "FormAlert",
    "FormErrors",
    "HxForm",
    "ListQuery",
    "Listing",
    "Messages",
    "Page",
    "Pager",
    "Query",
    "Response",
    "Routes",
    "ScrollBox",
    "SearchForm",
    "Select",
    "Set",
    "Shown",
    "SortHeader",
    "State",
    "StatusCode",
    "TestApp",
    "TextArea",
    "TypedPath",
];
const TAKEN_MODULES: &[&str] = &[
    "app", "auth", "axum", "csrf", "db", "error", "helpers", "htmx", "input", "leptos", "listing",
    "models", "page", "paths", "sea_orm", "serde", "std", "time", "views",
];

pub struct Options {
    pub owned: bool,
    pub nav: bool,
}

/// A field as the scaffold's form, list and tests handle it.
#[derive(Debug, Clone, Serialize)]
struct FormField {
    /// The column, which is also the form field's name: `author_id`.
    column: String,
    /// `AuthorId`, in `Column::AuthorId`.
    iden: String,
    label: String,
    /// What the model's field holds: `string`, `int`, `enum`…
    kind: String,
    optional: bool,
    unique: bool,
    /// An expression reading `form.{column}` into `Result<value, String>`, required or not.
    read: String,
    /// Words under the field, if it needs them, as a Rust string literal.
    hint: Option<String>,
    /// `input`, `textarea`, `checkbox` or `select`.
    widget: &'static str,
    /// The input's `type` and `inputmode`, for `input`.
    input_type: &'static str,
    inputmode: &'static str,
    /// For `select`: (value, label) pairs, and the label of the empty first option, if any.
    options: Vec<(String, String)>,
    blank: Option<&'static str>,
    /// A column of the list (long text and JSON are left to the row's own page).
    listed: bool,
    /// A column the list's search looks in.
    searched: bool,
    /// For a reference: the referenced model's module and one row's name (`user`, `user`).
    references: Option<(String, String)>,
    /// Form values for the tests, as Rust expressions: one that passes, another, one that does
    /// not and words of its error; and when the form shows a value back otherwise than it was
    /// typed (`2026-12-31T18:30:00` for `2026-12-31T18:30`), how, for each that passes.
    valid: String,
    other_valid: String,
    invalid: String,
    error: String,
    stored: Option<String>,
    other_stored: Option<String>,
}

pub fn plan(
    app: &App,
    templates: &Templates,
    plan: &mut Plan,
    names: &Names,
    fields: &[Field],
    options: &Options,
) -> Result<()> {
    let defined = [
        names.pascal.clone(),
        names.plural_pascal.clone(),
        format!("New{}", names.pascal),
        format!("Edit{}", names.pascal),
        format!("Delete{}", names.pascal),
    ];
    if names.plural == names.singular {
        bail!(
            "`{}` has no plural of its own: the list and one row would have the same name; \
             choose another (`{}_item`)",
            names.singular,
            names.singular
        );
    }
    if TAKEN_MODULES.contains(&names.singular.as_str())
        || TAKEN_MODULES.contains(&names.plural.as_str())
        || defined
            .iter()
            .any(|name| TAKEN_TYPES.contains(&name.as_str()))
    {
        bail!(
            "`{}` would clash with a name the scaffold's code uses: choose another",
            names.singular
        );
    }
    let accounts = app.exists("src/auth.rs");
    if options.owned && !accounts {
        bail!("--owned needs accounts, and this app has none (it was generated without `auth`)");
    }
    if fields.is_empty() {
        bail!("a scaffold needs at least one field: just g scaffold book title:string");
    }
    let mut model_fields = fields.to_vec();
    if options.owned {
        if fields.iter().any(|field| field.name == OWNER) {
            bail!("with --owned, `{OWNER}` is the owner's column: name the field otherwise");
        }
        model_fields.insert(
            0,
            Field {
                name: OWNER.to_owned(),
                ty: Type::References("users".to_owned()),
                optional: false,
                unique: false,
            },
        );
    }
    for taken in [
        "admin", "static", "dev", "files", "health", "ready", "login", "logout",
    ] {
        if names.kebab_plural == taken {
            bail!("/{taken} is the app's own: choose another name");
        }
    }
    let command = "just g scaffold";
    model::plan(app, templates, plan, names, &model_fields, command)?;
    for url in [
        format!("/{}", names.kebab_plural),
        format!("/{}/new", names.kebab_plural),
    ] {
        crate::page::check_url_is_free(app, &url)?;
    }

    let views: Vec<FieldView> = fields.iter().map(FieldView::of).collect();
    let models = app.models()?;
    let mut form_fields = Vec::new();
    for (field, view) in fields.iter().zip(&views) {
        let references = match &field.ty {
            Type::References(table) if *table == names.plural => {
                Some((names.singular.clone(), names.human.clone()))
            }
            Type::References(table) => {
                let module = models.get(table).cloned().unwrap_or_default();
                Some((module.clone(), module.replace('_', " ")))
            }
            _ => None,
        };
        // Its own table, or one with a scaffold's pages.
        let has_pages = match &field.ty {
            Type::References(table) => {
                *table == names.plural || app.exists(&format!("src/paths/{table}.rs"))
            }
            _ => false,
        };
        form_fields.push(form_field(names, field, view, references, has_pages));
    }
    let title = Title::of(names, &form_fields);
    // The title is the list's first column; the other listed fields follow it.
    if let Some(column) = &title.column {
        for field in &mut form_fields {
            if field.column == *column {
                field.listed = false;
            }
        }
    }
    let enums: Vec<&FieldView> = views
        .iter()
        .filter(|view| view.enum_type.is_some())
        .collect();
    let uses = context! {
        shown => form_fields.iter().any(|f| f.kind != "enum"),
        search => form_fields.iter().any(|f| f.searched),
        unique => form_fields.iter().any(|f| f.unique),
        references => form_fields.iter().any(|f| f.references.is_some()),
        reference_modules => reference_modules(&form_fields, names),
        select => form_fields.iter().any(|f| f.widget == "select"),
        checkbox => form_fields.iter().any(|f| f.widget == "checkbox"),
        textarea => form_fields.iter().any(|f| f.widget == "textarea"),
        input => form_fields.iter().any(|f| f.widget == "input"),
        // Whether the tests' form makes rows for references (an owned scaffold's reference to
        // its own table stays empty).
        row_fixtures => form_fields.iter().any(|f| {
            f.references
                .as_ref()
                .is_some_and(|(module, _)| !(options.owned && *module == names.singular))
        }),
        user_fixture => form_fields
            .iter()
            .any(|f| f.references.as_ref().is_some_and(|(module, _)| module == "user")),
    };
    let context = context! {
        names => Serde(names),
        fields => Serde(&form_fields),
        enums => Serde(&enums),
        owned => options.owned,
        accounts,
        admin => app.exists("src/admin.rs"),
        title => Serde(&title),
        uses,
        command,
    };
    let plural = &names.plural;
    crate::page::plan_files(app, templates, plan, "scaffold", plural, &context)?;
    if app.exists("src/admin.rs") {
        let title = form_fields
            .iter()
            .find(|field| field.kind == "string")
            .map(|field| {
                format!(
                    ".title(crate::models::{}::Column::{})",
                    names.singular,
                    cruet::to_pascal_case(&field.column)
                )
            })
            .unwrap_or_default();
        plan.insert_line(
            app,
            "src/admin.rs",
            &format!(
                "Box::new(Table::<crate::models::{}::Entity>::new(\"{plural}\", \"{}\"){title}),",
                names.singular,
                capitalize(&names.human_plural)
            ),
            |lines| before_the_end_of_the_list(lines, "fn resources()"),
        )?;
    }
    if options.nav {
        plan.insert_line(
            app,
            "src/views/layout.rs",
            &format!(
                "(crate::paths::{plural}::{}.to_string(), \"{}\"),",
                names.plural_pascal,
                capitalize(&names.human_plural)
            ),
            |lines| before_the_end_of_the_list(lines, "fn navigation()"),
        )?;
    }
    plan.next_steps.push(format!(
        "then the list is at /{}{}",
        names.kebab_plural,
        if options.owned {
            " (signed in: each row is its owner's alone)"
        } else {
            " (open to every visitor: see the top of its routes' file)"
        }
    ));
    Ok(())
}

/// How a row is named (its page's title, its link in the list): by its first text, or by its
/// number when it has none.
#[derive(Debug, Serialize)]
struct Title {
    /// The column it comes from, if any (the list sorts by it).
    column: Option<String>,
    /// The list's header for it.
    label: String,
    /// A Rust expression of the row, a `String`.
    expression: String,
    /// Whether the expression uses `first_line`.
    uses_first_line: bool,
}

impl Title {
    fn of(names: &Names, fields: &[FormField]) -> Self {
        let row = &names.singular;
        let numbered = format!("format!(\"{} {{}}\", {row}.id)", capitalize(&names.human));
        let text = |field: &&FormField| field.kind == "string" || field.kind == "text";
        let required_line = fields
            .iter()
            .find(|field| field.kind == "string" && !field.optional);
        let Some(field) = required_line.or_else(|| fields.iter().find(text)) else {
            return Self {
                column: None,
                label: "Number".to_owned(),
                expression: numbered,
                uses_first_line: false,
            };
        };
        let column = &field.column;
        let expression = match (field.kind.as_str(), field.optional) {
            ("string", false) => format!("{row}.{column}.clone()"),
            (_, false) => {
                format!("first_line(&{row}.{column}, 60).unwrap_or_else(|| {numbered})")
            }
            (_, true) => format!(
                "{row}.{column}.as_deref().and_then(|text| first_line(text, 60)).unwrap_or_else(|| {numbered})"
            ),
        };
        Self {
            uses_first_line: expression.contains("first_line"),
            column: Some(column.clone()),
            label: field.label.clone(),
            expression,
        }
    }
}

/// The place of the `]` that closes the list (`vec![…]`) the function `function` returns.
fn before_the_end_of_the_list(lines: &[&str], function: &str) -> Option<usize> {
    let start = lines.iter().position(|line| line.starts_with(function))?;
    let end = start + lines[start..].iter().position(|line| *line == "}")?;
    (start..end).rev().find(|at| lines[*at].trim() == "]")
}

/// The models the form's references check rows of, other than the scaffold's own.
fn reference_modules(fields: &[FormField], names: &Names) -> Vec<String> {
    let mut modules: Vec<String> = fields
        .iter()
        .filter_map(|field| Some(field.references.as_ref()?.0.clone()))
        .filter(|module| *module != names.singular)
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// `a` or `an`, before `word`.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn form_field(
    names: &Names,
    field: &Field,
    view: &FieldView,
    references: Option<(String, String)>,
    has_pages: bool,
) -> FormField {
    let form = format!("&form.{}", view.column);
    let (read, widget, input_type, inputmode) = match &field.ty {
        Type::String => (
            format!("input::line({form}, input::STRING_MAX_CHARS)"),
            "input",
            "text",
            "",
        ),
        Type::Text => (
            format!("input::text({form}, input::TEXT_MAX_CHARS)"),
            "textarea",
            "",
            "",
        ),
        Type::Int => (
            format!("input::number::<i32>({form})"),
            "input",
            "text",
            "numeric",
        ),
        Type::BigInt | Type::References(_) => (
            format!("input::number::<i64>({form})"),
            "input",
            "text",
            "numeric",
        ),
        Type::Float => (format!("input::float({form})"), "input", "text", "decimal"),
        Type::Decimal => (
            format!("input::decimal({form})"),
            "input",
            "text",
            "decimal",
        ),
        Type::Bool if field.optional => (format!("input::yes_or_no({form})"), "select", "", ""),
        Type::Bool => (format!("input::checkbox({form})"), "checkbox", "", ""),
        Type::Date => (format!("input::date({form})"), "input", "date", ""),
        Type::DateTime => (
            format!("input::datetime({form})"),
            "input",
            "datetime-local",
            "",
        ),
        Type::Uuid => (format!("input::uuid({form})"), "input", "text", ""),
        Type::Json => (format!("input::json({form})"), "textarea", "", ""),
        Type::Enum(_) => (
            format!(
                "input::choice::<{}::{}>({form})",
                names.singular,
                view.enum_type.clone().unwrap_or_default()
            ),
            "select",
            "",
            "",
        ),
    };
    // A checkbox is never empty: unticked is `false`.
    let read = if field.optional || widget == "checkbox" {
        read
    } else {
        format!("{read}.and_then(input::required)")
    };
    let (options, blank) = match &field.ty {
        Type::Enum(values) => (
            values
                .iter()
                .map(|value| (value.clone(), capitalize(&value.replace('_', " "))))
                .collect(),
            Some(if field.optional { "—" } else { "Choose…" }),
        ),
        Type::Bool => (
            vec![
                ("true".to_owned(), "Yes".to_owned()),
                ("false".to_owned(), "No".to_owned()),
            ],
            Some("—"),
        ),
        _ => (Vec::new(), None),
    };
    let values = test_values(field);
    let hint = match &field.ty {
        Type::References(table) => {
            let one = references
                .as_ref()
                .map_or("row", |(_, human)| human.as_str());
            // A table with pages shows the number in their addresses.
            Some(if has_pages {
                format!(
                    "The number of {} {one}, as in /{}/7.",
                    article(one),
                    table.replace('_', "-")
                )
            } else {
                format!("The number (id) of {} {one}.", article(one))
            })
        }
        Type::DateTime => Some("In UTC.".to_owned()),
        Type::Uuid => Some("Such as 67e55044-10b1-426f-9247-bb680e5fe0c8.".to_owned()),
        _ => None,
    }
    .map(|hint| format!("{hint:?}"));
    let literal = |text: &str| format!("{text:?}");
    FormField {
        hint,
        column: view.column.clone(),
        iden: view.iden.clone(),
        label: view.label.clone(),
        kind: view.kind.clone(),
        optional: field.optional,
        unique: field.unique,
        read,
        widget,
        input_type,
        inputmode,
        options,
        blank,
        listed: !matches!(field.ty, Type::Text | Type::Json),
        searched: matches!(field.ty, Type::String | Type::Text),
        references,
        valid: literal(&values.valid),
        other_valid: literal(&values.other),
        invalid: match values.invalid {
            Invalid::Text(text) => format!("{text:?}.to_owned()"),
            Invalid::Repeated(text, times) => format!("{text:?}.repeat({times})"),
        },
        error: literal(values.error),
        stored: values.stored.map(|(valid, _)| literal(valid)),
        other_stored: values.stored.map(|(_, other)| literal(other)),
    }
}

/// A value the form refuses: text, or text repeated (too long to write out).
enum Invalid {
    Text(String),
    Repeated(&'static str, usize),
}

struct TestValues {
    valid: String,
    other: String,
    invalid: Invalid,
    error: &'static str,
    stored: Option<(&'static str, &'static str)>,
}

/// For the tests: a value the form takes, another, one it refuses and words of the refusal.
/// A reference's values are made by the test (rows it inserts first).
fn test_values(field: &Field) -> TestValues {
    let label = cruet::to_sentence_case(&field.name);
    let text = |text: &str| Invalid::Text(text.to_owned());
    let (valid, other, invalid, error, stored): (String, String, Invalid, &str, _) = match &field.ty
    {
        Type::String | Type::Text => {
            let (invalid, error) = match (field.optional, &field.ty) {
                (false, _) => (text(""), "Fill this in"),
                (true, Type::String) => (Invalid::Repeated("x", 256), "at most 255"),
                (true, _) => (text("a\u{1}b"), "control characters"),
            };
            (
                format!("{label} one"),
                format!("{label} two"),
                invalid,
                error,
                None,
            )
        }
        Type::Int => (
            "42".into(),
            "-7".into(),
            text("forty-two"),
            "whole number",
            None,
        ),
        Type::BigInt => (
            "4200000000".into(),
            "-1".into(),
            text("1.5"),
            "whole number",
            None,
        ),
        Type::Float => (
            "3.5".into(),
            "-0.25".into(),
            text("three"),
            "a number",
            None,
        ),
        Type::Decimal => (
            "19.99".into(),
            "20.5".into(),
            text("0.00001"),
            "after the point",
            None,
        ),
        Type::Bool if field.optional => (
            "true".into(),
            "false".into(),
            text("maybe"),
            "yes or no",
            None,
        ),
        Type::Bool => (
            "true".into(),
            String::new(),
            text("maybe"),
            "Tick",
            Some(("true", "false")),
        ),
        Type::Date => (
            "2026-12-31".into(),
            "2027-01-15".into(),
            text("31/12/2026"),
            "a date",
            None,
        ),
        Type::DateTime => (
            "2026-12-31T18:30".into(),
            "2027-01-15T08:05".into(),
            text("tomorrow"),
            "a date and time",
            Some(("2026-12-31T18:30:00", "2027-01-15T08:05:00")),
        ),
        Type::Uuid => (
            "67e55044-10b1-426f-9247-bb680e5fe0c8".into(),
            "0b9a8f7e-6d5c-4b3a-8291-a0b1c2d3e4f5".into(),
            text("not-a-uuid"),
            "a UUID",
            None,
        ),
        Type::Json => (
            "{\"size\": 3}".into(),
            "[1, 2]".into(),
            text("{"),
            "not JSON",
            Some(("{\n  \"size\": 3\n}", "[\n  1,\n  2\n]")),
        ),
        Type::Enum(values) => (
            values.last().cloned().unwrap_or_default(),
            values[0].clone(),
            text("no_such_value"),
            "values listed",
            None,
        ),
        Type::References(_) => (
            String::new(),
            String::new(),
            text("abc"),
            "whole number",
            None,
        ),
    };
    TestValues {
        valid,
        other,
        invalid,
        error,
        stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_field_of(arg: &str) -> FormField {
        let field = Field::parse(arg).unwrap();
        let names = Names::of_resource("book").unwrap();
        form_field(&names, &field, &FieldView::of(&field), None, false)
    }

    #[test]
    fn each_type_is_read_by_its_function_and_required_unless_optional() {
        assert_eq!(
            form_field_of("title:string").read,
            "input::line(&form.title, input::STRING_MAX_CHARS).and_then(input::required)"
        );
        assert_eq!(
            form_field_of("pages:int?").read,
            "input::number::<i32>(&form.pages)"
        );
        assert_eq!(
            form_field_of("status:enum:draft,published").read,
            "input::choice::<book::Status>(&form.status).and_then(input::required)"
        );
        // An unticked checkbox is `false`, never empty.
        assert_eq!(
            form_field_of("done:bool").read,
            "input::checkbox(&form.done)"
        );
        assert_eq!(form_field_of("done:bool?").widget, "select");
        let body = form_field_of("body:text");
        assert!(body.searched && !body.listed);
    }

    #[test]
    fn test_values_are_rust_literals() {
        let title = form_field_of("title:string?");
        assert_eq!(title.valid, "\"Title one\"");
        assert_eq!(title.invalid, "\"x\".repeat(256)");
        let at = form_field_of("at:datetime");
        assert_eq!(at.stored.as_deref(), Some("\"2026-12-31T18:30:00\""));
    }

    #[test]
    fn a_line_goes_before_the_end_of_the_list_a_function_returns() {
        let lines = [
            "fn resources() -> Vec<X> {",
            "    vec![",
            "        Box::new(",
            "            accounts(),",
            "        ),",
            "    ]",
            "}",
        ];
        assert_eq!(
            before_the_end_of_the_list(&lines, "fn resources()"),
            Some(5)
        );
        assert_eq!(before_the_end_of_the_list(&lines, "fn navigation()"), None);
    }
}
