//! A real SMTP server for the tests, so that the app's mail goes through lettre's SMTP client
//! over TCP exactly as in production. The `mailin` crate speaks the protocol; this module listens
//! and keeps every message that arrives in an [`Inbox`].

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use mail_parser::MessageParser;
use mailin::{Action, Handler, Response, SessionBuilder, response};
use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader},
    net::TcpListener,
};

/// The messages the test server received, in order.
#[derive(Debug, Clone, Default)]
pub struct Inbox(Arc<Mutex<Vec<ReceivedMail>>>);

/// One message as it crossed the wire.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    pub fn subject(&self) -> String {
        let parsed = MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message");
        parsed.subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        let parsed = MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message");
        parsed.body_text(0).expect("a text part").into_owned()
    }

    pub fn html(&self) -> String {
        let parsed = MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message");
        parsed.body_html(0).expect("an HTML part").into_owned()
    }

    /// The path and query of the first link in the text part that leads to `path`:
    /// `/verify-email?token=…`.
    pub fn link_to(&self, path: impl std::fmt::Display) -> String {
        let path = path.to_string();
        let text = self.text();
        text.split_whitespace()
            .find_map(|word| {
                let start = word.find("://")? + 3;
                let rest = &word[start..];
                let local = &rest[rest.find('/')?..];
                local.starts_with(&path).then(|| local.to_owned())
            })
            .unwrap_or_else(|| panic!("no link to {path} in:\n{text}"))
    }
}

impl Inbox {
    /// Every message received so far.
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.0.lock().expect("inbox lock").clone()
    }

    /// The messages sent to `address` so far.
    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.all()
            .into_iter()
            .filter(|mail| mail.to.iter().any(|to| to == address))
            .collect()
    }

    /// Waits (up to 5 seconds: the app sends in the background) until `address` has received
    /// `count` messages, and returns the last.
    pub async fn wait_for(&self, address: &str, count: usize) -> ReceivedMail {
        for _ in 0..100 {
            let received = self.to(address);
            if received.len() >= count {
                return received.into_iter().nth(count - 1).expect("counted");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{address} did not receive {count} email(s); the inbox has {:?}",
            self.all()
        );
    }
}

/// Starts a server on a free port of 127.0.0.1; it runs until the test's runtime ends.
pub async fn start() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    let inbox = Inbox::default();
    let recorder = Recorder {
        inbox: inbox.clone(),
        to: Vec::new(),
        data: Vec::new(),
    };
    tokio::spawn(async move {
        let builder = SessionBuilder::new("tests.localhost");
        while let Ok((stream, peer)) = listener.accept().await {
            let session = builder.build(peer.ip(), recorder.clone());
            tokio::spawn(converse(stream, peer.ip(), session));
        }
    });
    (port, inbox)
}

async fn converse(
    stream: tokio::net::TcpStream,
    _peer: IpAddr,
    mut session: mailin::Session<Recorder>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let reply = session.process(&line);
        match reply.action {
            Action::Reply => write.write_all(&reply.buffer()?).await?,
            Action::Close => {
                write.write_all(&reply.buffer()?).await?;
                return Ok(());
            }
            // The test server offers no STARTTLS, so the client never asks to upgrade.
            Action::UpgradeTls | Action::NoReply => {}
        }
    }
}

/// Collects one message at a time into the inbox.
#[derive(Debug, Clone)]
struct Recorder {
    inbox: Inbox,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        };
        self.inbox.0.lock().expect("inbox lock").push(mail);
        response::OK
    }
}
