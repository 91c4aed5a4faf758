//! `/mail-templates/{kind}` and `/outbox/{id}`: the tenant's message templates and the delivery
//! state of a queued message.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Body, IdPath};
use super::wire::OutboxMessage;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::mail::{MailTemplate, MessageKind};

fn kind(text: &str) -> Result<MessageKind, ApiError> {
    MessageKind::parse(text).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "template.not_found",
            format!("no message kind '{text}'; the kinds are {}", MessageKind::ALL.join(", ")),
        )
    })
}

/// The template a kind of message is rendered with: the tenant's own, or Roster's default.
#[utoipa::path(get, path = "/mail-templates/{kind}", security(("api_key" = ["users:read"])), tag = "mail",
    params(("kind" = MessageKind, Path)),
    responses((status = 200, description = "The template", body = MailTemplate), ProblemResponses))]
pub async fn get(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(k): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.mail_template(&caller, kind(&k)?).await?).into_response())
}

/// Set the tenant's template of a kind (minijinja syntax; variables `tenant`, `user.user_name`,
/// `user.display_name`, `user.given_name`, `user.family_name`, `user.email`, `link`, `token`,
/// `expires`, `base_url`). A template that does not compile or render is refused, naming the part.
#[utoipa::path(put, path = "/mail-templates/{kind}", security(("api_key" = ["policies:write"])), tag = "mail",
    params(("kind" = MessageKind, Path)), request_body = MailTemplate,
    responses((status = 200, description = "The template now in use", body = MailTemplate), ProblemResponses))]
pub async fn set(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(k): Path<String>,
    Body(t): Body<MailTemplate>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.directory.set_mail_template(&caller, kind(&k)?, t).await?).into_response())
}

/// Go back to Roster's default template of a kind.
#[utoipa::path(delete, path = "/mail-templates/{kind}", security(("api_key" = ["policies:write"])), tag = "mail",
    params(("kind" = MessageKind, Path)),
    responses((status = 204, description = "The default is in use again"), ProblemResponses))]
pub async fn reset(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(k): Path<String>,
) -> Result<Response, ApiError> {
    s.directory.reset_mail_template(&caller, kind(&k)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The delivery state of a message the tenant queued (never its text, which carries a link).
#[utoipa::path(get, path = "/outbox/{id}", security(("api_key" = ["users:read"])), tag = "mail",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The message", body = OutboxMessage), ProblemResponses))]
pub async fn message(
    State(s): State<AppState>,
    Authed(caller): Authed,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    Ok(axum::Json(OutboxMessage::from(s.directory.outbox_message(&caller, id).await?)).into_response())
}
