//! The native face's wire types: snake_case JSON, UUID ids, RFC 3339 times.

use chrono::{DateTime, Utc};
use roster_core::connectors::{ConnectionSpec, GroupSource};
use roster_core::model::{self, Deleted, Depth, InactiveReason, PrincipalKind, UserKind, UserStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A user as the native API shows it. Every attribute is present unless `fields` or
/// `exclude_fields` leave it out; `id` always is.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    /// Per-tenant integer id.
    #[schema(required = false)]
    pub number: i64,
    pub external_id: Option<String>,
    #[schema(required = false)]
    pub user_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    #[schema(required = false)]
    pub email_verified: bool,
    #[schema(required = false)]
    pub kind: UserKind,
    #[schema(required = false)]
    pub status: UserStatus,
    pub inactive_reason: Option<InactiveReason>,
    #[schema(value_type = Object)]
    #[schema(required = false)]
    pub claims: serde_json::Value,
    pub unix_user_name: Option<String>,
    pub unix_home_directory: Option<String>,
    pub user_principal_name: Option<String>,
    pub domain_name: Option<String>,
    pub distinguished_name: Option<String>,
    #[schema(required = false)]
    pub guest: bool,
    #[schema(required = false)]
    pub created: DateTime<Utc>,
    #[schema(required = false)]
    pub modified: DateTime<Utc>,
    /// When the user was soft-deleted; absent while it is not.
    pub deleted: Option<DateTime<Utc>>,
    /// Increases with every change; the ETag carries it.
    #[schema(required = false)]
    pub version: i64,
    /// When the password was last set; absent while the user has none.
    pub password_changed: Option<DateTime<Utc>>,
    /// The user must choose a new password at the next sign-in.
    #[schema(required = false)]
    pub password_must_change: bool,
    /// Failed sign-ins since the last successful one.
    #[schema(required = false)]
    pub failed_logons: i64,
    /// While the account is temporarily locked, when the lock ends; absent otherwise.
    pub locked_until: Option<DateTime<Utc>>,
    /// While an invitation is pending, when its link expires; absent otherwise.
    pub invitation_expires: Option<DateTime<Utc>>,
    /// The directory connection a directory user comes from.
    pub directory_id: Option<Uuid>,
    /// The access policy assigned to the user; the tenant's default applies when absent.
    pub access_policy_id: Option<Uuid>,
    /// When the user first became active; absent while it never was.
    pub activated: Option<DateTime<Utc>>,
    /// When its email was confirmed (`email_verified` set); absent while it is not.
    pub email_confirmed: Option<DateTime<Utc>>,
    /// When the user last signed in itself (an impersonation does not count); absent while it never did.
    pub last_sign_in: Option<DateTime<Utc>>,
    /// How: `password`, `directory`, `device` or `client_credentials`.
    pub last_sign_in_method: Option<String>,
    /// For a directory sign-in, the name of the directory connection that checked the password.
    pub last_sign_in_source: Option<String>,
}

impl From<model::User> for User {
    fn from(u: model::User) -> Self {
        let s = u.spec;
        User {
            id: u.id,
            number: u.number,
            external_id: s.external_id,
            user_name: s.user_name,
            display_name: s.display_name,
            given_name: s.given_name,
            family_name: s.family_name,
            email: s.email,
            email_verified: s.email_verified,
            kind: s.kind,
            status: s.status,
            inactive_reason: s.inactive_reason,
            claims: s.claims,
            unix_user_name: s.unix_user_name,
            unix_home_directory: s.unix_home_directory,
            user_principal_name: s.user_principal_name,
            domain_name: s.domain_name,
            distinguished_name: s.distinguished_name,
            guest: s.guest,
            created: u.created,
            modified: u.modified,
            deleted: u.deleted,
            version: u.version,
            password_changed: u.password_changed,
            password_must_change: u.password_must_change,
            failed_logons: u.failed_logons,
            locked_until: u.locked_until.filter(|t| *t > model::now()),
            invitation_expires: u.invitation_expires,
            directory_id: s.directory_id,
            access_policy_id: u.access_policy,
            activated: u.activated,
            email_confirmed: u.email_confirmed,
            last_sign_in: u.last_sign_in.as_ref().map(|l| l.at),
            last_sign_in_method: u.last_sign_in.as_ref().map(|l| l.method.clone()),
            last_sign_in_source: u.last_sign_in.and_then(|l| l.source),
        }
    }
}

/// A group as the native API shows it (every attribute unless a projection leaves it out).
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub id: Uuid,
    #[schema(required = false)]
    pub number: i64,
    #[schema(required = false)]
    pub name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// Kept by the system; cannot be changed or deleted.
    #[schema(required = false)]
    pub system: bool,
    #[schema(required = false)]
    pub created: DateTime<Utc>,
    #[schema(required = false)]
    pub modified: DateTime<Utc>,
    pub deleted: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub version: i64,
    /// The directory group whose members this group follows; absent for a local group.
    pub directory_source: Option<GroupSource>,
    /// The access policy assigned to the group; it governs every member, direct or indirect.
    pub access_policy_id: Option<Uuid>,
}

impl From<model::Group> for Group {
    fn from(g: model::Group) -> Self {
        Group {
            id: g.id,
            number: g.number,
            name: g.spec.name,
            external_id: g.spec.external_id,
            display_name: g.spec.display_name,
            description: g.spec.description,
            system: g.system,
            created: g.created,
            modified: g.modified,
            deleted: g.deleted,
            version: g.version,
            directory_source: g.source,
            access_policy_id: g.access_policy,
        }
    }
}

/// A user or a group, by the attributes both have (every attribute unless a projection leaves it out).
#[derive(Debug, Serialize, ToSchema)]
pub struct Principal {
    #[schema(required = false)]
    pub kind: PrincipalKind,
    pub id: Uuid,
    #[schema(required = false)]
    pub number: i64,
    /// The user's user_name or the group's name.
    #[schema(required = false)]
    pub name: String,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    #[schema(required = false)]
    pub created: DateTime<Utc>,
    #[schema(required = false)]
    pub modified: DateTime<Utc>,
    pub deleted: Option<DateTime<Utc>>,
}

impl From<model::Principal> for Principal {
    fn from(p: model::Principal) -> Self {
        Principal {
            kind: p.kind,
            id: p.id,
            number: p.number,
            name: p.name,
            display_name: p.display_name,
            external_id: p.external_id,
            created: p.created,
            modified: p.modified,
            deleted: p.deleted,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The number of matching records, when `count=true` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// Parameters of every listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A filter such as `user_name sw "al" and status eq "active"`; operators eq ne co sw ew pr gt ge lt le in, with and, or, not and parentheses.
    pub filter: Option<String>,
    /// The attribute to sort by, `-` first for descending (e.g. `-created`).
    pub sort: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also answer the total number of matches.
    pub count: Option<bool>,
    /// Only these attributes, comma-separated (`id` is always included).
    pub fields: Option<String>,
    /// All but these attributes, comma-separated.
    pub exclude_fields: Option<String>,
    /// Soft-deleted records: `exclude` (default), `include` or `only`.
    #[param(inline)]
    pub deleted: Option<Deleted>,
}

/// Parameters of membership listings: listing parameters plus the depth.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembershipParams {
    /// `direct` (default) or `indirect` (through nested groups).
    #[param(inline)]
    pub depth: Option<Depth>,
    pub filter: Option<String>,
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub count: Option<bool>,
    pub fields: Option<String>,
    pub exclude_fields: Option<String>,
    #[param(inline)]
    pub deleted: Option<Deleted>,
}

impl MembershipParams {
    pub fn split(self) -> (Depth, ListParams) {
        (
            self.depth.unwrap_or_default(),
            ListParams {
                filter: self.filter,
                sort: self.sort,
                limit: self.limit,
                cursor: self.cursor,
                count: self.count,
                fields: self.fields,
                exclude_fields: self.exclude_fields,
                deleted: self.deleted,
            },
        )
    }
}

/// Parameters of single-record reads.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// Only these attributes, comma-separated.
    pub fields: Option<String>,
    /// All but these attributes, comma-separated.
    pub exclude_fields: Option<String>,
}

/// Parameters of DELETE.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Remove the record for good instead of soft-deleting it.
    pub permanent: Option<bool>,
}

/// A member to add to a group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub kind: PrincipalKind,
    pub id: Uuid,
}

/// The outcome of adding a member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAdded {
    /// False when it was a member already.
    pub added: bool,
}

/// An API key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// One of the built-in roles: regular, reader, user-admin, admin, super-admin.
    pub role: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

impl From<model::ApiKey> for ApiKey {
    fn from(k: model::ApiKey) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            role: k.role,
            created: k.created,
            expires: k.expires,
            last_used: k.last_used,
            revoked: k.revoked,
        }
    }
}

/// A key to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// regular, reader, user-admin, admin or super-admin.
    pub role: String,
    /// When it stops working; never when absent.
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    /// `standard` (50 characters, the default) or `long` (135 characters, for clients that
    /// require keys of 128 or more, such as BeyondInsight's).
    #[serde(default)]
    pub format: roster_core::apikey::KeyFormat,
}

/// A key just made, with its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyCreated {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The bearer secret. It is shown this once.
    pub secret: String,
}

/// A password to set. Never logged, never answered.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
    /// The user must choose a new one at the next sign-in.
    #[serde(default)]
    pub must_change: bool,
}

/// A password to check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordCandidate {
    pub password: String,
}

macro_rules! redacted_debug {
    ($($t:ty),+) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { password: [redacted] }"))
            }
        }
    )+};
}
redacted_debug!(SetPassword, PasswordCandidate);

/// The outcome of a password check.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordCheck {
    pub valid: bool,
    /// Every rule the password breaks.
    #[schema(value_type = Vec<super::errors::FieldErrorDoc>)]
    pub errors: Vec<roster_core::FieldError>,
}

/// A sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The tenant's name; `default` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// The user name or the email address.
    pub username: String,
    pub password: String,
}

/// A refresh token to trade.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("tenant", &self.tenant).field("username", &self.username).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: [redacted] }")
    }
}

/// A change of one's own password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePassword { [redacted] }")
    }
}

/// A built-in role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: Vec<&'static str>,
    /// Only a caller with `tenant:admin` (rank SUPER) assigns or removes it.
    pub administrative: bool,
}

impl From<&'static roster_core::access::Role> for RoleInfo {
    fn from(r: &'static roster_core::access::Role) -> Self {
        RoleInfo {
            name: r.name,
            description: r.description,
            permissions: r.permissions.iter().map(|p| p.as_str()).collect(),
            administrative: r.is_administrative(),
        }
    }
}

/// The roles of a user or group.
#[derive(Debug, Serialize, ToSchema)]
pub struct Roles {
    /// Assigned to it.
    pub direct: Vec<String>,
    /// Held in all: its own and those of every group it belongs to, nested or not (for users,
    /// `regular` always).
    pub effective: Vec<String>,
}

impl From<roster_core::roles::RoleSet> for Roles {
    fn from(r: roster_core::roles::RoleSet) -> Self {
        Roles { direct: r.direct, effective: r.effective }
    }
}

/// An application user's client credentials, shown once.
#[derive(Serialize, ToSchema)]
pub struct ClientCredentials {
    /// The application user's id.
    pub client_id: Uuid,
    /// Shown this once; stored only as a hash.
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// Whom to impersonate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Impersonate {
    pub user_id: Uuid,
}

/// Who acted, in an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventActor {
    /// User, ApiKey, Operator, System or Anonymous.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub display_name: String,
    pub display_id: String,
    pub tenant_id: Uuid,
}

/// Who really acted in an impersonation session.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventImpersonator {
    /// user or api_key.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Uuid,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: Uuid,
    /// The request id of the request that caused it (`X-Request-Id`).
    pub correlation_id: String,
    pub tenant_id: Uuid,
    /// directory or auth.
    pub service: &'static str,
    /// From the catalogue: USER_CHANGE, GROUP_CHANGE, GROUP_MEMBERSHIP_CHANGE, ROLE_CHANGE,
    /// USER_AUTHENTICATION, SESSION_CHANGE, CREDENTIAL_CHANGE, API_KEY_CHANGE, IMPERSONATION,
    /// POLICY_CHANGE, TENANT_CREATED, ONE_TIME_LINK, MESSAGE_DELIVERY, MAIL_TEMPLATE_CHANGE,
    /// DIRECTORY_CONNECTION_CHANGE, and the
    /// START/SUCCESS/FAIL events of listing users and groups.
    pub event_type: &'static str,
    /// SUCCESS, FAILURE, DENIED or ERROR.
    pub outcome: &'static str,
    pub actor: EventActor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<EventImpersonator>,
    pub occurred_millis: i64,
    pub recorded_millis: i64,
    /// False when the data holds input nobody verified (a refused request's message, a typed user name).
    pub attested: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// What happened, tagged by `type_name`; changes list each field's `before` and `after`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<roster_core::events::Event> for Event {
    fn from(e: roster_core::events::Event) -> Self {
        Event {
            id: e.id,
            correlation_id: e.correlation_id,
            tenant_id: e.tenant_id,
            service: e.service.as_str(),
            event_type: e.event_type.as_str(),
            outcome: e.outcome.as_str(),
            actor: EventActor {
                kind: e.actor.kind.as_str(),
                id: e.actor.id,
                display_name: e.actor.display_name,
                display_id: e.actor.display_id,
                tenant_id: e.actor.tenant_id,
            },
            impersonator: e.impersonator.map(|a| EventImpersonator { kind: a.kind.as_str(), id: a.id }),
            occurred_millis: e.occurred,
            recorded_millis: e.recorded,
            attested: e.attested,
            ip: e.ip,
            user_agent: e.user_agent,
            data: e.data,
        }
    }
}

impl Event {
    /// An event as one stream line: the event with the `cursor` that resumes after it.
    pub fn stream_line(e: roster_core::events::StoredEvent) -> serde_json::Value {
        let cursor = roster_core::audit::stream_cursor(&e);
        let mut json = serde_json::to_value(Event::from(e.event)).unwrap_or_default();
        json["cursor"] = cursor.into();
        json
    }
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Present when more events follow: pass it as `cursor` with the same ordering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// When a freshly sent link stops working.
#[derive(Serialize, ToSchema)]
pub struct LinkSent {
    pub expires: DateTime<Utc>,
}

/// The token a one-time link carries, in its query string.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    /// The `token` of the link, as the message gave it.
    pub token: String,
}

/// What a one-time link stands for.
#[derive(Serialize, ToSchema)]
pub struct LinkInfo {
    pub purpose: roster_core::mail::MessageKind,
    pub expires: DateTime<Utc>,
    pub tenant: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

impl From<roster_core::enrollment::Link> for LinkInfo {
    fn from(l: roster_core::enrollment::Link) -> Self {
        LinkInfo {
            purpose: l.purpose,
            expires: l.expires,
            tenant: l.tenant,
            user_name: l.user.spec.user_name,
            display_name: l.user.spec.display_name,
            email: l.user.spec.email,
        }
    }
}

/// An invited user's choice of user name, to check before accepting.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserNameQuestion {
    pub token: String,
    pub user_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserNameAvailability {
    pub available: bool,
}

/// Accepting an invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    pub user_name: String,
    pub display_name: String,
    /// The first password; checked against the tenant's policy.
    #[serde(default)]
    pub password: Option<String>,
    /// The user's subject at an external identity provider (kept as the claim `jwt_subject`).
    #[serde(default)]
    pub jwt_subject: Option<String>,
}

/// Binding a device key through a binding link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindDevice {
    pub token: String,
    /// A name the user knows the device by.
    pub name: String,
    /// The device's Ed25519 or P-256 public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
}

/// A device credential (its public key is not shown).
#[derive(Serialize, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub algorithm: roster_core::devices::KeyAlgorithm,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

impl From<roster_core::devices::DeviceCredential> for Device {
    fn from(d: roster_core::devices::DeviceCredential) -> Self {
        Device {
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            algorithm: d.algorithm,
            created: d.created,
            last_used: d.last_used,
            revoked: d.revoked,
        }
    }
}

/// Asking for a sign-in challenge for a device credential.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The tenant's name; `default` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    pub credential_id: Uuid,
}

/// A challenge to sign with the device key.
#[derive(Serialize, ToSchema)]
pub struct ChallengeIssued {
    pub challenge_id: Uuid,
    /// Sign the UTF-8 bytes of this text.
    pub challenge: String,
    pub expires_in: i64,
}

/// A signed challenge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSignIn {
    pub challenge_id: Uuid,
    /// The signature, base64url (or base64): 64 bytes for Ed25519; DER or r‖s for P-256.
    pub signature: String,
}

/// Asking for a password-reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The tenant's name; `default` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// The user name or the email address.
    pub username: String,
}

/// A new password through a reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub token: String,
    pub password: String,
}

/// An outbox message's delivery state. Neither its bodies (which carry a link) nor its subject
/// (written by a template, so shown nowhere a link must not be) are part of it.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub kind: roster_core::mail::MessageKind,
    pub user_id: Option<Uuid>,
    pub recipient: String,
    pub message_id: String,
    pub created: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt: DateTime<Utc>,
    pub sent: Option<DateTime<Utc>>,
    pub failed: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<roster_core::mail::OutboxMessage> for OutboxMessage {
    fn from(m: roster_core::mail::OutboxMessage) -> Self {
        OutboxMessage {
            id: m.id,
            kind: m.kind,
            user_id: m.user_id,
            recipient: m.recipient,
            message_id: m.message_id,
            created: m.created,
            attempts: m.attempts,
            next_attempt: m.next_attempt,
            sent: m.sent,
            failed: m.failed,
            last_error: m.last_error,
        }
    }
}

/// A user to invite: as a new user, but `email` is required and `user_name` may wait for the
/// user's own choice (until then it is the email).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    pub email: String,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default = "model::empty_object")]
    #[schema(value_type = Object)]
    pub claims: serde_json::Value,
}

impl From<Invite> for model::UserSpec {
    fn from(i: Invite) -> Self {
        model::UserSpec {
            user_name: i.user_name.unwrap_or_default(),
            email: Some(i.email),
            external_id: i.external_id,
            display_name: i.display_name,
            given_name: i.given_name,
            family_name: i.family_name,
            claims: i.claims,
            ..model::UserSpec::default()
        }
    }
}

/// A directory connection as the native API shows it: its settings, never its bind password.
#[derive(Debug, Serialize, ToSchema)]
pub struct Connection {
    pub id: Uuid,
    /// As created or last replaced, without the bind password.
    pub settings: ConnectionSpec,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    /// Increases with every change; the ETag carries it.
    pub version: i64,
}

impl From<roster_core::connectors::Connection> for Connection {
    fn from(c: roster_core::connectors::Connection) -> Self {
        Connection { id: c.id, settings: c.spec, created: c.created, modified: c.modified, version: c.version }
    }
}

/// The account a directory user is created from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryAccountRef {
    /// As people type it: `name`, `DOMAIN\name` or `name@realm` (AD), or a distinguished name.
    pub account: String,
}

/// The directory group a group is to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryGroupRef {
    pub connection_id: Uuid,
    /// The directory group's distinguished name.
    pub dn: String,
}

/// A new group that follows a directory group of the connection from the start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDirectoryGroup {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The directory group's distinguished name.
    pub dn: String,
}

/// A group just linked to a directory group, and what the first sync changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedGroup {
    pub group: Group,
    pub sync: roster_core::connectors::SyncReport,
}

/// An access policy: the networks its users may sign in from.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessPolicy {
    pub id: Uuid,
    /// Per-tenant integer id; the default policy is 1.
    pub number: i64,
    pub name: String,
    pub description: Option<String>,
    pub allowed_networks: Vec<String>,
    /// The tenant's default policy, which applies to users assigned none.
    pub default: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl From<roster_core::access_policies::AccessPolicy> for AccessPolicy {
    fn from(p: roster_core::access_policies::AccessPolicy) -> Self {
        AccessPolicy {
            id: p.id,
            number: p.number,
            name: p.spec.name,
            description: p.spec.description,
            allowed_networks: p.spec.allowed_networks,
            default: p.default,
            created: p.created,
            modified: p.modified,
        }
    }
}

/// The access policy to assign a user (null: the tenant's default) or a group (null: none).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyAssignment {
    pub access_policy_id: Option<Uuid>,
}

/// A secret, without its value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Secret {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The users who own it and alone may read its value.
    pub owners: Vec<Uuid>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl From<roster_core::secrets::Secret> for Secret {
    fn from(s: roster_core::secrets::Secret) -> Self {
        Secret {
            id: s.id,
            name: s.name,
            description: s.description,
            owners: s.owners,
            created: s.created,
            modified: s.modified,
        }
    }
}

/// A secret's value, answered to an owner.
#[derive(Serialize, ToSchema)]
pub struct SecretValue {
    pub value: String,
}

/// A user to own a secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOwner {
    pub user_id: Uuid,
}
