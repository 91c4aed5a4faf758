//! Mail: the messages Roster sends, their per-tenant templates, the outbox record that carries
//! them from the transaction that caused them to a transport, and the delivery rules (retries
//! with exponential backoff, a delivery event per outcome).

use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::events::{EventData, EventType, Outcome, RequestMeta};
use crate::model::{self, str_enum, Time};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a message is for; each kind carries one kind of one-time link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// An invitation to choose a user name and password and join the tenant.
    Invitation,
    /// A link that binds a device key to the account (enrollment and recovery).
    DeviceBinding,
    /// A link that sets a new password.
    PasswordReset,
}
str_enum!(MessageKind {
    Invitation => "invitation", DeviceBinding => "device_binding", PasswordReset => "password_reset",
});

impl MessageKind {
    /// The native path a link of this kind opens (the token goes in its query string, which
    /// the request log leaves out).
    pub fn link_path(self) -> &'static str {
        match self {
            MessageKind::Invitation => "/api/v1/invitation",
            MessageKind::DeviceBinding => "/api/v1/device-binding",
            MessageKind::PasswordReset => "/api/v1/password-reset",
        }
    }
}

/// A template of one message kind: subject, plain text and optional HTML, in minijinja syntax.
/// Variables: `tenant`, `user` (user_name, display_name, given_name, family_name, email),
/// `link`, `token`, `expires` (RFC 3339), `base_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailTemplate {
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
}

/// Longest template part accepted, in bytes.
const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
/// Rendering steps a template may take, so a tenant's template cannot loop for long.
const TEMPLATE_FUEL: u64 = 50_000;

impl MailTemplate {
    /// Roster's own template of a kind, used while a tenant has set none.
    pub fn default_for(kind: MessageKind) -> MailTemplate {
        let (subject, intro, action) = match kind {
            MessageKind::Invitation => (
                "You are invited to {{ tenant }}",
                "You have been invited to join {{ tenant }}.",
                "To accept, choose your user name and password here",
            ),
            MessageKind::DeviceBinding => (
                "Set up your device for {{ tenant }}",
                "A device key can now be bound to your {{ tenant }} account.",
                "To bind your device, open this link",
            ),
            MessageKind::PasswordReset => (
                "Reset your {{ tenant }} password",
                "Someone asked to reset the password of your {{ tenant }} account.",
                "To choose a new password, open this link",
            ),
        };
        let greeting = "Hello {{ user.display_name or user.user_name }},";
        let closing = match kind {
            MessageKind::PasswordReset => "If it was not you, ignore this message; your password stays as it is.",
            _ => "If you did not expect this message, ignore it.",
        };
        MailTemplate {
            subject: subject.into(),
            text: format!(
                "{greeting}\n\n{intro}\n{action} (valid until {{{{ expires }}}}):\n\n{{{{ link }}}}\n\n{closing}\n"
            ),
            html: Some(format!(
                "<p>{greeting}</p>\n<p>{intro}<br>{action} (valid until {{{{ expires }}}}):</p>\n\
                 <p><a href=\"{{{{ link }}}}\">{{{{ link }}}}</a></p>\n<p>{closing}</p>\n"
            )),
        }
    }

    /// Checks the template compiles and renders with sample values; names the part that fails.
    pub fn validate(&self) -> Result<(), CoreError> {
        for (field, text) in
            [("subject", Some(&self.subject)), ("text", Some(&self.text)), ("html", self.html.as_ref())]
        {
            if text.is_some_and(|t| t.len() > MAX_TEMPLATE_BYTES) {
                return Err(CoreError::invalid(field, format!("must be at most {MAX_TEMPLATE_BYTES} bytes")));
            }
            if text.is_some_and(|t| t.contains('\0')) {
                return Err(CoreError::invalid(field, "must not contain the NUL character (\\u0000)"));
            }
        }
        if self.subject.trim().is_empty() {
            return Err(CoreError::invalid("subject", "must not be empty"));
        }
        let sample = Context {
            tenant: "example",
            user: ContextUser {
                user_name: "jdoe",
                display_name: Some("Jane Doe"),
                given_name: Some("Jane"),
                family_name: Some("Doe"),
                email: Some("jdoe@example.com"),
            },
            link: "https://id.example.com/api/v1/invitation?token=sample",
            token: "sample",
            expires: "2030-01-01T00:00:00Z",
            base_url: "https://id.example.com",
        };
        self.render(&sample).map(drop).map_err(|(field, message)| CoreError::invalid(field, message))
    }

    /// Renders subject, text and HTML; an error names the part and what went wrong.
    fn render(&self, ctx: &Context<'_>) -> Result<Rendered, (&'static str, String)> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_auto_escape_callback(|name| {
            if name == "html" {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        let one = |env: &mut minijinja::Environment<'_>, name: &'static str, text: &str| {
            env.add_template_owned(name, text.to_owned()).map_err(|e| (name, e.to_string()))?;
            let t = env.get_template(name).map_err(|e| (name, e.to_string()))?;
            if name == "subject" {
                let used = t.undeclared_variables(false);
                if let Some(secret) = ["link", "token"].into_iter().find(|v| used.contains(*v)) {
                    return Err((name, format!("must not use {secret}: links and tokens go in the body only")));
                }
                return t.render(ctx.headline()).map_err(|e| (name, e.to_string()));
            }
            t.render(ctx.value()).map_err(|e| (name, e.to_string()))
        };
        let subject = one(&mut env, "subject", &self.subject)?;
        // A subject is one header line.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = one(&mut env, "text", &self.text)?;
        let html = match &self.html {
            Some(h) => Some(one(&mut env, "html", h)?),
            None => None,
        };
        Ok(Rendered { subject, text, html })
    }
}

#[derive(Serialize)]
struct ContextUser<'a> {
    user_name: &'a str,
    display_name: Option<&'a str>,
    given_name: Option<&'a str>,
    family_name: Option<&'a str>,
    email: Option<&'a str>,
}

struct Context<'a> {
    tenant: &'a str,
    user: ContextUser<'a>,
    link: &'a str,
    token: &'a str,
    expires: &'a str,
    base_url: &'a str,
}

impl Context<'_> {
    /// The values templates see. The link and base URL are Roster's own (the operator's URL and
    /// a base64url token), so HTML shows them as they are; everything else is escaped there.
    fn value(&self) -> minijinja::Value {
        use minijinja::Value;
        minijinja::context! {
            link => Value::from_safe_string(self.link.to_owned()),
            token => self.token,
            ..self.headline()
        }
    }

    /// The values a subject sees: everything but the link and its token. A subject is shown
    /// where a body is not (the outbox's delivery state, mail logs, a relay's queue listing),
    /// so nothing that opens an account may reach it, whatever the template does.
    fn headline(&self) -> minijinja::Value {
        use minijinja::Value;
        minijinja::context! {
            tenant => self.tenant,
            user => Value::from_serialize(&self.user),
            expires => self.expires,
            base_url => Value::from_safe_string(self.base_url.to_owned()),
        }
    }
}

struct Rendered {
    subject: String,
    text: String,
    html: Option<String>,
}

/// A message in the outbox. Its bodies are kept only until it is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Option<Uuid>,
    pub kind: MessageKind,
    pub recipient: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    /// The RFC 5322 Message-ID, the same on every attempt, so a receiver can drop a repeat.
    pub message_id: String,
    pub created: Time,
    pub attempts: u32,
    pub next_attempt: Time,
    pub sent: Option<Time>,
    pub failed: Option<Time>,
    pub last_error: Option<String>,
}

/// How many messages a user, and a tenant, may be sent in an hour. The store checks them in the
/// transaction that queues a message, counting it and every other queued that hour, so neither
/// concurrent requests nor one request sending many get past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailShare {
    pub per_user: u32,
    pub per_tenant: u32,
}

/// How a sealed body is stored in the outbox: this prefix, then the sealed bytes in base64url.
/// A body without it was written in the clear (by an older version) and is sent as it is.
pub(crate) const SEALED_BODY: &str = "sealed:v1:";

/// What a body is sealed for: its message and part, so no sealed body opens as another.
pub(crate) fn body_context(id: Uuid, part: &str) -> Vec<u8> {
    format!("roster outbox {id} {part}").into_bytes()
}

impl OutboxMessage {
    /// The message with its bodies (which carry a one-time link) sealed for storage.
    pub(crate) fn sealed(mut self, sealer: &dyn crate::connectors::Sealer) -> OutboxMessage {
        use base64::Engine;
        let id = self.id;
        let seal = |part: &str, body: &mut Option<String>| {
            if let Some(plain) = body.take() {
                let sealed = sealer.seal(plain.as_bytes(), &body_context(id, part));
                let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed);
                *body = Some(format!("{SEALED_BODY}{text}"));
            }
        };
        seal("text", &mut self.text);
        seal("html", &mut self.html);
        self
    }

    /// The message with its stored bodies opened for sending.
    pub(crate) fn opened(mut self, sealer: &dyn crate::connectors::Sealer) -> Result<OutboxMessage, String> {
        use base64::Engine;
        let id = self.id;
        let open = |part: &str, body: &mut Option<String>| -> Result<(), String> {
            let Some(sealed) = body.as_deref().and_then(|b| b.strip_prefix(SEALED_BODY)) else { return Ok(()) };
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(sealed)
                .map_err(|_| format!("the stored {part} body is damaged"))?;
            let plain = sealer.open(&bytes, &body_context(id, part))?;
            *body = Some(String::from_utf8(plain).map_err(|_| format!("the stored {part} body is not text"))?);
            Ok(())
        };
        open("text", &mut self.text)?;
        open("html", &mut self.html)?;
        Ok(self)
    }
}

/// How a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// The server refused the message for good (a 5xx reply): retrying cannot help.
    pub permanent: bool,
    /// What went wrong, for the event and the log (never a credential).
    pub message: String,
}

/// Where messages go: an SMTP server, or a local file outbox when none is configured.
#[async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, message: &OutboxMessage) -> Result<(), SendError>;
    /// "smtp" or "file", for events and logs.
    fn name(&self) -> &'static str;
}

/// How mail and one-time links behave.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The server's public base URL, which links start with.
    pub base_url: String,
    /// How long links stay valid, in seconds.
    pub invitation_ttl_seconds: i64,
    pub device_binding_ttl_seconds: i64,
    pub password_reset_ttl_seconds: i64,
    /// Messages one user may be sent per hour, and one tenant in all.
    pub per_user_per_hour: u32,
    pub per_tenant_per_hour: u32,
    /// Attempts before a message is given up on.
    pub max_attempts: u32,
    /// First retry delay, in seconds; each later one doubles, up to an hour.
    pub retry_base_seconds: i64,
    /// How long a sender holds a message it is sending before another may take it over: longer
    /// than any one delivery attempt can take.
    pub lease_seconds: i64,
}

impl MailSettings {
    pub fn new(base_url: &str) -> MailSettings {
        MailSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            invitation_ttl_seconds: 7 * 24 * 3600,
            device_binding_ttl_seconds: 24 * 3600,
            password_reset_ttl_seconds: 3600,
            per_user_per_hour: 5,
            per_tenant_per_hour: 1000,
            max_attempts: 12,
            retry_base_seconds: 10,
            lease_seconds: 300,
        }
    }

    pub fn ttl_seconds(&self, kind: MessageKind) -> i64 {
        match kind {
            MessageKind::Invitation => self.invitation_ttl_seconds,
            MessageKind::DeviceBinding => self.device_binding_ttl_seconds,
            MessageKind::PasswordReset => self.password_reset_ttl_seconds,
        }
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failed ones.
    pub fn backoff_seconds(&self, attempts: u32) -> i64 {
        let shift = attempts.saturating_sub(1).min(20);
        (self.retry_base_seconds.max(1) << shift).min(3600)
    }

    /// The host part of Message-IDs: the base URL's host.
    fn message_id_domain(&self) -> &str {
        let rest = self.base_url.split_once("://").map_or(self.base_url.as_str(), |(_, r)| r);
        let host = rest.split(['/', '?', '#']).next().unwrap_or("localhost");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = if host.starts_with('[') { host } else { host.split(':').next().unwrap_or(host) };
        if host.is_empty() {
            "localhost"
        } else {
            host
        }
    }
}

/// A message ready to go in the outbox with the change that causes it.
pub(crate) fn compose(
    settings: &MailSettings,
    template: &MailTemplate,
    tenant: &str,
    user: (Uuid, Uuid, &crate::model::UserSpec),
    kind: MessageKind,
    token: &str,
    expires: Time,
) -> Result<OutboxMessage, CoreError> {
    let (tenant_id, user_id, spec) = user;
    let recipient = spec.email.clone().ok_or_else(|| CoreError::invalid("email", "the user has no email address"))?;
    let link = format!("{}{}?token={token}", settings.base_url, kind.link_path());
    let expires_text = expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ctx = Context {
        tenant,
        user: ContextUser {
            user_name: &spec.user_name,
            display_name: spec.display_name.as_deref(),
            given_name: spec.given_name.as_deref(),
            family_name: spec.family_name.as_deref(),
            email: spec.email.as_deref(),
        },
        link: &link,
        token,
        expires: &expires_text,
        base_url: &settings.base_url,
    };
    // A stored template that no longer renders falls back to Roster's own, so mail still goes out.
    let rendered = match template.render(&ctx) {
        Ok(r) => r,
        Err((part, e)) => {
            tracing::warn!(tenant, kind = kind.as_str(), part, error = %e, "mail template does not render; using the default");
            MailTemplate::default_for(kind).render(&ctx).map_err(|(_, e)| CoreError::Internal(e))?
        }
    };
    let id = Uuid::now_v7();
    let now = model::now();
    Ok(OutboxMessage {
        id,
        tenant_id,
        user_id: Some(user_id),
        kind,
        recipient,
        subject: rendered.subject,
        text: Some(rendered.text),
        html: rendered.html,
        message_id: format!("<{id}@{}>", settings.message_id_domain()),
        created: now,
        attempts: 0,
        next_attempt: now,
        sent: None,
        failed: None,
        last_error: None,
    })
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    Sent,
    Retry { at: Time, error: &'a str },
    GaveUp { error: &'a str },
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub given_up: usize,
}

impl Directory {
    /// A tenant's template of a kind, or Roster's own while it has set none.
    pub async fn mail_template(&self, caller: &Caller, kind: MessageKind) -> Result<MailTemplate, CoreError> {
        self.template_for(caller.tenant_id, kind).await
    }

    pub async fn set_mail_template(
        &self,
        caller: &Caller,
        kind: MessageKind,
        template: MailTemplate,
    ) -> Result<MailTemplate, CoreError> {
        template.validate()?;
        let event = caller
            .event(EventType::MailTemplateChange, EventData::MailTemplateChange { kind: kind.as_str(), action: "SET" });
        self.store.set_mail_template(caller.tenant_id, kind, &template, model::now(), &event).await?;
        Ok(template)
    }

    /// Goes back to Roster's own template of a kind.
    pub async fn reset_mail_template(&self, caller: &Caller, kind: MessageKind) -> Result<(), CoreError> {
        let event = caller.event(
            EventType::MailTemplateChange,
            EventData::MailTemplateChange { kind: kind.as_str(), action: "RESET" },
        );
        self.store.delete_mail_template(caller.tenant_id, kind, &event).await?;
        Ok(())
    }

    /// The template a message of this kind is rendered with.
    pub(crate) async fn template_for(&self, tenant: Uuid, kind: MessageKind) -> Result<MailTemplate, CoreError> {
        Ok(self.store.mail_template(tenant, kind).await?.unwrap_or_else(|| MailTemplate::default_for(kind)))
    }

    /// Refuses `count` messages (to `user`, when one is named) when they would take the user or
    /// the tenant past its hourly share. Every message counts, so one request that sends many
    /// is held to the same share as many requests.
    pub(crate) async fn check_mail_rate(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
        count: usize,
    ) -> Result<(), CoreError> {
        let since = model::now() - chrono::Duration::hours(1);
        let s = &self.mail;
        let caps = (s.per_user_per_hour, s.per_tenant_per_hour);
        let (per_user, per_tenant) = self.store.messages_since(tenant, user, since, caps).await?;
        let count = count as u64;
        if user.is_some() && per_user + count > u64::from(s.per_user_per_hour) {
            return Err(CoreError::RateLimited { retry_after_seconds: 3600, what: "messages to this user" });
        }
        if per_tenant + count > u64::from(s.per_tenant_per_hour) {
            return Err(CoreError::RateLimited { retry_after_seconds: 3600, what: "messages from this tenant" });
        }
        Ok(())
    }

    /// Delivers up to `batch` due messages through `transport`, one at a time: each is claimed for
    /// the lease (so several processes never send one at once), sent, then marked sent with its
    /// event in one transaction. A failure schedules a retry with exponential backoff, or gives up
    /// after the last attempt or a permanent refusal. A crash after sending and before marking
    /// sends the message again, under the same Message-ID.
    pub async fn deliver_due(&self, transport: &dyn MailTransport, batch: u32) -> Result<Delivered, CoreError> {
        let mut done = Delivered::default();
        for _ in 0..batch {
            let now = model::now();
            let lease = now + chrono::Duration::seconds(self.mail.lease_seconds.max(1));
            let Some(m) = self.store.claim_message(now, lease).await? else { break };
            // A body that does not open here (another process's secret key) waits for a process
            // that has the right one, as any temporary failure would.
            let result = match m.clone().opened(self.sealer()?) {
                Ok(open) => transport.send(&open).await,
                Err(message) => Err(SendError { permanent: false, message }),
            };
            let at = model::now();
            let attempt = match &result {
                Ok(()) => Attempt::Sent,
                Err(e) if !e.permanent && m.attempts < self.mail.max_attempts => Attempt::Retry {
                    at: at + chrono::Duration::seconds(self.mail.backoff_seconds(m.attempts)),
                    error: &e.message,
                },
                Err(e) => Attempt::GaveUp { error: &e.message },
            };
            let (outcome, status, error) = match attempt {
                Attempt::Sent => (Outcome::Success, "SENT", None),
                Attempt::Retry { error, .. } => (Outcome::Failure, "RETRY", Some(error.to_owned())),
                Attempt::GaveUp { error } => (Outcome::Error, "GAVE_UP", Some(error.to_owned())),
            };
            let system = Caller::system(m.tenant_id, &RequestMeta::internal());
            let event = system
                .event(
                    EventType::MessageDelivery,
                    EventData::MessageDelivery {
                        message: m.id,
                        message_id: m.message_id.clone(),
                        kind: m.kind.as_str(),
                        user_id: m.user_id,
                        recipient: m.recipient.clone(),
                        transport: transport.name(),
                        attempt: m.attempts,
                        result: status,
                        error,
                    },
                )
                .outcome(outcome);
            self.store.finish_message(m.id, &attempt, at, &event).await?;
            match attempt {
                Attempt::Sent => {
                    tracing::info!(message = %m.id, kind = m.kind.as_str(), transport = transport.name(), attempt = m.attempts, "message delivered");
                    done.sent += 1;
                }
                Attempt::Retry { at: next, error } => {
                    tracing::warn!(message = %m.id, attempt = m.attempts, error, retry_at = %next, "message delivery failed; will retry");
                    done.retrying += 1;
                }
                Attempt::GaveUp { error } => {
                    tracing::error!(message = %m.id, attempt = m.attempts, error, "message delivery gave up");
                    done.given_up += 1;
                }
            }
        }
        Ok(done)
    }

    /// A message of the tenant's outbox, by id.
    pub async fn outbox_message(&self, caller: &Caller, id: Uuid) -> Result<OutboxMessage, CoreError> {
        self.store.outbox_message(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "message" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_templates_render_and_html_is_escaped() {
        for kind in [MessageKind::Invitation, MessageKind::DeviceBinding, MessageKind::PasswordReset] {
            MailTemplate::default_for(kind).validate().unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        }
        let t = MailTemplate {
            subject: "Hi\r\nBcc: x@example.com {{ user.user_name }}".into(),
            text: "{{ user.display_name }}".into(),
            html: Some("<b>{{ user.display_name }}</b>".into()),
        };
        let spec = crate::model::UserSpec {
            user_name: "a".into(),
            display_name: Some("<script>".into()),
            email: Some("a@example.com".into()),
            ..Default::default()
        };
        let settings = MailSettings::new("https://id.example.com:8443/");
        let render = |t: &MailTemplate| {
            let user = (Uuid::nil(), Uuid::nil(), &spec);
            compose(&settings, t, "acme", user, MessageKind::Invitation, "tok", model::now())
                .unwrap_or_else(|e| panic!("{e:?}"))
        };
        let m = render(&t);
        assert_eq!(m.subject, "Hi Bcc: x@example.com a", "one header line");
        assert_eq!(m.text.as_deref(), Some("<script>"));
        assert_eq!(m.html.as_deref(), Some("<b>&lt;script&gt;</b>"));
        let t = MailTemplate { html: Some("<a href=\"{{ link }}\">{{ link }}</a>".into()), ..t };
        let m = render(&t);
        let link = "https://id.example.com:8443/api/v1/invitation?token=tok";
        assert_eq!(m.html, Some(format!("<a href=\"{link}\">{link}</a>")));
        assert!(m.message_id.ends_with("@id.example.com>"), "{}", m.message_id);

        // Stored, the bodies are sealed for this message; sent, they are as composed.
        let sealed = m.clone().sealed(&XorSealer);
        for body in [&sealed.text, &sealed.html] {
            let body = body.as_deref().unwrap();
            assert!(body.starts_with(SEALED_BODY) && !body.contains("token=tok"), "{body}");
        }
        assert_eq!(sealed.clone().opened(&XorSealer).unwrap(), m);
        let elsewhere = OutboxMessage { id: Uuid::now_v7(), ..sealed };
        assert!(elsewhere.opened(&XorSealer).is_err(), "a sealed body opens for its own message only");
        // A body stored in the clear by an older version is sent as it is.
        assert_eq!(m.clone().opened(&XorSealer).unwrap(), m);
    }

    /// A stand-in for the server's sealer: XOR under the context, refusing another context.
    struct XorSealer;
    impl crate::connectors::Sealer for XorSealer {
        fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
            let mut out = context.to_vec();
            out.push(0);
            out.extend(plain.iter().map(|b| b ^ 0x5a));
            out
        }
        fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, String> {
            let body = sealed.strip_prefix(context).and_then(|r| r.strip_prefix(&[0])).ok_or("another record")?;
            Ok(body.iter().map(|b| b ^ 0x5a).collect())
        }
    }

    #[test]
    fn bad_templates_are_refused_naming_the_part() {
        let bad = |subject: &str, text: &str| {
            MailTemplate { subject: subject.into(), text: text.into(), html: None }.validate()
        };
        assert!(matches!(bad("ok", "{{ nosuch }}"), Err(CoreError::Validation(e)) if e[0].field == "text"));
        assert!(matches!(bad("{% if %}", "x"), Err(CoreError::Validation(e)) if e[0].field == "subject"));
        assert!(
            matches!(bad("\0", "x"), Err(CoreError::Validation(e)) if e[0].field == "subject"),
            "PostgreSQL cannot store NUL"
        );
        assert!(
            matches!(bad("x", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
            Err(CoreError::Validation(e)) if e[0].field == "text"),
            "runs out of fuel"
        );
        // A link or its token never reaches a subject, however the template reaches for it.
        for subject in ["Reset: {{ link }}", "{{ token | upper }}", "{% set t = token %}{{ t }}"] {
            let refused = bad(subject, "{{ link }}");
            assert!(
                matches!(&refused, Err(CoreError::Validation(e)) if e[0].field == "subject"),
                "{subject}: {refused:?}"
            );
        }
        assert!(bad("Hello {{ user.user_name }}, until {{ expires }}", "{{ link }}").is_ok());
        // The subject is rendered without them: even a dump of everything it sees holds neither.
        let dump = MailTemplate { subject: "{{ debug() }}".into(), text: "{{ link }}".into(), html: None };
        let sample = |ctx: &Context<'_>| dump.render(ctx).map(|r| r.subject);
        let ctx = Context {
            tenant: "t",
            user: ContextUser { user_name: "u", display_name: None, given_name: None, family_name: None, email: None },
            link: "https://id.example.com/reset?token=SECRET-TOKEN",
            token: "SECRET-TOKEN",
            expires: "2030-01-01T00:00:00Z",
            base_url: "https://id.example.com",
        };
        let subject = sample(&ctx).unwrap();
        assert!(subject.contains("u") && !subject.contains("SECRET-TOKEN"), "{subject}");
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let s = MailSettings::new("http://x");
        assert_eq!((1..=5).map(|a| s.backoff_seconds(a)).collect::<Vec<_>>(), vec![10, 20, 40, 80, 160]);
        assert_eq!(s.backoff_seconds(30), 3600);
    }
}
