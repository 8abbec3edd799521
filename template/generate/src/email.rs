//! `just g email NAME`: an email (`src/mail/emails/NAME.rs`, HTML and text), listed in
//! `src/mail/emails.rs`, and a test that sends it to the tests' SMTP server.

use anyhow::{Result, bail};
use minijinja::{context, value::Serde};

use crate::{app::App, names::Names, plan::Plan, templates::Templates};

pub fn plan(app: &App, templates: &Templates, plan: &mut Plan, name: &str) -> Result<()> {
    let names = Names::of_name(name, &["Email", "EmailLayout", "EmailButton", "TestApp"])?;
    if name == "layout" {
        bail!("`layout` is the emails' shared layout: choose another name");
    }
    let path = format!("src/mail/emails/{name}.rs");
    if app.exists(&path) {
        bail!("{path} exists already: nothing was written");
    }
    let contents = templates.render("email/email.rs.jinja", context! { names => Serde(&names) })?;
    plan.create(app, path, contents)?;
    plan.declare_module(app, "src/mail/emails.rs", "pub mod ", name)?;
    let test = templates.render("email/test.rs.jinja", context! { names => Serde(&names) })?;
    plan.create_test(app, &format!("mail_{name}"), test)
}
