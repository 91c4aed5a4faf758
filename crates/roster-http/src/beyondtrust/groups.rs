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
use roster_core::directory::ListRequest;
use roster_core::model::{Depth, Group, GroupSpec, MemberRef, PrincipalKind};
use roster_core::schema::Resource;
use roster_core::{filter, Caller, Directory};
use std::collections::HashMap;

/// The group `{id}` of a path; deleted groups are not found.
async fn numbered(d: &Directory, caller: &Caller, id: &str) -> Result<Group, BtError> {
    let number: i64 = id.parse().map_err(|_| BtError::bad_request(format!("id must be an integer, not '{id}'")))?;
    let group = d.group_numbered(caller, number).await?;
    if group.deleted.is_some() {
        return Err(BtError::new(StatusCode::NOT_FOUND, format!("User group {number} not found")));
    }
    Ok(group)
}

async fn shown(d: &Directory, caller: &Caller, g: &Group) -> Result<BtGroup, BtError> {
    let kind = match &g.source {
        Some(s) => Some(d.connection(caller, s.connection_id).await?.spec.kind),
        None => None,
    };
    Ok(BtGroup::new(g, kind))
}

/// Every group a filter selects (or all), page after page.
async fn all(d: &Directory, caller: &Caller, text: Option<String>) -> Result<Vec<Group>, BtError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest {
            filter: text
                .as_deref()
                .map(|t| filter::parse(t, Resource::Group))
                .transpose()
                .map_err(roster_core::CoreError::from)?,
            sort: roster_core::page::Sort::parse(Some("number"), Resource::Group)?,
            limit: 1000,
            cursor,
            count: false,
            deleted: Default::default(),
        };
        let page = d.list_groups(caller, req).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
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
        let found =
            all(d, &caller, Some(format!("name eq {}", serde_json::to_string(name).unwrap_or_default()))).await?;
        let g =
            found.first().ok_or_else(|| BtError::new(StatusCode::NOT_FOUND, format!("User group {name} not found")))?;
        return Ok(axum::Json(shown(d, &caller, g).await?).into_response());
    }
    let mut body = Vec::new();
    for g in all(d, &caller, None).await?.iter().filter(|g| !g.system) {
        body.push(shown(d, &caller, g).await?);
    }
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
    // The directory group must be readable before anything is made to follow it.
    if let Some((conn, dn)) = &link {
        d.directory_group_size(&caller, *conn, dn).await?;
    }
    let group = d.create_group(&caller, GroupSpec { name: group_name, description, ..GroupSpec::default() }).await?;
    let group = match link {
        Some(l) => d.link_group(&caller, group.id, Some(l)).await?.0,
        None => group,
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
    let found =
        all(&s.directory, &caller, Some(format!("name eq {}", serde_json::to_string(name).unwrap_or_default())))
            .await?;
    let g = found.first().ok_or_else(|| BtError::new(StatusCode::NOT_FOUND, format!("User group {name} not found")))?;
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
    let mut members = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest {
            filter: None,
            sort: roster_core::page::Sort::parse(Some("user_name"), Resource::User)?,
            limit: 1000,
            cursor,
            count: false,
            deleted: Default::default(),
        };
        let page = d.group_users(&caller, g.id, Depth::Direct, req).await?;
        members.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
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
    if g.source.is_some() || g.system {
        return Err(BtError::bad_request("Users can be made only in a BeyondInsight user group"));
    }
    let body = users::object(&body)?;
    let (spec, password) = users::local_user(&body)?;
    let user = d.create_user_with_password(&caller, spec, &password).await?;
    d.add_member(&caller, g.id, MemberRef { kind: PrincipalKind::User, id: user.id }).await?;
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
    let req = ListRequest {
        filter: None,
        sort: roster_core::page::Sort::parse(Some("name"), Resource::Group)?,
        limit: 1000,
        cursor: None,
        count: false,
        deleted: Default::default(),
    };
    let page =
        d.list_memberships(&caller, MemberRef { kind: PrincipalKind::User, id: u.id }, Depth::Direct, req).await?;
    let mut body = Vec::with_capacity(page.items.len());
    for g in &page.items {
        body.push(shown(d, &caller, g).await?);
    }
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
