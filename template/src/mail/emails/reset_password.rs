//! Sent when someone asks to reset the password of an account: the link to choose a new one.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct ResetPassword {
    pub app_name: String,
    /// Opens the reset form (`paths::ResetPassword` with the token).
    pub link: String,
    pub valid_minutes: i64,
}

impl Email for ResetPassword {
    fn subject(&self) -> String {
        format!("Reset your {} password", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, link, valid_minutes) =
            (self.app_name.clone(), self.link.clone(), self.valid_minutes);
        views::render(view! {
            <EmailLayout app_name=app_name title="Reset your password".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Reset your password"</h1>
                <p>"Someone, hopefully you, asked to reset the password of your account."</p>
                <EmailButton href=link.clone() label="Choose a new password" />
                <p style="font-size:14px;color:#52525b;">
                    "The link works once, for " {valid_minutes} " minutes: "
                    <a href=link.clone()>{link.clone()}</a>
                </p>
                <p style="font-size:14px;color:#52525b;">
                    "If you did not ask for this, ignore this email: your password stays as it is."
                </p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Someone, hopefully you, asked to reset the password of your {app} account.\n\nChoose a new password here (the link works once, for {minutes} minutes):\n\n{link}\n\nIf you did not ask for this, ignore this email: your password stays as it is.\n",
            app = self.app_name,
            link = self.link,
            minutes = self.valid_minutes,
        )
    }
}
