//! Sending an email from the worker, retried while the mail server fails.
//!
//! An email may hold a working link (a password reset, a confirmation), and a task waits in the
//! `tasks` table, which backups, replicas and support tools read. So the message is stored sealed
//! with XChaCha20-Poly1305, under a key derived from `secret_key` and bound to the recipient: a
//! copy of the table opens nothing. (Changing `secret_key` leaves queued emails unreadable: they
//! fail and say so.) Once sent, the task's payload is emptied like every finished task's.

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenshu_queue::Task;

use crate::{app::AppState, mail::Email, seal::Sealer};

/// An email to `to`, sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail {
    pub to: String,
    /// The [`Message`]'s JSON, sealed (`crate::seal`), base64url.
    sealed: String,
}

/// An email as it was rendered when it was enqueued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub subject: String,
    pub html: String,
    pub text: String,
    #[serde(default)]
    pub reply_to: Option<String>,
}

impl SendEmail {
    /// `email` to `to`, rendered now and sealed with a key derived from `secret_key`.
    pub fn new(
        to: impl Into<String>,
        email: &impl Email,
        secret_key: &SecretString,
    ) -> anyhow::Result<Self> {
        let to = to.into();
        let message = Message {
            subject: email.subject(),
            html: email.html(),
            text: email.text(),
            reply_to: email.reply_to(),
        };
        let sealed = sealer(secret_key)
            .seal(&serde_json::to_vec(&message)?, to.as_bytes())
            .context("could not seal an email")?;
        Ok(Self {
            to,
            sealed: URL_SAFE_NO_PAD.encode(sealed),
        })
    }

    /// The message, unsealed with the key derived from `secret_key`.
    pub fn open(&self, secret_key: &SecretString) -> anyhow::Result<Message> {
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.sealed)
            .context("a sealed email is not base64url")?;
        let plaintext = sealer(secret_key)
            .open(&bytes, self.to.as_bytes())
            .context("a queued email could not be opened")?;
        serde_json::from_slice(&plaintext).context("a sealed email holds no message")
    }
}

/// The sealer of queued emails, bound to their recipient.
fn sealer(secret_key: &SecretString) -> Sealer {
    Sealer::new(secret_key, b"tasks: sealed emails")
}

impl Email for Message {
    fn subject(&self) -> String {
        self.subject.clone()
    }

    fn html(&self) -> String {
        self.html.clone()
    }

    fn text(&self) -> String {
        self.text.clone()
    }

    fn reply_to(&self) -> Option<String> {
        self.reply_to.clone()
    }
}

impl Task for SendEmail {
    const KIND: &'static str = "send_email";
    const QUEUE: &'static str = "mail";
    type Context = AppState;

    async fn run(self, app: &AppState) -> anyhow::Result<()> {
        let message = self.open(&app.config.secret_key)?;
        app.mailer.send(&self.to, &message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            subject: "Reset your password".to_owned(),
            html: "<a href=\"https://example.com/reset?token=abc\">Reset</a>".to_owned(),
            text: "https://example.com/reset?token=abc".to_owned(),
            reply_to: None,
        }
    }

    fn key(text: &str) -> SecretString {
        SecretString::from(text.repeat(64))
    }

    #[test]
    fn a_sealed_email_shows_nothing_and_opens_with_the_same_key_only() {
        let sealed = SendEmail::new("ann@example.com", &message(), &key("a")).unwrap();

        let stored = serde_json::to_string(&sealed).unwrap();
        assert!(
            !stored.contains("token=abc") && !stored.contains("Reset"),
            "{stored}"
        );
        assert_eq!(sealed.open(&key("a")).unwrap().text, message().text);
        assert!(sealed.open(&key("b")).is_err());
    }

    #[test]
    fn a_sealed_email_cannot_be_sent_to_someone_else() {
        let mut sealed = SendEmail::new("ann@example.com", &message(), &key("a")).unwrap();

        sealed.to = "mallory@example.com".to_owned();

        assert!(sealed.open(&key("a")).is_err());
    }
}
