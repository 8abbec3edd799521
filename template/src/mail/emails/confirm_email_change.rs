//! Sent to the new address a user asked for: the link that proves it is theirs and makes the
//! change. Until it is opened, the account keeps its old address.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct ConfirmEmailChange {
    pub app_name: String,
    /// Opens the confirmation page (`paths::AccountEmailConfirm` with the token).
    pub link: String,
    pub valid_hours: i64,
}

impl Email for ConfirmEmailChange {
    fn subject(&self) -> String {
        format!("Confirm your new email address for {}", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, link, valid_hours) =
            (self.app_name.clone(), self.link.clone(), self.valid_hours);
        let (link_href, link_text) = (link.clone(), link.clone());
        views::render(view! {
            <EmailLayout app_name=app_name.clone() title="Confirm your new email address".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Confirm your new email address"</h1>
                <p>"Press the button to make this the address of your " {app_name} " account."</p>
                <EmailButton href=link.clone() label="Use this address" />
                <p style="font-size:14px;color:#52525b;">
                    "The link works for " {valid_hours} " hours. If the button does not work, paste this address into your browser: "
                    <a href=link_href>{link_text}</a>
                </p>
                <p style="font-size:14px;color:#52525b;">"If you did not ask for this, ignore this email: nothing changes."</p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Make this the address of your {app} account by opening this link:\n\n{link}\n\nThe link works for {hours} hours. If you did not ask for this, ignore this email: nothing changes.\n",
            app = self.app_name,
            link = self.link,
            hours = self.valid_hours,
        )
    }
}
