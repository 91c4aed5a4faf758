//! `/lockout-policy` and `/users/{id}/logon-failures`: how failed sign-ins lock and deactivate
//! accounts, and clearing a user's failures.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath};
use super::users::user_response;
use super::wire::User;
use super::Projection;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::lockout::LockoutPolicy;

/// The tenant's lockout policy.
#[utoipa::path(get, path = "/lockout-policy", operation_id = "get_lockout_policy", security(("api_key" = ["users:read"])), tag = "passwords",
    responses((status = 200, description = "The policy", body = LockoutPolicy), ProblemResponses))]
pub async fn get_policy(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.lockout_policy(&caller).await?).into_response())
}

/// Replace the tenant's lockout policy; attributes left out take their defaults.
#[utoipa::path(put, path = "/lockout-policy", operation_id = "set_lockout_policy", security(("api_key" = ["policies:write"])), tag = "passwords",
    request_body = LockoutPolicy,
    responses((status = 200, description = "The policy now in force", body = LockoutPolicy), ProblemResponses))]
pub async fn set_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(policy): Body<LockoutPolicy>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.set_lockout_policy(&caller, policy).await?).into_response())
}

/// Clear a user's failed sign-ins, lifting a temporary lock. A user deactivated for too many
/// failures stays deactivated.
#[utoipa::path(delete, path = "/users/{id}/logon-failures", security(("api_key" = ["users:write"])), tag = "passwords",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, without failures or lock", body = User), ProblemResponses))]
pub async fn clear(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let user = s.directory.clear_logon_failures(&caller, id).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}
