//! `POST /invitations/accept` and `POST /invitations/usernameavailability`: the invitation's
//! token is the credential (mailed by the outbox when the user was invited).

use super::errors::SlcError;
use super::users::record;
use super::Body;
use crate::native::extract::Meta;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use roster_core::enrollment::Acceptance;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Accept {
    pub token: String,
    pub display_name: String,
    pub user_name: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub jwt_subject: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Availability {
    pub token: String,
    pub user_name: String,
}

/// The invited user takes its user name, display name and (optionally) password, and becomes
/// active; answers the user.
pub async fn accept(State(s): State<AppState>, Meta(meta): Meta, Body(a): Body<Accept>) -> Result<Response, SlcError> {
    let acceptance = Acceptance {
        user_name: a.user_name,
        display_name: a.display_name,
        password: a.password,
        jwt_subject: a.jwt_subject,
    };
    let user = s.directory.accept_invitation(&a.token, acceptance, &meta).await?;
    Ok(axum::Json(record(&user, &Default::default())).into_response())
}

/// Whether the invited user could take a user name.
pub async fn availability(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(a): Body<Availability>,
) -> Result<Response, SlcError> {
    let available = s.directory.user_name_available(&a.token, &a.user_name, &meta).await?;
    Ok(axum::Json(serde_json::json!({ "available": available })).into_response())
}
