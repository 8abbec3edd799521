//! The templates of `generate/templates/`, read when a generator runs: edit them to change what
//! future generated code looks like.

use anyhow::{Context as _, Result};
use minijinja::{Environment, Value, path_loader, syntax::SyntaxConfig};

use crate::app::App;

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn of(app: &App) -> Result<Self> {
        let mut env = Environment::new();
        env.set_loader(path_loader(app.path("generate/templates")));
        // A line holding only a `{% … %}` tag leaves nothing behind, so templates can be laid
        // out like the code they write.
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .context("the templates' syntax")?,
        );
        // A misspelt name in a template is an error, not an empty string in the code.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        Ok(Self { env })
    }

    /// Renders `generate/templates/{name}` with `context`.
    pub fn render(&self, name: &str, context: Value) -> Result<String> {
        let template = self
            .env
            .get_template(name)
            .with_context(|| format!("loading generate/templates/{name}"))?;
        template
            .render(context)
            .with_context(|| format!("rendering generate/templates/{name}"))
    }
}
