//! `/access-policies` and `/users/{id}/access-policy`: the networks users may sign in from.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath};
use super::wire::{AccessPolicy, Group, List, PolicyAssignment, User};
use super::{one_response, Projection};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::access_policies::AccessPolicySpec;

/// The tenant's access policies, by number; number 1 is the default.
#[utoipa::path(get, path = "/access-policies", security(("api_key" = ["users:read"])), tag = "access-policies",
    responses((status = 200, description = "The policies", body = List<AccessPolicy>), ProblemResponses))]
pub async fn list(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    let items: Vec<AccessPolicy> =
        s.directory.access_policies(&caller).await?.into_iter().map(AccessPolicy::from).collect();
    Ok(axum::Json(List { items, next_cursor: None, total: None }).into_response())
}

/// Make a policy. A sign-in (password, directory, device or client credentials) of a user
/// under a policy with `allowed_networks` is refused (403) from any other address.
#[utoipa::path(post, path = "/access-policies", security(("api_key" = ["policies:write"])), tag = "access-policies",
    request_body = AccessPolicySpec,
    responses((status = 201, description = "The policy", body = AccessPolicy), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(spec): Body<AccessPolicySpec>,
) -> Result<Response, ApiError> {
    let p = s.directory.create_access_policy(&caller, spec).await?;
    Ok((StatusCode::CREATED, axum::Json(AccessPolicy::from(p))).into_response())
}

#[utoipa::path(get, path = "/access-policies/{id}", security(("api_key" = ["users:read"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The policy", body = AccessPolicy), ProblemResponses))]
pub async fn get(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(axum::Json(AccessPolicy::from(s.directory.access_policy(&caller, id).await?)).into_response())
}

/// Replace a policy's attributes (the default policy keeps its name).
#[utoipa::path(put, path = "/access-policies/{id}", security(("api_key" = ["policies:write"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)), request_body = AccessPolicySpec,
    responses((status = 200, description = "The policy", body = AccessPolicy), ProblemResponses))]
pub async fn replace(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(spec): Body<AccessPolicySpec>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(AccessPolicy::from(s.directory.replace_access_policy(&caller, id, spec).await?)).into_response())
}

/// Remove a policy; its users fall back to the default, which cannot be removed (409).
#[utoipa::path(delete, path = "/access-policies/{id}", security(("api_key" = ["policies:write"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The policy is gone"), ProblemResponses))]
pub async fn delete(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.delete_access_policy(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Assign a user its access policy (null: back to the tenant's default).
#[utoipa::path(put, path = "/users/{id}/access-policy", security(("api_key" = ["policies:write"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)), request_body = PolicyAssignment,
    responses((status = 200, description = "The user", body = User), ProblemResponses))]
pub async fn assign(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(a): Body<PolicyAssignment>,
) -> Result<Response, ApiError> {
    let user = s.directory.assign_access_policy(&caller, id, a.access_policy_id).await?;
    let version = user.version;
    Ok(one_response(StatusCode::OK, version, Projection::default().render(&User::from(user)), None))
}

/// Assign a group its access policy (null: none). Every member, direct or indirect, is under it
/// as well as under its own: a sign-in must be allowed by all of them.
#[utoipa::path(put, path = "/groups/{id}/access-policy", security(("api_key" = ["policies:write"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)), request_body = PolicyAssignment,
    responses((status = 200, description = "The group", body = Group), ProblemResponses))]
pub async fn assign_group(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(a): Body<PolicyAssignment>,
) -> Result<Response, ApiError> {
    let group = s.directory.assign_group_access_policy(&caller, id, a.access_policy_id).await?;
    let version = group.version;
    Ok(one_response(StatusCode::OK, version, Projection::default().render(&Group::from(group)), None))
}

/// The access policies a user is under: its own and those of the groups it belongs to (none:
/// the tenant's default governs it).
#[utoipa::path(get, path = "/users/{id}/access-policies", security(("api_key" = ["users:read"])), tag = "access-policies",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The policies, by number", body = List<AccessPolicy>), ProblemResponses))]
pub async fn of_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let items: Vec<AccessPolicy> =
        s.directory.user_access_policies(&caller, id).await?.into_iter().map(AccessPolicy::from).collect();
    Ok(axum::Json(List { items, next_cursor: None, total: None }).into_response())
}
