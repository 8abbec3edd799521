//! `just g task NAME`: a task type for the queue (`src/tasks/NAME.rs`), registered in
//! `src/tasks.rs`, and a test that runs it from the queue.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};

use crate::{app::App, names::Names, plan::Plan, templates::Templates};

pub fn plan(app: &App, templates: &Templates, plan: &mut Plan, name: &str) -> Result<()> {
    if !app.exists("src/tasks.rs") {
        bail!("this app has no task queue (it was generated with tasks=false)");
    }
    let names = Names::of_name(
        name,
        &["Task", "AppState", "Serialize", "Deserialize", "TestApp"],
    )?;
    let path = format!("src/tasks/{name}.rs");
    if app.exists(&path) {
        bail!("{path} exists already: nothing was written");
    }
    let kind = format!("KIND: &'static str = \"{name}\"");
    for file in app.rust_files(&["src/tasks"])? {
        if std::fs::read_to_string(&file)?.contains(&kind) {
            bail!(
                "a task of kind `{name}` exists already ({}): nothing was written",
                file.display()
            );
        }
    }
    let contents = templates.render("task/task.rs.jinja", context! { names => Serde(&names) })?;
    plan.create(app, path, contents)?;
    plan.declare_module(app, "src/tasks.rs", "pub mod ", name)?;
    plan.add_line(
        app,
        "src/tasks.rs",
        &format!(".task::<{name}::{}>()", names.pascal),
        |line| line.starts_with(".task::<"),
        "found no `.task::<…>()` line in `registry()` to add the new task after",
    )?;
    let test = templates.render("task/test.rs.jinja", context! { names => Serde(&names) })?;
    plan.create_test(app, &format!("tasks_{name}"), test)
}
