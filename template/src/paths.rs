//! Every URL of the app, one type each: the map of the site.
//!
//! A handler takes its path type as its first argument, which is how the router knows where to
//! mount it (`Routes::get` in [`crate::routes`]); views and redirects build links with
//! `paths::About.to_string()`. Renaming a URL is a one-line change here, and a link to a path that
//! no longer exists does not compile.
//!
//! A path with parameters is a struct with fields:
//!
//! ```ignore
//! #[derive(TypedPath, Deserialize)]
//! #[typed_path("/posts/{id}")]
//! pub struct Post { pub id: i64 }
//!
//! // Post { id: 7 }.to_string() == "/posts/7"
//! ```

use axum_extra::routing::TypedPath;

/// Where [`crate::assets`] serves the files of `static/`.
pub const STATIC_PREFIX: &str = "/static";

// The paths of the pages `just g page` writes, a module each below (`paths::pricing::Pricing`).

// Pages
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/")]
pub struct Home;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/about")]
pub struct About;

/// The contact form (`crate::routes::contact`).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/contact")]
pub struct Contact;
{% if auth %}
// Accounts (`crate::routes::auth`, `crate::routes::account`). Tokens from emails travel in the
// query string (`?token=…`), which the request logs leave out.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/register")]
pub struct Register;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login")]
pub struct SignIn;

impl SignIn {
    /// The sign-in form, which sends the user on to `next` (a path of this site) afterwards.
    pub fn with_next(next: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        format!("{SignIn}?{query}")
    }
}

/// "Email me a sign-in link": the form asking for one.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/link")]
pub struct SignInLink;

/// The link in the sign-in email (`?token=…`): a button that signs in.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/link/open")]
pub struct OpenSignInLink;

/// The second step of signing in, with two-factor on: a code from the app or a recovery code.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/two-factor")]
pub struct SignInTwoFactor;

/// Signing in with a passkey (POST: the device's answer); `/challenge` gives the challenge (JSON).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/passkey")]
pub struct SignInPasskey;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/passkey/challenge")]
pub struct SignInPasskeyChallenge;

/// The second step passed with a passkey (POST), and its challenge (JSON).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/two-factor/passkey")]
pub struct SignInTwoFactorPasskey;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/login/two-factor/passkey/challenge")]
pub struct SignInTwoFactorPasskeyChallenge;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/logout")]
pub struct SignOut;

/// The link in the verification email (`?token=…`).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/verify-email")]
pub struct VerifyEmail;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/resend-verification")]
pub struct ResendVerification;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/forgot-password")]
pub struct ForgotPassword;

/// The link in the password reset email (`?token=…`).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/reset-password")]
pub struct ResetPassword;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account")]
pub struct Account;

#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/password")]
pub struct AccountPassword;

/// Asks for a new address (POST): a link goes there.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/email")]
pub struct AccountEmail;

/// The link sent to a new address (`?token=…`): confirming makes it the account's.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/email/confirm")]
pub struct AccountEmailConfirm;

/// Two-factor sign-in (`crate::routes::two_factor`): set up and turn on (GET, POST), or manage.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/two-factor")]
pub struct AccountTwoFactor;

/// Turns two-factor off (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/two-factor/disable")]
pub struct AccountTwoFactorDisable;

/// The account's passkeys (`crate::routes::passkeys`): the list, and adding one (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/passkeys")]
pub struct AccountPasskeys;

/// The challenge for a new passkey (POST, JSON).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/passkeys/challenge")]
pub struct AccountPasskeyChallenge;

/// New recovery codes for an account whose two-factor is passkeys only (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/passkeys/recovery-codes")]
pub struct AccountPasskeyRecoveryCodes;

/// Removes one of the account's passkeys (POST).
#[derive(Debug, Clone, Copy, TypedPath, serde::Deserialize)]
#[typed_path("/account/passkeys/{id}/remove")]
pub struct AccountPasskeyRemove {
    pub id: i64,
}

/// Replaces the recovery codes (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/two-factor/recovery-codes")]
pub struct AccountRecoveryCodes;
{% endif %}
{%- if oauth %}
// Other providers (`crate::routes::oauth`): `provider` is a name of `[oauth.providers]`.

/// Sends the visitor to the provider to sign in (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/login/oauth/{provider}")]
pub struct SignInWith {
    pub provider: String,
}

/// Where the provider sends the visitor back: the redirect URI registered with it.
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/login/oauth/{provider}/callback")]
pub struct OAuthCallback {
    pub provider: String,
}

/// The account's connected providers.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/connections")]
pub struct AccountConnections;

/// Sends the signed-in user to the provider to connect it (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/account/connections/{provider}")]
pub struct AccountConnect {
    pub provider: String,
}

/// Emails a link to set a password, for an account a provider opened (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/account/connections/password")]
pub struct AccountPasswordLink;

/// Disconnects one of the account's providers (POST).
#[derive(Debug, Clone, Copy, TypedPath, serde::Deserialize)]
#[typed_path("/account/connections/{id}/remove")]
pub struct AccountDisconnect {
    pub id: i64,
}
{% endif %}
{%- if admin %}
// The admin area (`crate::routes::admin`), for administrators only. `resource` is a key of
// `crate::admin::resources` (`users`), `id` a row's primary key.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/admin")]
pub struct AdminDashboard;

/// Empties the cache (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/admin/cache/flush")]
pub struct AdminFlushCache;

/// A table's rows (GET), and a new row (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}")]
pub struct AdminList {
    pub resource: String,
}

/// The form for a new row.
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}/new")]
pub struct AdminNew {
    pub resource: String,
}

/// One row (GET), and its changes (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}/{id}")]
pub struct AdminRow {
    pub resource: String,
    pub id: i64,
}

/// The form for changing a row.
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}/{id}/edit")]
pub struct AdminEdit {
    pub resource: String,
    pub id: i64,
}

/// Asks to confirm (GET), then deletes (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}/{id}/delete")]
pub struct AdminDelete {
    pub resource: String,
    pub id: i64,
}

/// Runs an action of the table on the row (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/admin/{resource}/{id}/actions/{action}")]
pub struct AdminAction {
    pub resource: String,
    pub id: i64,
    pub action: String,
}
{%- if tasks %}

/// The task monitor (`crate::routes::task_monitor`).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/admin/tasks")]
pub struct AdminTasks;

/// Runs a failed task again (POST).
#[derive(Debug, Clone, Copy, TypedPath, serde::Deserialize)]
#[typed_path("/admin/tasks/{id}/retry")]
pub struct AdminRetryTask {
    pub id: i64,
}

/// Deletes a task that is not running (POST).
#[derive(Debug, Clone, Copy, TypedPath, serde::Deserialize)]
#[typed_path("/admin/tasks/{id}/delete")]
pub struct AdminDeleteTask {
    pub id: i64,
}
{%- endif %}
{% endif %}
{%- if uploads %}
// Uploads (`crate::routes::files`). A file's key is random: its URL cannot be guessed.
/// The signed-in user's files: the list (GET) and the upload form (POST).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/files")]
pub struct Files;

/// Downloads a file.
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/files/{key}")]
pub struct File {
    pub key: String,
}

/// Deletes a file (POST).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/files/{key}/delete")]
pub struct DeleteFile {
    pub key: String,
}
{% endif %}
// Development tools, routed in development only
/// The outbox: every email the app "sent" (`mail.transport = "outbox"`).
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/dev/mail")]
pub struct DevMail;

/// One email of the outbox, its HTML part alone (shown in a sandboxed frame).
#[derive(Debug, Clone, TypedPath, serde::Deserialize)]
#[typed_path("/dev/mail/{id}/html")]
pub struct DevMailHtml {
    pub id: String,
}

// Probes for load balancers and orchestrators
/// Answers 200 while the process runs.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/health")]
pub struct Health;

/// Answers 200 when the app can serve requests (its database answers), 503 otherwise.
#[derive(Debug, Clone, Copy, TypedPath)]
#[typed_path("/ready")]
pub struct Ready;
