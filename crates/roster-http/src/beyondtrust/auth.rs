//! Sign-in and the session: `Auth/SignAppin` (a `PS-Auth` header naming an API key, alone or with
//! the user it runs as and optionally that user's password, or a bearer token from `Auth/connect/token`),
//! the `ASP.NET_SessionId` cookie later calls carry, and `Auth/Signout`. The extractor here is
//! the one place this face checks permissions.

use super::errors::BtError;
use super::wire::SignedIn;
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::access::Permission;
use roster_core::{Caller, CoreError};
use std::marker::PhantomData;

pub const COOKIE: &str = "ASP.NET_SessionId";

// User Accounts Management (Read) and (Read/Write) are the core's users:read and users:write.
pub use crate::need::{Anyone, Need, UsersRead, UsersWrite};
/// Password Safe API Global Quarantine (Read/Write).
pub struct Quarantine;
impl Need for Quarantine {
    const PERMISSION: Permission = Permission::UsersQuarantine;
}

/// The caller of a signed-in session (the cookie, or the bearer token it was opened with),
/// holding the permission the route needs.
pub struct Session<N: Need>(pub Caller, pub PhantomData<N>);

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

/// The bearer token of the one `Authorization` header (two are refused).
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, BtError> {
    let Some(value) = crate::need::authorization(headers)?.and_then(|v| v.to_str().ok()) else { return Ok(None) };
    Ok(value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim()))
}

impl<N: Need> FromRequestParts<AppState> for Session<N> {
    type Rejection = BtError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = session_caller(parts, state).await?;
        caller.require(N::PERMISSION)?;
        Ok(Session(caller, PhantomData))
    }
}

/// The caller of the session a request carries, whatever it may do.
async fn session_caller(parts: &mut Parts, state: &AppState) -> Result<Caller, BtError> {
    let token = match (cookie(&parts.headers), bearer(&parts.headers)?) {
        (Some(c), Some(b)) if c != b => {
            return Err(CoreError::invalid("authorization", "the session cookie and the bearer token differ").into())
        }
        (Some(c), _) => c,
        (None, Some(b)) => b,
        (None, None) => return Err(BtError::unauthorized()),
    };
    let caller = state.directory.authenticate_session(token).await?.serving(crate::audit::request_meta(parts));
    // Refusals of a known caller go to the audit trail, as on every face.
    crate::audit::CallerSlot::set(parts, &caller);
    Ok(caller)
}

/// The parts of `PS-Auth key=...; runas=...; pwd=[...];`.
#[derive(Debug, PartialEq, Eq)]
pub struct PsAuth<'a> {
    pub key: &'a str,
    pub runas: Option<&'a str>,
    pub password: Option<&'a str>,
}

/// Reads a `PS-Auth` header value; the password sits in brackets and may hold `;`.
pub fn parse_ps_auth(value: &str) -> Option<PsAuth<'_>> {
    let (scheme, mut rest) = value.trim().split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("ps-auth") {
        return None;
    }
    let (mut key, mut runas, mut password) = (None, None, None);
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().to_ascii_lowercase();
        if name == "pwd" {
            let inner = after.trim_start().strip_prefix('[')?;
            let end = inner.rfind(']')?;
            password = Some(&inner[..end]);
            rest = &inner[end + 1..];
            continue;
        }
        let end = after.find(';').unwrap_or(after.len());
        let v = after[..end].trim();
        match name.as_str() {
            "key" => key = Some(v),
            "runas" => runas = Some(v).filter(|r| !r.is_empty()),
            _ => {}
        }
        rest = &after[end..];
    }
    Some(PsAuth { key: key.filter(|k| !k.is_empty())?, runas, password })
}

/// `POST Auth/SignAppin`: opens a session and sets its cookie.
pub async fn sign_app_in(State(s): State<AppState>, req: axum::extract::Request) -> Result<Response, BtError> {
    let (parts, _) = req.into_parts();
    let headers = &parts.headers;
    let meta = crate::audit::request_meta(&parts);
    let value = crate::need::authorization(headers)?.and_then(|v| v.to_str().ok()).ok_or_else(BtError::unauthorized)?;
    let token = if let Some(ps) = parse_ps_auth(value) {
        let key = s.directory.authenticate_api_key(ps.key).await?.serving(meta.clone());
        match ps.runas {
            // A key alone signs in as itself: its role decides what the session may do.
            None => {
                let token = s.directory.open_key_session(&key).await?;
                return Ok(with_session_cookie(axum::Json(SignedIn::key(&key)).into_response(), &token));
            }
            // `DOMAIN\name` names a directory user by its account name.
            Some(runas) => {
                let login = runas.rsplit_once('\\').map_or(runas, |(_, name)| name);
                s.directory.sign_in_as(&key, login, ps.password, &meta).await?.access_token
            }
        }
    } else if let Some(t) = bearer(headers)? {
        t.to_owned()
    } else {
        return Err(BtError::unauthorized());
    };
    let caller = s.directory.authenticate_token(&token).await?;
    let user = s.directory.me(&caller).await?;
    Ok(with_session_cookie(axum::Json(SignedIn::from(&user)).into_response(), &token))
}

fn with_session_cookie(mut resp: Response, token: &str) -> Response {
    let set = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&set) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `POST Auth/Signout`: ends the session of the cookie.
/// Every session may end itself, whatever its role grants.
pub async fn sign_out(State(s): State<AppState>, req: axum::extract::Request) -> Result<Response, BtError> {
    let (mut parts, _) = req.into_parts();
    let caller = session_caller(&mut parts, &s).await?;
    s.directory.logout(&caller).await?;
    let mut resp = StatusCode::OK.into_response();
    let expire = format!("{COOKIE}=; Path=/; HttpOnly; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&expire) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// The form of `POST Auth/connect/token`.
#[derive(serde::Deserialize)]
pub struct TokenForm {
    grant_type: String,
    client_id: String,
    client_secret: String,
}

/// `POST Auth/connect/token`: OAuth client credentials of an application user.
pub async fn connect_token(State(s): State<AppState>, parts: axum::extract::Request) -> Result<Response, BtError> {
    let (parts, body) = parts.into_parts();
    let meta = crate::audit::request_meta(&parts);
    let bytes =
        axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| BtError::bad_request("the form is too large"))?;
    let form: TokenForm = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        BtError::bad_request(format!("a form of grant_type, client_id and client_secret is required: {e}"))
    })?;
    if form.grant_type != "client_credentials" {
        return Err(BtError::bad_request("grant_type must be client_credentials"));
    }
    let pair = s.directory.client_credentials(&form.client_id, &form.client_secret, &meta).await?;
    let body = serde_json::json!({
        "access_token": pair.access_token,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
        "scope": "publicapi",
    });
    Ok(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_auth_headers() {
        let h = "PS-Auth key=abc123; runas=CORP\\jane; pwd=[p;a]ss];";
        assert_eq!(
            parse_ps_auth(h),
            Some(PsAuth { key: "abc123", runas: Some("CORP\\jane"), password: Some("p;a]ss") })
        );
        assert_eq!(parse_ps_auth("ps-auth key=k;"), Some(PsAuth { key: "k", runas: None, password: None }));
        assert_eq!(parse_ps_auth("PS-Auth runas=x;"), None, "a key is required");
        assert_eq!(parse_ps_auth("Bearer abc"), None);
        assert_eq!(parse_ps_auth("PS-Auth key=k; pwd=[unclosed;"), None);
    }
}
