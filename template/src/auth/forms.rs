//! The account forms: what each one posts, and its rules (garde). A handler validates with
//! `form.validate_with(&app.config.auth)`; the errors go back into the form, next to each field.
//!
//! Passwords are `SecretString`s: they never appear in `Debug` output or logs, and a form that
//! is shown again never fills them back in.

use garde::rules::email::Email as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::AuthConfig;

/// Longest email address accepted (RFC 5321).
const EMAIL_MAX: usize = 254;

#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct RegisterForm {
    #[garde(custom(an_email_address))]
    pub email: String,
    #[garde(custom(strong_enough))]
    pub password: SecretString,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct SignInForm {
    #[garde(custom(an_email_address))]
    pub email: String,
    #[garde(custom(given))]
    pub password: SecretString,
    /// The checkbox sends "on" when ticked, nothing otherwise.
    #[garde(skip)]
    #[serde(default)]
    pub remember: Option<String>,
    /// Where to go afterwards: a path of this site (see [`safe_next`]).
    #[garde(skip)]
    #[serde(default)]
    pub next: Option<String>,
}

/// The button of an emailed sign-in link: nothing to check but the token, which the handler
/// redeems.
#[derive(Debug, Deserialize)]
pub struct OpenSignInLinkForm {
    pub token: String,
    /// The checkbox sends "on" when ticked, nothing otherwise.
    #[serde(default)]
    pub remember: Option<String>,
}

/// Confirms an address: the token from the link, and the password, so that only the person who
/// chose it can confirm (someone who registered with another person's address cannot).
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct VerifyEmailForm {
    #[garde(skip)]
    pub token: String,
    #[garde(custom(given))]
    pub password: SecretString,
}

/// One email address: asking for a reset link, or for a new verification link.
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct EmailForm {
    #[garde(custom(an_email_address))]
    pub email: String,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct ResetPasswordForm {
    #[garde(skip)]
    pub token: String,
    #[garde(custom(strong_enough))]
    pub password: SecretString,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct ChangePasswordForm {
    #[garde(custom(given))]
    pub current_password: SecretString,
    #[garde(custom(strong_enough))]
    pub new_password: SecretString,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct ChangeEmailForm {
    #[garde(custom(an_email_address))]
    pub email: String,
    #[garde(custom(given))]
    pub current_password: SecretString,
}

/// The second step of signing in: a code from the authenticator app, or a recovery code.
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct SecondStepForm {
    #[garde(custom(a_code))]
    #[serde(default)]
    pub code: String,
}

/// Turns two-factor on: the first code from the app, and the password.
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct EnableTwoFactorForm {
    #[garde(custom(a_code))]
    #[serde(default)]
    pub code: String,
    #[garde(custom(given))]
    pub current_password: SecretString,
}

/// Turns two-factor off, or makes new recovery codes: the password and a code (or a recovery
/// code), so that neither a stolen password nor a session left open is enough.
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct PasswordAndCodeForm {
    #[garde(custom(given))]
    pub current_password: SecretString,
    #[garde(custom(a_code))]
    #[serde(default)]
    pub code: String,
}

/// A new passkey: its name, the password, and the device's answer (`credential`, JSON, filled in
/// by `static/js/passkeys.js`; missing when the browser did not get that far).
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct AddPasskeyForm {
    #[garde(custom(a_passkey_name))]
    #[serde(default)]
    pub name: String,
    #[garde(custom(given))]
    pub current_password: SecretString,
    #[garde(skip)]
    #[serde(default)]
    pub credential: String,
}

/// Removing a passkey asks for the password.
#[derive(Debug, Deserialize, garde::Validate)]
#[garde(context(AuthConfig))]
pub struct PasswordForm {
    #[garde(custom(given))]
    pub current_password: SecretString,
}

/// A device's answer to a passkey challenge (signing in, or the second step).
#[derive(Debug, Deserialize)]
pub struct PasskeyAnswerForm {
    #[serde(default)]
    pub credential: String,
    /// Signing in: the "remember me" checkbox.
    #[serde(default)]
    pub remember: Option<String>,
    /// Signing in: where to go afterwards (see [`safe_next`]).
    #[serde(default)]
    pub next: Option<String>,
}

fn a_passkey_name(value: &str, _: &AuthConfig) -> garde::Result {
    let value = value.trim();
    if value.is_empty() {
        return Err(garde::Error::new(
            "Name it, so you can tell it from your other passkeys.",
        ));
    }
    if value.chars().count() > super::passkeys::NAME_MAX_CHARS
        || value.chars().any(char::is_control)
    {
        return Err(garde::Error::new(format!(
            "Use at most {} letters, digits or spaces.",
            super::passkeys::NAME_MAX_CHARS
        )));
    }
    Ok(())
}

/// Something shaped like a code: the check itself is `crate::auth::two_factor::check`.
fn a_code(value: &str, _: &AuthConfig) -> garde::Result {
    let value = value.trim();
    if value.is_empty() {
        return Err(garde::Error::new(
            "Enter the code from your authenticator app.",
        ));
    }
    // Longer than any code: refused before anything is looked up.
    if value.len() > 32 {
        return Err(garde::Error::new("This code is not right."));
    }
    Ok(())
}

fn an_email_address(value: &str, _: &AuthConfig) -> garde::Result {
    email_address(value).map(drop).map_err(garde::Error::new)
}

/// The rule for every email address an account is given, wherever it is written (the forms,
/// the admin area, `user create`): an address, as stored (trimmed, lower case), or what is
/// wrong with it.
pub fn email_address(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Enter your email address.");
    }
    if value.len() > EMAIL_MAX || value.validate_email().is_err() {
        return Err("Enter an email address like name@example.com.");
    }
    Ok(crate::models::user::normalize_email(value))
}

/// A new password's length rule, for the sign-up, reset and account forms and the admin area.
pub fn strong_enough(value: &SecretString, auth: &AuthConfig) -> garde::Result {
    let chars = value.expose_secret().chars().count();
    if chars < auth.password_min_chars {
        return Err(garde::Error::new(format!(
            "Use at least {} characters.",
            auth.password_min_chars
        )));
    }
    if chars > auth.password_max_chars {
        return Err(garde::Error::new(format!(
            "Use at most {} characters.",
            auth.password_max_chars
        )));
    }
    Ok(())
}

fn given(value: &SecretString, auth: &AuthConfig) -> garde::Result {
    if value.expose_secret().is_empty() {
        return Err(garde::Error::new("Enter your password."));
    }
    // Longer than any valid password: refused before it reaches the hasher.
    if value.expose_secret().chars().count() > auth.password_max_chars {
        return Err(garde::Error::new("This password is not right."));
    }
    Ok(())
}

/// A path of this site to go to after signing in, or `None` for anything else: no other site
/// (`https://evil.example`, `//evil.example`, `/\evil.example`) can use the sign-in form as a
/// springboard. Only printable ASCII, as the site's own URLs are: anything else could not go into
/// the `Location` header, and the sign-in would end on an error.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.bytes().all(|byte| byte.is_ascii_graphic());
    local.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use garde::Validate as _;

    use super::*;
    use crate::config::{Config, Environment};
    use crate::views::components::form::FormErrors;

    fn auth() -> AuthConfig {
        Config::load_for(Environment::Test, None)
            .expect("test config")
            .auth
    }

    #[test]
    fn registration_needs_an_address_and_a_long_enough_password() {
        let form = RegisterForm {
            email: "not-an-address".to_owned(),
            password: SecretString::from("short"),
        };

        let errors = FormErrors::from_report(&form.validate_with(&auth()).unwrap_err());

        assert_eq!(
            errors.get("email").as_deref(),
            Some("Enter an email address like name@example.com.")
        );
        assert_eq!(
            errors.get("password").as_deref(),
            Some("Use at least 12 characters.")
        );
    }

    #[test]
    fn passwords_are_counted_in_characters_up_to_the_maximum() {
        let auth = auth();
        let form = |password: String| RegisterForm {
            email: "ann@example.com".to_owned(),
            password: SecretString::from(password),
        };

        assert!(form("é".repeat(12)).validate_with(&auth).is_ok());
        assert!(form("a".repeat(128)).validate_with(&auth).is_ok());
        assert!(form("a".repeat(129)).validate_with(&auth).is_err());
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/account?tab=1")).as_deref(),
            Some("/account?tab=1")
        );
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
            "x",
            "/caf\u{e9}",
            "/a b",
            "/a\tb",
        ] {
            assert_eq!(safe_next(Some(hostile)), None, "{hostile}");
        }
        assert_eq!(safe_next(None), None);
    }
}
