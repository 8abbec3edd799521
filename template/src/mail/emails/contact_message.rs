//! Sent to the site's owner (`mail.contact_to`) from the contact form; replying answers the
//! visitor.

use leptos::prelude::*;

use super::layout::EmailLayout;
use crate::{mail::Email, views};

pub struct ContactMessage {
    pub app_name: String,
    pub name: String,
    /// The visitor's address, as they typed it: unconfirmed.
    pub email: String,
    pub message: String,
}

impl Email for ContactMessage {
    fn subject(&self) -> String {
        format!("{}: a message from {}", self.app_name, self.name)
    }

    fn html(&self) -> String {
        let (app_name, name, email, message) = (
            self.app_name.clone(),
            self.name.clone(),
            self.email.clone(),
            self.message.clone(),
        );
        views::render(view! {
            <EmailLayout app_name title="A message from the contact form".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"A message from the contact form"</h1>
                <p>"From " <strong>{name}</strong> " <" {email} ">; reply to this email to answer."</p>
                <p style="white-space:pre-wrap;border-left:3px solid #d4d4d8;padding-left:12px;">{message}</p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "A message from the contact form of {} (reply to this email to answer).\n\nFrom: {} <{}>\n\n{}\n",
            self.app_name, self.name, self.email, self.message
        )
    }

    fn reply_to(&self) -> Option<String> {
        Some(self.email.clone())
    }
}
