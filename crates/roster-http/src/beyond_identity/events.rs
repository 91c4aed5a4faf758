//! `GET /v1/events`: the tenant's audit trail in the vendor's shape. The feed carries the
//! events that have a counterpart in the vendor's catalogue (see `FEED`); the rest of the trail
//! (sessions, roles, API keys, passwords, messages...) is read through the native API.

use super::auth::Bearer;
use super::errors::BiError;
use super::wire::{Actor, Event, EventsAnswer, EventsBody};
use crate::need::EventsRead;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use roster_core::events::{self as core, EventFilter, EventType, Ordering, TextQuery};
use serde_json::{json, Map, Value};

/// Each recorded type the feed carries, and the vendor's name for it. Some events of these
/// types have no counterpart and are left out (see `data`).
const FEED: &[(EventType, &str)] = &[
    (EventType::TenantCreated, "TENANT_CREATED"),
    (EventType::UserChange, "USER_CHANGE"),
    (EventType::GroupChange, "GROUP_CHANGE"),
    (EventType::GroupMembershipChange, "GROUP_MEMBERSHIP_CHANGE"),
    (EventType::UserAuthentication, "USER_AUTHENTICATION"),
    (EventType::CredentialChange, "DEVICE_CREDENTIAL_CHANGE"),
    (EventType::OneTimeLink, "ENROLLMENT_CHANGE"),
];

/// The vendor's words for what the trail records under other names: a `query_text` phrase that
/// is one of them searches for the trail's own. Among the events the feed carries, those of the
/// trail's type are exactly those the vendor's word names (`enrollment` finds the device-binding
/// links the feed calls enrollments, `-enrollment` leaves them out).
const VOCABULARY: &[(&str, &str)] = &[
    ("enrollment_change", "one_time_link"),
    ("EnrollmentChange", "one_time_link"),
    ("enrollment", "one_time_link"),
    ("device_credential_change", "credential_change"),
    ("DeviceCredentialChange", "credential_change"),
    ("CreateTenant", "tenant_created"),
];

/// Most reads of the trail one page may take to fill itself past events the feed leaves out.
const MAX_READS: usize = 8;
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// What a request asks for.
struct Params {
    filter: EventFilter,
    ordering: Ordering,
    page_size: u32,
    cursor: Option<String>,
    /// Vendor event types asked for, upper-cased (empty: every type the feed carries).
    types: Vec<String>,
}

fn parse(raw: Option<&str>) -> Result<Params, BiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| BiError::malformed("the query string is not form-encoded."))?;
    let mut filter = EventFilter { start: Some(0), ..EventFilter::default() };
    let (mut ordering, mut page_size, mut cursor, mut types) = (None, DEFAULT_PAGE, None, Vec::new());
    let int =
        |k: &str, v: &str| v.trim().parse::<i64>().map_err(|_| BiError::malformed(format!("{k} must be an integer.")));
    for (k, v) in pairs {
        match k.as_str() {
            "start_time" => filter.start = Some(int(&k, &v)?),
            "end_time" => filter.end = Some(int(&k, &v)?),
            "page_size" => {
                page_size = match int(&k, &v)? {
                    n @ 1..=1000 => n as u32,
                    _ => return Err(BiError::malformed(format!("page_size must be between 1 and {MAX_PAGE}."))),
                }
            }
            "ordering" => {
                ordering = Some(match v.to_ascii_lowercase().as_str() {
                    "asc" => Ordering::Asc,
                    "desc" => Ordering::Desc,
                    _ => return Err(BiError::malformed("ordering must be asc or desc.")),
                })
            }
            "cursor" => cursor = Some(v),
            "event_type" => types.push(v.to_uppercase()),
            "actor" => filter.actors.push(v),
            "outcome" => filter.outcomes.push(v),
            "emitting_service" => filter.services.push(v.to_lowercase()),
            "correlation_id" => filter.correlation_ids.push(v),
            "query_text" => {
                filter.text = TextQuery::parse(&v).map_err(|m| BiError::malformed(format!("query_text: {m}.")))?;
                if let Some(text) = &mut filter.text {
                    VOCABULARY.iter().for_each(|(vendor, ours)| text.rename(vendor, ours));
                }
            }
            "include_not_attested" => {
                filter.include_not_attested = match v.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(BiError::malformed("include_not_attested must be true or false.")),
                }
            }
            other => return Err(BiError::malformed(format!("unknown parameter '{other}'."))),
        }
    }
    let ordering = ordering.ok_or_else(|| BiError::malformed("ordering is required (asc or desc)."))?;
    Ok(Params { filter, ordering, page_size, cursor, types })
}

/// A page of the feed. A page may hold fewer than `page_size` events while a `cursor` says
/// more may follow: it stops after `MAX_READS` reads of events the feed leaves out.
pub async fn list(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<EventsRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, BiError> {
    let mut p = parse(raw.as_deref())?;
    if p.types.len() > FEED.len() * 4 {
        return Err(BiError::malformed("too many event_type values."));
    }
    p.filter.types = FEED
        .iter()
        .filter(|(_, vendor)| p.types.is_empty() || p.types.iter().any(|t| t == vendor))
        .map(|(t, _)| t.as_str().to_owned())
        .collect();
    let mut events = Vec::new();
    let mut cursor = p.cursor;
    // Asked only for types the feed never carries: nothing to read.
    if !p.filter.types.is_empty() {
        for _ in 0..MAX_READS {
            let want = p.page_size - events.len() as u32;
            let page = s.directory.events(&caller, p.filter.clone(), p.ordering, Some(want), cursor.as_deref()).await?;
            events.extend(page.events.iter().filter_map(feed_event));
            cursor = page.next_cursor;
            if cursor.is_none() || events.len() as u32 >= p.page_size {
                break;
            }
        }
    } else {
        cursor = None;
    }
    Ok(axum::Json(EventsAnswer { message: "OK", body: EventsBody { events, cursor } }).into_response())
}

/// A recorded event in the vendor's shape, or None when the vendor has no counterpart for it.
fn feed_event(e: &core::Event) -> Option<Event> {
    let (event_type, data) = data(e)?;
    Some(Event {
        id: e.id,
        correlation_id: e.correlation_id.clone(),
        actor_tenant_id: e.actor.tenant_id.to_string(),
        service: e.service.as_str(),
        event_occurred_millis: e.occurred,
        event_recorded_millis: e.recorded,
        outcome: e.outcome.as_str(),
        attested: e.attested,
        actor: Actor {
            kind: e.actor.kind.as_str(),
            display_name: e.actor.display_name.clone(),
            id: e.actor.id.clone(),
            display_id: e.actor.display_id.clone(),
            tenant_id: e.actor.tenant_id.to_string(),
        },
        event_type,
        data,
    })
}

/// The vendor's event type and payload for a recorded event.
fn data(e: &core::Event) -> Option<(&'static str, Value)> {
    let d = &e.data;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let action = text(d, "action").unwrap_or_default();
    Some(match e.event_type {
        EventType::TenantCreated => {
            ("TENANT_CREATED", json!({"type_name": "CreateTenant", "tenant": d.get("tenant").cloned()}))
        }
        EventType::UserChange => {
            let action = match action.as_str() {
                "CREATE" | "INVITE" => "CREATE",
                "DELETE" | "PURGE" => "DELETE",
                "SUSPEND" | "QUARANTINE" | "DEACTIVATE" | "LOCK" => "SUSPEND",
                "ACTIVATE" | "RESTORE" | "ACCEPT_INVITATION" => "ACTIVATE",
                _ => "UPDATE",
            };
            let mut user = user(d.get("user")?);
            // The event names the user as it was just before the deletion.
            if action == "DELETE" {
                user["status"] = "DELETED".into();
            }
            ("USER_CHANGE", json!({"type_name": "UserChange", "user": user, "action": action}))
        }
        EventType::GroupChange => {
            let action = match action.as_str() {
                "CREATE" => "CREATE",
                "DELETE" | "PURGE" => "DELETE",
                _ => "UPDATE",
            };
            ("GROUP_CHANGE", json!({"type_name": "GroupChange", "group": group(d.get("group")?), "action": action}))
        }
        EventType::GroupMembershipChange => {
            // The vendor's memberships are of users; a group inside a group has no counterpart.
            let member = d.get("member")?;
            if text(member, "type").as_deref() != Some("user") {
                return None;
            }
            let action = if action == "REMOVE" { "REMOVE" } else { "ADD" };
            let user = json!({"type_name": "User", "id": member.get("id")});
            let data = json!({"type_name": "GroupMembershipChange", "group": group(d.get("group")?), "user": user, "action": action});
            ("GROUP_MEMBERSHIP_CHANGE", data)
        }
        EventType::UserAuthentication => {
            let mut data = Map::new();
            data.insert("type_name".into(), "UserAuthentication".into());
            if let Some(u) = d.get("user") {
                data.insert("user".into(), user(u));
            }
            for k in ["login", "method", "result", "reason"] {
                if let Some(v) = d.get(k) {
                    data.insert(k.into(), v.clone());
                }
            }
            ("USER_AUTHENTICATION", Value::Object(data))
        }
        EventType::CredentialChange => {
            if text(d, "credential").as_deref() != Some("device") {
                return None;
            }
            let (action, status) = if action == "REVOKE" { ("REVOKE", "DELETED") } else { ("CREATE", "ACTIVE") };
            let device = d.get("device");
            let mut certificate = json!({"type_name": "Certificate", "status": status});
            let mut device_info = json!({"type_name": "DeviceInfo"});
            if let Some(device) = device {
                certificate["uuid"] = device.get("id").cloned().unwrap_or_default();
                certificate["fingerprint"] = device.get("fingerprint").cloned().unwrap_or_default();
                device_info["name"] = device.get("name").cloned().unwrap_or_default();
            }
            let data = json!({
                "type_name": "DeviceCredentialChange",
                "certificate": certificate,
                "user": user(d.get("user")?),
                "device_info": device_info,
                "action": action,
            });
            ("DEVICE_CREDENTIAL_CHANGE", data)
        }
        EventType::OneTimeLink => {
            // An enrollment is a device-binding link issued; other links have no counterpart.
            let issued = matches!(action.as_str(), "ISSUE" | "RESEND") && e.outcome == core::Outcome::Success;
            if text(d, "purpose").as_deref() != Some("device_binding") || !issued {
                return None;
            }
            let at = go_time(e.recorded);
            let enrollment =
                json!({"user": user(d.get("user")?), "status": "PENDING", "date_created": at, "date_modified": at});
            (
                "ENROLLMENT_CHANGE",
                json!({"type_name": "EnrollmentChange", "enrollment": enrollment, "action": "CREATE"}),
            )
        }
        _ => return None,
    })
}

/// A user as recorded in an event, in the vendor's `User` shape (with Roster's id beside it).
fn user(u: &Value) -> Value {
    let mut out = Map::new();
    out.insert("type_name".into(), "User".into());
    for (from, to) in [
        ("id", "id"),
        ("external_id", "external_id"),
        ("email", "email"),
        ("user_name", "user_name"),
        ("display_name", "user_display"),
    ] {
        if let Some(v) = u.get(from).filter(|v| !v.is_null()) {
            out.insert(to.into(), v.clone());
        }
    }
    let deleted = u.get("deleted").and_then(Value::as_bool).unwrap_or(false);
    let status = match (deleted, u.get("status").and_then(Value::as_str)) {
        (true, _) => Some("DELETED"),
        (false, Some("active")) => Some("ACTIVE"),
        (false, Some("suspended" | "quarantined" | "deactivated")) => Some("SUSPENDED"),
        _ => None,
    };
    if let Some(s) = status {
        out.insert("status".into(), s.into());
    }
    Value::Object(out)
}

/// A group as recorded in an event, in the vendor's `Group` shape.
fn group(g: &Value) -> Value {
    json!({
        "type_name": "Group",
        "id": g.get("id"),
        "name": g.get("display_name").filter(|v| v.is_string()).or(g.get("name")),
        "description": g.get("description").and_then(Value::as_str).unwrap_or_default(),
        "source": "Roster",
    })
}

/// A time as the vendor writes its enrollment dates: `2022-02-03 13:51:12.979995 +0000 +0000`.
fn go_time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f +0000 +0000").to_string())
        .unwrap_or_default()
}
