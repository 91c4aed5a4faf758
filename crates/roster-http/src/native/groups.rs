//! `/groups`: create, read, list, replace, patch, soft delete, restore and delete groups, and list the groups a group is in.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath, IfMatch, Params, RawBody};
use super::wire::{DeleteParams, Group, List, ListParams, MembershipParams, ReadParams};
use super::{apply_patch, list_request, list_response, one_response, PatchDoc, Projection};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::model::{GroupSpec, MemberRef, PrincipalKind};
use roster_core::schema::Resource;

fn group_response(
    status: StatusCode,
    group: roster_core::model::Group,
    projection: &Projection,
    created: bool,
) -> Response {
    let location = created.then(|| format!("/api/v1/groups/{}", group.id));
    let version = group.version;
    one_response(status, version, projection.render(&Group::from(group)), location)
}

/// List groups, filtered, sorted and paged by cursor.
#[utoipa::path(get, path = "/groups", security(("api_key" = ["groups:read"])), tag = "groups", params(ListParams),
    responses((status = 200, description = "A page of groups", body = List<Group>), ProblemResponses))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let (req, projection) = list_request(Resource::Group, p)?;
    let page = s.directory.list_groups(&caller, req).await?;
    Ok(list_response::<_, Group>(page, &projection))
}

/// Create a group.
#[utoipa::path(post, path = "/groups", security(("api_key" = ["groups:write"])), tag = "groups", request_body = GroupSpec,
    responses((status = 201, description = "The group was created", body = Group,
        headers(("ETag" = String, description = "The group's version"), ("Location" = String, description = "The group's URL"))), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(spec): Body<GroupSpec>,
) -> Result<Response, ApiError> {
    let group = s.directory.create_group(&caller, spec).await?;
    Ok(group_response(StatusCode::CREATED, group, &Projection::default(), true))
}

/// Read a group.
#[utoipa::path(get, path = "/groups/{id}", security(("api_key" = ["groups:read"])), tag = "groups", params(("id" = uuid::Uuid, Path), ReadParams),
    responses((status = 200, description = "The group", body = Group, headers(("ETag" = String))), ProblemResponses))]
pub async fn get(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Params(p): Params<ReadParams>,
) -> Result<Response, ApiError> {
    let projection = Projection::parse(Resource::Group, p.fields.as_deref(), p.exclude_fields.as_deref())?;
    let group = s.directory.group(&caller, id).await?;
    Ok(group_response(StatusCode::OK, group, &projection, false))
}

/// Replace a group's writable attributes.
#[utoipa::path(put, path = "/groups/{id}", security(("api_key" = ["groups:write"])), tag = "groups", request_body = GroupSpec,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the group is still at this ETag")),
    responses((status = 200, description = "The replaced group", body = Group, headers(("ETag" = String))), ProblemResponses))]
pub async fn replace(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    Body(spec): Body<GroupSpec>,
) -> Result<Response, ApiError> {
    let group = s.directory.replace_group(&caller, id, expected, spec).await?;
    Ok(group_response(StatusCode::OK, group, &Projection::default(), false))
}

/// Change some of a group's attributes with a JSON Patch or a JSON Merge Patch.
#[utoipa::path(patch, path = "/groups/{id}", security(("api_key" = ["groups:write"])), tag = "groups",
    request_body(content((Vec<serde_json::Value> = "application/json-patch+json"), (Object = "application/merge-patch+json")),
        description = "A JSON Patch or a JSON Merge Patch over the group's writable attributes"),
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the group is still at this ETag")),
    responses((status = 200, description = "The patched group", body = Group, headers(("ETag" = String))), ProblemResponses))]
pub async fn patch(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let doc = PatchDoc::parse(&headers, &body)?;
    let group = s.directory.edit_group(&caller, id, expected, |spec| apply_patch(spec, &doc)).await?;
    Ok(group_response(StatusCode::OK, group, &Projection::default(), false))
}

/// Soft-delete a group, or with `permanent=true` remove it and its memberships for good.
#[utoipa::path(delete, path = "/groups/{id}", security(("api_key" = ["groups:write"])), tag = "groups",
    params(("id" = uuid::Uuid, Path), DeleteParams, ("If-Match" = Option<String>, Header, description = "Only if the group is still at this ETag")),
    responses((status = 200, description = "The soft-deleted group", body = Group), (status = 204, description = "The group was removed for good"), ProblemResponses))]
pub async fn delete(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    Params(p): Params<DeleteParams>,
) -> Result<Response, ApiError> {
    if p.permanent.unwrap_or(false) {
        s.directory.delete_group(&caller, id, expected).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let group = s.directory.soft_delete_group(&caller, id, expected).await?;
    Ok(group_response(StatusCode::OK, group, &Projection::default(), false))
}

/// Restore a soft-deleted group.
#[utoipa::path(post, path = "/groups/{id}/restore", security(("api_key" = ["groups:write"])), tag = "groups",
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the group is still at this ETag")),
    responses((status = 200, description = "The restored group", body = Group, headers(("ETag" = String))), ProblemResponses))]
pub async fn restore(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let group = s.directory.restore_group(&caller, id, expected).await?;
    Ok(group_response(StatusCode::OK, group, &Projection::default(), false))
}

/// The groups this group is a member of, directly or (`depth=indirect`) through nested groups.
#[utoipa::path(get, path = "/groups/{id}/groups", security(("api_key" = ["groups:read"])), tag = "groups", params(("id" = uuid::Uuid, Path), MembershipParams),
    responses((status = 200, description = "A page of groups", body = List<Group>), ProblemResponses))]
pub async fn groups(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Params(p): Params<MembershipParams>,
) -> Result<Response, ApiError> {
    let (depth, p) = p.split();
    let (req, projection) = list_request(Resource::Group, p)?;
    let page = s.directory.list_memberships(&caller, MemberRef { kind: PrincipalKind::Group, id }, depth, req).await?;
    Ok(list_response::<_, Group>(page, &projection))
}
