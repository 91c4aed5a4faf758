//! The dialect's records: users as `/multipleusers` lists them, smartcards, and the
//! `{"success": ...}` answer. Times are `YYYY-MM-DD HH:MM:SS` in UTC; `user_id` and `email_id` are
//! both the user's per-tenant number.

use axum::response::{IntoResponse, Response};
use roster_core::model::{Time, User, UserStatus};
use roster_core::workstations::Smartcard;
use serde::Serialize;

pub fn time(t: Time) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// How the answers name a user: its email, or its user name when it has none.
pub fn who(u: &User) -> &str {
    u.spec.email.as_deref().unwrap_or(&u.spec.user_name)
}

/// `{"success": message}` with 200.
pub fn success(message: impl Into<String>) -> Response {
    axum::Json(serde_json::json!({ "success": message.into() })).into_response()
}

/// The authentication-device status: ACTIVE, SUSPENDED, PENDING (invited), QUARANTINED or
/// DEACTIVATED.
pub fn ad_status(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "ACTIVE",
        UserStatus::Suspended => "SUSPENDED",
        UserStatus::Invited => "PENDING",
        UserStatus::Quarantined => "QUARANTINED",
        UserStatus::Deactivated => "DEACTIVATED",
    }
}

#[derive(Serialize)]
pub struct AtSmartcard<'a> {
    pub label: Option<&'a str>,
    pub number: &'a str,
}

impl<'a> From<&'a Smartcard> for AtSmartcard<'a> {
    fn from(c: &'a Smartcard) -> Self {
        AtSmartcard { label: c.label.as_deref(), number: &c.number }
    }
}

/// A user as `/multipleusers` lists it.
#[derive(Serialize)]
pub struct AtUser<'a> {
    pub ad_status: &'static str,
    pub active_date: Option<String>,
    pub confirmed: Option<String>,
    pub created: String,
    pub device_added: Option<String>,
    pub email: Option<&'a str>,
    pub email_id: i64,
    pub email_status: &'static str,
    pub first_name: Option<&'a str>,
    /// One single-name list per direct group, as the vendor nests them.
    pub groups: Vec<[&'a str; 1]>,
    pub last_name: Option<&'a str>,
    pub name: String,
    pub user_id: i64,
    pub username: &'a str,
    pub unique_id: String,
    pub user_tag: &'static str,
}

impl<'a> AtUser<'a> {
    pub fn new(u: &'a User, groups: Vec<[&'a str; 1]>, device_added: Option<Time>, email_in_name: bool) -> Self {
        let s = &u.spec;
        let mut name = match (s.given_name.as_deref(), s.family_name.as_deref()) {
            (Some(g), Some(f)) => format!("{g} {f}"),
            (Some(one), None) | (None, Some(one)) => one.to_owned(),
            (None, None) => s.display_name.clone().unwrap_or_else(|| s.user_name.clone()),
        };
        if let (true, Some(email)) = (email_in_name, s.email.as_deref()) {
            name = format!("{name} <{email}>");
        }
        AtUser {
            ad_status: ad_status(s.status),
            active_date: u.activated.map(time),
            confirmed: u.email_confirmed.map(time),
            created: time(u.created),
            device_added: device_added.map(time),
            email: s.email.as_deref(),
            email_id: u.number,
            email_status: if s.email_verified { "CONFIRMED" } else { "UNCONFIRMED" },
            first_name: s.given_name.as_deref(),
            groups,
            last_name: s.family_name.as_deref(),
            name,
            user_id: u.number,
            username: &s.user_name,
            unique_id: u.id.to_string(),
            user_tag: if s.guest { "GUEST" } else { "USER" },
        }
    }
}

/// A pending invitation as `GET /invites` lists it.
#[derive(Serialize)]
pub struct AtInvite<'a> {
    pub email: Option<&'a str>,
    pub email_id: i64,
    pub user_id: i64,
    pub created: String,
    /// When the invitation link expires (None: no link was sent).
    pub expires: Option<String>,
    pub groups: Vec<[&'a str; 1]>,
}
