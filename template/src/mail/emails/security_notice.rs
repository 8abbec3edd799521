//! Sent to a user's address when the way their account is protected changes (two-factor turned on
//! or off, recovery codes used or replaced): if it was not them, they learn of it at once.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct SecurityNotice {
    pub app_name: String,
    /// What happened, as a sentence: "Two-factor sign-in was turned on for your account."
    pub what: String,
    /// The account page, to change the password and review two-factor.
    pub account_link: String,
}

impl Email for SecurityNotice {
    fn subject(&self) -> String {
        format!("Security of your {} account", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, what, account_link) = (
            self.app_name.clone(),
            self.what.clone(),
            self.account_link.clone(),
        );
        views::render(view! {
            <EmailLayout app_name=app_name title="Security of your account".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Security of your account"</h1>
                <p>{what}</p>
                <p>"If it was not you, change your password now and check two-factor sign-in on your account page."</p>
                <EmailButton href=account_link label="Open my account" />
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "{what}\n\nIf it was not you, change your password now and check two-factor sign-in on your account page.\n\n{account}\n",
            what = self.what,
            account = self.account_link,
        )
    }
}
