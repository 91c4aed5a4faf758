//! The dialect's JSON shapes: camelCase records with the system fields `_id`, `_created` and
//! `_modified` (RFC 3339), lists as `{totalCount, data}`, tokens as `{token, expiresIn}`.

use roster_core::model::{Time, User, UserStatus};
use serde::{Deserialize, Serialize};

fn rfc3339(t: &Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The system fields every record carries.
#[derive(Debug, Serialize)]
pub struct Stamps {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "_created")]
    pub created: String,
    #[serde(rename = "_modified")]
    pub modified: String,
}

impl Stamps {
    fn of(id: uuid::Uuid, created: &Time, modified: &Time) -> Stamps {
        Stamps { id: id.to_string(), created: rfc3339(created), modified: rfc3339(modified) }
    }
}

/// A user as the vendor answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlcUser<'a> {
    #[serde(flatten)]
    pub stamps: Stamps,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    pub system: bool,
    pub user_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<&'a str>,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_home_directory: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<&'a str>,
    pub invitation_pending: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_expiry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    pub temporarily_locked: bool,
}

impl<'a> From<&'a User> for SlcUser<'a> {
    fn from(u: &'a User) -> Self {
        let s = &u.spec;
        SlcUser {
            stamps: Stamps::of(u.id, &u.created, &u.modified),
            external_id: s.external_id.as_deref(),
            system: false,
            user_name: &s.user_name,
            display_name: s.display_name.as_deref(),
            active: s.status == UserStatus::Active,
            inactive_reason: s.inactive_reason.map(|r| match r {
                roster_core::model::InactiveReason::Manual => "manual",
                roster_core::model::InactiveReason::TooManyFailedLogons => "tooManyFailedLogons",
                roster_core::model::InactiveReason::ExternalAccountDisabled => "externalAccountDisabled",
            }),
            email: s.email.as_deref(),
            unix_home_directory: s.unix_home_directory.as_deref(),
            unix_user_name: s.unix_user_name.as_deref(),
            user_principal_name: s.user_principal_name.as_deref(),
            invitation_pending: s.status == UserStatus::Invited,
            invitation_expiry: u.invitation_expires.as_ref().map(rfc3339),
            deleted: u.deleted.as_ref().map(rfc3339),
            temporarily_locked: u.locked_at(roster_core::model::now()),
        }
    }
}

/// `{totalCount, data}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOf {
    pub total_count: u64,
    pub data: Vec<serde_json::Value>,
}

/// `POST /login`.
#[derive(Debug, Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// `POST /impersonate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Impersonate {
    pub user_id: String,
}

/// A token and its lifetime in seconds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub token: String,
    pub expires_in: i64,
}

/// A user as `POST /users` and `PUT /users/{userId}` send it, without the read-only fields
/// (which a client may send back as it read them: they are left out before reading).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserWrite {
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub inactive_reason: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub unix_home_directory: Option<String>,
    #[serde(default)]
    pub unix_user_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Set: the user is (soft) deleted; absent or null: it is not.
    #[serde(default)]
    pub deleted: Option<String>,
    /// Only on creation: the first password, checked against the policy.
    #[serde(default)]
    pub password: Option<String>,
    /// Only on creation: the user must choose a new password at its first sign-in.
    #[serde(default)]
    pub must_change: Option<bool>,
}

/// A group as the vendor answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlcGroup<'a> {
    #[serde(flatten)]
    pub stamps: Stamps,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    pub system: bool,
    pub name: &'a str,
}

impl<'a> From<&'a roster_core::model::Group> for SlcGroup<'a> {
    fn from(g: &'a roster_core::model::Group) -> Self {
        SlcGroup {
            stamps: Stamps::of(g.id, &g.created, &g.modified),
            external_id: g.spec.external_id.as_deref(),
            system: g.system,
            name: &g.spec.name,
        }
    }
}

/// A group as `POST /groups` and `PUT /groups/{groupId}` send it, without the read-only fields.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupWrite {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// A principal (user or group) in a listing.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlcPrincipal<'a> {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "_type")]
    pub kind: &'static str,
    pub name: &'a str,
    pub display_name: &'a str,
    pub external: bool,
    pub system: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
}

pub fn principal_type(kind: roster_core::model::PrincipalKind) -> &'static str {
    match kind {
        roster_core::model::PrincipalKind::User => "User",
        roster_core::model::PrincipalKind::Group => "Group",
    }
}

impl<'a> From<&'a roster_core::model::Principal> for SlcPrincipal<'a> {
    fn from(p: &'a roster_core::model::Principal) -> Self {
        SlcPrincipal {
            id: p.id.to_string(),
            kind: principal_type(p.kind),
            name: &p.name,
            display_name: p.display_name.as_deref().unwrap_or(&p.name),
            external: p.external_id.is_some(),
            system: false,
            deleted: p.deleted.as_ref().map(rfc3339),
        }
    }
}

/// One entry of a membership listing: a group a principal belongs to, or a member of a group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership<'a> {
    pub membership_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<&'static str>,
    pub id: String,
    pub name: &'a str,
}

/// One change of `PATCH /groups/{groupId}/members`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberChange {
    pub op: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub principal_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}
