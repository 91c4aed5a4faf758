//! `/device-binding`, `/users/{id}/devices`, `/me/devices` and `/auth/device/*`: binding device
//! keys through binding links, listing and revoking them, and signing in with one.

use super::enrollment::link_info;
use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPair, IdPath, Meta, Params};
use super::wire::{
    BindDevice, ChallengeIssued, ChallengeRequest, Device, DeviceSignIn, LinkInfo, LinkQuery, LinkSent, List,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::mail::MessageKind;
use roster_core::token::TokenPair;

/// Mail the user a link that binds a device key to its account (enrollment, or recovery of a
/// lost device); its earlier unused links stop working.
#[utoipa::path(post, path = "/users/{id}/device-binding", security(("api_key" = ["credentials:write"])), tag = "devices",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 202, description = "The message is queued", body = LinkSent), ProblemResponses))]
pub async fn send_link(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let expires = s.directory.send_binding_link(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(LinkSent { expires })).into_response())
}

/// Revoke the user's unused binding links.
#[utoipa::path(delete, path = "/users/{id}/device-binding", security(("api_key" = ["credentials:write"])), tag = "devices",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The links are revoked"), ProblemResponses))]
pub async fn revoke_links(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.revoke_links(&caller, id, MessageKind::DeviceBinding).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What a binding link stands for (the same 400 for every link that does not work).
#[utoipa::path(get, path = "/device-binding", security(()), tag = "devices", params(LinkQuery),
    responses((status = 200, description = "The binding", body = LinkInfo), ProblemResponses))]
pub async fn show(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Params(q): Params<LinkQuery>,
) -> Result<Response, ApiError> {
    link_info(&s, &q.token, MessageKind::DeviceBinding, &meta).await
}

/// Bind a device key through a binding link; the link is used up.
#[utoipa::path(post, path = "/device-binding", security(()), tag = "devices", request_body = BindDevice,
    responses((status = 201, description = "The device credential", body = Device), ProblemResponses))]
pub async fn bind(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(b): Body<BindDevice>,
) -> Result<Response, ApiError> {
    let device = s.directory.bind_device(&b.token, &b.name, &b.public_key, &meta).await?;
    Ok((StatusCode::CREATED, axum::Json(Device::from(device))).into_response())
}

/// A user's device credentials, revoked ones included.
#[utoipa::path(get, path = "/users/{id}/devices", security(("api_key" = ["users:read"])), tag = "devices",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The devices", body = List<Device>), ProblemResponses))]
pub async fn list(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(device_list(s.directory.devices(&caller, id).await?))
}

/// Revoke a device credential of a user.
#[utoipa::path(delete, path = "/users/{id}/devices/{device_id}", security(("api_key" = ["credentials:write"])), tag = "devices",
    params(("id" = uuid::Uuid, Path), ("device_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The device is revoked"), ProblemResponses))]
pub async fn revoke(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPair(id, device): IdPair,
) -> Result<Response, ApiError> {
    s.directory.revoke_device(&caller, id, device).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The signed-in user's device credentials.
#[utoipa::path(get, path = "/me/devices", security(("api_key" = ["self"])), tag = "devices",
    responses((status = 200, description = "The devices", body = List<Device>), ProblemResponses))]
pub async fn my_list(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    Ok(device_list(s.directory.my_devices(&caller).await?))
}

/// Revoke one of the signed-in user's device credentials.
#[utoipa::path(delete, path = "/me/devices/{device_id}", security(("api_key" = ["self"])), tag = "devices",
    params(("device_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The device is revoked"), ProblemResponses))]
pub async fn my_revoke(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(device): IdPath,
) -> Result<Response, ApiError> {
    s.directory.revoke_my_device(&caller, device).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A challenge for a device credential to sign, valid for two minutes and usable once.
#[utoipa::path(post, path = "/auth/device/challenge", security(()), tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, description = "The challenge", body = ChallengeIssued), ProblemResponses))]
pub async fn challenge(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(r): Body<ChallengeRequest>,
) -> Result<Response, ApiError> {
    let tenant = r.tenant.as_deref().unwrap_or(roster_core::directory::DEFAULT_TENANT);
    let c = s.directory.device_challenge(tenant, r.credential_id, &meta).await?;
    let expires_in = roster_core::devices::CHALLENGE_TTL_SECONDS;
    Ok(axum::Json(ChallengeIssued { challenge_id: c.id, challenge: c.text, expires_in }).into_response())
}

/// Sign in with a device: the challenge's signature by the device key gets the same tokens as a
/// password sign-in. A bad signature, an unknown, used or expired challenge and a revoked
/// device all answer the same 401.
#[utoipa::path(post, path = "/auth/device/token", security(()), tag = "auth", request_body = DeviceSignIn,
    responses((status = 200, description = "Signed in", body = TokenPair), ProblemResponses))]
pub async fn sign_in(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(r): Body<DeviceSignIn>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.device_sign_in(r.challenge_id, &r.signature, &meta).await?).into_response())
}

fn device_list(devices: Vec<roster_core::devices::DeviceCredential>) -> Response {
    let items: Vec<Device> = devices.into_iter().map(Device::from).collect();
    axum::Json(List { items, next_cursor: None, total: None }).into_response()
}
