//! Table and column names, and rows turned into core records.

use crate::exec::Row;
use chrono::DateTime;
use roster_core::access_policies::{AccessPolicy, AccessPolicySpec};
use roster_core::connectors::{Connection, GroupSource};
use roster_core::devices::{Challenge, DeviceCredential, KeyAlgorithm};
use roster_core::enrollment::OneTimeToken;
use roster_core::events::{ActorType, Event, EventActor, EventType, Outcome, Service, StoredEvent};
use roster_core::mail::{MailTemplate, MessageKind, OutboxMessage};
use roster_core::model::{
    Actor, ActorKind, ApiKey, FederatedIdentity, Group, GroupSpec, InactiveReason, Principal, PrincipalKind, SignIn,
    Tenant, Time, User, UserKind, UserSpec, UserStatus,
};
use roster_core::secrets::Secret;
use roster_core::store::{StoreError, StoreResult};
use roster_core::token::{KeySession, Session, SigningKey};
use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Tenants {
    Table,
    Id,
    Name,
    CreatedAt,
    UserSeq,
    GroupSeq,
    PolicySeq,
    PasswordPolicy,
    LockoutPolicy,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    Role,
    Hash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    TenantId,
    Number,
    ExternalId,
    UserName,
    UserNameKey,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    EmailKey,
    EmailVerified,
    Kind,
    Status,
    InactiveReason,
    Claims,
    UnixUserName,
    UnixHomeDirectory,
    UserPrincipalName,
    DomainName,
    DistinguishedName,
    Guest,
    CreatedAt,
    ModifiedAt,
    DeletedAt,
    Version,
    PasswordMustChange,
    PasswordChangedAt,
    FailedLogons,
    LockedUntil,
    InvitationExpiresAt,
    FederatedProviderId,
    FederatedUrl,
    FederatedSubjectId,
    DirectoryId,
    AccessPolicyId,
    ActivatedAt,
    EmailConfirmedAt,
    LastSignInAt,
    LastSignInMethod,
    LastSignInSource,
}

#[derive(Iden, Clone, Copy)]
pub enum Secrets {
    Table,
    Id,
    TenantId,
    Name,
    NameKey,
    Description,
    SealedValue,
    CreatedAt,
    ModifiedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SecretOwners {
    Table,
    SecretId,
    UserId,
    TenantId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AccessPolicies {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    NameKey,
    Description,
    AllowedNetworks,
    IsDefault,
    CreatedAt,
    ModifiedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ComputerUserNames {
    Table,
    TenantId,
    NameKey,
    UserId,
    Position,
    Name,
}

#[derive(Iden, Clone, Copy)]
pub enum Smartcards {
    Table,
    UserId,
    Position,
    TenantId,
    Number,
    Label,
}

#[derive(Iden, Clone, Copy)]
pub enum LogonFailures {
    Table,
    TenantId,
    UserId,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum RoleAssignments {
    Table,
    TenantId,
    UserId,
    GroupId,
    Role,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ClientSecrets {
    Table,
    UserId,
    TenantId,
    Hash,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum UserPasswords {
    Table,
    Id,
    TenantId,
    UserId,
    Hash,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SigningKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicJwk,
    CreatedAt,
    RetiredAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    TenantId,
    UserId,
    RefreshHash,
    PreviousRefreshHash,
    CreatedAt,
    RefreshedAt,
    ExpiresAt,
    RevokedAt,
    ActorKind,
    ActorId,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiKeySessions {
    Table,
    Id,
    TenantId,
    ApiKeyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Groups {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    NameKey,
    ExternalId,
    DisplayName,
    Description,
    System,
    CreatedAt,
    ModifiedAt,
    DeletedAt,
    Version,
    DirectoryId,
    DirectoryDn,
    SyncedAt,
    SyncDueAt,
    AccessPolicyId,
}

#[derive(Iden, Clone, Copy)]
pub enum DirectoryConnections {
    Table,
    Id,
    TenantId,
    Name,
    NameKey,
    Settings,
    SealedPassword,
    CreatedAt,
    ModifiedAt,
    Version,
}

#[derive(Iden, Clone, Copy)]
pub enum GroupUsers {
    Table,
    TenantId,
    GroupId,
    UserId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum GroupGroups {
    Table,
    TenantId,
    ParentId,
    ChildId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Events {
    Table,
    Seq,
    Txid,
    Id,
    TenantId,
    CorrelationId,
    CorrelationKey,
    Service,
    EventType,
    Outcome,
    ActorType,
    ActorId,
    ActorName,
    ActorNameKey,
    ActorDisplayId,
    ActorDisplayKey,
    ActorTenantId,
    ImpersonatorType,
    ImpersonatorId,
    OccurredAt,
    RecordedAt,
    Attested,
    Ip,
    UserAgent,
    Data,
    Search,
}

pub fn millis(t: Time) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(ms: i64) -> StoreResult<Time> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Backend(format!("time out of range: {ms}")))
}

pub(crate) fn opt_time(ms: Option<i64>) -> StoreResult<Option<Time>> {
    ms.map(time).transpose()
}

fn parse_enum<T>(col: &str, s: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(s).ok_or_else(|| StoreError::Backend(format!("unknown {col} '{s}' in the database")))
}

pub fn tenant(r: &Row) -> StoreResult<Tenant> {
    Ok(Tenant { id: r.uuid("id")?, name: r.text("name")?, created: time(r.i64("created_at")?)? })
}

pub fn api_key(r: &Row) -> StoreResult<ApiKey> {
    let hash = digest(r, "hash")?;
    Ok(ApiKey {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        role: r.text("role")?,
        hash,
        created: time(r.i64("created_at")?)?,
        expires: opt_time(r.opt_i64("expires_at")?)?,
        last_used: opt_time(r.opt_i64("last_used_at")?)?,
        revoked: opt_time(r.opt_i64("revoked_at")?)?,
    })
}

pub fn user(r: &Row) -> StoreResult<User> {
    let spec = UserSpec {
        user_name: r.text("user_name")?,
        external_id: r.opt_text("external_id")?,
        display_name: r.opt_text("display_name")?,
        given_name: r.opt_text("given_name")?,
        family_name: r.opt_text("family_name")?,
        email: r.opt_text("email")?,
        email_verified: r.bool("email_verified")?,
        kind: parse_enum("kind", &r.text("kind")?, UserKind::parse)?,
        status: parse_enum("status", &r.text("status")?, UserStatus::parse)?,
        inactive_reason: match r.opt_text("inactive_reason")? {
            Some(s) => Some(parse_enum("inactive_reason", &s, InactiveReason::parse)?),
            None => None,
        },
        claims: r.json("claims")?,
        unix_user_name: r.opt_text("unix_user_name")?,
        unix_home_directory: r.opt_text("unix_home_directory")?,
        user_principal_name: r.opt_text("user_principal_name")?,
        domain_name: r.opt_text("domain_name")?,
        distinguished_name: r.opt_text("distinguished_name")?,
        guest: r.bool("guest")?,
        federated_identity: match (r.opt_text("federated_provider_id")?, r.opt_text("federated_subject_id")?) {
            (Some(provider_id), Some(subject_id)) => {
                Some(FederatedIdentity { provider_id, url: r.opt_text("federated_url")?, subject_id })
            }
            _ => None,
        },
        directory_id: r.opt_uuid("directory_id")?,
    };
    Ok(User {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        number: r.i64("number")?,
        spec,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
        deleted: opt_time(r.opt_i64("deleted_at")?)?,
        version: r.i64("version")?,
        password_changed: opt_time(r.opt_i64("password_changed_at")?)?,
        password_must_change: r.bool("password_must_change")?,
        failed_logons: r.i64("failed_logons")?,
        locked_until: opt_time(r.opt_i64("locked_until")?)?,
        invitation_expires: opt_time(r.opt_i64("invitation_expires_at")?)?,
        access_policy: r.opt_uuid("access_policy_id")?,
        activated: opt_time(r.opt_i64("activated_at")?)?,
        email_confirmed: opt_time(r.opt_i64("email_confirmed_at")?)?,
        last_sign_in: match opt_time(r.opt_i64("last_sign_in_at")?)? {
            Some(at) => Some(SignIn {
                at,
                method: r.opt_text("last_sign_in_method")?.unwrap_or_default(),
                source: r.opt_text("last_sign_in_source")?,
            }),
            None => None,
        },
    })
}

pub fn group(r: &Row) -> StoreResult<Group> {
    Ok(Group {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        number: r.i64("number")?,
        spec: GroupSpec {
            name: r.text("name")?,
            external_id: r.opt_text("external_id")?,
            display_name: r.opt_text("display_name")?,
            description: r.opt_text("description")?,
        },
        system: r.bool("system")?,
        source: match (r.opt_uuid("directory_id")?, r.opt_text("directory_dn")?) {
            (Some(connection_id), Some(dn)) => {
                Some(GroupSource { connection_id, dn, synced: opt_time(r.opt_i64("synced_at")?)? })
            }
            _ => None,
        },
        access_policy: r.opt_uuid("access_policy_id")?,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
        deleted: opt_time(r.opt_i64("deleted_at")?)?,
        version: r.i64("version")?,
    })
}

pub fn signing_key(r: &Row) -> StoreResult<SigningKey> {
    let jwk = r.text("public_jwk")?;
    Ok(SigningKey {
        kid: r.text("kid")?,
        algorithm: r.text("algorithm")?,
        private_key: r.bytes("private_key")?,
        public_jwk: serde_json::from_str(&jwk).map_err(|e| StoreError::Backend(format!("stored JWK: {e}")))?,
        created: time(r.i64("created_at")?)?,
        retired: opt_time(r.opt_i64("retired_at")?)?,
    })
}

pub fn session(r: &Row) -> StoreResult<Session> {
    Ok(Session {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.uuid("user_id")?,
        created: time(r.i64("created_at")?)?,
        refreshed: time(r.i64("refreshed_at")?)?,
        expires: time(r.i64("expires_at")?)?,
        revoked: opt_time(r.opt_i64("revoked_at")?)?,
        actor: match (r.opt_text("actor_kind")?, r.opt_uuid("actor_id")?) {
            (Some(kind), Some(id)) => Some(Actor { kind: parse_enum("actor_kind", &kind, ActorKind::parse)?, id }),
            _ => None,
        },
    })
}

pub fn key_session(r: &Row) -> StoreResult<KeySession> {
    Ok(KeySession {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        api_key_id: r.uuid("api_key_id")?,
        created: time(r.i64("created_at")?)?,
        expires: time(r.i64("expires_at")?)?,
        revoked: opt_time(r.opt_i64("revoked_at")?)?,
    })
}

/// A 32-byte digest column.
pub fn digest(r: &Row, col: &str) -> StoreResult<[u8; 32]> {
    r.bytes(col)?.try_into().map_err(|_| StoreError::Backend(format!("{col} is not 32 bytes")))
}

pub fn principal(r: &Row) -> StoreResult<Principal> {
    Ok(Principal {
        kind: parse_enum("kind", &r.text("kind")?, PrincipalKind::parse)?,
        id: r.uuid("id")?,
        number: r.i64("number")?,
        name: r.text("name")?,
        display_name: r.opt_text("display_name")?,
        external_id: r.opt_text("external_id")?,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
        deleted: opt_time(r.opt_i64("deleted_at")?)?,
    })
}

pub fn event(r: &Row) -> StoreResult<StoredEvent> {
    let data = r.text("data")?;
    let event = Event {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        correlation_id: r.text("correlation_id")?,
        service: parse_enum("service", &r.text("service")?, Service::parse)?,
        event_type: parse_enum("event_type", &r.text("event_type")?, EventType::parse)?,
        outcome: parse_enum("outcome", &r.text("outcome")?, Outcome::parse)?,
        actor: EventActor {
            kind: parse_enum("actor_type", &r.text("actor_type")?, ActorType::parse)?,
            id: r.text("actor_id")?,
            display_name: r.text("actor_name")?,
            display_id: r.text("actor_display_id")?,
            tenant_id: r.uuid("actor_tenant_id")?,
        },
        impersonator: match (r.opt_text("impersonator_type")?, r.opt_uuid("impersonator_id")?) {
            (Some(kind), Some(id)) => {
                Some(Actor { kind: parse_enum("impersonator_type", &kind, ActorKind::parse)?, id })
            }
            _ => None,
        },
        occurred: r.i64("occurred_at")?,
        recorded: r.i64("recorded_at")?,
        attested: r.bool("attested")?,
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Backend(format!("stored event data: {e}")))?,
    };
    Ok(StoredEvent { seq: r.i64("seq")?, txid: r.i64("txid")?, event })
}

#[derive(Iden, Clone, Copy)]
pub enum OneTimeTokens {
    Table,
    Id,
    TenantId,
    UserId,
    Purpose,
    Hash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Outbox {
    Table,
    Id,
    TenantId,
    UserId,
    Kind,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    MessageId,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    SentAt,
    FailedAt,
    LastError,
}

#[derive(Iden, Clone, Copy)]
pub enum MailTemplates {
    Table,
    TenantId,
    Kind,
    Subject,
    TextBody,
    HtmlBody,
    ModifiedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum DeviceCredentials {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Algorithm,
    PublicKey,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum DeviceChallenges {
    Table,
    Id,
    TenantId,
    CredentialId,
    Nonce,
    ExpiresAt,
    UsedAt,
}

fn kind(r: &Row, col: &str) -> StoreResult<MessageKind> {
    parse_enum(col, &r.text(col)?, MessageKind::parse)
}

pub fn one_time_token(r: &Row) -> StoreResult<OneTimeToken> {
    Ok(OneTimeToken {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.uuid("user_id")?,
        purpose: kind(r, "purpose")?,
        hash: digest(r, "hash")?,
        created: time(r.i64("created_at")?)?,
        expires: time(r.i64("expires_at")?)?,
        used: opt_time(r.opt_i64("used_at")?)?,
        revoked: opt_time(r.opt_i64("revoked_at")?)?,
    })
}

pub fn outbox_message(r: &Row) -> StoreResult<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.opt_uuid("user_id")?,
        kind: kind(r, "kind")?,
        recipient: r.text("recipient")?,
        subject: r.text("subject")?,
        text: r.opt_text("text_body")?,
        html: r.opt_text("html_body")?,
        message_id: r.text("message_id")?,
        created: time(r.i64("created_at")?)?,
        attempts: u32::try_from(r.i64("attempts")?).unwrap_or(0),
        next_attempt: time(r.i64("next_attempt_at")?)?,
        sent: opt_time(r.opt_i64("sent_at")?)?,
        failed: opt_time(r.opt_i64("failed_at")?)?,
        last_error: r.opt_text("last_error")?,
    })
}

pub fn mail_template(r: &Row) -> StoreResult<MailTemplate> {
    Ok(MailTemplate { subject: r.text("subject")?, text: r.text("text_body")?, html: r.opt_text("html_body")? })
}

pub fn device_credential(r: &Row) -> StoreResult<DeviceCredential> {
    Ok(DeviceCredential {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.uuid("user_id")?,
        name: r.text("name")?,
        algorithm: parse_enum("algorithm", &r.text("algorithm")?, KeyAlgorithm::parse)?,
        public_key: r.bytes("public_key")?,
        created: time(r.i64("created_at")?)?,
        last_used: opt_time(r.opt_i64("last_used_at")?)?,
        revoked: opt_time(r.opt_i64("revoked_at")?)?,
    })
}

pub fn challenge(r: &Row) -> StoreResult<Challenge> {
    Ok(Challenge {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        credential_id: r.uuid("credential_id")?,
        text: String::from_utf8(r.bytes("nonce")?).map_err(|_| StoreError::Backend("challenge is not UTF-8".into()))?,
        expires: time(r.i64("expires_at")?)?,
    })
}

pub fn connection(r: &Row) -> StoreResult<Connection> {
    Ok(Connection {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        spec: r.json_text("settings")?,
        sealed_password: r.bytes("sealed_password")?,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
        version: r.i64("version")?,
    })
}

pub fn access_policy(r: &Row) -> StoreResult<AccessPolicy> {
    Ok(AccessPolicy {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        number: r.i64("number")?,
        spec: AccessPolicySpec {
            name: r.text("name")?,
            description: r.opt_text("description")?,
            allowed_networks: r.json_text("allowed_networks")?,
        },
        default: r.bool("is_default")?,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
    })
}

/// A secret without its owners (read apart).
pub fn secret(r: &Row) -> StoreResult<Secret> {
    Ok(Secret {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        owners: Vec::new(),
        sealed_value: r.bytes("sealed_value")?,
        created: time(r.i64("created_at")?)?,
        modified: time(r.i64("modified_at")?)?,
    })
}
