//! `/groups/{id}/members`: list, add and remove the users and groups in a group.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPair, IdPath, Params};
use super::wire::{List, MemberAdded, MembershipParams, NewMember, Principal};
use super::{list_request, list_response};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::model::{MemberRef, PrincipalKind};
use roster_core::schema::Resource;

/// The members of a group, directly or (`depth=indirect`) through nested groups.
#[utoipa::path(get, path = "/groups/{id}/members", operation_id = "list_members", security(("api_key" = ["groups:read"])), tag = "groups", params(("id" = uuid::Uuid, Path), MembershipParams),
    responses((status = 200, description = "A page of members", body = List<Principal>), ProblemResponses))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Params(p): Params<MembershipParams>,
) -> Result<Response, ApiError> {
    let (depth, p) = p.split();
    let (req, projection) = list_request(Resource::Principal, p)?;
    let page = s.directory.list_members(&caller, id, depth, req).await?;
    Ok(list_response::<_, Principal>(page, &projection))
}

/// Add a user or a group to a group. A group that would become a member of itself, directly or
/// through nested groups, is refused (409).
#[utoipa::path(post, path = "/groups/{id}/members", security(("api_key" = ["groups:write"])), tag = "groups", params(("id" = uuid::Uuid, Path)), request_body = NewMember,
    responses((status = 200, description = "The member is in the group", body = MemberAdded), ProblemResponses))]
pub async fn add(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(m): Body<NewMember>,
) -> Result<Response, ApiError> {
    let added = s.directory.add_member(&caller, id, MemberRef { kind: m.kind, id: m.id }).await?;
    Ok(axum::Json(MemberAdded { added }).into_response())
}

/// Remove a user from a group.
#[utoipa::path(delete, path = "/groups/{id}/members/users/{member_id}", security(("api_key" = ["groups:write"])), tag = "groups",
    params(("id" = uuid::Uuid, Path), ("member_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The user is no longer a direct member"), ProblemResponses))]
pub async fn remove_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPair(id, member): IdPair,
) -> Result<Response, ApiError> {
    s.directory.remove_member(&caller, id, MemberRef { kind: PrincipalKind::User, id: member }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove a group from a group.
#[utoipa::path(delete, path = "/groups/{id}/members/groups/{member_id}", security(("api_key" = ["groups:write"])), tag = "groups",
    params(("id" = uuid::Uuid, Path), ("member_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The group is no longer a direct member"), ProblemResponses))]
pub async fn remove_group(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPair(id, member): IdPair,
) -> Result<Response, ApiError> {
    s.directory.remove_member(&caller, id, MemberRef { kind: PrincipalKind::Group, id: member }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
