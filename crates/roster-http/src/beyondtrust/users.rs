//! `Users` and `Users/{id}`: users by their integer ids, and by the name forms the vendor takes
//! (`name` for local users, `DOMAIN\name` or a UPN for directory users).

use super::auth::{Session, UsersRead};
use super::errors::BtError;
use super::wire::BtUser;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::directory::ListRequest;
use roster_core::model::{User, UserKind};
use roster_core::schema::Resource;
use roster_core::{filter, Caller, Directory};
use std::collections::HashMap;

/// A user with its access policy's number, as the vendor shows it.
async fn shown(d: &Directory, u: &User) -> Result<BtUser, BtError> {
    let policy = match u.spec.kind {
        UserKind::Application => d.effective_access_policy(u).await?.map(|p| p.number),
        _ => None,
    };
    Ok(BtUser::new(u, policy))
}

/// Every user matching a filter, page after page.
async fn all(d: &Directory, caller: &Caller, text: &str) -> Result<Vec<User>, BtError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest {
            filter: Some(filter::parse(text, Resource::User).map_err(roster_core::CoreError::from)?),
            sort: roster_core::page::Sort::parse(Some("number"), Resource::User)?,
            limit: 1000,
            cursor,
            count: false,
            deleted: Default::default(),
        };
        let page = d.list_users(caller, req).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// A filter string literal.
fn quoted(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `GET Users` (every user) or `GET Users?username=...` (that one user, 404 when there is none).
/// Other query parameters are accepted and ignored, whatever their case.
pub async fn list(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BtError> {
    let username = q.iter().find(|(k, _)| k.eq_ignore_ascii_case("username")).map(|(_, v)| v.trim());
    let Some(name) = username.filter(|n| !n.is_empty()) else {
        let users = all(&s.directory, &caller, "number gt 0").await?;
        let mut body = Vec::with_capacity(users.len());
        for u in &users {
            body.push(shown(&s.directory, u).await?);
        }
        return Ok(axum::Json(body).into_response());
    };
    let found: Vec<User> = if let Some((domain, account)) = name.split_once('\\') {
        all(&s.directory, &caller, &format!("user_name eq {} and kind eq \"directory\"", quoted(account)))
            .await?
            .into_iter()
            .filter(|u| u.spec.domain_name.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(domain)))
            .collect()
    } else if name.contains('@') {
        let text = format!("user_principal_name eq {} and kind eq \"directory\"", quoted(name));
        let mut by_upn = all(&s.directory, &caller, &text).await?;
        if by_upn.is_empty() {
            by_upn =
                all(&s.directory, &caller, &format!("user_name eq {} and kind ne \"directory\"", quoted(name))).await?;
        }
        by_upn
    } else {
        all(&s.directory, &caller, &format!("user_name eq {} and kind ne \"directory\"", quoted(name))).await?
    };
    match found.first() {
        Some(u) => Ok(axum::Json(shown(&s.directory, u).await?).into_response()),
        None => Err(BtError::new(StatusCode::NOT_FOUND, format!("User {name} not found"))),
    }
}

/// `GET Users/{id}`: one user, by its integer id.
pub async fn get(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let number: i64 = id.parse().map_err(|_| BtError::bad_request(format!("id must be an integer, not '{id}'")))?;
    let user = s.directory.user_numbered(&caller, number).await?;
    if user.deleted.is_some() {
        return Err(BtError::new(StatusCode::NOT_FOUND, format!("User {number} not found")));
    }
    Ok(axum::Json(shown(&s.directory, &user).await?).into_response())
}
