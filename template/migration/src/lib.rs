//! Versioned database migrations, applied in the order listed in [`Migrator::migrations`].
//!
//! - Add one with `just g migration create_posts title:string` (or `just g model post …`, which
//!   writes the model too): it writes `src/m<timestamp>_create_posts.rs` and registers it below,
//!   after the last `mod m…;` line and the last `Box::new(m…::Migration),` line.
//! - Never edit a migration that has run anywhere but your machine; write a new one.
//! - Write both `up` and `down`, and use the schema builder rather than raw SQL, so the same
//!   migration runs on SQLite and on Postgres.
//!
//! The app applies them with `<app> migrate up` (and by itself at start in development).

use sea_orm_migration::MigrationTrait;
pub use sea_orm_migration::{MigrationStatus, MigratorTrait};

mod m20260101_000001_create_sessions;
{%- if auth %}
mod m20260201_000001_create_users;
{%- endif %}
{%- if tasks %}
mod m20260301_000001_create_tasks;
{%- endif %}
{%- if uploads %}
mod m20260401_000001_create_files;
{%- endif %}
{%- if auth %}
mod m20261203_000001_create_two_factor;
mod m20261204_000001_create_passkeys;
{%- endif %}
{%- if oauth %}
mod m20261205_000001_create_identities;
{%- endif %}

/// The app's migrations, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_sessions::Migration),
{%- if auth %}
            Box::new(m20260201_000001_create_users::Migration),
{%- endif %}
{%- if tasks %}
            Box::new(m20260301_000001_create_tasks::Migration),
{%- endif %}
{%- if uploads %}
            Box::new(m20260401_000001_create_files::Migration),
{%- endif %}
{%- if auth %}
            Box::new(m20261203_000001_create_two_factor::Migration),
            Box::new(m20261204_000001_create_passkeys::Migration),
{%- endif %}
{%- if oauth %}
            Box::new(m20261205_000001_create_identities::Migration),
{%- endif %}
            // `just g migration` and `just g model` add theirs above this line.
        ]
    }
}
