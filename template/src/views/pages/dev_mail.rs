//! `/dev/mail`, in development: every email the app wrote to its outbox, newest first, with its
//! text, its HTML (in a sandboxed frame) and its links, so that a verification or reset link is
//! one click away.

use leptos::prelude::*;
use time::OffsetDateTime;

use crate::{mail::outbox::OutboxMessage, paths};

#[component]
pub fn DevMailPage(messages: Vec<OutboxMessage>, outbox_dir: String) -> impl IntoView {
    let empty = messages.is_empty();
    view! {
        <section class="flex flex-col gap-6" aria-labelledby="mail-title">
            <header>
                <h1 id="mail-title" class="text-3xl font-bold tracking-tight">"Outbox"</h1>
                <p class="mt-2 text-base-content/80">
                    "In development, emails are not sent: they are written to " <code>{outbox_dir}</code>
                    " and shown here."
                </p>
            </header>
            {empty.then(|| view! { <p class="alert">"No email yet."</p> })}
            {messages.into_iter().map(|message| view! { <MailCard message /> }).collect_view()}
        </section>
    }
}

#[component]
fn MailCard(message: OutboxMessage) -> impl IntoView {
    let sent = OffsetDateTime::from(message.sent);
    let sent = format!(
        "{} {:02}:{:02}:{:02} UTC",
        sent.date(),
        sent.hour(),
        sent.minute(),
        sent.second()
    );
    let html_src = paths::DevMailHtml {
        id: message.id.clone(),
    }
    .to_string();
    view! {
        <article class="card bg-base-100 shadow-sm" data-testid="mail">
            <div class="card-body gap-3">
                <h2 class="card-title">{message.subject}</h2>
                <p class="text-sm text-base-content/70">"To " {message.to} " · " {sent}</p>
                {(!message.links.is_empty()).then(|| view! {
                    <ul class="flex flex-col gap-1">
                        {message.links.into_iter().map(|link| (link.clone(), link)).map(|(href, link)| view! {
                            <li><a class="link break-all" href=href>{link}</a></li>
                        }).collect_view()}
                    </ul>
                })}
                {message.has_html.then(|| view! {
                    <iframe title="The HTML part" src=html_src sandbox="" class="h-96 w-full rounded-box border border-base-300 bg-white"></iframe>
                })}
                <details>
                    <summary class="cursor-pointer text-sm">"Plain text"</summary>
                    <pre class="mt-2 whitespace-pre-wrap text-sm">{message.text}</pre>
                </details>
            </div>
        </article>
    }
}
