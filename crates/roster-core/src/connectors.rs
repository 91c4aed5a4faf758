//! Directory connectors: a tenant's LDAP and Active Directory connections, users created from
//! directory accounts and signing in by binding as them, and groups whose members follow a
//! directory group. The directory itself is reached through the [`Connector`] port.

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory, Edit};
use crate::error::{CoreError, FieldError};
use crate::events::{self, EventData, EventType, GroupData, RequestMeta};
use crate::model::UserStatus;
use crate::model::{self, str_enum, Group, InactiveReason, MemberRef, PrincipalKind, Time, User, UserKind, UserSpec};
use crate::sessions::sign_in_event;
use crate::store::ExpectedVersion;
use crate::token::TokenPair;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

/// Which kind of directory a connection speaks to: the attributes and filters differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    ActiveDirectory,
    Ldap,
}
str_enum!(DirectoryKind { ActiveDirectory => "active_directory", Ldap => "ldap" });

/// How the connection to the directory is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    None,
    #[default]
    StartTls,
    Ldaps,
}

fn default_timeout() -> u32 {
    10
}
fn default_sync_interval() -> u32 {
    3600
}
fn yes() -> bool {
    true
}

/// A connection's settings, as created and replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// Unique in the tenant (case-insensitive).
    pub name: String,
    pub kind: DirectoryKind,
    /// Host name or address of the directory server.
    pub host: String,
    /// 389, or 636 with LDAPS, when absent.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    /// PEM certificates of the CA the server's certificate is checked against, instead of the
    /// system's trust store.
    #[serde(default)]
    pub ca_certificate: Option<String>,
    /// Where accounts are searched.
    pub base_dn: String,
    /// The service account Roster binds as to read accounts and groups.
    pub bind_dn: String,
    /// Which entries are accounts (default: AD user objects, or LDAP persons).
    #[serde(default)]
    pub user_filter: Option<String>,
    /// The attribute holding account names (default: sAMAccountName or uid).
    #[serde(default)]
    pub account_attribute: Option<String>,
    /// AD: the NetBIOS domain accepted in `DOMAIN\name` and recorded on users.
    #[serde(default)]
    pub domain: Option<String>,
    /// AD: the forest (DNS) name, e.g. `corp.example.com`.
    #[serde(default)]
    pub forest: Option<String>,
    /// Whether group syncs follow nested directory groups.
    #[serde(default = "yes")]
    pub nested_groups: bool,
    /// Seconds between scheduled syncs of each linked group; 0 syncs only on demand.
    #[serde(default = "default_sync_interval")]
    pub sync_interval_seconds: u32,
    /// The limit on each directory call, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// The service account's password: required on creation, kept when absent from a
    /// replacement, stored sealed and never answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, write_only))]
    pub bind_password: Option<WriteOnly>,
}

/// A secret a client writes and never reads back; never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct WriteOnly(pub String);

/// Never written out: a spec is stored and shown only after its password was taken out of it.
impl Serialize for WriteOnly {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

impl std::fmt::Debug for WriteOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A directory connection as stored: the bind password only sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub spec: ConnectionSpec,
    /// The bind password, encrypted with the server's secret key.
    pub sealed_password: Vec<u8>,
    pub created: Time,
    pub modified: Time,
    pub version: i64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("id", &self.id).field("spec", &self.spec).finish_non_exhaustive()
    }
}

/// An account as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryAccount {
    pub dn: String,
    /// The directory's stable id: AD objectGUID or LDAP entryUUID, as a UUID string.
    pub external_id: String,
    /// The account attribute's value (sAMAccountName, uid, ...).
    pub account_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    /// AD userAccountControl has ACCOUNTDISABLE (2) set.
    pub disabled: bool,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionCheck {
    /// The server's vendor or naming context, when it says.
    pub server: Option<String>,
    /// Accounts the user filter finds under the base DN, counting up to 1,000.
    pub accounts_seen: usize,
}

/// Why a directory call failed; each names its cause and never a credential.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DirectoryError {
    #[error("the directory server cannot be reached: {0}")]
    Unreachable(String),
    #[error("TLS with the directory server failed: {0}")]
    Tls(String),
    #[error("the directory refused the user name or password")]
    InvalidCredentials,
    #[error("the directory says the account is disabled")]
    AccountDisabled,
    #[error("the directory has no such account")]
    NotFound,
    #[error("the name matches more than one directory account")]
    Ambiguous,
    #[error("the directory did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("the directory refused the connection's bind DN or password")]
    BindRefused,
    #[error("the connection settings are not usable: {0}")]
    Settings(String),
    #[error("the directory answered with an error: {0}")]
    Directory(String),
}

impl DirectoryError {
    /// The stable code faces put in their error envelopes.
    pub fn code(&self) -> &'static str {
        match self {
            DirectoryError::Unreachable(_) => "directory.unreachable",
            DirectoryError::Tls(_) => "directory.tls",
            DirectoryError::InvalidCredentials => "directory.invalid_credentials",
            DirectoryError::AccountDisabled => "directory.account_disabled",
            DirectoryError::NotFound => "directory.account_not_found",
            DirectoryError::Ambiguous => "directory.ambiguous_account",
            DirectoryError::TimedOut(_) => "directory.timeout",
            DirectoryError::BindRefused => "directory.bind_refused",
            DirectoryError::Settings(_) => "directory.settings",
            DirectoryError::Directory(_) => "directory.error",
        }
    }
}

/// The directory, as the core reaches it. Each call is made under the connection's time limit.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Binds as the service account and counts the accounts the filter finds.
    async fn check(&self, spec: &ConnectionSpec, bind_password: &str) -> Result<ConnectionCheck, DirectoryError>;
    /// Finds one account by name, `DOMAIN\name`, UPN or DN.
    async fn account(
        &self,
        spec: &ConnectionSpec,
        bind_password: &str,
        name: &str,
    ) -> Result<DirectoryAccount, DirectoryError>;
    /// Checks a password by binding as the account.
    async fn verify_password(&self, spec: &ConnectionSpec, dn: &str, password: &str) -> Result<(), DirectoryError>;
    /// The accounts of a directory group, directly or through nested groups.
    async fn group_members(
        &self,
        spec: &ConnectionSpec,
        bind_password: &str,
        group_dn: &str,
        nested: bool,
    ) -> Result<Vec<DirectoryAccount>, DirectoryError>;
}

/// Encrypts secrets Roster must be able to read back (bind passwords), bound to the record
/// they belong to.
pub trait Sealer: Send + Sync + 'static {
    fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8>;
    /// Fails when the secret was sealed with another key or for another record.
    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, String>;
    /// Whether the value was sealed with the key that seals now (a rotation re-seals the rest).
    fn sealed_by_current(&self, _sealed: &[u8]) -> bool {
        true
    }
}

/// The link between a Roster group and a directory group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupSource {
    pub connection_id: Uuid,
    /// The directory group's distinguished name.
    pub dn: String,
    /// When its members were last synchronised.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub synced: Option<Time>,
}

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReport {
    /// Accounts the directory group holds (with nested groups when the connection follows them).
    pub directory_members: usize,
    /// Users created for accounts Roster did not know.
    pub created: usize,
    pub added: usize,
    pub removed: usize,
    /// Users deactivated because their account is disabled.
    pub deactivated: usize,
    /// Users reactivated because their account is enabled again.
    pub reactivated: usize,
    /// Users whose directory attributes changed.
    pub updated: usize,
}

/// How one account lookup differs from its connection's settings.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Bind with this DN (or UPN) and password instead of the connection's service account.
    pub bind: Option<(String, String)>,
    /// Name accounts by this attribute instead.
    pub account_attribute: Option<String>,
}

/// The changes one sync writes, each with its event, in one transaction.
#[derive(Debug, Default)]
pub struct SyncPlan {
    pub create: Vec<(Uuid, UserSpec, events::Event)>,
    pub add: Vec<(Uuid, events::Event)>,
    pub remove: Vec<(MemberRef, events::Event)>,
    /// When the next scheduled sync is due (None: on demand only).
    pub next_due: Option<Time>,
}

/// The attributes a directory user takes from its account, which local edits may not change.
const FROM_DIRECTORY: &str =
    "user_name, external_id, display_name, given_name, family_name, email, user_principal_name, domain_name, \
     distinguished_name";

const MAX_CA_BYTES: usize = 64 * 1024;
const MAX_TIMEOUT_SECONDS: u32 = 120;

fn check_spec(spec: &mut ConnectionSpec) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    let mut fail = |f: &str, m: &str| errors.push(FieldError::new(f, m));
    for opt in [
        &mut spec.ca_certificate,
        &mut spec.user_filter,
        &mut spec.account_attribute,
        &mut spec.domain,
        &mut spec.forest,
    ] {
        if opt.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *opt = None;
        }
    }
    let printable = |v: &str, max: usize| !v.trim().is_empty() && v.len() <= max && !v.chars().any(char::is_control);
    if !printable(&spec.name, 128) {
        fail("name", "a connection name is 1 to 128 printable characters");
    }
    let host_ok = !spec.host.is_empty()
        && spec.host.len() <= 253
        && spec.host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok {
        fail("host", "a host name or IP address");
    }
    if spec.port == Some(0) {
        fail("port", "a port is 1 to 65535");
    }
    for (field, value) in [("base_dn", &spec.base_dn), ("bind_dn", &spec.bind_dn)] {
        if !printable(value, 1024) {
            fail(field, "a distinguished name (or, for AD, a user principal name) of 1 to 1024 characters");
        }
    }
    if let Some(f) = &spec.user_filter {
        if !(f.starts_with('(') && f.ends_with(')') && printable(f, 1024)) {
            fail("user_filter", "an LDAP filter in parentheses, such as (objectClass=person)");
        }
    }
    if let Some(a) = &spec.account_attribute {
        if a.len() > 64 || !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || a.is_empty() {
            fail("account_attribute", "an attribute name such as sAMAccountName or uid");
        }
    }
    for (field, value) in [("domain", &spec.domain), ("forest", &spec.forest)] {
        if value.as_deref().is_some_and(|v| !printable(v, 255) || v.contains('\\')) {
            fail(field, "a domain name of up to 255 characters");
        }
    }
    if let Some(ca) = &spec.ca_certificate {
        if ca.len() > MAX_CA_BYTES || !ca.contains("-----BEGIN CERTIFICATE-----") {
            fail("ca_certificate", "PEM certificates (-----BEGIN CERTIFICATE-----), at most 64 KiB");
        }
    }
    if spec.timeout_seconds == 0 || spec.timeout_seconds > MAX_TIMEOUT_SECONDS {
        fail("timeout_seconds", "1 to 120 seconds");
    }
    if spec.sync_interval_seconds != 0 && spec.sync_interval_seconds < 60 {
        fail("sync_interval_seconds", "0 (on demand only) or at least 60 seconds");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

fn check_password(password: &str) -> Result<(), CoreError> {
    if password.is_empty() || password.len() > 1024 || password.contains('\0') {
        return Err(CoreError::invalid("bind_password", "the service account's password, 1 to 1024 bytes"));
    }
    Ok(())
}

/// What a sealed bind password is bound to: its tenant and connection.
pub(crate) fn seal_context(tenant: Uuid, id: Uuid) -> Vec<u8> {
    [b"roster directory bind password".as_slice(), tenant.as_bytes(), id.as_bytes()].concat()
}

/// The directory's own word on a call that failed, for the caller.
fn failure(e: DirectoryError) -> CoreError {
    CoreError::Directory(e)
}

/// The attributes a directory account gives its user.
fn account_spec(conn: &Connection, account: &DirectoryAccount, base: UserSpec) -> Result<UserSpec, CoreError> {
    let user_name = account.account_name.clone().ok_or_else(|| {
        CoreError::Directory(DirectoryError::Directory(format!(
            "{} has no {} to name the user by",
            account.dn,
            conn.spec.account_attribute.as_deref().unwrap_or("account name")
        )))
    })?;
    let (status, inactive_reason) = match (account.disabled, base.status, base.inactive_reason) {
        (true, UserStatus::Active, _) => (UserStatus::Deactivated, Some(InactiveReason::ExternalAccountDisabled)),
        (false, UserStatus::Deactivated, Some(InactiveReason::ExternalAccountDisabled)) => (UserStatus::Active, None),
        (_, status, reason) => (status, reason),
    };
    Ok(UserSpec {
        user_name,
        external_id: Some(account.external_id.clone()),
        display_name: account.display_name.clone(),
        given_name: account.given_name.clone(),
        family_name: account.surname.clone(),
        email: account.mail.clone(),
        kind: UserKind::Directory,
        status,
        inactive_reason,
        user_principal_name: account.user_principal_name.clone(),
        domain_name: conn.spec.domain.clone().or_else(|| conn.spec.forest.clone()),
        distinguished_name: Some(account.dn.clone()),
        directory_id: Some(conn.id),
        ..base
    })
}

/// Refuses a local change to what a directory user takes from its directory.
pub(crate) fn check_directory_edit(current: &UserSpec, next: &mut UserSpec) -> Result<(), CoreError> {
    next.directory_id = current.directory_id;
    if current.kind != UserKind::Directory {
        if next.kind == UserKind::Directory {
            return Err(CoreError::invalid("kind", "directory users are created from a directory connection"));
        }
        return Ok(());
    }
    let same = next.user_name == current.user_name
        && next.external_id == current.external_id
        && next.display_name == current.display_name
        && next.given_name == current.given_name
        && next.family_name == current.family_name
        && next.email == current.email
        && next.kind == current.kind
        && next.user_principal_name == current.user_principal_name
        && next.domain_name == current.domain_name
        && next.distinguished_name == current.distinguished_name;
    if same {
        Ok(())
    } else {
        Err(CoreError::Conflict(format!(
            "this user comes from a directory: {FROM_DIRECTORY} and kind are read from it and cannot be changed here"
        )))
    }
}

impl Directory {
    fn connector(&self) -> Result<&dyn Connector, CoreError> {
        self.connector.as_deref().ok_or_else(|| CoreError::Internal("no directory connector is configured".into()))
    }

    pub(crate) fn sealer(&self) -> Result<&dyn Sealer, CoreError> {
        self.sealer.as_deref().ok_or_else(|| CoreError::Internal("no secret key is configured".into()))
    }

    fn bind_password(&self, conn: &Connection) -> Result<String, CoreError> {
        let plain = self
            .sealer()?
            .open(&conn.sealed_password, &seal_context(conn.tenant_id, conn.id))
            .map_err(|e| CoreError::Internal(format!("the bind password of connection {}: {e}", conn.id)))?;
        String::from_utf8(plain).map_err(|_| CoreError::Internal("a bind password is not UTF-8".into()))
    }

    fn connection_event(
        &self,
        caller: &Caller,
        conn: &Connection,
        action: &'static str,
        before: Option<&ConnectionSpec>,
    ) -> events::Event {
        let changes = match before {
            Some(b) => events::diff(b, &conn.spec),
            None => events::Changes::new(),
        };
        caller.event(
            EventType::DirectoryConnectionChange,
            EventData::DirectoryConnectionChange {
                connection: events::ConnectionData {
                    id: conn.id,
                    name: conn.spec.name.clone(),
                    host: conn.spec.host.clone(),
                },
                action,
                changes,
            },
        )
    }

    // --- connections -----------------------------------------------------------------------

    pub async fn create_connection(&self, caller: &Caller, mut spec: ConnectionSpec) -> Result<Connection, CoreError> {
        let bind_password = spec.bind_password.take().map(|p| p.0).unwrap_or_default();
        check_spec(&mut spec)?;
        check_password(&bind_password)?;
        let id = Uuid::now_v7();
        let now = model::now();
        let sealed_password = self.sealer()?.seal(bind_password.as_bytes(), &seal_context(caller.tenant_id, id));
        let conn = Connection {
            id,
            tenant_id: caller.tenant_id,
            spec,
            sealed_password,
            created: now,
            modified: now,
            version: 1,
        };
        let event = self.connection_event(caller, &conn, "CREATE", None);
        self.store.insert_connection(&conn, &event).await?;
        Ok(conn)
    }

    pub async fn connections(&self, caller: &Caller) -> Result<Vec<Connection>, CoreError> {
        Ok(self.store.connections(caller.tenant_id).await?)
    }

    pub async fn connection(&self, caller: &Caller, id: Uuid) -> Result<Connection, CoreError> {
        self.store.connection(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "directory connection" })
    }

    /// Replaces a connection's settings; the bind password is kept unless a new one is given.
    pub async fn replace_connection(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
        mut spec: ConnectionSpec,
    ) -> Result<Connection, CoreError> {
        let bind_password = spec.bind_password.take().map(|p| p.0);
        check_spec(&mut spec)?;
        let current = self.connection(caller, id).await?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(CoreError::VersionMismatch);
        }
        let sealed_password = match bind_password.as_deref() {
            Some(p) => {
                check_password(p)?;
                self.sealer()?.seal(p.as_bytes(), &seal_context(caller.tenant_id, id))
            }
            None => current.sealed_password.clone(),
        };
        let next = Connection {
            spec,
            sealed_password,
            modified: model::now(),
            version: current.version + 1,
            ..current.clone()
        };
        let event = self.connection_event(caller, &next, "UPDATE", Some(&current.spec));
        self.store.update_connection(&next, current.version, &event).await?;
        Ok(next)
    }

    /// Removes a connection no user or group depends on.
    pub async fn delete_connection(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        let conn = self.connection(caller, id).await?;
        let event = self.connection_event(caller, &conn, "DELETE", None);
        Ok(self.store.delete_connection(caller.tenant_id, id, &event).await?)
    }

    /// The tenant's AD connection for a domain (its NetBIOS name or forest, in any case).
    pub async fn connection_for_domain(&self, caller: &Caller, domain: &str) -> Result<Connection, CoreError> {
        let same = |v: &Option<String>| v.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(domain));
        self.connections(caller)
            .await?
            .into_iter()
            .find(|c| c.spec.kind == DirectoryKind::ActiveDirectory && (same(&c.spec.domain) || same(&c.spec.forest)))
            .ok_or(CoreError::NotFound { what: "directory connection" })
    }

    /// The tenant's LDAP connection to a host (and port, when given).
    pub async fn connection_for_host(
        &self,
        caller: &Caller,
        host: &str,
        port: Option<u16>,
    ) -> Result<Connection, CoreError> {
        self.connections(caller)
            .await?
            .into_iter()
            .find(|c| {
                c.spec.kind == DirectoryKind::Ldap
                    && c.spec.host.eq_ignore_ascii_case(host)
                    && port.is_none_or(|p| c.spec.port == Some(p))
            })
            .ok_or(CoreError::NotFound { what: "directory connection" })
    }

    /// Binds as the service account and searches for accounts: what an operator checks first.
    pub async fn test_connection(&self, caller: &Caller, id: Uuid) -> Result<ConnectionCheck, CoreError> {
        let conn = self.connection(caller, id).await?;
        let password = self.bind_password(&conn)?;
        self.connector()?.check(&conn.spec, &password).await.map_err(failure)
    }

    async fn find_account(&self, conn: &Connection, name: &str) -> Result<DirectoryAccount, CoreError> {
        let password = self.bind_password(conn)?;
        self.connector()?.account(&conn.spec, &password, name).await.map_err(failure)
    }

    // --- directory users -----------------------------------------------------------------

    /// Creates a user from a directory account, named as people type it (`name`, `DOMAIN\name`,
    /// a UPN, or a DN). Nothing is created unless the directory answers with exactly one account.
    pub async fn create_directory_user(
        &self,
        caller: &Caller,
        connection: Uuid,
        account: &str,
    ) -> Result<User, CoreError> {
        self.create_directory_user_with(caller, connection, account, &Lookup::default()).await
    }

    /// [`Directory::create_directory_user`], reading the account with other bind credentials
    /// or account attribute than the connection's (the user stays tied to the connection).
    pub async fn create_directory_user_with(
        &self,
        caller: &Caller,
        connection: Uuid,
        account: &str,
        lookup: &Lookup,
    ) -> Result<User, CoreError> {
        let account = account.trim();
        if account.is_empty() || account.len() > 1024 || account.chars().any(char::is_control) {
            return Err(CoreError::invalid("account", "an account name, DOMAIN\\name, user principal name or DN"));
        }
        let conn = self.connection(caller, connection).await?;
        let found = match lookup {
            Lookup { bind: None, account_attribute: None } => self.find_account(&conn, account).await?,
            Lookup { bind, account_attribute } => {
                let mut spec = conn.spec.clone();
                spec.account_attribute = account_attribute.clone().or(spec.account_attribute);
                let password = match bind {
                    Some((dn, pw)) => {
                        spec.bind_dn = dn.clone();
                        pw.clone()
                    }
                    None => self.bind_password(&conn)?,
                };
                self.connector()?.account(&spec, &password, account).await.map_err(failure)?
            }
        };
        let mut spec = account_spec(&conn, &found, UserSpec { claims: model::empty_object(), ..UserSpec::default() })?;
        crate::validate::user(&mut spec, None)?;
        let id = Uuid::now_v7();
        let event = self.creation_event(caller, id, &spec);
        Ok(self.store.insert_user(caller.tenant_id, id, &spec, model::now(), None, &event).await?)
    }

    /// Reads a directory user's account again: its attributes are updated, and it is deactivated
    /// (`external_account_disabled`) when the account is disabled or gone, or reactivated when
    /// an account that was disabled is enabled again.
    pub async fn refresh_directory_user(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        let user = self.user(caller, id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        let (conn, dn) = self.source_of(caller.tenant_id, &user).await?;
        let account = match self.find_account(&conn, &dn).await {
            Ok(a) => Some(a),
            Err(CoreError::Directory(DirectoryError::NotFound)) => None,
            Err(e) => return Err(e),
        };
        self.reconcile(caller, &conn, &user, account.as_ref()).await
    }

    /// The connection and DN of a directory user.
    async fn source_of(&self, tenant: Uuid, user: &User) -> Result<(Connection, String), CoreError> {
        let not_directory = || CoreError::Conflict("the user does not come from a directory".into());
        let conn_id = user.spec.directory_id.ok_or_else(not_directory)?;
        let dn = user.spec.distinguished_name.clone().ok_or_else(not_directory)?;
        let conn = self
            .store
            .connection(tenant, conn_id)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("user {} names a missing connection", user.id)))?;
        Ok((conn, dn))
    }

    /// Brings a directory user in line with its account (None: the account is gone).
    async fn reconcile(
        &self,
        caller: &Caller,
        conn: &Connection,
        user: &User,
        account: Option<&DirectoryAccount>,
    ) -> Result<User, CoreError> {
        let next = match account {
            Some(a) => account_spec(conn, a, user.spec.clone())?,
            None if user.spec.status == UserStatus::Active => UserSpec {
                status: UserStatus::Deactivated,
                inactive_reason: Some(InactiveReason::ExternalAccountDisabled),
                ..user.spec.clone()
            },
            None => user.spec.clone(),
        };
        if next == user.spec {
            return Ok(user.clone());
        }
        self.edit_user_from_directory(caller, user.id, next).await
    }

    /// Writes what the directory says of a user, past the local-edit guard.
    async fn edit_user_from_directory(&self, caller: &Caller, id: Uuid, spec: UserSpec) -> Result<User, CoreError> {
        self.edit_user_with(caller, id, Edit { from_directory: true, ..Edit::default() }, |_| Ok(spec.clone())).await
    }

    /// Signs a directory user in by binding as its account. The account is read first with the
    /// service account, so one that is disabled or gone deactivates the user; a wrong password
    /// counts towards the lockout like a local one. Roster keeps no directory password.
    pub(crate) async fn directory_sign_in(
        &self,
        tenant: &str,
        user: User,
        login: &str,
        password: &str,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        let refuse = |user: &User, reason: &str| {
            sign_in_event(
                user.tenant_id,
                request,
                events::EventActor::user(user),
                Some(user),
                login,
                "directory",
                reason,
            )
        };
        if user.locked_at(model::now()) {
            // No bind: a locked user's guesses must not reach (and lock) the directory account.
            self.store.record_events(&[refuse(&user, "the account is locked")]).await?;
            return Err(CoreError::Unauthenticated);
        }
        if password.is_empty() {
            self.logon_failed(&user, request, refuse(&user, "empty password")).await?;
            return Err(CoreError::Unauthenticated);
        }
        let (conn, dn) = self.source_of(user.tenant_id, &user).await?;
        let system = Caller::system(user.tenant_id, request);
        let account = match self.find_account(&conn, &dn).await {
            Ok(a) => Some(a),
            Err(CoreError::Directory(DirectoryError::NotFound)) => None,
            Err(e) => return Err(e),
        };
        let user = self.reconcile(&system, &conn, &user, account.as_ref()).await?;
        let Some(account) = account else {
            self.store.record_events(&[refuse(&user, "the directory account is gone")]).await?;
            return Err(CoreError::Unauthenticated);
        };
        match self.connector()?.verify_password(&conn.spec, &account.dn, password).await {
            Ok(()) => self.open_signed_in(tenant, &user, "directory", Some(&conn.spec.name), request).await,
            Err(DirectoryError::InvalidCredentials) => {
                self.logon_failed(&user, request, refuse(&user, "wrong password")).await?;
                Err(CoreError::Unauthenticated)
            }
            Err(DirectoryError::AccountDisabled) => {
                let account = DirectoryAccount { disabled: true, ..account };
                let user = self.reconcile(&system, &conn, &user, Some(&account)).await?;
                self.store.record_events(&[refuse(&user, "the directory account is disabled")]).await?;
                Err(CoreError::Unauthenticated)
            }
            Err(e) => Err(failure(e)),
        }
    }

    // --- directory-backed groups -----------------------------------------------------------

    /// Links a group to a directory group (or unlinks it with None) and, when linking,
    /// synchronises its members at once.
    pub async fn link_group(
        &self,
        caller: &Caller,
        group: Uuid,
        source: Option<(Uuid, String)>,
    ) -> Result<(Group, Option<SyncReport>), CoreError> {
        let g = self.group(caller, group).await?;
        // Linking lets the directory decide who holds what the group confers.
        self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        if g.system {
            return Err(CoreError::Conflict("system groups cannot be changed".into()));
        }
        if g.deleted.is_some() {
            return Err(CoreError::Conflict("the group is deleted; restore it before changing it".into()));
        }
        let link = match source {
            Some((conn_id, dn)) => Some(self.checked_link(caller, conn_id, &dn).await?),
            None => None,
        };
        let before = g.source.as_ref().map(|s| (s.connection_id, s.dn.as_str()));
        let event = link_event(caller, (&g).into(), before, link.as_ref().map(|(c, dn)| (*c, dn.as_str())));
        let linked = link.is_some();
        let g = self.store.link_group(caller.tenant_id, group, link, model::now(), &event).await?;
        if !linked {
            return Ok((g, None));
        }
        let report = self.sync_group(caller, group).await?;
        Ok((self.group(caller, group).await?, Some(report)))
    }

    /// Makes a group that follows a directory group (named by its DN) of one of the tenant's
    /// connections, in one transaction, once the directory group is found readable; then
    /// synchronises its members.
    pub async fn create_linked_group(
        &self,
        caller: &Caller,
        spec: model::GroupSpec,
        connection: Uuid,
        dn: &str,
    ) -> Result<(Group, SyncReport), CoreError> {
        self.authorize(caller, Action::Use(Permission::GroupsWrite)).await?;
        let link = self.checked_link(caller, connection, dn).await?;
        // The directory group must be readable before anything is made to follow it.
        self.directory_group_size(caller, link.0, &link.1).await?;
        let group = self.insert_new_group(caller, spec, Some(link)).await?;
        let report = self.sync_group(caller, group.id).await?;
        Ok((self.group(caller, group.id).await?, report))
    }

    /// A link to a directory group: a well-formed DN on one of the tenant's connections.
    async fn checked_link(&self, caller: &Caller, connection: Uuid, dn: &str) -> Result<(Uuid, String), CoreError> {
        let dn = dn.trim().to_owned();
        if dn.is_empty() || dn.len() > 1024 || dn.chars().any(char::is_control) || !dn.contains('=') {
            return Err(CoreError::invalid("dn", "the directory group's distinguished name"));
        }
        let conn = self.connection(caller, connection).await?;
        Ok((conn.id, dn))
    }

    /// How many accounts a directory group holds (through nested groups when the connection
    /// follows them): a check that it can be read, before anything is made to follow it.
    pub async fn directory_group_size(&self, caller: &Caller, connection: Uuid, dn: &str) -> Result<usize, CoreError> {
        let conn = self.connection(caller, connection).await?;
        let password = self.bind_password(&conn)?;
        let accounts = self
            .connector()?
            .group_members(&conn.spec, &password, dn, conn.spec.nested_groups)
            .await
            .map_err(failure)?;
        Ok(accounts.len())
    }

    /// Synchronises a linked group; an unlinked group is left as it is (None).
    pub async fn sync_group_if_linked(&self, caller: &Caller, group: Uuid) -> Result<Option<SyncReport>, CoreError> {
        match self.group(caller, group).await?.source {
            Some(_) => Ok(Some(self.sync_group(caller, group).await?)),
            None => Ok(None),
        }
    }

    /// Makes a linked group's direct members exactly the accounts of its directory group:
    /// accounts Roster does not know become directory users, members the directory no longer
    /// lists are removed, and users whose account is disabled (or enabled again) are
    /// deactivated (or reactivated). Every change is one event, all written in one transaction.
    pub async fn sync_group(&self, caller: &Caller, group: Uuid) -> Result<SyncReport, CoreError> {
        let g = self.group(caller, group).await?;
        self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        let source = g
            .source
            .clone()
            .ok_or_else(|| CoreError::Conflict("the group is not linked to a directory group".into()))?;
        if g.deleted.is_some() {
            return Err(CoreError::Conflict("the group is deleted; restore it before synchronising it".into()));
        }
        let conn = self.connection(caller, source.connection_id).await?;
        let password = self.bind_password(&conn)?;
        let accounts = self
            .connector()?
            .group_members(&conn.spec, &password, &source.dn, conn.spec.nested_groups)
            .await
            .map_err(failure)?;
        let mut report = SyncReport { directory_members: accounts.len(), ..SyncReport::default() };
        let ids: Vec<String> = accounts.iter().map(|a| a.external_id.clone()).collect();
        let known: HashMap<String, User> = self
            .store
            .users_by_external_ids(caller.tenant_id, &ids)
            .await?
            .into_iter()
            .filter_map(|u| u.spec.external_id.clone().map(|e| (e, u)))
            .collect();
        let mut plan = SyncPlan::default();
        let mut wanted = HashSet::new();
        for account in &accounts {
            if account.account_name.is_none() {
                // Not an account people sign in with (a contact, a computer): nothing to mirror.
                tracing::warn!(dn = %account.dn, "directory group member without an account name left out");
                continue;
            }
            let id = match known.get(&account.external_id) {
                // A soft-deleted user stays out of the group until it is restored.
                Some(user) if user.deleted.is_some() => continue,
                Some(user) if user.spec.directory_id == Some(conn.id) => {
                    let next = account_spec(&conn, account, user.spec.clone())?;
                    if next != user.spec {
                        match (user.spec.status, next.status) {
                            (UserStatus::Active, UserStatus::Deactivated) => report.deactivated += 1,
                            (UserStatus::Deactivated, UserStatus::Active) => report.reactivated += 1,
                            _ => report.updated += 1,
                        }
                        self.edit_user_from_directory(caller, user.id, next).await?;
                    }
                    user.id
                }
                Some(user) => {
                    return Err(CoreError::Conflict(format!(
                        "user {} already holds the external id {} of directory account {}",
                        user.spec.user_name, account.external_id, account.dn
                    )))
                }
                None => {
                    let mut spec = account_spec(
                        &conn,
                        account,
                        UserSpec { claims: model::empty_object(), ..UserSpec::default() },
                    )?;
                    crate::validate::user(&mut spec, None)?;
                    let id = Uuid::now_v7();
                    plan.create.push((id, spec.clone(), self.creation_event(caller, id, &spec)));
                    report.created += 1;
                    id
                }
            };
            wanted.insert(id);
        }
        let current = self.store.direct_members(caller.tenant_id, group).await?;
        let group_data: GroupData = (&g).into();
        let membership = |member: MemberRef, action| {
            caller.event(
                EventType::GroupMembershipChange,
                EventData::GroupMembershipChange { group: group_data.clone(), member: member.into(), action },
            )
        };
        let present: HashSet<Uuid> = current.iter().filter(|m| m.kind == PrincipalKind::User).map(|m| m.id).collect();
        for id in wanted.iter().filter(|id| !present.contains(id)) {
            plan.add.push((*id, membership(MemberRef { kind: PrincipalKind::User, id: *id }, "ADD")));
        }
        for m in current.into_iter().filter(|m| m.kind == PrincipalKind::Group || !wanted.contains(&m.id)) {
            plan.remove.push((m, membership(m, "REMOVE")));
        }
        report.added = plan.add.len();
        report.removed = plan.remove.len();
        let now = model::now();
        plan.next_due = (conn.spec.sync_interval_seconds > 0)
            .then(|| now + chrono::Duration::seconds(i64::from(conn.spec.sync_interval_seconds)));
        self.store.apply_sync(caller.tenant_id, group, &plan, now).await?;
        Ok(report)
    }

    /// Synchronises the linked groups whose scheduled sync is due, one claimed at a time, so
    /// several Roster processes share the work; answers how many were synchronised.
    pub async fn sync_due_groups(&self, limit: usize) -> Result<usize, CoreError> {
        let mut done = 0;
        while done < limit {
            let now = model::now();
            // A claim holds the group for a while, so a process that dies mid-sync only delays it.
            let Some((tenant, group)) = self.store.claim_group_sync(now, now + chrono::Duration::minutes(10)).await?
            else {
                break;
            };
            let system = Caller::system(tenant, &RequestMeta::internal());
            if let Err(e) = self.sync_group(&system, group).await {
                tracing::warn!(%tenant, %group, error = %e, "scheduled directory sync failed");
            }
            done += 1;
        }
        Ok(done)
    }
}

/// The event of a group starting (or stopping) to follow a directory group.
pub(crate) fn link_event(
    caller: &Caller,
    group: events::GroupData,
    before: Option<(Uuid, &str)>,
    after: Option<(Uuid, &str)>,
) -> events::Event {
    let json = |s: Option<(Uuid, &str)>| s.map(|(c, dn)| serde_json::json!({"connection_id": c, "dn": dn}));
    let mut changes = events::Changes::new();
    changes
        .insert("directory_source".into(), events::Change { before: json(before).into(), after: json(after).into() });
    let action = if after.is_some() { "LINK" } else { "UNLINK" };
    caller.event(EventType::GroupChange, EventData::GroupChange { group, action, changes })
}
