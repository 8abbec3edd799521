//! The outbox: with `mail.transport = "outbox"`, lettre writes each email to `mail.outbox_dir` as
//! an `.eml` file instead of sending it. This module reads them back for the `/dev/mail` page.

use std::{path::Path, time::SystemTime};

use anyhow::Context as _;
use mail_parser::MessageParser;

/// Shown at most, newest first.
const LIMIT: usize = 50;

/// One email of the outbox, decoded.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// The file name without `.eml` (a UUID chosen by lettre).
    pub id: String,
    pub subject: String,
    pub to: String,
    pub sent: SystemTime,
    pub text: String,
    pub has_html: bool,
    /// The web addresses in the text part: the links a reader would follow.
    pub links: Vec<String>,
}

/// The newest emails of the outbox folder, newest first.
pub async fn list(dir: &Path) -> anyhow::Result<Vec<OutboxMessage>> {
    let mut files = Vec::new();
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).context("could not read the outbox folder"),
    };
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let Some(id) = eml_id(&path) else { continue };
        let sent = entry.metadata().await?.modified()?;
        files.push((sent, id, path));
    }
    files.sort_by_key(|(sent, _, _)| std::cmp::Reverse(*sent));
    let mut messages = Vec::new();
    for (sent, id, path) in files.into_iter().take(LIMIT) {
        let bytes = tokio::fs::read(&path).await?;
        let Some(parsed) = MessageParser::default().parse(&bytes) else {
            continue;
        };
        let text = parsed.body_text(0).unwrap_or_default().into_owned();
        messages.push(OutboxMessage {
            id,
            subject: parsed.subject().unwrap_or("(no subject)").to_owned(),
            to: parsed
                .to()
                .and_then(|to| to.first())
                .and_then(|to| to.address())
                .unwrap_or_default()
                .to_owned(),
            sent,
            has_html: parsed.body_html(0).is_some(),
            links: links_in(&text),
            text,
        });
    }
    Ok(messages)
}

/// The HTML part of one email, if the id names an email of the outbox.
pub async fn html_of(dir: &Path, id: &str) -> anyhow::Result<Option<String>> {
    // Only lettre's own names (a UUID: hex digits and dashes): nothing can point outside the
    // folder, nor be longer than a file name may be.
    if !(1..=64).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Ok(None);
    }
    let bytes = match tokio::fs::read(dir.join(format!("{id}.eml"))).await {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).context("could not read an outbox email"),
    };
    Ok(MessageParser::default()
        .parse(&bytes)
        .and_then(|parsed| parsed.body_html(0).map(|html| html.into_owned())))
}

fn eml_id(path: &Path) -> Option<String> {
    (path.extension()? == "eml").then(|| path.file_stem()?.to_str().map(str::to_owned))?
}

fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|word| word.trim_end_matches(['.', ',', ')']).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_the_web_addresses_of_the_text() {
        let text =
            "Open this:\n\nhttp://localhost:8000/verify-email?token=abc.\nThanks, https://x.y/";

        assert_eq!(
            links_in(text),
            [
                "http://localhost:8000/verify-email?token=abc",
                "https://x.y/"
            ]
        );
    }
}
