//! `just g KIND …`: writes code into this app from the templates in `generate/templates/`.
//!
//! Every generator first plans what it will write and checks everything it can (names, fields,
//! tables, files that exist already), then writes it all, formats it with rustfmt, or writes
//! nothing. `--dry-run` prints the plan instead.

mod app;
mod email;
mod fields;
mod migration;
mod model;
mod names;
mod page;
mod plan;
mod scaffold;
mod task;
mod templates;
mod text;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::{app::App, names::Names, plan::Plan, templates::Templates};

#[derive(Debug, Parser)]
#[command(
    name = "just g",
    bin_name = "just g",
    about = "Write code into this app: just g KIND NAME [FIELD…]",
    after_help = format!(
        "A FIELD is name:type, name:type? (may be empty) or name:type:unique.\nTypes: {}",
        fields::TYPES
    ),
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    kind: Option<Kind>,
}

#[derive(Debug, Subcommand)]
enum Kind {
    /// A whole resource: its table, model, pages (list, show, new, edit, delete) and tests:
    /// just g scaffold book title:string pages:int?
    Scaffold {
        /// One row's name, singular snake_case: `book`, `blog_post`
        name: String,
        fields: Vec<String>,
        /// Each row belongs to the signed-in user who made it; no one else sees it
        #[arg(long)]
        owned: bool,
        /// Link the list from the main navigation
        #[arg(long)]
        nav: bool,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A table and its sea-orm model: just g model book title:string pages:int?
    Model {
        /// One row's name, singular snake_case: `book`, `blog_post`
        name: String,
        fields: Vec<String>,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A migration: create_TABLE, add_COLUMNS_to_TABLE or remove_COLUMNS_from_TABLE with fields,
    /// or any other name for an empty one
    Migration {
        /// What it does, snake_case: `create_books`, `add_isbn_to_books`
        name: String,
        fields: Vec<String>,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A page at /NAME, with its path, handler, view and test: just g page pricing
    Page {
        /// What it shows, snake_case: `pricing`
        name: String,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A task for the queue, registered, with a test that runs it: just g task resize_image
    Task {
        /// What it does, snake_case: `resize_image`
        name: String,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// An email (HTML and text), with a test that sends it: just g email order_shipped
    Email {
        /// What it is about, snake_case: `order_shipped`
        name: String,
        /// Print what would be written, and write nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(kind) = cli.kind else {
        // `just g` alone: the kinds, one line each.
        let _ = <Cli as clap::CommandFactory>::command().print_help();
        return ExitCode::SUCCESS;
    };
    match run(kind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("just g: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(kind: Kind) -> Result<()> {
    let app = App::at(&std::env::current_dir()?)?;
    let templates = Templates::of(&app)?;
    // Named in the files it writes, so a reader knows where they came from.
    let command = match kind {
        Kind::Scaffold { .. } => "just g scaffold",
        Kind::Model { .. } => "just g model",
        Kind::Migration { .. } => "just g migration",
        Kind::Page { .. } => "just g page",
        Kind::Task { .. } => "just g task",
        Kind::Email { .. } => "just g email",
    };
    let mut plan = Plan::default();
    let dry_run = match kind {
        Kind::Scaffold {
            name,
            fields,
            owned,
            nav,
            dry_run,
        } => {
            let names = Names::of_resource(&name)?;
            let fields = fields::parse_all(&fields)?;
            let options = scaffold::Options { owned, nav };
            scaffold::plan(&app, &templates, &mut plan, &names, &fields, &options)?;
            dry_run
        }
        Kind::Model {
            name,
            fields,
            dry_run,
        } => {
            let names = Names::of_resource(&name)?;
            let fields = fields::parse_all(&fields)?;
            model::plan(&app, &templates, &mut plan, &names, &fields, command)?;
            dry_run
        }
        Kind::Migration {
            name,
            fields,
            dry_run,
        } => {
            let fields = fields::parse_all(&fields)?;
            migration::plan(&app, &templates, &mut plan, &name, &fields, command)?;
            dry_run
        }
        Kind::Page { name, dry_run } => {
            page::plan(&app, &templates, &mut plan, &name)?;
            dry_run
        }
        Kind::Task { name, dry_run } => {
            task::plan(&app, &templates, &mut plan, &name)?;
            dry_run
        }
        Kind::Email { name, dry_run } => {
            email::plan(&app, &templates, &mut plan, &name)?;
            dry_run
        }
    };
    if dry_run {
        plan.print_dry_run();
        Ok(())
    } else {
        plan.apply(&app)
    }
}
