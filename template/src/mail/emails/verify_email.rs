//! Sent after registration (and on request): the link that proves the address is theirs.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct VerifyEmail {
    pub app_name: String,
    /// Opens the confirmation page (`paths::VerifyEmail` with the token).
    pub link: String,
    pub valid_hours: i64,
}

impl Email for VerifyEmail {
    fn subject(&self) -> String {
        format!("Confirm your email address for {}", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, link, valid_hours) =
            (self.app_name.clone(), self.link.clone(), self.valid_hours);
        let (link_href, link_text) = (link.clone(), link.clone());
        views::render(view! {
            <EmailLayout app_name=app_name.clone() title="Confirm your email address".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Confirm your email address"</h1>
                <p>"Welcome to " {app_name} "! Press the button and sign in to confirm this address."</p>
                <EmailButton href=link.clone() label="Confirm my address" />
                <p style="font-size:14px;color:#52525b;">
                    "The link works for " {valid_hours} " hours. If the button does not work, paste this address into your browser: "
                    <a href=link_href>{link_text}</a>
                </p>
                <p style="font-size:14px;color:#52525b;">"If you did not create an account, ignore this email."</p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Welcome to {app}!\n\nConfirm your email address by opening this link and signing in:\n\n{link}\n\nThe link works for {hours} hours. If you did not create an account, ignore this email.\n",
            app = self.app_name,
            link = self.link,
            hours = self.valid_hours,
        )
    }
}
