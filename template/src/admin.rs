//! The admin area (`/admin`, administrators only): a dashboard, and pages to list, search, sort,
//! filter, show, create, edit and delete the rows of every registered table, built from
//! sea-orm's own metadata of its entity, with no code to generate.
//!
//! - [`resources`] registers the tables, one line each plus optional overrides per field;
//! - [`Admin`] reads an entity's columns: each becomes a [`Field`] whose [`Widget`] follows its
//!   type (text, number, checkbox, date and time, JSON, a select for enums and for references
//!   to other tables), nullable or not, unique or not;
//! - sensitive fields (password and token hashes) are never shown, and change only when a new
//!   value is entered; a [`Widget::Password`] is hashed first;
//! - actions do what editing cannot (`users`: mark verified, make or unmake an administrator,
//!   sign out everywhere, disable and enable).
//!
//! The pages are `crate::routes::admin`{% if tasks %}, and the task monitor `crate::routes::task_monitor`{% endif %}.

mod field;
mod resource;
mod users;

use std::sync::LazyLock;

pub use self::{
    field::{Field, Rule, Timestamp, Widget},
    resource::{
        Action, ActionFn, ActionFuture, Admin, ListQuery, Listing, MAX_PER_PAGE, MAX_SEARCH_CHARS,
        PER_PAGE, Resource, SaveError,
    },
};
use crate::{auth::forms::email_address, models::user};

/// Every table of the admin area, in the sidebar's order. To add one, add a line:
///
/// ```ignore
/// Box::new(Admin::<post::Entity>::new("posts", "Posts").title(post::Column::Title)),
/// ```
fn resources() -> Vec<Box<dyn Resource>> {
    vec![
        // One line per table.
        Box::new(accounts()),
    ]
}

/// The users, with what an administrator does to accounts besides editing them.
fn accounts() -> Admin<user::Entity> {
    Admin::<user::Entity>::new("users", "Users")
        .title(user::Column::Email)
        // Checked and lower-cased as registration does: `Ann@X.com` beside `ann@x.com` would be
        // an account no one can sign in to.
        .rule(user::Column::Email, email_address)
        .widget(user::Column::PasswordHash, Widget::Password)
        .label(user::Column::PasswordHash, "Password")
        .label(user::Column::IsAdmin, "Administrator")
        // Changed only through the actions below, which keep an administrator from demoting or
        // disabling themselves.
        .read_only(user::Column::IsAdmin)
        .read_only(user::Column::DisabledAt)
        .label(user::Column::EmailVerifiedAt, "Email verified at (UTC)")
        .label(user::Column::DisabledAt, "Disabled at (UTC)")
        .timestamp(user::Column::CreatedAt, Timestamp::OnCreate)
        .timestamp(user::Column::UpdatedAt, Timestamp::OnUpdate)
        .action("verify", "Mark the email verified", users::verify)
        .action("grant-admin", "Make administrator", users::grant_admin)
        .action("revoke-admin", "Remove administrator", users::revoke_admin)
        .action(
            "sign-out",
            "Sign out everywhere",
            users::sign_out_everywhere,
        )
        .action("disable", "Disable", users::disable)
        .action("enable", "Enable", users::enable)
}

/// The admin area's pages besides the tables, for the sidebar: (label, URL).
pub fn pages() -> Vec<(&'static str, String)> {
{%- if tasks %}
    vec![("Tasks", crate::paths::AdminTasks.to_string())]
{%- else %}
    Vec::new()
{%- endif %}
}

/// The registered tables, built once.
pub fn registry() -> &'static [Box<dyn Resource>] {
    static RESOURCES: LazyLock<Vec<Box<dyn Resource>>> = LazyLock::new(resources);
    &RESOURCES
}

/// The registered table at `/admin/{key}`.
pub fn resource(key: &str) -> Option<&'static dyn Resource> {
    registry()
        .iter()
        .find(|resource| resource.key() == key)
        .map(AsRef::as_ref)
}

/// The registered table named `table`, if any (for the selects of references to it).
pub fn resource_for_table(table: &str) -> Option<&'static dyn Resource> {
    registry()
        .iter()
        .find(|resource| resource.table() == table)
        .map(AsRef::as_ref)
}
