//! The users endpoints: create, list, search, read, replace claims, delete, and a user's credentials.

use super::auth::Bearer;
use super::errors::MattrError;
use super::wire::{CreateUser, Credential, MattrUser, PageOf, PageQuery, SearchUsers, UpdateUser};
use super::{page_limit, path_uuid, Body};
use crate::need::{UsersRead, UsersWrite};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::claim_users::{Traced, UserSearch};
use roster_core::model::User;
use roster_core::page::Page;

/// The path's `{id}`, named `param` in errors as the vendor names it.
fn id_of(path: Result<Path<String>, PathRejection>, param: &str) -> Result<uuid::Uuid, MattrError> {
    let Path(text) = path.map_err(|e| MattrError::invalid("params", param, None, e.body_text()))?;
    path_uuid(param, &text)
}

/// `limit` and `cursor` from a query string.
fn page_query(raw: Option<String>) -> Result<(u32, Option<String>), MattrError> {
    let q: PageQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
        .map_err(|e| MattrError::invalid("query", "query", None, e.to_string()))?;
    Ok((page_limit("query", q.limit.map(Into::into))?, q.cursor))
}

fn user_page(page: Page<User>) -> Response {
    let data: Vec<MattrUser> = page.items.iter().map(MattrUser::from).collect();
    axum::Json(PageOf { next_cursor: page.next_cursor, data }).into_response()
}

fn one(user: &User) -> Response {
    axum::Json(MattrUser::from(user)).into_response()
}

/// `POST users`: 201 with the user.
pub async fn create(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Body(body): Body<CreateUser>,
) -> Result<Response, MattrError> {
    let d = &s.directory;
    let make = d.create_described_user(&caller, body.claims, body.authentication_provider.map(Into::into));
    let user = d.traced(&caller, Traced::Create, None, make).await?;
    Ok((StatusCode::CREATED, one(&user)).into_response())
}

/// `GET users`: every live user, oldest first.
pub async fn list(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, MattrError> {
    let (limit, cursor) = page_query(raw)?;
    Ok(user_page(s.directory.users_by_creation(&caller, limit, cursor).await?))
}

/// `POST users/search`: users matching every criterion given.
pub async fn search(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    Body(body): Body<SearchUsers>,
) -> Result<Response, MattrError> {
    let limit = page_limit("body", body.limit)?;
    let provider = body.authentication_provider.unwrap_or_default();
    let search = UserSearch {
        claims: body.claims,
        provider_id: provider.provider_id,
        provider_url: provider.url,
        subject_id: provider.subject_id,
    };
    Ok(user_page(s.directory.search_users(&caller, &search, limit, body.cursor).await?))
}

/// `GET users/{id}`.
pub async fn get(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, MattrError> {
    let id = id_of(path, "id")?;
    let d = &s.directory;
    Ok(one(&d.traced(&caller, Traced::Retrieve, Some(id), d.live_user(&caller, id)).await?))
}

/// `PUT users/{id}`: replaces the claims; 200 with the user.
pub async fn update(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    path: Result<Path<String>, PathRejection>,
    Body(body): Body<UpdateUser>,
) -> Result<Response, MattrError> {
    let id = id_of(path, "id")?;
    let d = &s.directory;
    Ok(one(&d.traced(&caller, Traced::Update, Some(id), d.replace_claims(&caller, id, body.claims)).await?))
}

/// `DELETE users/{id}`: removes the user and everything kept about it; 204.
pub async fn delete(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, MattrError> {
    let id = id_of(path, "id")?;
    let d = &s.directory;
    d.traced(&caller, Traced::Delete, Some(id), d.purge_live_user(&caller, id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET users/{userId}/credentials`: the metadata of the user's credentials, oldest first.
pub async fn credentials(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, MattrError> {
    let id = id_of(path, "userId")?;
    let (limit, cursor) = page_query(raw)?;
    let d = &s.directory;
    let page = d
        .traced(&caller, Traced::Credentials, Some(id), d.user_credentials(&caller, id, limit, cursor.as_deref()))
        .await?;
    let data: Vec<Credential> = page.items.into_iter().map(Credential::from).collect();
    Ok(axum::Json(PageOf { next_cursor: page.next_cursor, data }).into_response())
}
