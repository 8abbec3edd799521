//! The admin area (`/admin`, administrators only): a dashboard, and pages to list, search, sort,
//! filter, show, create, edit and delete the rows of every registered table. The engine that
//! reads each table's sea-orm metadata is the `tenshu-admin` crate (`crates/admin`); here are the
//! app's tables, one line each plus optional overrides per field, and its own details and actions
//! (`users`: whether two-factor sign-in is on{% if oauth %}, the providers connected{% endif %}; mark verified, make or unmake an administrator,
//! sign out everywhere, reset two-factor sign-in, disable and enable).
//!
//! The pages are `crate::routes::admin`{% if tasks %}, and the task monitor `crate::routes::task_monitor`{% endif %}.

{% if oauth -%}
mod connections;
{% endif -%}
mod users;

use std::sync::LazyLock;

use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tenshu_admin::{Admin, Resource, Resources, Timestamp, Widget};

use crate::{
    app::AppState,
    auth::forms::{email_address, strong_enough},
    error::AppError,
    models::user,
};

/// A table of the app in the admin area.
type Table<E> = Admin<AppState, E>;

/// Every table of the admin area, in the sidebar's order. To add one, add a line:
///
/// ```ignore
/// Box::new(Table::<post::Entity>::new("posts", "Posts").title(post::Column::Title)),
/// ```
fn resources() -> Vec<Box<dyn Resource<AppState>>> {
    vec![
        // One line per table.
        Box::new(accounts()),
    ]
}

/// The users, with what an administrator does to accounts besides editing them.
fn accounts() -> Table<user::Entity> {
    Table::new("users", "Users")
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
        .detail("Two-factor sign-in", users::two_factor_status)
{%- if oauth %}
        .detail("Connected accounts", connections::connected_accounts)
{%- endif %}
        .action("verify", "Mark the email verified", users::verify)
        .action("grant-admin", "Make administrator", users::grant_admin)
        .action("revoke-admin", "Remove administrator", users::revoke_admin)
        .action(
            "sign-out",
            "Sign out everywhere",
            users::sign_out_everywhere,
        )
        .action(
            "reset-two-factor",
            "Reset two-factor sign-in",
            users::reset_two_factor,
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
pub fn registry() -> &'static Resources<AppState> {
    static RESOURCES: LazyLock<Resources<AppState>> = LazyLock::new(|| Resources::new(resources()));
    &RESOURCES
}

/// The engine works on the app's database, and hashes a password entered in a form as sign-up
/// does, after the same rule.
impl tenshu_admin::Context for AppState {
    type Error = AppError;

    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    async fn hash_password(&self, password: &str) -> Result<Result<String, String>, AppError> {
        let password = SecretString::from(password);
        if let Err(error) = strong_enough(&password, &self.config.auth) {
            return Ok(Err(error.message().to_owned()));
        }
        Ok(Ok(self.passwords.hash(&password).await?))
    }
}
