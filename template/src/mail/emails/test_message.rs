//! Sent by `app mail test ADDRESS`: proof that the mail settings work, end to end.

use leptos::prelude::*;

use super::layout::{EmailButton, EmailLayout};
use crate::{mail::Email, views};

pub struct TestMessage {
    pub app_name: String,
    /// The environment that sent it, so a test email from staging is not taken for production's.
    pub environment: String,
    /// The app's home page (`server.public_url`): a wrong public URL shows here first.
    pub home_link: String,
}

impl Email for TestMessage {
    fn subject(&self) -> String {
        format!("Test email from {} ({})", self.app_name, self.environment)
    }

    fn html(&self) -> String {
        let (app_name, environment, home_link) = (
            self.app_name.clone(),
            self.environment.clone(),
            self.home_link.clone(),
        );
        views::render(view! {
            <EmailLayout app_name=app_name.clone() title="Test email".to_owned()>
                <h1 style="margin-top:0;font-size:22px;">"Mail works"</h1>
                <p>
                    "This test email was sent by " {app_name} " in its " {environment}
                    " environment. Its mail settings work."
                </p>
                <EmailButton href=home_link label="Open the app" />
            </EmailLayout>
        })
    }

    fn text(&self) -> String {
        format!(
            "This test email was sent by {} in its {} environment. Its mail settings work.\n\nOpen the app: {}\n",
            self.app_name, self.environment, self.home_link
        )
    }
}
