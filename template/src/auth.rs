//! Accounts: registration, sign-in and sign-out, email verification, password reset, two-factor
//! sign-in, passkeys, and the guards that protect pages. The pages are in `crate::routes::auth`,
//! `crate::routes::two_factor` and `crate::routes::account`;
//! their rate limits in `crate::rate_limit`.
//!
//! - [`password`]: argon2id hashing on the blocking pool, a few at a time.
//! - [`tokens`]: the one-time links sent by email: random, stored hashed, short-lived.
//! - [`session`]: who is signed in, checked against the database on every request.
//! - [`two_factor`]: codes from an authenticator app, and recovery codes, as a second step.
//! - [`passkeys`]: WebAuthn keys of the user's devices: sign-in without a password, or the
//!   second step.
{%- if oauth %}
//! - [`oauth`]: signing in with another provider (Google, GitLab… by OpenID Connect).
{%- endif %}
//! - [`guards`]: `RequireUser`, `RequireAdmin`, `RequireGuest` for handlers.
//! - [`forms`]: the forms of these pages, with their validation rules.

pub mod forms;
pub mod guards;
{% if oauth -%}
pub mod oauth;
{% endif -%}
pub mod passkeys;
pub mod password;
pub mod session;
mod settings;
pub mod tokens;
pub mod two_factor;

pub use self::settings::AuthConfig;
