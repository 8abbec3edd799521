//! The contact form: its message is emailed to the site's owner (`mail.contact_to`), with the
//! visitor's address as Reply-To, by [`App::send_email`](crate::app::App::send_email).

use axum::{Form, extract::State, response::Response};
use axum_messages::Messages;
use garde::{Validate as _, rules::email::Email as _};
use leptos::prelude::*;
use serde::Deserialize;

use super::Routes;
use crate::{
    app::AppState,
    client_ip::ClientIp,
    csrf::CsrfToken,
    error::AppError,
    htmx,
    mail::emails::ContactMessage,
    page::Page,
    paths,
    rate_limit::Action,
    views::{
        components::form::FormErrors,
        pages::contact::{ContactForm as ContactFormView, ContactPage, ContactValues},
    },
};

const NAME_MAX_CHARS: usize = 100;
const MESSAGE_MAX_CHARS: usize = 5000;
/// Longest email address accepted (RFC 5321).
const EMAIL_MAX: usize = 254;

pub fn routes() -> Routes<AppState> {
    Routes::new().get(contact_page).post(send_message)
}

/// What the form posts. Missing fields are empty, so they get a message, not a rejection.
#[derive(Debug, Default, Deserialize, garde::Validate)]
pub struct ContactForm {
    #[garde(custom(a_name))]
    #[serde(default)]
    pub name: String,
    #[garde(custom(an_email_address))]
    #[serde(default)]
    pub email: String,
    #[garde(custom(a_message))]
    #[serde(default)]
    pub message: String,
    /// The field people do not see: a robot that fills every field in gives itself away.
    #[garde(skip)]
    #[serde(default)]
    pub website: String,
}

impl ContactForm {
    fn values(self) -> ContactValues {
        ContactValues {
            name: self.name,
            email: self.email,
            message: self.message,
        }
    }
}

fn a_name(value: &str, _: &()) -> garde::Result {
    match value.trim().chars().count() {
        0 => Err(garde::Error::new("Enter your name.")),
        n if n > NAME_MAX_CHARS => Err(garde::Error::new(format!(
            "Use at most {NAME_MAX_CHARS} characters."
        ))),
        _ => Ok(()),
    }
}

fn an_email_address(value: &str, _: &()) -> garde::Result {
    let value = value.trim();
    if value.is_empty() {
        return Err(garde::Error::new(
            "Enter your email address, so we can answer.",
        ));
    }
    if value.len() > EMAIL_MAX || value.validate_email().is_err() {
        return Err(garde::Error::new(
            "Enter an email address like name@example.com.",
        ));
    }
    Ok(())
}

fn a_message(value: &str, _: &()) -> garde::Result {
    match value.trim().chars().count() {
        0 => Err(garde::Error::new("Write your message.")),
        n if n > MESSAGE_MAX_CHARS => Err(garde::Error::new(format!(
            "Keep it under {MESSAGE_MAX_CHARS} characters ({n} now)."
        ))),
        _ => Ok(()),
    }
}

async fn contact_page(_: paths::Contact, CsrfToken(csrf): CsrfToken, page: Page) -> Response {
    render(page, csrf, ContactValues::default(), FormErrors::default())
}

async fn send_message(
    _: paths::Contact,
    ClientIp(ip): ClientIp,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    if let Err(report) = form.validate() {
        let errors = FormErrors::from_report(&report);
        return Ok(render(page, csrf, form.values(), errors));
    }
    app.rate_limits.check(Action::Contact, ip, &form.email)?;
    if form.website.is_empty() {
        let email = ContactMessage {
            app_name: app.config.name.clone(),
            name: form.name.trim().to_owned(),
            email: form.email.trim().to_owned(),
            message: form.message.trim().to_owned(),
        };
        app.send_email(&app.config.mail.contact_to, email).await?;
    } else {
        // The robot gets the same answer as a person, and nothing is sent.
        tracing::info!("a contact form with the hidden field filled in was dropped");
    }
    messages.success("Thank you: your message is on its way.");
    Ok(htmx::redirect(page.hx(), paths::Contact))
}

fn render(page: Page, csrf: String, values: ContactValues, errors: FormErrors) -> Response {
    let status = errors.status();
    let form = view! { <ContactFormView csrf values errors /> }.into_any();
    page.render_form("Contact", status, form, |form| {
        view! { <ContactPage>{form}</ContactPage> }.into_any()
    })
}
