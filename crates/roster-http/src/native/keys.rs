//! `/api-keys` and `/users/{id}/client-secret`: the credentials of machines, API keys of the
//! tenant and client secrets of application users.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath};
use super::wire::{ApiKey, ClientCredentials, List, NewApiKey, NewApiKeyCreated};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Make a key. The secret is in this answer only; the server keeps just its hash. A caller may
/// grant only permissions it holds (403 otherwise).
#[utoipa::path(post, path = "/api-keys", security(("api_key" = ["keys:manage"])), tag = "api-keys", request_body = NewApiKey,
    responses((status = 201, description = "The key, with its secret shown this once", body = NewApiKeyCreated), ProblemResponses))]
pub async fn create(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(k): Body<NewApiKey>,
) -> Result<Response, ApiError> {
    let (key, secret) = s.directory.create_api_key_as(&caller, &k.name, &k.role, k.expires, k.format).await?;
    Ok((StatusCode::CREATED, axum::Json(NewApiKeyCreated { key: ApiKey::from(key), secret })).into_response())
}

/// List the tenant's keys (never their secrets).
#[utoipa::path(get, path = "/api-keys", security(("api_key" = ["keys:manage"])), tag = "api-keys",
    responses((status = 200, description = "The keys", body = List<ApiKey>), ProblemResponses))]
pub async fn list(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    let items: Vec<ApiKey> = s.directory.api_keys(&caller).await?.into_iter().map(ApiKey::from).collect();
    Ok(axum::Json(List { items, next_cursor: None, total: None }).into_response())
}

/// Revoke a key: it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", security(("api_key" = ["keys:manage"])), tag = "api-keys",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The key is revoked"), ProblemResponses))]
pub async fn revoke(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.revoke_api_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Make or replace the client secret of an application user (`kind: application`), for the
/// OAuth client credentials grant at `/oauth/token`. The secret is in this answer only; tokens
/// issued with an earlier secret stop working.
#[utoipa::path(post, path = "/users/{id}/client-secret", security(("api_key" = ["keys:manage"])), tag = "api-keys",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The client id and its new secret, shown this once", body = ClientCredentials), ProblemResponses))]
pub async fn client_secret(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let (user, client_secret) = s.directory.rotate_client_secret(&caller, id).await?;
    Ok(axum::Json(ClientCredentials { client_id: user.id, client_secret }).into_response())
}
