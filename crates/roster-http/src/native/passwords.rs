//! `/password-policy` and `/users/{id}/password`: the tenant's password rules, checking a
//! candidate password, and setting one.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath};
use super::wire::{PasswordCandidate, PasswordCheck, SetPassword};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::password::PasswordPolicy;

/// The tenant's password policy.
#[utoipa::path(get, path = "/password-policy", security(("api_key" = ["users:read"])), tag = "passwords",
    responses((status = 200, description = "The policy", body = PasswordPolicy), ProblemResponses))]
pub async fn get_policy(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.password_policy(&caller).await?).into_response())
}

/// Replace the tenant's password policy; attributes left out take their defaults.
#[utoipa::path(put, path = "/password-policy", security(("api_key" = ["policies:write"])), tag = "passwords",
    request_body = PasswordPolicy,
    responses((status = 200, description = "The policy now in force", body = PasswordPolicy), ProblemResponses))]
pub async fn set_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(policy): Body<PasswordPolicy>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.set_password_policy(&caller, policy).await?).into_response())
}

/// Set a user's password. Refused with every broken rule named (400) when it does not meet the
/// policy or was used recently.
#[utoipa::path(post, path = "/users/{id}/password", security(("api_key" = ["credentials:write"])), tag = "passwords",
    params(("id" = uuid::Uuid, Path)), request_body = SetPassword,
    responses((status = 204, description = "The password is set"), ProblemResponses))]
pub async fn set(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(body): Body<SetPassword>,
) -> Result<Response, ApiError> {
    s.directory.set_password(&caller, id, &body.password, body.must_change).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Check a candidate password for a user against the policy and the user's history, without setting it.
#[utoipa::path(post, path = "/users/{id}/password/check", security(("api_key" = ["credentials:write"])), tag = "passwords",
    params(("id" = uuid::Uuid, Path)), request_body = PasswordCandidate,
    responses((status = 200, description = "Whether it would be accepted, and every rule it breaks", body = PasswordCheck), ProblemResponses))]
pub async fn check(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(body): Body<PasswordCandidate>,
) -> Result<Response, ApiError> {
    let errors = s.directory.check_password(&caller, id, &body.password).await?;
    Ok(axum::Json(PasswordCheck { valid: errors.is_empty(), errors }).into_response())
}
