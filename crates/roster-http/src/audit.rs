//! What the HTTP layer adds to the audit trail: the request id (kept from the client when
//! well-formed), where a request came from, and one event for every refused or failed request
//! of an authenticated caller, whichever face refused it.

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use roster_core::events::{now_millis, EventData, EventType, Outcome, RequestMeta};
use roster_core::Caller;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

pub const REQUEST_ID: &str = "x-request-id";
/// Longest request id kept from a client.
const MAX_REQUEST_ID: usize = 128;

/// Drops a client's `X-Request-Id` unless it is 1 to 128 visible characters of a safe set, so
/// one is made up instead; logs and the trail never carry control characters or huge values.
pub async fn check_request_id(mut req: Request, next: Next) -> Response {
    let well_formed = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.:/+=@".contains(c))
    };
    if req.headers().get(REQUEST_ID).is_some_and(|v| !well_formed(v)) {
        req.headers_mut().remove(REQUEST_ID);
    }
    req.extensions_mut().insert(Started(now_millis()));
    next.run(req).await
}

/// When the request arrived, in epoch milliseconds.
#[derive(Clone, Copy)]
struct Started(i64);

/// The request's id, origin and arrival time, for the events it causes.
pub fn request_meta(parts: &Parts) -> RequestMeta {
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    RequestMeta {
        correlation_id: header(REQUEST_ID).unwrap_or_default().to_owned(),
        ip: parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        user_agent: header(header::USER_AGENT.as_str()).map(|u| u.chars().take(256).collect()),
        started: parts.extensions.get::<Started>().map_or(0, |s| s.0),
    }
}

/// Where the credential check leaves the caller it resolved, for [`record_refusals`].
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<Caller>>);

impl CallerSlot {
    pub fn set(parts: &Parts, caller: &Caller) {
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            let _ = slot.0.set(caller.clone());
        }
    }
}

/// What a face's error answer was, for the refusal event (faces put it on their error responses).
#[derive(Clone)]
pub struct Refused {
    pub code: String,
    pub message: String,
}

impl Refused {
    /// A dialect's JSON error answer, carrying this for the refusal event, never cached.
    pub fn respond(self, status: axum::http::StatusCode, body: serde_json::Value) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut resp = (status, axum::Json(body)).into_response();
        resp.extensions_mut().insert(self);
        resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        resp
    }

    /// A dialect's error answer of one field, `{field: message}`, coded by the status's reason.
    pub fn single(status: axum::http::StatusCode, field: &str, message: String) -> axum::response::Response {
        let code = status.canonical_reason().unwrap_or("error").to_lowercase().replace(' ', "_");
        let body = serde_json::json!({ field: message });
        Refused { code, message }.respond(status, body)
    }
}

/// Records one event for a request refused or failed after its caller was known: any refused
/// change, and any request refused for want of permission. Refusals before a credential is
/// proven name no tenant and are only logged.
pub async fn record_refusals(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
    let resp = next.run(req).await;
    let status = resp.status();
    let Some(caller) = slot.0.get() else { return resp };
    let mutating = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !(status.is_client_error() && (mutating || status.as_u16() == 403) || status.is_server_error()) {
        return resp;
    }
    let outcome = match status.as_u16() {
        403 => Outcome::Denied,
        500.. => Outcome::Error,
        _ => Outcome::Failure,
    };
    let (code, message) = match resp.extensions().get::<Refused>() {
        Some(r) => (r.code.clone(), r.message.clone()),
        None => (String::new(), status.canonical_reason().unwrap_or_default().to_owned()),
    };
    let data = EventData::Refusal { request: format!("{method} {path}"), status: status.as_u16(), code, message };
    if let Err(e) = s.directory.record_refusal(caller, event_type(&route), outcome, data).await {
        tracing::error!(error = %e, "could not record a refused request");
    }
    resp
}

/// The event type a refused request of a route is recorded under: the type its success records.
pub fn event_type(route: &str) -> EventType {
    let has = |part: &str| route.contains(part);
    if has("/secrets") {
        EventType::SecretChange
    } else if has("/access-polic") {
        EventType::PolicyChange
    } else if has("/directories/{id}/users") || has("/quarantine") {
        EventType::UserChange
    } else if has("/directory-source") || route.ends_with("/sync") {
        EventType::GroupChange
    } else if has("/directories") {
        EventType::DirectoryConnectionChange
    } else if has("/recycleclientsecret") {
        EventType::CredentialChange
    } else if has("/users/{id}/usergroups") || has("/usergroups/{id}/users") {
        EventType::GroupMembershipChange
    } else if has("/usergroups") {
        EventType::GroupChange
    } else if has("/roles") {
        EventType::RoleChange
    } else if has("/members") {
        EventType::GroupMembershipChange
    } else if has("/password") || has("/client-secret") {
        EventType::CredentialChange
    } else if has("-policy") {
        EventType::PolicyChange
    } else if has("/api-keys") {
        EventType::ApiKeyChange
    } else if has("/impersonate") {
        EventType::Impersonation
    } else if has("/auth/") {
        EventType::SessionChange
    } else if has("/groups") {
        EventType::GroupChange
    } else {
        EventType::UserChange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_take_the_type_of_their_route() {
        assert_eq!(event_type("/api/v1/users/{id}/roles/{role}"), EventType::RoleChange);
        assert_eq!(event_type("/api/v1/groups/{id}/members/users/{member_id}"), EventType::GroupMembershipChange);
        assert_eq!(event_type("/api/v1/users/{id}/password"), EventType::CredentialChange);
        assert_eq!(event_type("/api/v1/me/password"), EventType::CredentialChange);
        assert_eq!(event_type("/api/v1/lockout-policy"), EventType::PolicyChange);
        assert_eq!(event_type("/api/v1/api-keys/{id}"), EventType::ApiKeyChange);
        assert_eq!(event_type("/api/v1/auth/impersonate"), EventType::Impersonation);
        assert_eq!(event_type("/api/v1/auth/logout"), EventType::SessionChange);
        assert_eq!(event_type("/api/v1/groups/{id}"), EventType::GroupChange);
        assert_eq!(event_type("/api/v1/users/{id}/logon-failures"), EventType::UserChange);
        assert_eq!(event_type("/api/v1/secrets/{id}/owners"), EventType::SecretChange);
        assert_eq!(event_type("/api/v1/users/{id}/access-policy"), EventType::PolicyChange);
        assert_eq!(event_type("/api/v1/directories/{id}"), EventType::DirectoryConnectionChange);
        assert_eq!(event_type("/api/v1/directories/{id}/users"), EventType::UserChange);
        assert_eq!(event_type("/api/v1/groups/{id}/sync"), EventType::GroupChange);
        let bt = "/beyondtrust/api/public/v3";
        assert_eq!(event_type(&format!("{bt}/users/{{id}}/usergroups/{{group}}")), EventType::GroupMembershipChange);
        assert_eq!(event_type(&format!("{bt}/usergroups")), EventType::GroupChange);
        assert_eq!(event_type(&format!("{bt}/users/{{id}}/recycleclientsecret")), EventType::CredentialChange);
        assert_eq!(event_type(&format!("{bt}/users/{{id}}/quarantine")), EventType::UserChange);
    }
}
