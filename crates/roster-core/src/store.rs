//! The storage port: what the core asks of a database. The store crate implements it for SQLite and PostgreSQL.

use crate::access_policies::AccessPolicy;
use crate::claim_users::CredentialRecord;
use crate::connectors::{Connection, SyncPlan};
use crate::devices::{Challenge, DeviceCredential};
use crate::enrollment::{Dispatch, OneTimeToken, Redemption};
use crate::events::{Event, EventFilter, EventQuery, StoredEvent};
use crate::mail::{Attempt, MailTemplate, MessageKind, OutboxMessage};
use crate::model::{ApiKey, Depth, Group, GroupSpec, MemberRef, Principal, Tenant, Time, User, UserSpec};
use crate::page::{ListQuery, Rows};
use crate::secrets::Secret;
use crate::token::{KeySession, Refresh, Session, SigningKey};
use crate::workstations::Smartcard;
use async_trait::async_trait;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule refused the write; names the core attribute.
    #[error("{0} is already taken")]
    Unique(&'static str),
    #[error("version mismatch")]
    VersionMismatch,
    #[error("membership cycle")]
    Cycle,
    /// A guest was to be put in a group or under an access policy.
    #[error("guest")]
    Guest,
    /// The change would leave the tenant without a user holding the role named.
    #[error("last holder of {0}")]
    LastHolder(&'static str),
    #[error("bad cursor")]
    Cursor,
    /// Queueing the message would take the user or the tenant past its hourly share of mail;
    /// names which.
    #[error("too many {0}")]
    MailShare(&'static str),
    /// A record others depend on cannot be removed; names what depends on it.
    #[error("{0}")]
    InUse(String),
    /// The database failed; the text is for logs only.
    #[error("database error: {0}")]
    Backend(String),
}

/// Where a sealed value is kept, for re-sealing it under a new secret key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedKind {
    BindPassword,
    SecretValue,
    SigningKey,
    /// A queued message's text or HTML body (`sealed:v1:` and base64url, as text).
    OutboxText,
    OutboxHtml,
}

impl SealedKind {
    pub const ALL: [SealedKind; 5] = [
        SealedKind::BindPassword,
        SealedKind::SecretValue,
        SealedKind::SigningKey,
        SealedKind::OutboxText,
        SealedKind::OutboxHtml,
    ];
}

/// One sealed value as stored, and the record it is sealed for: its tenant (nil for signing
/// keys) and its id (a signing key's kid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedValue {
    pub kind: SealedKind,
    pub tenant: Uuid,
    pub record: String,
    pub value: Vec<u8>,
}

/// Connection pool figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The policies a tenant keeps, each stored as a JSON document the core reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Password,
    Lockout,
}

impl PolicyKind {
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Password => "password",
            PolicyKind::Lockout => "lockout",
        }
    }
}

/// A user's failed sign-ins, as counted after recording one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogonFailures {
    /// Failures since the window start the caller gave (and since the last lock).
    pub recent: u32,
    /// Failures since the last successful sign-in or clearing.
    pub total: i64,
}

/// Invited users to insert together: each with its creation event, the link mailed to it (None:
/// no mail) and the events of its memberships and smartcards.
/// One transaction of an import: new groups and their nesting, new users (with a password hash
/// or none) and the users' memberships.
#[derive(Debug, Default)]
pub struct ImportBatch {
    pub groups: Vec<(Uuid, GroupSpec)>,
    /// (parent, child) edges between groups.
    pub nested: Vec<(Uuid, Uuid)>,
    pub users: Vec<(Uuid, UserSpec, Option<String>)>,
    /// (group, user) edges.
    pub members: Vec<(Uuid, Uuid)>,
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: Uuid,
    pub spec: UserSpec,
    pub dispatch: Option<Dispatch>,
    pub events: Vec<Event>,
}

/// What leaving the organisation takes away with a user, besides the user itself.
#[derive(Debug, Clone)]
pub struct Departure {
    /// The groups the user is a direct member of (each with its membership event).
    pub groups: Vec<(Uuid, Event)>,
    /// The user's own access policy, deleted (with its event) when no other user or group has it.
    pub policy: Option<(Uuid, Event)>,
    /// A role the tenant must keep a holder of (the user's rank role when it is the highest).
    pub keep_holder: Option<&'static str>,
}

/// A write guarded by optimistic concurrency: `None` writes whatever the current version is.
pub type ExpectedVersion = Option<i64>;

/// What a guarded write of a user or group must find and leave: the version it expects, and a
/// role that some active user must still hold once it is done (LastHolder otherwise, checked in
/// the write's own transaction; a role nobody held before is not kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guard {
    pub expected: ExpectedVersion,
    pub keep_holder: Option<&'static str>,
}

/// What a user made with a password starts with besides its attributes.
pub struct FirstPassword<'a> {
    pub hash: &'a str,
    /// The user must choose another at its first sign-in.
    pub must_change: bool,
    /// A group the user is made a direct member of.
    pub group: Option<Uuid>,
}

/// A change to a user: its attributes, and what else the same transaction sets.
pub struct UserWrite<'a> {
    pub spec: &'a UserSpec,
    /// A new password (its hash), with must-change, keeping `keep` earlier ones as history.
    pub password: Option<NewPassword<'a>>,
    /// A new access policy (None inside: back to the default); outer None leaves it.
    pub access_policy: Option<Option<Uuid>>,
}

/// A password a write sets.
pub struct NewPassword<'a> {
    pub hash: &'a str,
    pub must_change: bool,
    pub keep: u32,
}

/// What an application user is created with, in the same transaction.
pub struct FirstSecret<'a> {
    /// The digest of its first client secret.
    pub hash: &'a [u8; 32],
    pub access_policy: Option<Uuid>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database is reachable.
    async fn ping(&self) -> StoreResult<()>;
    /// Which database this is ("sqlite" or "postgres"), for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Connections open and idle now, for metrics.
    fn pool_stats(&self) -> PoolStats;

    async fn insert_tenant(&self, tenant: &Tenant, event: &Event) -> StoreResult<()>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_id(&self, id: Uuid) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;

    async fn insert_api_key(&self, key: &ApiKey, event: &Event) -> StoreResult<()>;
    async fn api_key_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiKey>>;
    async fn api_key(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&self, tenant: Uuid) -> StoreResult<Vec<ApiKey>>;
    /// Marks a key revoked; NotFound when the tenant has no such live key.
    async fn revoke_api_key(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()>;
    async fn touch_api_key(&self, id: Uuid, at: Time) -> StoreResult<()>;

    /// The tenant's policy of that kind, if it set one.
    async fn policy(&self, tenant: Uuid, kind: PolicyKind) -> StoreResult<Option<serde_json::Value>>;
    async fn set_policy(
        &self,
        tenant: Uuid,
        kind: PolicyKind,
        policy: &serde_json::Value,
        event: &Event,
    ) -> StoreResult<()>;
    /// The user's newest password hashes, newest first: the password, then its history.
    async fn password_hashes(&self, tenant: Uuid, user: Uuid, newest: u32) -> StoreResult<Vec<String>>;
    /// Makes `hash` the user's password, keeping `keep` earlier ones as history.
    #[allow(clippy::too_many_arguments)]
    async fn set_password(
        &self,
        tenant: Uuid,
        user: Uuid,
        hash: &str,
        must_change: bool,
        keep: u32,
        at: Time,
        event: &Event,
    ) -> StoreResult<User>;

    /// Records a failed sign-in of a user; answers its failures since `window_start` and in all.
    async fn record_logon_failure(
        &self,
        tenant: Uuid,
        user: Uuid,
        at: Time,
        window_start: Time,
        event: &Event,
    ) -> StoreResult<LogonFailures>;
    /// Locks a user until `until`; the recent failures that led to it are forgotten, the total is kept.
    async fn lock_user(&self, tenant: Uuid, user: Uuid, until: Time, event: &Event) -> StoreResult<()>;
    /// Forgets a user's failed sign-ins and lifts its temporary lock. NotFound("user") when there is no such user.
    /// Without an event when a successful sign-in clears them (its event is the session's).
    async fn clear_logon_failures(&self, tenant: Uuid, user: Uuid, event: Option<&Event>) -> StoreResult<()>;

    /// Assigns a role to a user or group; answers false when it held the role already.
    async fn assign_role(&self, tenant: Uuid, to: MemberRef, role: &str, at: Time, event: &Event) -> StoreResult<bool>;
    /// NotFound("role assignment") when the principal did not hold the role directly.
    ///
    /// Here and in every write that takes `keep_holder`: LastHolder when that role is held by
    /// no active, live user once the write is done, checked in the write's own transaction.
    async fn unassign_role(
        &self,
        tenant: Uuid,
        from: MemberRef,
        role: &str,
        event: &Event,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()>;
    /// The roles of a principal, sorted: its own, and with `Indirect` also those of every live
    /// group it belongs to, directly or through nested live groups.
    async fn roles(&self, tenant: Uuid, of: MemberRef, depth: Depth) -> StoreResult<Vec<String>>;

    /// Sets (or replaces) the client secret of an application user.
    async fn set_client_secret(
        &self,
        tenant: Uuid,
        user: Uuid,
        hash: &[u8; 32],
        at: Time,
        event: &Event,
    ) -> StoreResult<()>;
    /// The tenant and secret hash of a client id, in any tenant (client ids are unique UUIDs).
    async fn client_secret(&self, client: Uuid) -> StoreResult<Option<(Uuid, [u8; 32])>>;

    /// Every signing key, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Replaces a key's stored private half (sealing one written before keys were sealed).
    async fn reseal_signing_key(&self, kid: &str, private_key: &[u8]) -> StoreResult<()>;
    /// Every stored sealed value of a kind (of every tenant; outbox bodies of undelivered
    /// messages only).
    async fn sealed_values(&self, kind: SealedKind) -> StoreResult<Vec<SealedValue>>;
    /// Replaces a sealed value with `new` if it is still the one read (false: it changed since).
    async fn replace_sealed(&self, value: &SealedValue, new: &[u8]) -> StoreResult<bool>;
    /// Marks every live key but `keep` retired: they verify but no longer sign.
    async fn retire_signing_keys(&self, keep: &str, at: Time) -> StoreResult<u64>;
    /// Removes keys retired before `before`; tokens they signed stop verifying.
    async fn delete_signing_keys(&self, before: Time) -> StoreResult<u64>;
    /// The user whose user name or email is `login` (lower-cased), deleted or not.
    async fn user_by_login(&self, tenant: Uuid, login: &str) -> StoreResult<Option<User>>;
    /// Opens a session; a sign-in (not an impersonation) is noted on the user in the same transaction.
    async fn insert_session(
        &self,
        session: &Session,
        refresh_hash: &[u8; 32],
        sign_in: Option<&crate::model::SignIn>,
        event: &Event,
    ) -> StoreResult<()>;
    /// The session a refresh token belongs to, whether it is the current or the replaced one.
    async fn session_by_refresh(&self, hash: &[u8; 32]) -> StoreResult<Option<Session>>;
    async fn session(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Session>>;
    /// Replaces a current refresh token with a new one; a token that was already replaced
    /// revokes its session (`Refresh::Reused`).
    /// The event is written when the token rotates.
    async fn rotate_refresh(
        &self,
        old: &[u8; 32],
        new: &[u8; 32],
        at: Time,
        expires: Time,
        event: &Event,
    ) -> StoreResult<Refresh>;
    async fn revoke_session(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()>;
    /// Revokes every live session of a user.
    async fn revoke_user_sessions(&self, tenant: Uuid, user: Uuid, at: Time) -> StoreResult<()>;
    async fn insert_key_session(&self, session: &KeySession, token_hash: &[u8; 32], event: &Event) -> StoreResult<()>;
    /// The key session a token digest belongs to, revoked or not.
    async fn key_session_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<KeySession>>;
    async fn revoke_key_session(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()>;

    /// Inserts a user, allocating its per-tenant number; with a dispatch, also its link and message.
    async fn insert_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        at: Time,
        dispatch: Option<&Dispatch>,
        event: &Event,
    ) -> StoreResult<User>;
    /// Inserts a user with its first password hash and its events, in one transaction; with a
    /// group, also as a direct member of it (taking the tenant's edge lock first, as every edge
    /// change does).
    async fn insert_user_with_password(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        first: FirstPassword<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User>;
    async fn insert_application_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        first: FirstSecret<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User>;
    async fn user(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<User>>;
    /// A user's credentials (current password, live device keys, client secret) in created
    /// order after `query.after`, up to `query.limit + 1`; the filter is not used.
    async fn list_credentials(
        &self,
        tenant: Uuid,
        user: Uuid,
        query: &ListQuery,
    ) -> StoreResult<Rows<CredentialRecord>>;
    async fn list_users(&self, tenant: Uuid, query: &ListQuery) -> StoreResult<Rows<User>>;
    /// Writes a user's attributes and, in the same transaction, the password and access policy
    /// the write carries, with the events of each.
    async fn update_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        write: UserWrite<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User>;
    /// Sets or clears `deleted` (soft delete and restore). Deleting refuses (InUse) a user who is
    /// the only owner of a secret, in the same transaction.
    async fn mark_user_deleted(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        deleted: Option<Time>,
        at: Time,
        event: &Event,
    ) -> StoreResult<User>;
    /// Removes a user, its memberships and its shares of secrets for good; refuses (InUse) a user
    /// who is the only owner of a secret, in the same transaction.
    async fn delete_user(&self, tenant: Uuid, id: Uuid, guard: Guard, event: &Event) -> StoreResult<()>;

    /// Makes a group; with a source (connection, DN) it follows that directory group from the start.
    async fn insert_group(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &GroupSpec,
        source: Option<(Uuid, &str)>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<Group>;
    async fn group(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Group>>;
    async fn list_groups(&self, tenant: Uuid, query: &ListQuery) -> StoreResult<Rows<Group>>;
    async fn update_group(
        &self,
        tenant: Uuid,
        id: Uuid,
        expected: ExpectedVersion,
        spec: &GroupSpec,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group>;
    async fn mark_group_deleted(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        deleted: Option<Time>,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group>;
    async fn delete_group(&self, tenant: Uuid, id: Uuid, guard: Guard, event: &Event) -> StoreResult<()>;

    /// Adds a direct member; answers false when it was one already. Refuses a group edge that
    /// would close a cycle (`StoreError::Cycle`), atomically with the insert.
    async fn add_member(
        &self,
        tenant: Uuid,
        group: Uuid,
        member: MemberRef,
        at: Time,
        event: &Event,
    ) -> StoreResult<bool>;
    /// Removes a direct member; NotFound("member") when it was not one.
    /// Adds (true) and removes members of a group, each with its event, all or none.
    async fn change_members(
        &self,
        tenant: Uuid,
        group: Uuid,
        changes: &[(bool, MemberRef, Event)],
        expected: ExpectedVersion,
        at: Time,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()>;
    async fn remove_member(
        &self,
        tenant: Uuid,
        group: Uuid,
        member: MemberRef,
        at: Time,
        event: &Event,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()>;
    /// Members of a group (direct, or through nested groups), as principals, filtered and paged.
    async fn list_members(
        &self,
        tenant: Uuid,
        group: Uuid,
        depth: Depth,
        query: &ListQuery,
    ) -> StoreResult<Rows<Principal>>;
    /// The users of a group (direct, or through nested groups), filtered and paged.
    async fn list_group_users(
        &self,
        tenant: Uuid,
        group: Uuid,
        depth: Depth,
        query: &ListQuery,
    ) -> StoreResult<Rows<User>>;
    /// Groups a principal belongs to (directly, or through nested groups), filtered and paged.
    async fn list_memberships(
        &self,
        tenant: Uuid,
        member: MemberRef,
        depth: Depth,
        query: &ListQuery,
    ) -> StoreResult<Rows<Group>>;
    /// Users and groups together.
    async fn list_principals(&self, tenant: Uuid, query: &ListQuery) -> StoreResult<Rows<Principal>>;

    /// Writes events that go with no change (refusals, failed sign-ins, reads), in one transaction.
    async fn record_events(&self, events: &[Event]) -> StoreResult<()>;
    /// A page of the tenant's events, `limit + 1` at most.
    async fn list_events(&self, tenant: Uuid, query: &EventQuery) -> StoreResult<Vec<StoredEvent>>;
    async fn event(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<StoredEvent>>;
    /// The tenant's events after a stream position (txid, seq), in stream order, up to `limit`;
    /// only events no transaction still open can precede, so a follower never skips one.
    async fn stream_events(
        &self,
        tenant: Uuid,
        filter: &EventFilter,
        after: (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// The stream position after every event recorded so far (where a follower starting now begins).
    async fn stream_head(&self, tenant: Uuid) -> StoreResult<(i64, i64)>;
    /// The stream position of the newest event a filter selects among those committed so far
    /// ((0, 0) when there is none).
    async fn stream_newest(&self, tenant: Uuid, filter: &EventFilter) -> StoreResult<(i64, i64)>;
    /// Removes up to `batch` events recorded before `before` (epoch ms); answers how many went.
    async fn prune_events(&self, before: i64, batch: u32) -> StoreResult<u64>;

    // --- one-time links, the outbox, templates and devices ---------------------------------

    /// Writes a link, its message and its event; the user's earlier live links of that purpose
    /// are revoked. An invitation also sets the user's invitation expiry.
    async fn dispatch(&self, dispatch: &Dispatch) -> StoreResult<()>;
    /// The token with that hash, live or not, in any tenant.
    async fn one_time_token(&self, hash: &[u8; 32]) -> StoreResult<Option<OneTimeToken>>;
    /// Revokes a user's live links of a purpose; answers how many. Revoking invitations also
    /// clears the user's invitation expiry.
    async fn revoke_one_time_tokens(
        &self,
        tenant: Uuid,
        user: Uuid,
        purpose: MessageKind,
        at: Time,
        event: &Event,
    ) -> StoreResult<u64>;
    /// Uses up a live token of a purpose and makes its change, in one transaction; answers the
    /// user as it is after. NotFound("link") when the token is not live (then nothing changes).
    async fn redeem(
        &self,
        hash: &[u8; 32],
        purpose: MessageKind,
        at: Time,
        change: &Redemption<'_>,
        event: &Event,
    ) -> StoreResult<User>;

    /// Messages queued since a time: to one user (0 without one), and in the whole tenant; each
    /// count stops at its cap (user, tenant).
    async fn messages_since(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
        since: Time,
        caps: (u32, u32),
    ) -> StoreResult<(u64, u64)>;
    /// Claims the most overdue message until `lease_until`, counting an attempt on it; a message
    /// claimed by another sender is skipped until its lease ends.
    async fn claim_message(&self, now: Time, lease_until: Time) -> StoreResult<Option<OutboxMessage>>;
    /// Records how an attempt ended, with its event: delivered or given up on (the bodies are
    /// forgotten), or to be retried.
    async fn finish_message(&self, id: Uuid, attempt: &Attempt<'_>, at: Time, event: &Event) -> StoreResult<()>;
    async fn outbox_message(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<OutboxMessage>>;

    async fn mail_template(&self, tenant: Uuid, kind: MessageKind) -> StoreResult<Option<MailTemplate>>;
    async fn set_mail_template(
        &self,
        tenant: Uuid,
        kind: MessageKind,
        template: &MailTemplate,
        at: Time,
        event: &Event,
    ) -> StoreResult<()>;
    /// NotFound("template") when the tenant had set none of that kind.
    async fn delete_mail_template(&self, tenant: Uuid, kind: MessageKind, event: &Event) -> StoreResult<()>;

    /// A user's device credentials, oldest first, revoked ones included.
    async fn device_credentials(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<DeviceCredential>>;
    async fn device_credential(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<DeviceCredential>>;
    /// NotFound("device") when the user has no such live credential.
    async fn revoke_device_credential(
        &self,
        tenant: Uuid,
        user: Uuid,
        id: Uuid,
        at: Time,
        event: &Event,
    ) -> StoreResult<()>;
    async fn touch_device_credential(&self, id: Uuid, at: Time) -> StoreResult<()>;
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    /// Uses up a challenge that has not expired; None when there is no such live one.
    async fn take_challenge(&self, id: Uuid, at: Time) -> StoreResult<Option<Challenge>>;
    /// Removes challenges and links that ended before `before`; answers how many.
    async fn prune_links(&self, before: Time) -> StoreResult<u64>;

    // --- directory connections and directory-backed groups ---------------------------------

    async fn insert_connection(&self, connection: &Connection, event: &Event) -> StoreResult<()>;
    async fn connections(&self, tenant: Uuid) -> StoreResult<Vec<Connection>>;
    async fn connection(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Connection>>;
    /// Writes a connection's new settings and version if it is still at `expected`.
    async fn update_connection(&self, connection: &Connection, expected: i64, event: &Event) -> StoreResult<()>;
    /// InUse when users or groups still come from the connection.
    async fn delete_connection(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()>;
    /// The tenant's users holding any of these external ids, deleted or not.
    async fn users_by_external_ids(&self, tenant: Uuid, ids: &[String]) -> StoreResult<Vec<User>>;
    /// A group's direct members.
    async fn direct_members(&self, tenant: Uuid, group: Uuid) -> StoreResult<Vec<MemberRef>>;
    /// Links a group to a directory group (connection, DN), or unlinks it.
    async fn link_group(
        &self,
        tenant: Uuid,
        group: Uuid,
        source: Option<(Uuid, String)>,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group>;
    /// Writes a group sync: the users it creates, the members it adds and removes, each with its
    /// event, and when the group was synchronised, in one transaction.
    async fn apply_sync(&self, tenant: Uuid, group: Uuid, plan: &SyncPlan, at: Time) -> StoreResult<()>;
    /// Claims a linked group whose scheduled sync is due, holding it until `lease_until`;
    /// answers (tenant, group).
    async fn claim_group_sync(&self, now: Time, lease_until: Time) -> StoreResult<Option<(Uuid, Uuid)>>;

    // --- access policies ------------------------------------------------------------------

    /// The tenant's access policies, by number.
    async fn access_policies(&self, tenant: Uuid) -> StoreResult<Vec<AccessPolicy>>;
    async fn access_policy(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<AccessPolicy>>;
    /// Inserts a policy, giving it the tenant's next number; answers it as stored.
    async fn insert_access_policy(&self, policy: &AccessPolicy, event: &Event) -> StoreResult<AccessPolicy>;
    async fn update_access_policy(&self, policy: &AccessPolicy, event: &Event) -> StoreResult<()>;
    /// Removes a policy; its users fall back to the default.
    async fn delete_access_policy(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()>;
    /// Assigns a user its policy (None: the default); Guest for a guest.
    async fn set_access_policy(
        &self,
        tenant: Uuid,
        user: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<User>;
    /// Assigns a group its policy (None: none).
    async fn set_group_access_policy(
        &self,
        tenant: Uuid,
        group: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<Group>;
    /// The policies a user is under: its own and those of the live groups it belongs to,
    /// directly or not; by number.
    async fn user_access_policies(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<AccessPolicy>>;

    // --- workstations, ranks and leaving -----------------------------------------------------

    /// A user's computer user names, in the order given.
    async fn computer_user_names(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<String>>;
    /// Replaces them; Unique("computer_user_name") when another user of the tenant holds one.
    async fn set_computer_user_names(
        &self,
        tenant: Uuid,
        user: Uuid,
        names: &[String],
        event: &Event,
    ) -> StoreResult<()>;
    /// A user's smartcards, in the order given.
    async fn smartcards(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<Smartcard>>;
    /// Replaces them. Unless duplicates are allowed, answers the index of the first card whose
    /// number another user of the tenant holds, and writes nothing.
    async fn set_smartcards(
        &self,
        tenant: Uuid,
        user: Uuid,
        cards: &[Smartcard],
        allow_duplicates: bool,
        event: &Event,
    ) -> StoreResult<Option<usize>>;
    /// Replaces the user's directly assigned roles among `ranks` with `role` (None: none), with
    /// the events given; LastHolder when `keep_holder` names a role no live user holds afterwards.
    async fn set_rank_role(
        &self,
        tenant: Uuid,
        user: Uuid,
        ranks: &[&str],
        role: Option<&str>,
        keep_holder: Option<&'static str>,
        events: &[Event],
    ) -> StoreResult<()>;
    /// Removes a user from its organisation in one transaction: soft-deletes it, takes it out of
    /// its groups, frees its computer user names and smartcards, deletes its sole policy, ends
    /// its sessions and links, and records `event`.
    async fn remove_from_organisation(
        &self,
        tenant: Uuid,
        user: Uuid,
        departure: &Departure,
        at: Time,
        event: &Event,
    ) -> StoreResult<User>;
    /// Inserts invited users, puts each in `groups` and gives each `cards`, in one transaction;
    /// answers them, or the index of the first card another user holds (unless duplicates are allowed).
    async fn insert_invitations(
        &self,
        tenant: Uuid,
        invitations: &[NewInvitation],
        groups: &[Uuid],
        cards: (&[Smartcard], bool),
        at: Time,
    ) -> StoreResult<Result<Vec<User>, usize>>;
    /// Which of these unique values users of the tenant hold already (deleted users included),
    /// as (field, value) pairs: user names and emails as lower-case keys, external ids as they
    /// are, and ids (of any tenant, since ids are unique everywhere).
    async fn taken_user_keys(
        &self,
        tenant: Uuid,
        user_names: &[&str],
        emails: &[&str],
        external_ids: &[&str],
        ids: &[Uuid],
    ) -> StoreResult<Vec<(&'static str, String)>>;
    /// Refreshes the planner's statistics, after bulk writes (autovacuum would, in time).
    async fn analyze(&self) -> StoreResult<()>;
    /// Folds SQLite's write-ahead log back into the database and empties it (nothing on
    /// PostgreSQL), so the next process to open the database after a bulk load need not read
    /// hundreds of megabytes of log first.
    async fn checkpoint(&self) -> StoreResult<()>;
    /// Writes one batch of an import and its event in one transaction.
    async fn import(&self, tenant: Uuid, batch: &ImportBatch, at: Time, event: &Event) -> StoreResult<()>;
    /// For listings: the live groups each of `users` is a direct member of, as (user, group id,
    /// group name) triples ordered by user and name.
    async fn direct_groups(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Uuid, String)>>;
    /// For listings: the live direct members of each of `groups`, as (group, member) pairs,
    /// users before groups.
    async fn live_members(&self, tenant: Uuid, groups: &[Uuid]) -> StoreResult<Vec<(Uuid, MemberRef)>>;
    /// For listings: when each of `users` last bound a device key still in force.
    async fn newest_devices(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Time)>>;

    // --- the secrets safe ------------------------------------------------------------------

    async fn insert_secret(&self, secret: &Secret, event: &Event) -> StoreResult<()>;
    /// The tenant's secrets with their owners, by name.
    async fn secrets(&self, tenant: Uuid) -> StoreResult<Vec<Secret>>;
    async fn secret(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Secret>>;
    async fn add_secret_owner(&self, tenant: Uuid, id: Uuid, user: Uuid, at: Time, event: &Event) -> StoreResult<()>;
    /// InUse when the user is the secret's last owner; NotFound("owner") when not an owner.
    async fn remove_secret_owner(&self, tenant: Uuid, id: Uuid, user: Uuid, event: &Event) -> StoreResult<()>;
    async fn delete_secret(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()>;
}
