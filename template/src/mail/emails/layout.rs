//! The frame of every HTML email. Email clients ignore style sheets and strip scripts, so the
//! styles are inline and the layout is one narrow column.

use leptos::prelude::*;

const BODY: &str = "margin:0;padding:24px;background:#f4f4f5;\
    font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#18181b;";
const CARD: &str =
    "max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;";
// Grey enough to read on the page's grey (7:1, WCAG AA asks 4.5:1).
const FOOTER: &str =
    "max-width:560px;margin:16px auto 0;font-size:12px;color:#52525b;text-align:center;";
const BUTTON: &str = "display:inline-block;padding:12px 20px;background:#4f46e5;color:#ffffff;\
    text-decoration:none;border-radius:6px;font-weight:600;";

#[component]
pub fn EmailLayout(app_name: String, title: String, children: Children) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{title}</title>
            </head>
            <body style=BODY>
                <div style=CARD>{children()}</div>
                <p style=FOOTER>"Sent by " {app_name}</p>
            </body>
        </html>
    }
}

/// The one button an email asks the reader to press.
#[component]
pub fn EmailButton(href: String, label: &'static str) -> impl IntoView {
    view! {
        <p style="margin:24px 0;">
            <a href=href style=BUTTON>{label}</a>
        </p>
    }
}
