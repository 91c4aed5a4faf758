//! `/users`: create, read, list, replace, patch, soft delete, restore and delete users, and list their groups.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath, IfMatch, Params, RawBody};
use super::wire::{DeleteParams, Group, List, ListParams, MembershipParams, ReadParams, User};
use super::{apply_patch, list_request, list_response, one_response, PatchDoc, Projection};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::model::{MemberRef, PrincipalKind, UserSpec};
use roster_core::schema::Resource;

pub(crate) fn user_response(
    status: StatusCode,
    user: roster_core::model::User,
    projection: &Projection,
    created: bool,
) -> Response {
    let location = created.then(|| format!("/api/v1/users/{}", user.id));
    let version = user.version;
    one_response(status, version, projection.render(&User::from(user)), location)
}

/// List users, filtered, sorted and paged by cursor.
#[utoipa::path(get, path = "/users", security(("api_key" = ["users:read"])), tag = "users", params(ListParams),
    responses((status = 200, description = "A page of users", body = List<User>), ProblemResponses))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let (req, projection) = list_request(Resource::User, p)?;
    let page = s.directory.list_users(&caller, req).await?;
    Ok(list_response::<_, User>(page, &projection))
}

/// Create a user.
#[utoipa::path(post, path = "/users", security(("api_key" = ["users:write"])), tag = "users", request_body = UserSpec,
    responses((status = 201, description = "The user was created", body = User,
        headers(("ETag" = String, description = "The user's version"), ("Location" = String, description = "The user's URL"))), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(spec): Body<UserSpec>,
) -> Result<Response, ApiError> {
    let user = s.directory.create_user(&caller, spec).await?;
    Ok(user_response(StatusCode::CREATED, user, &Projection::default(), true))
}

/// Read a user (soft-deleted users too: `deleted` says when).
#[utoipa::path(get, path = "/users/{id}", security(("api_key" = ["users:read"])), tag = "users", params(("id" = uuid::Uuid, Path), ReadParams),
    responses((status = 200, description = "The user", body = User, headers(("ETag" = String))), ProblemResponses))]
pub async fn get(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Params(p): Params<ReadParams>,
) -> Result<Response, ApiError> {
    let projection = Projection::parse(Resource::User, p.fields.as_deref(), p.exclude_fields.as_deref())?;
    let user = s.directory.user(&caller, id).await?;
    Ok(user_response(StatusCode::OK, user, &projection, false))
}

/// Replace a user's writable attributes.
#[utoipa::path(put, path = "/users/{id}", security(("api_key" = ["users:write"])), tag = "users", request_body = UserSpec,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the user is still at this ETag")),
    responses((status = 200, description = "The replaced user", body = User, headers(("ETag" = String))), ProblemResponses))]
pub async fn replace(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    Body(spec): Body<UserSpec>,
) -> Result<Response, ApiError> {
    let user = s.directory.replace_user(&caller, id, expected, spec).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}

/// Change some of a user's attributes with a JSON Patch (`application/json-patch+json`) or a JSON Merge Patch (`application/merge-patch+json`).
#[utoipa::path(patch, path = "/users/{id}", security(("api_key" = ["users:write"])), tag = "users",
    request_body(content((Vec<serde_json::Value> = "application/json-patch+json"), (Object = "application/merge-patch+json")),
        description = "A JSON Patch or a JSON Merge Patch over the user's writable attributes"),
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the user is still at this ETag")),
    responses((status = 200, description = "The patched user", body = User, headers(("ETag" = String))), ProblemResponses))]
pub async fn patch(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let doc = PatchDoc::parse(&headers, &body)?;
    let user = s.directory.edit_user(&caller, id, expected, |spec| apply_patch(spec, &doc)).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}

/// Soft-delete a user (it can be restored), or with `permanent=true` remove it for good.
#[utoipa::path(delete, path = "/users/{id}", security(("api_key" = ["users:write"])), tag = "users",
    params(("id" = uuid::Uuid, Path), DeleteParams, ("If-Match" = Option<String>, Header, description = "Only if the user is still at this ETag")),
    responses((status = 200, description = "The soft-deleted user", body = User), (status = 204, description = "The user was removed for good"), ProblemResponses))]
pub async fn delete(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    Params(p): Params<DeleteParams>,
) -> Result<Response, ApiError> {
    if p.permanent.unwrap_or(false) {
        s.directory.delete_user(&caller, id, expected).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let user = s.directory.soft_delete_user(&caller, id, expected).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}

/// Restore a soft-deleted user.
#[utoipa::path(post, path = "/users/{id}/restore", security(("api_key" = ["users:write"])), tag = "users",
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the user is still at this ETag")),
    responses((status = 200, description = "The restored user", body = User, headers(("ETag" = String))), ProblemResponses))]
pub async fn restore(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let user = s.directory.restore_user(&caller, id, expected).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}

/// The groups a user belongs to, directly or (`depth=indirect`) through nested groups.
#[utoipa::path(get, path = "/users/{id}/groups", security(("api_key" = ["users:read"])), tag = "users", params(("id" = uuid::Uuid, Path), MembershipParams),
    responses((status = 200, description = "A page of groups", body = List<Group>), ProblemResponses))]
pub async fn groups(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Params(p): Params<MembershipParams>,
) -> Result<Response, ApiError> {
    let (depth, p) = p.split();
    let (req, projection) = list_request(Resource::Group, p)?;
    let page = s.directory.list_memberships(&caller, MemberRef { kind: PrincipalKind::User, id }, depth, req).await?;
    Ok(list_response::<_, Group>(page, &projection))
}

/// Make a guest a regular user (409 when it is not a guest).
#[utoipa::path(post, path = "/users/{id}/promote", security(("api_key" = ["users:write"])), tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user, no longer a guest", body = User, headers(("ETag" = String))), ProblemResponses))]
pub async fn promote(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let user = s.directory.promote_guest(&caller, id).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}
