//! `/roles`, `/users/{id}/roles` and `/groups/{id}/roles`: the built-in roles, and the roles
//! users and groups hold (a group's roles reach its members, nested groups included).

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, IdName, IdPath};
use super::wire::{RoleInfo, Roles};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::model::{MemberRef, PrincipalKind};
use roster_core::Caller;

/// The built-in roles and their permissions.
#[utoipa::path(get, path = "/roles", security(("api_key" = ["self"])), tag = "roles",
    responses((status = 200, description = "Every role", body = Vec<RoleInfo>), ProblemResponses))]
pub async fn catalogue(Authed(_): Authed) -> Response {
    let roles: Vec<RoleInfo> = roster_core::access::ROLES.iter().map(RoleInfo::from).collect();
    axum::Json(roles).into_response()
}

async fn show(s: &AppState, caller: &Caller, of: MemberRef) -> Result<Response, ApiError> {
    Ok(axum::Json(Roles::from(s.directory.roles_of(caller, of).await?)).into_response())
}

async fn assign(s: &AppState, caller: &Caller, to: MemberRef, role: &str) -> Result<Response, ApiError> {
    s.directory.assign_role(caller, to, role).await?;
    show(s, caller, to).await
}

async fn unassign(s: &AppState, caller: &Caller, from: MemberRef, role: &str) -> Result<Response, ApiError> {
    s.directory.unassign_role(caller, from, role).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

const fn user(id: uuid::Uuid) -> MemberRef {
    MemberRef { kind: PrincipalKind::User, id }
}

const fn group(id: uuid::Uuid) -> MemberRef {
    MemberRef { kind: PrincipalKind::Group, id }
}

/// A user's roles: its own and those it holds through its groups.
#[utoipa::path(get, path = "/users/{id}/roles", security(("api_key" = ["users:read"])), tag = "roles",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user's roles", body = Roles), ProblemResponses))]
pub async fn user_roles(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    show(&s, &caller, user(id)).await
}

/// Give a user a role. The caller must hold every permission of the role, and `tenant:admin`
/// for administrative roles.
#[utoipa::path(put, path = "/users/{id}/roles/{role}", security(("api_key" = ["users:write"])), tag = "roles",
    params(("id" = uuid::Uuid, Path), ("role" = String, Path)),
    responses((status = 200, description = "The user's roles now", body = Roles), ProblemResponses))]
pub async fn assign_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdName(id, role): IdName,
) -> Result<Response, ApiError> {
    assign(&s, &caller, user(id), &role).await
}

/// Take a role from a user (roles held through groups stay).
#[utoipa::path(delete, path = "/users/{id}/roles/{role}", security(("api_key" = ["users:write"])), tag = "roles",
    params(("id" = uuid::Uuid, Path), ("role" = String, Path)),
    responses((status = 204, description = "The user no longer holds the role directly"), ProblemResponses))]
pub async fn unassign_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdName(id, role): IdName,
) -> Result<Response, ApiError> {
    unassign(&s, &caller, user(id), &role).await
}

/// A group's roles: its own and those of the groups it is nested in.
#[utoipa::path(get, path = "/groups/{id}/roles", security(("api_key" = ["groups:read"])), tag = "roles",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The group's roles", body = Roles), ProblemResponses))]
pub async fn group_roles(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    show(&s, &caller, group(id)).await
}

/// Give a group a role; its members, nested groups' members included, hold it too.
#[utoipa::path(put, path = "/groups/{id}/roles/{role}", security(("api_key" = ["groups:write"])), tag = "roles",
    params(("id" = uuid::Uuid, Path), ("role" = String, Path)),
    responses((status = 200, description = "The group's roles now", body = Roles), ProblemResponses))]
pub async fn assign_group(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdName(id, role): IdName,
) -> Result<Response, ApiError> {
    assign(&s, &caller, group(id), &role).await
}

/// Take a role from a group.
#[utoipa::path(delete, path = "/groups/{id}/roles/{role}", security(("api_key" = ["groups:write"])), tag = "roles",
    params(("id" = uuid::Uuid, Path), ("role" = String, Path)),
    responses((status = 204, description = "The group no longer holds the role"), ProblemResponses))]
pub async fn unassign_group(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdName(id, role): IdName,
) -> Result<Response, ApiError> {
    unassign(&s, &caller, group(id), &role).await
}
