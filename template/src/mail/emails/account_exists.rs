//! Sent instead of a verification email when someone registers with an address that already has
//! an account: the page answers the same either way, so it reveals no accounts, and the owner
//! learns what happened.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct AccountExists {
    pub app_name: String,
    pub sign_in_link: String,
    pub reset_link: String,
}

impl Email for AccountExists {
    fn subject(&self) -> String {
        format!("You already have a {} account", self.app_name)
    }

    fn html(&self) -> String {
        let (app_name, sign_in_link, reset_link) = (
            self.app_name.clone(),
            self.sign_in_link.clone(),
            self.reset_link.clone(),
        );
        views::render(view! {
            <EmailLayout app_name=app_name title="You already have an account".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"You already have an account"</h1>
                <p>"Someone tried to register with this address, which already has an account."</p>
                <EmailButton href=sign_in_link label="Sign in" />
                <p style="font-size:14px;color:#52525b;">
                    "Forgot your password? " <a href=reset_link>"Reset it"</a> "."
                </p>
                <p style="font-size:14px;color:#52525b;">"If it was not you, ignore this email."</p>
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "Someone tried to register with this address, which already has a {app} account.\n\nSign in: {sign_in}\nForgot your password? Reset it: {reset}\n\nIf it was not you, ignore this email.\n",
            app = self.app_name,
            sign_in = self.sign_in_link,
            reset = self.reset_link,
        )
    }
}
