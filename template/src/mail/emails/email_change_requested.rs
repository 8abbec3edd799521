//! Sent to a user's current address when a change of address is asked for: if it was not them,
//! they learn of it while the account is still theirs.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct EmailChangeRequested {
    pub app_name: String,
    /// The address asked for.
    pub new_email: String,
    /// The account page, to change the password.
    pub account_link: String,
}

impl Email for EmailChangeRequested {
    fn subject(&self) -> String {
        format!(
            "A new email address was asked for your {} account",
            self.app_name
        )
    }

    fn html(&self) -> String {
        let (app_name, new_email, account_link) = (
            self.app_name.clone(),
            self.new_email.clone(),
            self.account_link.clone(),
        );
        views::render(view! {
            <EmailLayout app_name=app_name title="A new email address was asked for".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"A new email address was asked for"</h1>
                <p>
                    "Someone signed in to your account asked to change its address to "
                    <strong>{new_email}</strong>
                    ". The change happens only once the link sent there is opened; until then, this address stays yours."
                </p>
                <p>"If it was not you, change your password now: whoever asked knows it."</p>
                <EmailButton href=account_link label="Change my password" />
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Someone signed in to your {app} account asked to change its address to {new}. The change happens only once the link sent there is opened; until then, this address stays yours.\n\nIf it was not you, change your password now: whoever asked knows it.\n\n{account}\n",
            app = self.app_name,
            new = self.new_email,
            account = self.account_link,
        )
    }
}
