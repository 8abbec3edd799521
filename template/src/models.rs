//! The app's data: one sea-orm entity per table, with the queries that belong to it.
//!
//! Each module holds the entity (`Model` for a row, `Entity` for the table, `ActiveModel` for
//! changes) and plain functions over it. The tables themselves are created by the migrations in
//! `migration/src/`. `just g model NAME FIELD…` writes both, and adds its module here.
{%- if auth %}

{% if uploads -%}
pub mod file;
{% endif -%}
{% if oauth -%}
pub mod identity;
{% endif -%}
pub mod passkey;
pub mod recovery_code;
pub mod totp_secret;
pub mod user;
pub mod user_token;
{%- endif %}
