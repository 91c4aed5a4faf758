//! `/users`: the signed-in user, querying and reading users.

use super::auth::Bearer;
use super::errors::SlcError;
use super::query::{self, Projection, USERS};
use super::wire::{ListOf, SlcUser};
use crate::need::{Anyone, UsersRead};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use roster_core::model::User;

/// A user as JSON, with the projection applied.
pub(super) fn record(user: &User, projection: &Projection) -> serde_json::Value {
    let mut v = serde_json::to_value(SlcUser::from(user)).unwrap_or_default();
    projection.apply(&mut v);
    v
}

/// The path's `{userId}`; anything but a UUID names no user.
pub fn user_id(text: &str) -> Result<uuid::Uuid, SlcError> {
    uuid::Uuid::try_parse(text).map_err(|_| SlcError::from(roster_core::CoreError::NotFound { what: "user" }))
}

/// `GET /users/current`.
pub async fn current(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<Anyone>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let projection = query::projection(raw.as_deref(), &USERS)?;
    let me = s.directory.me(&caller).await?;
    Ok(axum::Json(record(&me, &projection)).into_response())
}

/// `GET /users`: a page by offset, with the total count.
pub async fn list(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let l = query::listing(raw.as_deref(), &USERS)?;
    let page = s.directory.list_users(&caller, l.request).await?;
    let data = page.items.iter().map(|u| record(u, &l.projection)).collect();
    Ok(axum::Json(ListOf { total_count: page.total.unwrap_or_default(), data }).into_response())
}

/// `GET /users/{userId}` (deleted users included: the record says when).
pub async fn get(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let projection = query::projection(raw.as_deref(), &USERS)?;
    let user = s.directory.user(&caller, user_id(&id)?).await?;
    Ok(axum::Json(record(&user, &projection)).into_response())
}

/// `GET /users/{userId}/osinfo`: the user as an operating system knows it.
pub async fn osinfo(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, SlcError> {
    let user = s.directory.user(&caller, user_id(&id)?).await?;
    let spec = &user.spec;
    Ok(axum::Json(serde_json::json!({
        "userName": spec.unix_user_name.as_deref().unwrap_or(&spec.user_name),
        "userPrincipalName": spec.user_principal_name,
        "unixHomeDirectory": spec.unix_home_directory,
    }))
    .into_response())
}
