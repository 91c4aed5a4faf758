//! `/auth/*` and `/me`: signing in with a password, refreshing and ending sessions, and the
//! signed-in user's own record.

use super::errors::{ApiError, DirectoryProblems, ProblemResponses};
use super::extract::{Authed, Body, Meta, Params};
use super::wire::{ChangePassword, Impersonate, Login, ReadParams, RefreshRequest, User};
use super::{one_response, Projection};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::schema::Resource;
use roster_core::token::TokenPair;

/// Sign in with a user name (or email) and password. A wrong password, an unknown user and a
/// user without a password all answer the same 401 after the same work; a user who may not sign
/// in (suspended, quarantined, deactivated, deleted) gets 403 once the password is proven.
/// Directory users are signed in by binding to their directory as themselves: 502 or 504 when
/// it cannot be reached.
#[utoipa::path(post, path = "/auth/login", security(()), tag = "auth", request_body = Login,
    responses((status = 200, description = "Signed in", body = TokenPair), ProblemResponses, DirectoryProblems))]
pub async fn login(State(s): State<AppState>, Meta(meta): Meta, Body(body): Body<Login>) -> Result<Response, ApiError> {
    let tenant = body.tenant.as_deref().unwrap_or(roster_core::directory::DEFAULT_TENANT);
    let pair = s.directory.login(tenant, &body.username, &body.password, &meta).await?;
    Ok(axum::Json(pair).into_response())
}

/// Trade a refresh token for new tokens. The refresh token is single-use: presenting one that
/// was already used ends its session.
#[utoipa::path(post, path = "/auth/refresh", security(()), tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "New tokens", body = TokenPair), ProblemResponses))]
pub async fn refresh(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(body): Body<RefreshRequest>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.refresh(&body.refresh_token, &meta).await?).into_response())
}

/// Sign out: the session's access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/auth/logout", security(("api_key" = ["self"])), tag = "auth",
    responses((status = 204, description = "Signed out"), ProblemResponses))]
pub async fn logout(State(s): State<AppState>, Authed(caller): Authed) -> Result<Response, ApiError> {
    s.directory.logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The signed-in user (404 for API keys, which are no user).
#[utoipa::path(get, path = "/me", security(("api_key" = ["self"])), tag = "auth", params(ReadParams),
    responses((status = 200, description = "The signed-in user", body = User), ProblemResponses))]
pub async fn me(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Params(p): Params<ReadParams>,
) -> Result<Response, ApiError> {
    let projection = Projection::parse(Resource::User, p.fields.as_deref(), p.exclude_fields.as_deref())?;
    let user = s.directory.me(&caller).await?;
    let version = user.version;
    Ok(one_response(StatusCode::OK, version, projection.render(&User::from(user)), None))
}

/// Change one's own password, proving the current one. All of one's sessions end; sign in again.
#[utoipa::path(post, path = "/me/password", security(("api_key" = ["password:change"])), tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "The password is changed"), ProblemResponses))]
pub async fn change_password(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(body): Body<ChangePassword>,
) -> Result<Response, ApiError> {
    s.directory.change_own_password(&caller, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sign in as another user of the tenant. The token names the caller in its `act` claim; it is
/// not renewed. The caller must hold every permission the user holds (403 otherwise), and an
/// impersonation token cannot impersonate again.
#[utoipa::path(post, path = "/auth/impersonate", security(("api_key" = ["impersonate"])), tag = "auth", request_body = Impersonate,
    responses((status = 200, description = "A token for the user", body = TokenPair), ProblemResponses))]
pub async fn impersonate(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(body): Body<Impersonate>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.impersonate(&caller, body.user_id).await?).into_response())
}
