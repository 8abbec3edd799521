//! `just g email NAME`: an email (`src/mail/emails/NAME.rs`, HTML and text), listed in
//! `src/mail/emails.rs`, and a test that sends it to the tests' SMTP server.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};

use crate::{app::App, names::Names, plan::Plan, templates::Templates, text::alphabetical_place};

pub fn plan(app: &App, templates: &Templates, plan: &mut Plan, name: &str) -> Result<()> {
    let names = Names::of_name(name)?;
    if name == "layout" {
        bail!("`layout` is the emails' shared layout: choose another name");
    }
    let path = format!("src/mail/emails/{name}.rs");
    if app.exists(&path) {
        bail!("{path} exists already: nothing was written");
    }
    let contents = templates.render("email/email.rs.jinja", context! { names => Serde(&names) })?;
    plan.create(app, path, contents)?;
    let module = format!("pub mod {name};");
    plan.insert_line(app, "src/mail/emails.rs", &module, |lines| {
        alphabetical_place(lines, &module, "pub mod ")
    })?;
    let test = templates.render("email/test.rs.jinja", context! { names => Serde(&names) })?;
    let test_module = format!("mail_{name}");
    plan.create(app, format!("tests/app/{test_module}.rs"), test)?;
    let line = format!("mod {test_module};");
    plan.insert_line(app, "tests/app/main.rs", &line, |lines| {
        alphabetical_place(lines, &line, "mod ")
    })?;
    Ok(())
}
