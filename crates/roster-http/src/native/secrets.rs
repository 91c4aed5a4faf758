//! `/secrets`: the secrets safe. Names and owners are read with `secrets:read`; a value only by
//! one of its owners, signed in (`/secrets/{id}/value`), and every read is in the trail.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPair, IdPath};
use super::wire::{List, NewOwner, Secret, SecretValue};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::secrets::NewSecret;

/// The tenant's secrets: names, descriptions and owners, never values.
#[utoipa::path(get, path = "/secrets", security(("api_key" = ["secrets:read"])), tag = "secrets",
    responses((status = 200, description = "The secrets", body = List<Secret>), ProblemResponses))]
pub async fn list(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    let items: Vec<Secret> = s.directory.secrets(&caller).await?.into_iter().map(Secret::from).collect();
    Ok(axum::Json(List { items, next_cursor: None, total: None }).into_response())
}

/// Store a secret, sealed at rest. A signed-in user who stores one owns it; an API key names
/// the owners.
#[utoipa::path(post, path = "/secrets", security(("api_key" = ["secrets:write"])), tag = "secrets",
    request_body = NewSecret,
    responses((status = 201, description = "The secret (without its value)", body = Secret), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(new): Body<NewSecret>,
) -> Result<Response, ApiError> {
    let secret = s.directory.create_secret(&caller, new).await?;
    Ok((StatusCode::CREATED, axum::Json(Secret::from(secret))).into_response())
}

#[utoipa::path(get, path = "/secrets/{id}", security(("api_key" = ["secrets:read"])), tag = "secrets",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The secret (without its value)", body = Secret), ProblemResponses))]
pub async fn get(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(axum::Json(Secret::from(s.directory.secret(&caller, id).await?)).into_response())
}

#[utoipa::path(delete, path = "/secrets/{id}", security(("api_key" = ["secrets:write"])), tag = "secrets",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The secret is gone"), ProblemResponses))]
pub async fn delete(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.delete_secret(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A secret's value, for one of its owners (403 for anyone else, API keys included). The read
/// is recorded as a SECRET_READ event.
#[utoipa::path(get, path = "/secrets/{id}/value", security(("api_key" = ["self"])), tag = "secrets",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The value", body = SecretValue), ProblemResponses))]
pub async fn value(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    Ok(axum::Json(SecretValue { value: s.directory.secret_value(&caller, id).await? }).into_response())
}

/// Give a secret another owner.
#[utoipa::path(post, path = "/secrets/{id}/owners", security(("api_key" = ["secrets:write"])), tag = "secrets",
    params(("id" = uuid::Uuid, Path)), request_body = NewOwner,
    responses((status = 200, description = "The secret", body = Secret), ProblemResponses))]
pub async fn add_owner(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
    Body(o): Body<NewOwner>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(Secret::from(s.directory.add_secret_owner(&caller, id, o.user_id).await?)).into_response())
}

/// Take an owner away; a secret's last owner stays (409).
#[utoipa::path(delete, path = "/secrets/{id}/owners/{member_id}", security(("api_key" = ["secrets:write"])), tag = "secrets",
    params(("id" = uuid::Uuid, Path), ("member_id" = uuid::Uuid, Path, description = "The owner's user id")),
    responses((status = 200, description = "The secret", body = Secret), ProblemResponses))]
pub async fn remove_owner(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPair(id, user): IdPair,
) -> Result<Response, ApiError> {
    Ok(axum::Json(Secret::from(s.directory.remove_secret_owner(&caller, id, user).await?)).into_response())
}
