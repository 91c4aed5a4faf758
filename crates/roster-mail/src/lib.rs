//! Mail transports for the outbox: SMTP through lettre (plain, STARTTLS or implicit TLS, with
//! AUTH), and a local file outbox that keeps each message as an `.eml` file when no SMTP server
//! is configured.

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use roster_core::mail::{MailTransport, OutboxMessage, SendError};
use std::path::PathBuf;
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (only for a server on the same machine or a trusted network).
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// A PEM file of CA certificates to trust besides the built-in roots.
    pub ca_file: Option<PathBuf>,
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Builds the RFC 5322 message of an outbox entry: plain text, with an HTML alternative when
/// there is one, under the entry's fixed Message-ID.
fn build(m: &OutboxMessage, from: &Mailbox) -> Result<Message, SendError> {
    let permanent = |what: &str, e: String| SendError { permanent: true, message: format!("{what}: {e}") };
    let to: Mailbox =
        m.recipient.parse().map_err(|e: lettre::address::AddressError| permanent("recipient", e.to_string()))?;
    let builder =
        Message::builder().message_id(Some(m.message_id.clone())).from(from.clone()).to(to).subject(m.subject.clone());
    let text = m.text.clone().unwrap_or_default();
    let built = match &m.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html.clone())),
        None => builder.singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text)),
    };
    built.map_err(|e| permanent("message", e.to_string()))
}

fn from_address(from: &str) -> Result<Mailbox, String> {
    from.parse().map_err(|e| format!("mail_from {from:?} is not an address: {e}"))
}

/// Delivers over SMTP. A connection is opened per message: mail is rare here, and no idle
/// connection is left for a server to drop.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(c: &SmtpConfig) -> Result<Smtp, String> {
        let from = from_address(&c.from)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.clone())
            .port(c.port)
            .timeout(Some(c.timeout));
        if c.tls != TlsMode::None {
            let mut params = TlsParameters::builder(c.host.clone());
            if let Some(file) = &c.ca_file {
                let pem = std::fs::read(file).map_err(|e| format!("smtp_ca_file {}: {e}", file.display()))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| format!("smtp_ca_file {}: {e}", file.display()))?;
                params = params.add_root_certificate(cert);
            }
            let params = params.build_rustls().map_err(|e| format!("SMTP TLS settings: {e}"))?;
            builder = builder.tls(match c.tls {
                TlsMode::StartTls => Tls::Required(params),
                _ => Tls::Wrapper(params),
            });
        }
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Smtp { transport: builder.build(), from })
    }
}

#[async_trait]
impl MailTransport for Smtp {
    async fn send(&self, m: &OutboxMessage) -> Result<(), SendError> {
        let message = build(m, &self.from)?;
        self.transport.send(message).await.map(drop).map_err(|e| SendError {
            // A 5xx reply refuses this message for good; anything else (connection, TLS, 4xx) may pass later.
            permanent: e.is_permanent(),
            message: e.to_string(),
        })
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

/// Keeps messages as files, for a server without SMTP: `<dir>/<message uuid>.eml`, readable
/// only by the server's user, so a first-time operator can open the link.
pub struct FileOutbox {
    dir: PathBuf,
    from: Mailbox,
}

impl FileOutbox {
    pub fn new(dir: PathBuf, from: &str) -> Result<FileOutbox, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("mail outbox {}: {e}", dir.display()))?;
        Ok(FileOutbox { dir, from: from_address(from)? })
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

#[async_trait]
impl MailTransport for FileOutbox {
    async fn send(&self, m: &OutboxMessage) -> Result<(), SendError> {
        let message = build(m, &self.from)?;
        let path = self.dir.join(format!("{}.eml", m.id));
        let partial = self.dir.join(format!(".{}.eml.partial", m.id));
        let io = |e: std::io::Error| SendError { permanent: false, message: format!("{}: {e}", path.display()) };
        // Written whole then renamed, so a reader never sees half a message, and a second
        // attempt replaces the first rather than adding a copy.
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        options.mode(0o600);
        {
            use tokio::io::AsyncWriteExt;
            let mut f = options.open(&partial).await.map_err(io)?;
            f.write_all(&message.formatted()).await.map_err(io)?;
            f.sync_all().await.map_err(io)?;
        }
        tokio::fs::rename(&partial, &path).await.map_err(io)?;
        // The link is a credential: the log says where the message is, not what it says.
        tracing::info!(to = %m.recipient, kind = ?m.kind, file = %path.display(), "no SMTP server is configured; the message is in the file outbox");
        Ok(())
    }

    fn name(&self) -> &'static str {
        "file"
    }
}
