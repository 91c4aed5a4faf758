//! The dialect's JSON shapes: snake_case users with RFC 3339 dates, and events in the vendor's
//! shape (epoch milliseconds, an actor, a vendor event type and a `data` object tagged by
//! `type_name`).

use roster_core::model::{User, UserStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /v1/manage/users`: every field is required.
#[derive(Debug, Deserialize)]
pub struct CreateUser {
    pub external_id: String,
    pub email: String,
    pub user_name: String,
    pub display_name: String,
    pub binding_token_delivery_method: String,
}

/// `POST /v1/manage/recover-user`.
#[derive(Debug, Deserialize)]
pub struct RecoverUser {
    pub external_id: String,
    pub binding_token_delivery_method: String,
}

/// A user as the vendor answers it (`ciamUser`).
#[derive(Debug, Serialize)]
pub struct CiamUser<'a> {
    pub internal_id: Uuid,
    pub external_id: &'a str,
    pub email: &'a str,
    pub user_name: &'a str,
    pub display_name: &'a str,
    pub date_created: String,
    pub date_modified: String,
    pub status: &'static str,
}

fn rfc3339(t: &roster_core::model::Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The vendor's name of a user's state: deleted wins over the status it had.
pub fn user_status(deleted: bool, status: UserStatus) -> &'static str {
    match (deleted, status) {
        (true, _) => "USER_STATUS_DELETED",
        (false, UserStatus::Active) => "USER_STATUS_ACTIVE",
        // Every state that keeps a user from signing in, short of deletion.
        (false, UserStatus::Suspended | UserStatus::Quarantined | UserStatus::Deactivated) => "USER_STATUS_SUSPENDED",
        // An invited user has not joined yet: neither active nor suspended in the vendor's terms.
        (false, UserStatus::Invited) => "USER_STATUS_UNSET",
    }
}

impl<'a> From<&'a User> for CiamUser<'a> {
    fn from(u: &'a User) -> Self {
        let s = &u.spec;
        CiamUser {
            internal_id: u.id,
            external_id: s.external_id.as_deref().unwrap_or_default(),
            email: s.email.as_deref().unwrap_or_default(),
            user_name: &s.user_name,
            display_name: s.display_name.as_deref().unwrap_or_default(),
            date_created: rfc3339(&u.created),
            date_modified: rfc3339(&u.modified),
            status: user_status(u.deleted.is_some(), s.status),
        }
    }
}

/// `GET /v1/events`: `{"message": "OK", "body": {"events": [...], "cursor": "..."}}`.
#[derive(Debug, Serialize)]
pub struct EventsAnswer {
    pub message: &'static str,
    pub body: EventsBody,
}

#[derive(Debug, Serialize)]
pub struct EventsBody {
    pub events: Vec<Event>,
    /// Left out on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// One event in the vendor's shape.
#[derive(Debug, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub correlation_id: String,
    /// The tenant the actor belongs to (the vendor keeps it, deprecated, beside `actor.tenant_id`).
    pub actor_tenant_id: String,
    pub service: &'static str,
    pub event_occurred_millis: i64,
    pub event_recorded_millis: i64,
    pub outcome: &'static str,
    pub attested: bool,
    pub actor: Actor,
    pub event_type: &'static str,
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub display_name: String,
    pub id: String,
    pub display_id: String,
    pub tenant_id: String,
}
