//! `just g migration NAME [FIELD…]`: a migration file, registered in `migration/src/lib.rs`.
//!
//! The name says what it does, as Rails and Loco read it: `create_TABLE` makes a table with the
//! fields, `add_COLUMNS_to_TABLE` adds them, `remove_COLUMNS_from_TABLE` removes them (their types
//! let `down` add them back); any other name is an empty migration to fill in.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

use crate::{
    app::App,
    fields::{Field, FieldView, Type},
    names::{Names, check_snake_case},
    plan::Plan,
    templates::Templates,
};

/// What a migration's name asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Intent {
    Create { table: String },
    AddTo { table: String },
    RemoveFrom { table: String },
    Other,
}

impl Intent {
    pub fn of(name: &str) -> Self {
        if let Some(table) = name.strip_prefix("create_") {
            return Self::Create {
                table: table.to_owned(),
            };
        }
        if let Some(rest) = name.strip_prefix("add_")
            && let Some((_, table)) = rest.rsplit_once("_to_")
        {
            return Self::AddTo {
                table: table.to_owned(),
            };
        }
        if let Some(rest) = name.strip_prefix("remove_")
            && let Some((_, table)) = rest.rsplit_once("_from_")
        {
            return Self::RemoveFrom {
                table: table.to_owned(),
            };
        }
        Self::Other
    }
}

/// Plans the migration `name` with `fields`.
pub fn plan(
    app: &App,
    templates: &Templates,
    plan: &mut Plan,
    name: &str,
    fields: &[Field],
    command: &str,
) -> Result<String> {
    check_snake_case(name, "the migration's name")?;
    let tables = app.tables()?;
    let (template, table, views) = match Intent::of(name) {
        Intent::Create { table } => {
            let names = Names::of_table(&table)?;
            if tables.contains(&table) {
                bail!("the table `{table}` exists already: nothing was written");
            }
            let views = views_for_new_table(app, &table, &names.singular, fields)?;
            ("migration/create_table.rs.jinja", names, views)
        }
        Intent::AddTo { table } => {
            let names = existing_table(&tables, &table)?;
            if fields.is_empty() {
                bail!(
                    "say which columns to add, with their types: just g migration {name} isbn:string"
                );
            }
            for field in fields {
                if matches!(field.ty, Type::References(_)) {
                    bail!(
                        "`{}`: a reference cannot be added to an existing table here (SQLite adds no \
                         foreign key to a table): write this migration by hand, or recreate the table",
                        field.name
                    );
                }
                let view = FieldView::of(field);
                if field.unique && !field.optional {
                    bail!(
                        "`{}`: every row already there would get the same value, which a unique \
                         column refuses; make it optional (`{}:{}?:unique`) and fill it in later",
                        field.name,
                        field.name,
                        field.ty
                    );
                }
                if !field.optional && view.default_for_existing_rows.is_none() {
                    bail!(
                        "`{}`: the rows already there would need a {} value; make it optional \
                         (`{}:{}?`) and fill it in later",
                        field.name,
                        field.ty,
                        field.name,
                        field.ty
                    );
                }
            }
            if let Some(columns) = app.columns_of_model(&table)? {
                for field in fields {
                    if columns.contains(&field.column()) {
                        bail!("`{table}` has a column `{}` already", field.column());
                    }
                }
            }
            let views: Vec<FieldView> = fields.iter().map(FieldView::of).collect();
            if let Some(model) = app.models()?.get(&table) {
                plan.next_steps.push(format!(
                    "then add to the Model of src/models/{model}.rs:\n{}",
                    views
                        .iter()
                        .map(|view| format!("    pub {}: {},", view.column, view.rust_type))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
            ("migration/add_columns.rs.jinja", names, views)
        }
        Intent::RemoveFrom { table } => {
            let names = existing_table(&tables, &table)?;
            if fields.is_empty() {
                bail!(
                    "say which columns to remove, with their types (so `down` can add them back): \
                     just g migration {name} isbn:string"
                );
            }
            if let Some(columns) = app.columns_of_model(&table)? {
                for field in fields {
                    if !columns.contains(&field.column()) {
                        bail!(
                            "`{table}` has no column `{}` (its model has: {})",
                            field.column(),
                            columns.join(", ")
                        );
                    }
                }
            }
            let views = fields.iter().map(removed_column_view).collect();
            if let Some(model) = app.models()?.get(&table) {
                let columns: Vec<String> = fields.iter().map(Field::column).collect();
                plan.next_steps.push(format!(
                    "then remove from the Model of src/models/{model}.rs: {}",
                    columns.join(", ")
                ));
            }
            ("migration/remove_columns.rs.jinja", names, views)
        }
        Intent::Other => {
            if !fields.is_empty() {
                bail!(
                    "fields go with a name that says what to do with them: create_TABLE, \
                     add_COLUMNS_to_TABLE or remove_COLUMNS_from_TABLE"
                );
            }
            let contents =
                templates.render("migration/empty.rs.jinja", context! { name, command })?;
            return add(app, plan, name, contents);
        }
    };
    let referenced_tables = referenced_tables(&table.plural, &views);
    let contents = templates.render(
        template,
        context! { table => Serde(table), fields => Serde(views), referenced_tables => Serde(referenced_tables), command },
    )?;
    add(app, plan, name, contents)
}

/// The views of the fields of a table about to be made, checking that what they reference exists.
/// `own_module` is the module of the table's own model (for a reference to its own table).
pub fn views_for_new_table(
    app: &App,
    table: &str,
    own_module: &str,
    fields: &[Field],
) -> Result<Vec<FieldView>> {
    let models = app.models()?;
    let tables = app.tables()?;
    let mut views: Vec<FieldView> = fields.iter().map(FieldView::of).collect();
    for view in &mut views {
        let Some(reference) = &mut view.references else {
            continue;
        };
        if reference.table == table {
            // Its own model: the module the caller names (`person` for `people`).
            own_module.clone_into(&mut reference.module);
            continue;
        }
        if !tables.contains(&reference.table) {
            bail!(
                "`{}` references the table `{}`, which does not exist",
                view.name,
                reference.table
            );
        }
        // The entity's relation names the referenced table's model, wherever it is.
        match models.get(&reference.table) {
            Some(module) => module.clone_into(&mut reference.module),
            None => bail!(
                "`{}` references `{}`, which has no model in src/models/ to relate to",
                view.name,
                reference.table
            ),
        }
    }
    let targets: Vec<String> = views
        .iter()
        .filter_map(|view| Some(view.references.as_ref()?.table.clone()))
        .collect();
    for view in &mut views {
        if let Some(reference) = &mut view.references {
            // A row's parent in its own table is not "the" related row of its kind (its children
            // are too): no `Related` for it.
            reference.only_one_to_its_table = reference.table != table
                && targets
                    .iter()
                    .filter(|target| **target == reference.table)
                    .count()
                    == 1;
        }
    }
    Ok(views)
}

/// A removed column as `down` adds it back: optional where no value could be made up for the
/// rows in the table.
fn removed_column_view(field: &Field) -> FieldView {
    let view = FieldView::of(field);
    if field.optional || view.default_for_existing_rows.is_some() {
        return view;
    }
    FieldView::of(&Field {
        optional: true,
        ..field.clone()
    })
}

fn existing_table(tables: &std::collections::BTreeSet<String>, table: &str) -> Result<Names> {
    let names = Names::of_table(table)?;
    if !tables.contains(table) {
        bail!(
            "there is no table `{table}` (the migrations make: {})",
            list(tables)
        );
    }
    Ok(names)
}

fn list(tables: &std::collections::BTreeSet<String>) -> String {
    tables.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The other tables `views` reference, once each: the migration declares their identifiers.
pub fn referenced_tables(own_table: &str, views: &[FieldView]) -> Vec<crate::fields::Reference> {
    let mut seen: Vec<crate::fields::Reference> = Vec::new();
    for reference in views.iter().filter_map(|view| view.references.as_ref()) {
        if reference.table != own_table && !seen.iter().any(|other| other.table == reference.table)
        {
            seen.push(reference.clone());
        }
    }
    seen
}

/// Plans the file `migration/src/m<timestamp>_<name>.rs` and its two lines in `lib.rs` (its
/// module, and its place at the end of the list); returns the migration's module name.
pub fn add(app: &App, plan: &mut Plan, name: &str, contents: String) -> Result<String> {
    let existing = app.migrations()?;
    if let Some(same) = existing
        .iter()
        .find(|module| module.ends_with(&format!("_{name}")))
    {
        bail!("a migration named {name} exists already ({same}): nothing was written");
    }
    const STAMP: &[FormatItem<'_>] =
        format_description!("[year][month][day]_[hour][minute][second]");
    let mut now = OffsetDateTime::now_utc();
    // Newest last, whatever the clock says: a migration runs after every one listed before it.
    let module = loop {
        let module = format!("m{}_{name}", now.format(STAMP)?);
        let stamp = &module[..16];
        if existing.iter().all(|other| other.as_str() < stamp) {
            break module;
        }
        now += time::Duration::SECOND;
        if now > OffsetDateTime::now_utc() + time::Duration::days(366 * 100) {
            bail!(
                "the migrations' timestamps are in the future: cannot place a new one after them"
            );
        }
    };
    plan.create(app, format!("migration/src/{module}.rs"), contents)?;
    plan.add_line(
        app,
        "migration/src/lib.rs",
        &format!("mod {module};"),
        |line| line.starts_with("mod m"),
        "found no `mod m…;` line to add the new migration's module after",
    )?;
    plan.add_line(
        app,
        "migration/src/lib.rs",
        &format!("Box::new({module}::Migration),"),
        |line| line.starts_with("Box::new(m") && line.ends_with("::Migration),"),
        "found no `Box::new(m….Migration),` line in `migrations()` to add the new one after",
    )?;
    plan.next_steps
        .insert(0, "next: just migrate up".to_owned());
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_says_what_the_migration_does() {
        assert_eq!(
            Intent::of("create_blog_posts"),
            Intent::Create {
                table: "blog_posts".into()
            }
        );
        assert_eq!(
            Intent::of("add_published_at_to_blog_posts"),
            Intent::AddTo {
                table: "blog_posts".into()
            }
        );
        assert_eq!(
            Intent::of("remove_isbn_from_books"),
            Intent::RemoveFrom {
                table: "books".into()
            }
        );
        assert_eq!(Intent::of("backfill_slugs"), Intent::Other);
        assert_eq!(Intent::of("add_index"), Intent::Other);
    }
}
