//! `UserGroups` and the memberships of users: the vendor's companion group endpoints, groups by
//! integer id, and directory-backed groups whose member listing synchronises them first.

use super::auth::{Session, UsersRead, UsersWrite};
use super::errors::BtError;
use super::users::{self, numbered as numbered_user};
use super::wire::{BtGroup, BtUser};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::model::{Depth, Group, GroupSpec, MemberRef, PrincipalKind};
use roster_core::schema::Resource;
use roster_core::{Caller, Directory};
use std::collections::HashMap;

/// The group `{id}` of a path; deleted groups are not found.
async fn numbered(d: &Directory, caller: &Caller, id: &str) -> Result<Group, BtError> {
    let number = super::path_number(id)?;
    let group = d.group_numbered(caller, number).await?;
    if group.deleted.is_some() {
        return Err(BtError::new(StatusCode::NOT_FOUND, format!("User group {number} not found")));
    }
    Ok(group)
}

/// Many groups as the vendor shows them, reading the tenant's connections once.
async fn shown_all(d: &Directory, caller: &Caller, groups: &[Group]) -> Result<Vec<BtGroup>, BtError> {
    let connections = if groups.iter().any(|g| g.source.is_some()) { d.connections(caller).await? } else { Vec::new() };
    let kind = |g: &Group| {
        let source = g.source.as_ref()?;
        connections.iter().find(|c| c.id == source.connection_id).map(|c| c.spec.kind)
    };
    Ok(groups.iter().map(|g| BtGroup::new(g, kind(g))).collect())
}

async fn shown(d: &Directory, caller: &Caller, g: &Group) -> Result<BtGroup, BtError> {
    let kind = match &g.source {
        Some(s) => Some(d.connection(caller, s.connection_id).await?.spec.kind),
        None => None,
    };
    Ok(BtGroup::new(g, kind))
}

/// The group named so; 404 when there is none.
async fn named(d: &Directory, caller: &Caller, name: &str) -> Result<Group, BtError> {
    let text = format!("name eq {}", serde_json::to_string(name).unwrap_or_default());
    let found = super::every(Resource::Group, "number", Some(&text), |req| d.list_groups(caller, req)).await?;
    found.into_iter().next().ok_or_else(|| BtError::new(StatusCode::NOT_FOUND, format!("User group {name} not found")))
}

fn name_param(q: &HashMap<String, String>) -> Option<&str> {
    q.iter().find(|(k, _)| k.eq_ignore_ascii_case("name")).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// `GET UserGroups` (all) or `GET UserGroups?name=` (that one group).
pub async fn list(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    if let Some(name) = name_param(&q) {
        let g = named(d, &caller, name).await?;
        return Ok(axum::Json(shown(d, &caller, &g).await?).into_response());
    }
    let mut groups = super::every(Resource::Group, "number", None, |req| d.list_groups(&caller, req)).await?;
    groups.retain(|g| !g.system);
    let body = shown_all(d, &caller, &groups).await?;
    Ok(axum::Json(body).into_response())
}

pub async fn get(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let g = numbered(&s.directory, &caller, &id).await?;
    Ok(axum::Json(shown(&s.directory, &caller, &g).await?).into_response())
}

/// `POST UserGroups`: a BeyondInsight group, or one that follows an ActiveDirectory or
/// LdapDirectory group through the tenant's connection for its domain or host.
pub async fn create(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    body: axum::body::Bytes,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let body = users::object(&body)?;
    let mut rules = users::Rules::new(&body);
    let group_type = rules.text("groupType", false, 64).unwrap_or_else(|| "BeyondInsight".into());
    let name = rules.text("groupName", true, 256);
    let description = rules.text("description", false, 1024);
    rules.boolean("isActive");
    let source = match group_type.to_ascii_lowercase().as_str() {
        "beyondinsight" => None,
        "activedirectory" => {
            let domain = rules.text("domainName", true, 250);
            let dn = rules.text("groupDistinguishedName", false, 1024);
            Some((true, domain, dn))
        }
        "ldapdirectory" => {
            let host = rules.text("hostName", true, 253);
            let dn = rules.text("groupDistinguishedName", false, 1024);
            Some((false, host, dn))
        }
        other => {
            rules.fail(format!("groupType must be BeyondInsight, ActiveDirectory or LdapDirectory, not '{other}'"));
            None
        }
    };
    rules.done()?;
    let name = name.unwrap_or_default();
    let link = match source {
        None => None,
        Some((ad, place, dn)) => {
            let place = place.unwrap_or_default();
            // The directory group is named by its DN: groupDistinguishedName, or groupName when it is one.
            let dn = dn.or_else(|| name.contains('=').then(|| name.clone())).ok_or_else(|| {
                BtError::bad_request("groupDistinguishedName (or a groupName that is a DN) is required")
            })?;
            let conn = if ad {
                d.connection_for_domain(&caller, &place).await
            } else {
                d.connection_for_host(&caller, &place, None).await
            }
            .map_err(|_| {
                BtError::bad_request(format!("no directory connection for {place}; add one under /api/v1/directories"))
            })?;
            Some((conn.id, dn))
        }
    };
    // A DN's first value names the group.
    let group_name = match &link {
        Some(_) if name.contains('=') => {
            name.split(',').next().and_then(|rdn| rdn.split_once('=')).map_or(name.clone(), |(_, v)| v.to_owned())
        }
        _ => name,
    };
    let spec = GroupSpec { name: group_name, description, ..GroupSpec::default() };
    let group = match link {
        Some((conn, dn)) => d.create_linked_group(&caller, spec, conn, &dn).await?.0,
        None => d.create_group(&caller, spec).await?,
    };
    Ok((StatusCode::CREATED, axum::Json(shown(d, &caller, &group).await?)).into_response())
}

/// `DELETE UserGroups/{id}`.
pub async fn delete(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let g = numbered(&s.directory, &caller, &id).await?;
    s.directory.delete_group(&caller, g.id, None).await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE UserGroups?name=`.
pub async fn delete_named(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BtError> {
    let name = name_param(&q).ok_or_else(|| BtError::bad_request("name is required"))?;
    let g = named(&s.directory, &caller, name).await?;
    s.directory.delete_group(&caller, g.id, None).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET UserGroups/{id}/Users`: the group's users; a directory-backed group is synchronised
/// with its directory group first.
pub async fn users_of(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let g = numbered(d, &caller, &id).await?;
    d.sync_group_if_linked(&caller, g.id).await?;
    let members =
        super::every(Resource::User, "user_name", None, |req| d.group_users(&caller, g.id, Depth::Direct, req)).await?;
    Ok(axum::Json(users::shown_all(d, &caller, &members).await?).into_response())
}

/// `POST UserGroups/{id}/Users`: a new local user, made in a BeyondInsight group (201).
pub async fn create_in(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let g = numbered(d, &caller, &id).await?;
    let body = users::object(&body)?;
    let (spec, password) = users::local_user(&body)?;
    let user = d.create_user_in_group(&caller, spec, &password, g.id).await?;
    let shown: BtUser = users::shown(d, &user).await?;
    Ok((StatusCode::CREATED, axum::Json(shown)).into_response())
}

/// `GET Users/{id}/UserGroups`: the groups the user is directly in.
pub async fn groups_of(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let u = numbered_user(d, &caller, &id).await?;
    let member = MemberRef { kind: PrincipalKind::User, id: u.id };
    let groups =
        super::every(Resource::Group, "name", None, |req| d.list_memberships(&caller, member, Depth::Direct, req))
            .await?;
    let body = shown_all(d, &caller, &groups).await?;
    Ok(axum::Json(body).into_response())
}

/// The user and group of `Users/{id}/UserGroups/{groupId}`.
async fn membership(d: &Directory, caller: &Caller, user: &str, group: &str) -> Result<(MemberRef, Group), BtError> {
    let u = numbered_user(d, caller, user).await?;
    Ok((MemberRef { kind: PrincipalKind::User, id: u.id }, numbered(d, caller, group).await?))
}

/// `POST Users/{id}/UserGroups/{groupId}` (201) and `DELETE` (200): a user joins or leaves a group.
pub async fn join(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path((id, group)): Path<(String, String)>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let (member, g) = membership(d, &caller, &id, &group).await?;
    d.add_member(&caller, g.id, member).await?;
    Ok((StatusCode::CREATED, axum::Json(shown(d, &caller, &g).await?)).into_response())
}

pub async fn leave(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path((id, group)): Path<(String, String)>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let (member, g) = membership(d, &caller, &id, &group).await?;
    d.remove_member(&caller, g.id, member).await?;
    Ok(StatusCode::OK.into_response())
}
