//! Sent when someone asks to sign in by email: a link that signs in without the password.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct SignInLink {
    pub app_name: String,
    /// Opens the page that signs in (`paths::OpenSignInLink` with the token).
    pub link: String,
    pub valid_minutes: i64,
}

impl Email for SignInLink {
    fn subject(&self) -> String {
        format!("Sign in to {}", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, link, valid_minutes) =
            (self.app_name.clone(), self.link.clone(), self.valid_minutes);
        views::render(view! {
            <EmailLayout app_name=app_name title="Sign in".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Sign in"</h1>
                <p>"Someone, hopefully you, asked for a link to sign in to your account."</p>
                <EmailButton href=link.clone() label="Sign in" />
                <p style="font-size:14px;color:#52525b;">
                    "The link works once, for " {valid_minutes} " minutes, and only the newest one works: "
                    <a href=link.clone()>{link.clone()}</a>
                </p>
                <p style="font-size:14px;color:#52525b;">
                    "If you did not ask for this, ignore this email: no one can sign in without the link."
                </p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Someone, hopefully you, asked for a link to sign in to your {app} account.\n\nSign in here (the link works once, for {minutes} minutes, and only the newest one works):\n\n{link}\n\nIf you did not ask for this, ignore this email: no one can sign in without the link.\n",
            app = self.app_name,
            link = self.link,
            minutes = self.valid_minutes,
        )
    }
}
