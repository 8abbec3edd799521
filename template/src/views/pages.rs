//! One module per page. Each page is a component; its handler in [`crate::routes`] loads the data
//! and renders it inside [`crate::views::layout::Layout`].

pub mod about;
{% if admin -%}
pub mod admin;
{% endif -%}
{% if auth -%}
pub mod account;
pub mod auth;
{% endif -%}
pub mod contact;
pub mod dev_mail;
pub mod error;
{% if uploads -%}
pub mod files;
{% endif -%}
pub mod home;
{% if oauth -%}
pub mod oauth;
{% endif -%}
{% if admin and tasks -%}
pub mod task_monitor;
{% endif -%}
{% if auth -%}
pub mod two_factor;
pub mod passkeys;
{% endif -%}
