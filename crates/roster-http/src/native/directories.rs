//! `/directories`: the tenant's LDAP and Active Directory connections and their test, users
//! created from directory accounts and refreshed from them, and groups that follow a directory
//! group.

use super::errors::{ApiError, DirectoryProblems, ProblemResponses};
use super::extract::{Authed, Body, IdPath, IfMatch};
use super::wire::{Connection, DirectoryAccountRef, DirectoryGroupRef, Group, LinkedGroup, NewDirectoryGroup, User};
use super::{one_response, Projection};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::connectors::{ConnectionCheck, ConnectionSpec, SyncReport};
use roster_core::model::GroupSpec;

fn connection_response(status: StatusCode, c: roster_core::connectors::Connection, created: bool) -> Response {
    let location = created.then(|| format!("/api/v1/directories/{}", c.id));
    let version = c.version;
    one_response(status, version, Projection::default().render(&Connection::from(c)), location)
}

/// The tenant's directory connections, by name.
#[utoipa::path(get, path = "/directories", security(("api_key" = ["tenant:admin"])), tag = "directories",
    responses((status = 200, description = "Every connection", body = Vec<Connection>), ProblemResponses))]
pub async fn list(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    let all: Vec<Connection> = s.directory.connections(&caller).await?.into_iter().map(Connection::from).collect();
    Ok(axum::Json(all).into_response())
}

/// Add a connection to an LDAP directory or an Active Directory domain. The bind password is
/// required here, stored encrypted, and never answered.
#[utoipa::path(post, path = "/directories", security(("api_key" = ["tenant:admin"])), tag = "directories",
    request_body = ConnectionSpec,
    responses((status = 201, description = "The connection", body = Connection,
        headers(("ETag" = String), ("Location" = String))), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(spec): Body<ConnectionSpec>,
) -> Result<Response, ApiError> {
    let c = s.directory.create_connection(&caller, spec).await?;
    Ok(connection_response(StatusCode::CREATED, c, true))
}

/// Read a connection.
#[utoipa::path(get, path = "/directories/{id}", security(("api_key" = ["tenant:admin"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The connection", body = Connection, headers(("ETag" = String))), ProblemResponses))]
pub async fn get(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(connection_response(StatusCode::OK, s.directory.connection(&caller, id).await?, false))
}

/// Replace a connection's settings; without `bind_password` the stored one is kept.
#[utoipa::path(put, path = "/directories/{id}", security(("api_key" = ["tenant:admin"])), tag = "directories",
    request_body = ConnectionSpec,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Only if the connection is still at this ETag")),
    responses((status = 200, description = "The connection", body = Connection, headers(("ETag" = String))), ProblemResponses))]
pub async fn replace(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    IfMatch(expected): IfMatch,
    Body(spec): Body<ConnectionSpec>,
) -> Result<Response, ApiError> {
    let c = s.directory.replace_connection(&caller, id, expected, spec).await?;
    Ok(connection_response(StatusCode::OK, c, false))
}

/// Remove a connection that no user or group comes from (409 otherwise, saying how many do).
#[utoipa::path(delete, path = "/directories/{id}", security(("api_key" = ["tenant:admin"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The connection is gone"), ProblemResponses))]
pub async fn delete(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.delete_connection(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Bind as the service account and search for accounts. A failure answers what went wrong:
/// `directory.unreachable`, `directory.tls`, `directory.bind_refused` (502),
/// `directory.timeout` (504) or `directory.settings` (400).
#[utoipa::path(post, path = "/directories/{id}/test", security(("api_key" = ["tenant:admin"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The bind and search worked", body = ConnectionCheck), ProblemResponses, DirectoryProblems))]
pub async fn test(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.test_connection(&caller, id).await?).into_response())
}

/// Create a user from a directory account. Its attributes come from the directory (and cannot
/// be edited here); it signs in with its directory password. A missing account is 404
/// `directory.account_not_found`, and nothing is created unless the directory answers.
#[utoipa::path(post, path = "/directories/{id}/users", security(("api_key" = ["users:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)), request_body = DirectoryAccountRef,
    responses((status = 201, description = "The user", body = User, headers(("ETag" = String), ("Location" = String))), ProblemResponses, DirectoryProblems))]
pub async fn create_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(r): Body<DirectoryAccountRef>,
) -> Result<Response, ApiError> {
    let user = s.directory.create_directory_user(&caller, id, &r.account).await?;
    let location = Some(format!("/api/v1/users/{}", user.id));
    let version = user.version;
    Ok(one_response(StatusCode::CREATED, version, Projection::default().render(&User::from(user)), location))
}

/// Create a group that follows a directory group of this connection from the start: the group
/// and its link are written together, once the directory group is found readable, and its
/// members are synchronised at once.
#[utoipa::path(post, path = "/directories/{id}/groups", security(("api_key" = ["groups:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)), request_body = NewDirectoryGroup,
    responses((status = 201, description = "The linked group and its first sync", body = LinkedGroup, headers(("Location" = String))), ProblemResponses, DirectoryProblems))]
pub async fn create_group(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(r): Body<NewDirectoryGroup>,
) -> Result<Response, ApiError> {
    let spec = GroupSpec { name: r.name, description: r.description, ..GroupSpec::default() };
    let (group, sync) = s.directory.create_linked_group(&caller, spec, id, &r.dn).await?;
    let location = format!("/api/v1/groups/{}", group.id);
    let body = LinkedGroup { group: Group::from(group), sync };
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], axum::Json(body)).into_response())
}

/// Read a directory user's account again: its attributes are updated, and it is deactivated
/// (`external_account_disabled`) when the account is disabled or gone, or reactivated when the
/// account is enabled again.
#[utoipa::path(post, path = "/users/{id}/directory-refresh", security(("api_key" = ["users:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The user as the directory describes it now", body = User), ProblemResponses, DirectoryProblems))]
pub async fn refresh_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let user = s.directory.refresh_directory_user(&caller, id).await?;
    let version = user.version;
    Ok(one_response(StatusCode::OK, version, Projection::default().render(&User::from(user)), None))
}

/// Make a group follow a directory group: its members become the group's accounts (through
/// nested directory groups when the connection follows them), synchronised at once, on
/// `POST /groups/{id}/sync` and on the connection's schedule. Its members can then no longer be
/// edited by hand.
#[utoipa::path(put, path = "/groups/{id}/directory-source", security(("api_key" = ["groups:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)), request_body = DirectoryGroupRef,
    responses((status = 200, description = "The linked group and its first sync", body = LinkedGroup), ProblemResponses, DirectoryProblems))]
pub async fn link(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(r): Body<DirectoryGroupRef>,
) -> Result<Response, ApiError> {
    let (group, report) = s.directory.link_group(&caller, id, Some((r.connection_id, r.dn))).await?;
    let body = LinkedGroup { group: Group::from(group), sync: report.unwrap_or_default() };
    Ok(axum::Json(body).into_response())
}

/// Stop following the directory group; the members stay and can be edited again.
#[utoipa::path(delete, path = "/groups/{id}/directory-source", security(("api_key" = ["groups:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The group", body = Group), ProblemResponses, DirectoryProblems))]
pub async fn unlink(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let (group, _) = s.directory.link_group(&caller, id, None).await?;
    Ok(axum::Json(Group::from(group)).into_response())
}

/// Synchronise a linked group's members with its directory group now. Each change is one
/// event; all are written together.
#[utoipa::path(post, path = "/groups/{id}/sync", security(("api_key" = ["groups:write"])), tag = "directories",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "What changed", body = SyncReport), ProblemResponses))]
pub async fn sync(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.sync_group(&caller, id).await?).into_response())
}
