//! The admin engine: what the admin area knows of a table, built from sea-orm's own metadata of
//! its entity, with no code to generate. The app registers its tables and draws the pages; this
//! crate knows nothing of the app but the [`Context`] it supplies.
//!
//! - [`Admin`] reads an entity's columns: each becomes a [`Field`] whose [`Widget`] follows its
//!   type (text, number, checkbox, date and time, JSON, a select for enums and for references
//!   to other tables), nullable or not, unique or not; overrides per field (a label, a rule, a
//!   widget, read-only, hidden, a timestamp), actions on a row and details of its page (lines
//!   the app computes) are added by the app;
//! - [`Resource`] is what the pages need of a table whatever its entity: count, list (a page,
//!   an order, a search, filters: [`ListQuery`]), find, save from a form, delete;
//! - [`Resources`] holds the registered tables;
//! - sensitive fields (password and token hashes) are never shown, and change only when a new
//!   value is entered; a [`Widget::Password`] is hashed by the app first
//!   ([`Context::hash_password`]).

mod field;
mod resource;

use std::{collections::BTreeMap, fmt, future::Future};

use sea_orm::{DatabaseConnection, DbErr};

pub use self::{
    field::{Field, Rule, Timestamp, Widget},
    resource::{
        Action, ActionFn, ActionFuture, Admin, Detail, DetailFn, ListQuery, Listing, MAX_PER_PAGE,
        MAX_SEARCH_CHARS, PER_PAGE, Resource, SaveError,
    },
};

/// What the admin engine needs of the app (its state): the database, and a way to hash a new
/// password entered in a form.
pub trait Context: Send + Sync + 'static {
    /// What the app's actions fail with; a database error becomes one.
    type Error: From<DbErr> + Send;

    fn db(&self) -> &DatabaseConnection;

    /// The stored hash of a new password, or what is wrong with it (too short, too long…).
    fn hash_password(
        &self,
        password: &str,
    ) -> impl Future<Output = Result<Result<String, String>, Self::Error>> + Send;
}

/// The registered tables, in the order the app lists them.
pub struct Resources<C: Context>(Vec<Box<dyn Resource<C>>>);

impl<C: Context> Resources<C> {
    pub fn new(resources: Vec<Box<dyn Resource<C>>>) -> Self {
        Self(resources)
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Resource<C>> {
        self.0.iter().map(AsRef::as_ref)
    }

    /// The table registered under `key` (the app's URLs use it: `/admin/users`).
    pub fn get(&self, key: &str) -> Option<&dyn Resource<C>> {
        self.iter().find(|resource| resource.key() == key)
    }

    /// The table named `table` (for the selects of references to it).
    pub fn for_table(&self, table: &str) -> Option<&dyn Resource<C>> {
        self.iter().find(|resource| resource.table() == table)
    }
}

/// What a form did wrong: one message by field name (`""` for the form as a whole).
pub type FieldErrors = BTreeMap<String, String>;

/// A list's query that makes no sense (a page that is not a number, a sort by a column the list
/// lacks…): the message says which, for a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuery(pub String);

impl fmt::Display for BadQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadQuery {}
