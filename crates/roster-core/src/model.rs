//! The directory's records: tenants, users, groups, memberships and principals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub type Time = DateTime<Utc>;

/// The current time, truncated to milliseconds: what the store keeps, so a value read back equals the one written.
pub fn now() -> Time {
    let t = Utc::now();
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    pub created: Time,
}

/// Where a user's account comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    #[default]
    Local,
    Directory,
    Application,
}

/// The lifecycle state of a user; soft deletion is kept apart in `deleted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    #[default]
    Active,
    Suspended,
    Quarantined,
    Deactivated,
    Invited,
}

/// Why a user was deactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InactiveReason {
    Manual,
    TooManyFailedLogons,
    ExternalAccountDisabled,
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [&'static str] = &[$($s),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use str_enum;
str_enum!(UserKind { Local => "local", Directory => "directory", Application => "application" });
str_enum!(UserStatus {
    Active => "active", Suspended => "suspended", Quarantined => "quarantined",
    Deactivated => "deactivated", Invited => "invited",
});
str_enum!(InactiveReason {
    Manual => "manual", TooManyFailedLogons => "too_many_failed_logons",
    ExternalAccountDisabled => "external_account_disabled",
});

/// The writable attributes of a user: what create and replace take, and what patches edit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub user_name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub kind: UserKind,
    #[serde(default)]
    pub status: UserStatus,
    #[serde(default)]
    pub inactive_reason: Option<InactiveReason>,
    /// Free-form attributes: a JSON object, searchable by path (`claims.department eq "sales"`).
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub claims: serde_json::Value,
    #[serde(default)]
    pub unix_user_name: Option<String>,
    #[serde(default)]
    pub unix_home_directory: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub distinguished_name: Option<String>,
    #[serde(default)]
    pub guest: bool,
    /// Who the user is at an external authentication provider; a provider's subject belongs to
    /// one user of a tenant.
    #[serde(default)]
    pub federated_identity: Option<FederatedIdentity>,
    /// The directory connection a directory user comes from; set only by the directory path.
    #[serde(skip)]
    pub directory_id: Option<Uuid>,
}

/// A user's identity at an external authentication provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FederatedIdentity {
    /// The provider, as the tenant names it.
    pub provider_id: String,
    /// Where the provider lives (its issuer URL), when known.
    #[serde(default)]
    pub url: Option<String>,
    /// The user's identifier at the provider.
    pub subject_id: String,
}

pub fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Per-tenant integer id, for faces whose wire format numbers users.
    pub number: i64,
    pub spec: UserSpec,
    pub created: Time,
    pub modified: Time,
    pub deleted: Option<Time>,
    pub version: i64,
    /// When the password was last set; None while the user has none.
    pub password_changed: Option<Time>,
    /// The user must choose a new password at the next sign-in.
    pub password_must_change: bool,
    /// Failed sign-ins since the last successful one (or since an administrator cleared them).
    pub failed_logons: i64,
    /// Too many recent failed sign-ins: no sign-in succeeds before this time.
    pub locked_until: Option<Time>,
    /// When the newest invitation link expires, while the user's invitation is pending.
    pub invitation_expires: Option<Time>,
    /// The access policy assigned to the user; the tenant's default applies when None.
    pub access_policy: Option<Uuid>,
    /// When the user first became active (None while it never was).
    pub activated: Option<Time>,
    /// When its email was confirmed (None while it is not).
    pub email_confirmed: Option<Time>,
    /// Its newest sign-in (None while it never signed in).
    pub last_sign_in: Option<SignIn>,
}

/// A user's sign-in, as the session it opened records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub at: Time,
    /// How the user proved itself: `password`, `directory`, `device` or `client_credentials`.
    pub method: String,
    /// For a directory sign-in, the name of the directory connection that checked the password.
    pub source: Option<String>,
}

impl User {
    /// Whether a temporary lock is in force at `now`.
    pub fn locked_at(&self, now: Time) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// The writable attributes of a group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: i64,
    pub spec: GroupSpec,
    /// Groups the system keeps for itself; they cannot be changed or deleted through the API.
    pub system: bool,
    /// The directory group whose members this group follows.
    pub source: Option<crate::connectors::GroupSource>,
    /// The access policy assigned to the group; it governs every member, direct or indirect.
    pub access_policy: Option<Uuid>,
    pub created: Time,
    pub modified: Time,
    pub deleted: Option<Time>,
    pub version: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Group,
}
str_enum!(PrincipalKind { User => "user", Group => "group" });

/// A member of a group: a user or another group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberRef {
    pub kind: PrincipalKind,
    pub id: Uuid,
}

/// Users and groups seen together, by the attributes they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub number: i64,
    /// A user's user_name or a group's name.
    pub name: String,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub created: Time,
    pub modified: Time,
    pub deleted: Option<Time>,
}

/// Whether a membership listing follows nested groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    #[default]
    Direct,
    Indirect,
}

/// Which records a listing includes with respect to soft deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Deleted {
    #[default]
    Exclude,
    Include,
    Only,
}

/// Who really acts in an impersonation session: a user or an API key of the same tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
}
str_enum!(ActorKind { User => "user", ApiKey => "api_key" });

/// An API key as stored: the secret itself is never kept, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub role: String,
    pub hash: [u8; 32],
    pub created: Time,
    pub expires: Option<Time>,
    pub last_used: Option<Time>,
    pub revoked: Option<Time>,
}
