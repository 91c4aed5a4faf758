//! What faces share about callers: the bearer credential (a user's access token or a tenant API
//! key) and the permission a route needs, named by a type so an extractor can demand it.

use crate::AppState;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use roster_core::access::Permission;
use roster_core::{Caller, CoreError};

/// What a route needs, as a type an extractor is generic over.
pub trait Need {
    const PERMISSION: Permission;
}
/// Any signed-in caller (acting on itself).
pub struct Anyone;
impl Need for Anyone {
    const PERMISSION: Permission = Permission::SelfService;
}
/// Changing one's own password (all a user who must change it may do).
pub struct PasswordChange;
impl Need for PasswordChange {
    const PERMISSION: Permission = Permission::PasswordChange;
}
/// Reading users.
pub struct UsersRead;
impl Need for UsersRead {
    const PERMISSION: Permission = Permission::UsersRead;
}
/// Changing users.
pub struct UsersWrite;
impl Need for UsersWrite {
    const PERMISSION: Permission = Permission::UsersWrite;
}

/// Reading groups.
pub struct GroupsRead;
impl Need for GroupsRead {
    const PERMISSION: Permission = Permission::GroupsRead;
}
/// Changing groups and their members.
pub struct GroupsWrite;
impl Need for GroupsWrite {
    const PERMISSION: Permission = Permission::GroupsWrite;
}
/// Setting other users' credentials.
pub struct CredentialsWrite;
impl Need for CredentialsWrite {
    const PERMISSION: Permission = Permission::CredentialsWrite;
}
/// Signing in as another user.
pub struct Impersonate;
impl Need for Impersonate {
    const PERMISSION: Permission = Permission::Impersonate;
}
/// Reading the audit trail.
pub struct EventsRead;
impl Need for EventsRead {
    const PERMISSION: Permission = Permission::EventsRead;
}

/// The request's one value of header `name`, if it has one. Two are refused (a validation error,
/// a 400 in every face's format): which credential would act depends on which a proxy, a log or
/// Roster reads, so neither is believed.
pub fn single<'h>(headers: &'h HeaderMap, name: &header::HeaderName) -> Result<Option<&'h HeaderValue>, CoreError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(CoreError::invalid(name.as_str(), "is given more than once; send one credential"));
    }
    Ok(first)
}

/// The request's one `Authorization` header, if any (see [`single`]).
pub fn authorization(headers: &HeaderMap) -> Result<Option<&HeaderValue>, CoreError> {
    single(headers, &header::AUTHORIZATION)
}

/// The caller of `Authorization: Bearer <credential>`: a user's access token (a JWT) or a tenant
/// API key. Leaves the caller where the refusal recorder finds it.
pub async fn bearer_caller(parts: &Parts, state: &AppState) -> Result<Caller, CoreError> {
    let value = authorization(&parts.headers)?.and_then(|v| v.to_str().ok()).ok_or(CoreError::Unauthenticated)?;
    let (scheme, token) = value.split_once(' ').ok_or(CoreError::Unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(CoreError::Unauthenticated);
    }
    let token = token.trim();
    // A JWT has three dot-separated parts; API keys have none.
    let caller = if token.bytes().filter(|b| *b == b'.').count() == 2 {
        state.directory.authenticate_token(token).await?
    } else {
        state.directory.authenticate_api_key(token).await?
    }
    .serving(crate::audit::request_meta(parts));
    crate::audit::CallerSlot::set(parts, &caller);
    Ok(caller)
}
