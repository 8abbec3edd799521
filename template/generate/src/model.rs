//! `just g model NAME FIELD…`: the table's migration, its sea-orm entity in `src/models/`, and the
//! entity's line in `src/models.rs`.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};

use crate::{
    app::App,
    fields::{Field, FieldView, Type},
    migration,
    names::Names,
    plan::Plan,
    templates::Templates,
};

/// Plans the model `names` with `fields`.
pub fn plan(
    app: &App,
    templates: &Templates,
    plan: &mut Plan,
    names: &Names,
    fields: &[Field],
    command: &str,
) -> Result<()> {
    if app.tables()?.contains(&names.plural) {
        bail!(
            "the table `{}` exists already: nothing was written",
            names.plural
        );
    }
    let path = format!("src/models/{}.rs", names.singular);
    if app.exists(&path) {
        bail!("{path} exists already: nothing was written");
    }
    let mut views = migration::views_for_new_table(app, &names.plural, &names.singular, fields)?;
    for view in &mut views {
        view.sample = sample(app, names, view)?;
    }
    let referenced_tables = migration::referenced_tables(&names.plural, &views);
    let migration_name = format!("create_{}", names.plural);
    let contents = templates.render(
        "migration/create_table.rs.jinja",
        context! { table => Serde(names), fields => Serde(&views), referenced_tables => Serde(referenced_tables), command },
    )?;
    let migration = migration::add(app, plan, &migration_name, contents)?;

    let uses_float = fields.iter().any(|field| field.ty == Type::Float);
    let uses_date = fields.iter().any(|field| field.ty == Type::Date);
    let entity = templates.render(
        "model/entity.rs.jinja",
        context! { table => Serde(names), fields => Serde(&views), migration, uses_float, uses_date, command },
    )?;
    plan.create(app, path, entity)?;
    plan.declare_module(app, "src/models.rs", "pub mod ", &names.singular)?;

    // What the test's samples need imported: sea-orm's re-exports, and time's for dates.
    let prelude: Vec<&str> = [(Type::Decimal, "Decimal"), (Type::Uuid, "Uuid")]
        .into_iter()
        .filter(|(ty, _)| fields.iter().any(|field| field.ty == *ty))
        .map(|(_, name)| name)
        .collect();
    let prelude = match prelude.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        many => format!("{{{}}}", many.join(", ")),
    };
    let uses = context! {
        counter => views.iter().any(|view| uses_counter(names, view)),
        prelude,
        datetime => fields.iter().any(|field| matches!(field.ty, Type::Date | Type::DateTime)),
    };
    let test = templates.render(
        "model/test.rs.jinja",
        context! { table => Serde(names), fields => Serde(&views), uses },
    )?;
    // `models_…`, as the other generated tests are named by kind: a model called `page` or
    // `error` would otherwise meet a module of the app's own tests.
    plan.create_test(app, &format!("models_{}", names.singular), test)?;
    Ok(())
}

/// The value a test gives `view`'s field: its type's sample, in `Some` when optional, and for a
/// reference the id of a row made for it.
fn sample(app: &App, names: &Names, view: &FieldView) -> Result<String> {
    let value = match &view.references {
        None if view.enum_type.is_some() => format!("{}::{}", names.singular, view.sample),
        None => view.sample.clone(),
        Some(reference) if reference.table == names.plural => {
            if !view.optional {
                bail!(
                    "`{}`: a required reference to its own table leaves no way to make the first \
                     row; make it optional (`{}:references:{}?`)",
                    view.name,
                    view.name,
                    names.plural
                );
            }
            return Ok("None".to_owned());
        }
        Some(reference) if reference.table == "users" => format!(
            // The model's name too: samples of two models may each make a user.
            "app.create_user(&format!(\"{}-{}-{{n}}@example.com\"), \"correct horse battery staple\", false).await.id",
            names.kebab,
            view.name.replace('_', "-")
        ),
        Some(reference) => {
            let test = format!("tests/app/models_{}.rs", reference.module);
            if !app
                .read(&test)
                .is_ok_and(|source| source.contains("pub async fn sample("))
            {
                bail!(
                    "`{}` references `{}`, whose tests have no `sample` to make a row with: \
                     reference `users` or a table written by `just g model`",
                    view.name,
                    reference.table
                );
            }
            format!("crate::models_{}::sample(app).await.id", reference.module)
        }
    };
    Ok(if view.optional {
        format!("Some({value})")
    } else {
        value
    })
}

/// Whether `view`'s sample depends on the test's counter `n`.
fn uses_counter(names: &Names, view: &FieldView) -> bool {
    match &view.references {
        Some(reference) => reference.table == "users" && reference.table != names.plural,
        None => !matches!(view.kind.as_str(), "bool" | "enum"),
    }
}
