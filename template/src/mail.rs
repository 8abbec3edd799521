//! Email: each message is a module of [`emails`] (subject, HTML from a leptos component, plain
//! text), sent by the [`Mailer`] over SMTP or, in development, written to the outbox folder that
//! `/dev/mail` shows ([`outbox`]).
//!
//! ```ignore
//! let email = emails::VerifyEmail { app_name, link: app.mailer.link(&path) };
//! app.mailer.send(&user.email, &email).await?;
//! ```

pub mod emails;
pub mod outbox;

use std::time::Duration;

use anyhow::Context as _;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret as _;

use crate::config::{MailConfig, MailTransport, SmtpSecurity};

/// What every email provides; see [`emails`].
pub trait Email {
    fn subject(&self) -> String;
    /// The HTML part, rendered from a leptos component.
    fn html(&self) -> String;
    /// The plain-text part, for clients that show no HTML (and for spam filters, which like both).
    fn text(&self) -> String;
    /// Where replies go, when not to the sender (`mail.from`).
    fn reply_to(&self) -> Option<String> {
        None
    }
}

/// Sends emails. Cheap to clone: the SMTP connection pool is shared.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    public_url: String,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(_) => "outbox",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .field("transport", &transport)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer as configured. `public_url` starts the links in emails.
    pub fn new(config: &MailConfig, public_url: &str) -> anyhow::Result<Self> {
        let from = config
            .from
            .parse()
            .with_context(|| format!("mail.from is not an address: {}", config.from))?;
        let transport = match config.transport {
            MailTransport::Smtp => Transport::Smtp(smtp_transport(config)?),
            MailTransport::Outbox => {
                std::fs::create_dir_all(&config.outbox_dir).with_context(|| {
                    format!("could not create the outbox folder {}", config.outbox_dir)
                })?;
                Transport::Outbox(AsyncFileTransport::new(&config.outbox_dir))
            }
        };
        Ok(Self {
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            transport,
        })
    }

    /// An absolute link to `path` (which may carry a query) of this app, for an email.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Sends `email` to `to`. Errors say what failed (a refused address, an unreachable server).
    pub async fn send(&self, to: &str, email: &impl Email) -> anyhow::Result<()> {
        let to: Mailbox = to
            .parse()
            .with_context(|| format!("not an email address: {to}"))?;
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject());
        if let Some(reply_to) = email.reply_to() {
            let reply_to: Mailbox = reply_to
                .parse()
                .with_context(|| format!("not an email address: {reply_to}"))?;
            message = message.reply_to(reply_to);
        }
        let message = message
            .multipart(MultiPart::alternative_plain_html(
                email.text(),
                email.html(),
            ))
            .context("could not build the email")?;
        match &self.transport {
            Transport::Smtp(smtp) => drop(smtp.send(message).await.context("SMTP failed")?),
            Transport::Outbox(outbox) => drop(
                outbox
                    .send(message)
                    .await
                    .context("could not write to the outbox")?,
            ),
        }
        Ok(())
    }

    /// Connects to the SMTP server and signs in, without sending anything (`doctor` uses it).
    /// The outbox has nothing to connect to.
    pub async fn test_connection(&self) -> anyhow::Result<()> {
        match &self.transport {
            Transport::Smtp(smtp) => {
                let answered = smtp.test_connection().await.context("SMTP failed")?;
                anyhow::ensure!(answered, "the SMTP server did not answer NOOP");
                Ok(())
            }
            Transport::Outbox(_) => Ok(()),
        }
    }
}

fn smtp_transport(config: &MailConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let smtp = &config.smtp;
    let builder = match smtp.security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
    let builder = if smtp.username.is_empty() {
        builder
    } else {
        builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.expose_secret().to_owned(),
        ))
    };
    Ok(builder.build())
}
