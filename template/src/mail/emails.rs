//! The app's emails, one module each: a struct with what the email says, and its [`Email`]
//! implementation (subject, HTML through [`layout::EmailLayout`], plain text).
//!
//! [`Email`]: crate::mail::Email

{% if auth -%}
pub mod account_exists;
pub mod confirm_email_change;
{% endif -%}
pub mod contact_message;
{% if auth -%}
pub mod email_change_requested;
{% endif -%}
pub mod layout;
{% if auth -%}
pub mod reset_password;
pub mod security_notice;
pub mod sign_in_link;
{% endif -%}
pub mod test_message;
{% if auth -%}
pub mod verify_email;
{% endif %}
{% if auth -%}
pub use self::{
    account_exists::AccountExists, confirm_email_change::ConfirmEmailChange,
    contact_message::ContactMessage, email_change_requested::EmailChangeRequested,
    reset_password::ResetPassword, security_notice::SecurityNotice, sign_in_link::SignInLink,
    test_message::TestMessage, verify_email::VerifyEmail,
};
{%- else -%}
pub use self::{contact_message::ContactMessage, test_message::TestMessage};
{%- endif %}
