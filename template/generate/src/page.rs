//! `just g page NAME`: a page at `/NAME` (dashes for underscores) with its path
//! (`src/paths/NAME.rs`), its handler (`src/routes/NAME.rs`, mounted with the other pages), its
//! view (`src/views/pages/NAME.rs`) and a test.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};

use crate::{app::App, names::Names, plan::Plan, templates::Templates};

pub fn plan(app: &App, templates: &Templates, plan: &mut Plan, name: &str) -> Result<()> {
    let names = Names::of_name(name, &["Page", "Routes", "Response", "AppState", "TestApp"])?;
    let url = format!("/{}", names.kebab);
    for taken in ["/static", "/dev"] {
        if url == taken {
            bail!("{url} is the app's own (static files, development tools): choose another name");
        }
    }
    check_url_is_free(app, &url)?;
    let context = context! { names => Serde(&names) };
    plan_files(app, templates, plan, "page", name, &context)?;
    plan.next_steps.push(format!(
        "the page is at {url}; link to it with paths::{name}::{}",
        names.pascal
    ));
    Ok(())
}

/// Refuses `url` when a path of the app has it already.
pub fn check_url_is_free(app: &App, url: &str) -> Result<()> {
    let typed_path = format!("#[typed_path(\"{url}\")]");
    for file in app
        .rust_files(&["src/paths"])?
        .into_iter()
        .chain([app.path("src/paths.rs")])
    {
        if std::fs::read_to_string(&file)?.contains(&typed_path) {
            bail!(
                "{url} is a page of the app already ({}): nothing was written",
                file.display()
            );
        }
    }
    Ok(())
}

/// Plans the files of a page (or a scaffold's pages), from the templates of `kind`: the path,
/// the handler and the view of `module`, each declared in its list; a test, `pages_{module}`;
/// and the handler's routes among the pages'.
pub fn plan_files(
    app: &App,
    templates: &Templates,
    plan: &mut Plan,
    kind: &str,
    module: &str,
    context: &minijinja::Value,
) -> Result<()> {
    for (template, folder, list) in [
        ("path", "src/paths", "src/paths.rs"),
        ("routes", "src/routes", "src/routes.rs"),
        ("view", "src/views/pages", "src/views/pages.rs"),
    ] {
        let contents = templates.render(&format!("{kind}/{template}.rs.jinja"), context.clone())?;
        plan.create(app, format!("{folder}/{module}.rs"), contents)?;
        plan.declare_module(app, list, "pub mod ", module)?;
    }
    let test = templates.render(&format!("{kind}/test.rs.jinja"), context.clone())?;
    plan.create_test(app, &format!("pages_{module}"), test)?;
    plan.insert_line(
        app,
        "src/routes.rs",
        &format!(".merge({module}::routes())"),
        after_the_last_page,
    )
}

/// In `src/routes.rs`, the place after the last `.merge(…)` of `pages_routes()`.
pub fn after_the_last_page(lines: &[&str]) -> Option<usize> {
    let start = lines
        .iter()
        .position(|line| line.starts_with("fn pages_routes()"))?;
    let end = start + lines[start..].iter().position(|line| *line == "}")?;
    let last = (start..end)
        .rev()
        .find(|at| lines[*at].trim_start().starts_with(".merge("))?;
    Some(last + 1)
}
