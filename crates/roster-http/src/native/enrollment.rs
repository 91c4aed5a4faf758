//! `/invitations`, `/invitation`, `/password-reset` and `/users/{id}/invitation`: inviting users,
//! the public side of invitation and password-reset links, and resending or withdrawing them.
//! Link routes take the token in the query string or the body, never in the path, so request
//! logs (which record paths) never hold one.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath, Meta, Params};
use super::users::user_response;
use super::wire::{
    AcceptInvitation, Invite, LinkInfo, LinkQuery, LinkSent, PasswordReset, PasswordResetRequest, User,
    UserNameAvailability, UserNameQuestion,
};
use super::Projection;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::enrollment::Acceptance;
use roster_core::mail::MessageKind;
use roster_core::model::UserSpec;

/// Invite a user: it is created with status `invited` and mailed a link, with which it chooses
/// its user name and password. `email` is required; `user_name` defaults to the email.
#[utoipa::path(post, path = "/invitations", security(("api_key" = ["users:write"])), tag = "enrollment",
    request_body = Invite,
    responses((status = 201, description = "The invited user; `invitation_expires` says until when the link works", body = User), ProblemResponses))]
pub async fn invite(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Body(invite): Body<Invite>,
) -> Result<Response, ApiError> {
    let user = s.directory.invite(&caller, UserSpec::from(invite)).await?;
    Ok(user_response(StatusCode::CREATED, user, &Projection::default(), true))
}

/// Send a pending invitation again with a fresh link; the earlier link stops working.
#[utoipa::path(post, path = "/users/{id}/invitation", security(("api_key" = ["users:write"])), tag = "enrollment",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 202, description = "The message is queued", body = LinkSent), ProblemResponses))]
pub async fn resend(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let expires = s.directory.resend_invitation(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(LinkSent { expires })).into_response())
}

/// Withdraw a pending invitation: its links stop working (the user stays invited, without a link).
#[utoipa::path(delete, path = "/users/{id}/invitation", security(("api_key" = ["users:write"])), tag = "enrollment",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The links are revoked"), ProblemResponses))]
pub async fn revoke(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    s.directory.revoke_invitation(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What an invitation link stands for. Unknown, expired, used and withdrawn links all answer the
/// same 400 `link.invalid`.
#[utoipa::path(get, path = "/invitation", security(()), tag = "enrollment", params(LinkQuery),
    responses((status = 200, description = "The invitation", body = LinkInfo), ProblemResponses))]
pub async fn show(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Params(q): Params<LinkQuery>,
) -> Result<Response, ApiError> {
    link_info(&s, &q.token, MessageKind::Invitation, &meta).await
}

/// Whether an invited user could take a user name.
#[utoipa::path(post, path = "/invitation/user-name-availability", security(()), tag = "enrollment",
    request_body = UserNameQuestion,
    responses((status = 200, description = "Whether the name is free", body = UserNameAvailability), ProblemResponses))]
pub async fn availability(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(q): Body<UserNameQuestion>,
) -> Result<Response, ApiError> {
    let available = s.directory.user_name_available(&q.token, &q.user_name, &meta).await?;
    Ok(axum::Json(UserNameAvailability { available }).into_response())
}

/// Accept an invitation: the user takes the chosen user name, display name and password and
/// becomes active. The link is used up.
#[utoipa::path(post, path = "/invitation/accept", security(()), tag = "enrollment", request_body = AcceptInvitation,
    responses((status = 200, description = "The user, now active", body = User), ProblemResponses))]
pub async fn accept(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(a): Body<AcceptInvitation>,
) -> Result<Response, ApiError> {
    let acceptance = Acceptance {
        user_name: a.user_name,
        display_name: a.display_name,
        password: a.password,
        jwt_subject: a.jwt_subject,
    };
    let user = s.directory.accept_invitation(&a.token, acceptance, &meta).await?;
    Ok(user_response(StatusCode::OK, user, &Projection::default(), false))
}

/// Requests whose work runs at once; beyond them a request is answered alike and dropped, so a
/// flood cannot pile up work without bound.
static RESETS_IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(64);

/// Ask for a password-reset link. The answer is the same 202 whether or not the name belongs to
/// someone who can reset a password, so it tells nobody who has an account; and it comes at
/// once, before the work (looking the name up, writing the link, queueing the message), so its
/// timing tells nothing either.
#[utoipa::path(post, path = "/password-reset/request", security(()), tag = "enrollment",
    request_body = PasswordResetRequest,
    responses((status = 202, description = "If the account exists and may reset its password, a link is on its way"), ProblemResponses))]
pub async fn request_reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(r): Body<PasswordResetRequest>,
) -> Result<Response, ApiError> {
    let tenant = r.tenant.as_deref().unwrap_or(roster_core::directory::DEFAULT_TENANT);
    let work = s.directory.request_password_reset(tenant, &r.username, &meta)?;
    match RESETS_IN_FLIGHT.try_acquire() {
        Ok(permit) => {
            tokio::spawn(async move {
                if let Err(e) = work.await {
                    tracing::warn!(error = %e, "a password-reset request failed");
                }
                drop(permit);
            });
        }
        Err(_) => tracing::warn!("too many password-reset requests at once; one was dropped"),
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// What a password-reset link stands for (the same 400 for every link that does not work).
#[utoipa::path(get, path = "/password-reset", security(()), tag = "enrollment", params(LinkQuery),
    responses((status = 200, description = "The reset", body = LinkInfo), ProblemResponses))]
pub async fn show_reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Params(q): Params<LinkQuery>,
) -> Result<Response, ApiError> {
    link_info(&s, &q.token, MessageKind::PasswordReset, &meta).await
}

/// Set a new password through a reset link. The link is used up and every session of the user ends.
#[utoipa::path(post, path = "/password-reset", security(()), tag = "enrollment", request_body = PasswordReset,
    responses((status = 204, description = "The password is set"), ProblemResponses))]
pub async fn reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(r): Body<PasswordReset>,
) -> Result<Response, ApiError> {
    s.directory.reset_password(&r.token, &r.password, &meta).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn link_info(
    s: &AppState,
    token: &str,
    purpose: MessageKind,
    meta: &roster_core::events::RequestMeta,
) -> Result<Response, ApiError> {
    let link = s.directory.link(token, purpose, meta).await?;
    Ok(axum::Json(LinkInfo::from(link)).into_response())
}
