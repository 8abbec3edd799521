//! The app's emails, one module each: a struct with what the email says, and its [`Email`]
//! implementation (subject, HTML through [`layout::EmailLayout`], plain text).
//!
//! [`Email`]: crate::mail::Email

pub mod account_exists;
pub mod layout;
pub mod reset_password;
pub mod verify_email;

pub use self::{
    account_exists::AccountExists, reset_password::ResetPassword, verify_email::VerifyEmail,
};
