//! Sending an email from the worker, retried while the mail server fails.

use serde::{Deserialize, Serialize};

use crate::{app::AppState, mail::Email, queue::Task};

/// An email, rendered when it was enqueued, and its recipient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    #[serde(default)]
    pub reply_to: Option<String>,
}

impl SendEmail {
    pub fn new(to: impl Into<String>, email: &impl Email) -> Self {
        Self {
            to: to.into(),
            subject: email.subject(),
            html: email.html(),
            text: email.text(),
            reply_to: email.reply_to(),
        }
    }
}

impl Email for SendEmail {
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

    async fn run(self, app: &AppState) -> anyhow::Result<()> {
        app.mailer.send(&self.to, &self).await
    }
}
