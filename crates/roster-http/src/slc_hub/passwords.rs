//! Passwords: validating one against the policy (`{"error": ""}` when it is fine, else every
//! failed rule), changing one's own, setting a user's, changing one by user name without a
//! token, and clearing a user's logon failures.

use super::auth::Bearer;
use super::errors::SlcError;
use super::users::user_id;
use super::Body;
use crate::native::extract::Meta;
use crate::need::{CredentialsWrite, PasswordChange, UsersWrite};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::FieldError;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Candidate {
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPassword {
    pub password: String,
    #[serde(default)]
    pub must_change: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeByName {
    pub current_password: String,
    pub new_password: String,
    pub username: String,
}

/// A password for a user not created yet, judged with the names it will have.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUserCandidate {
    pub password: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `{"error": "..."}` naming every rule the password fails, or empty.
fn verdict(problems: Vec<FieldError>) -> Response {
    let text = problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join("; ");
    axum::Json(serde_json::json!({ "error": text })).into_response()
}

fn done(msg: &str) -> Response {
    axum::Json(serde_json::json!({ "msg": msg })).into_response()
}

/// `POST /users/current/password/validate`.
pub async fn validate_mine(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<PasswordChange>,
    Body(c): Body<Candidate>,
) -> Result<Response, SlcError> {
    let me = s.directory.me(&caller).await?;
    Ok(verdict(s.directory.check_password(&caller, me.id, &c.password).await?))
}

/// `PUT /users/current/password`: proves the current password; every session of the user ends.
pub async fn change_mine(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<PasswordChange>,
    Body(c): Body<Change>,
) -> Result<Response, SlcError> {
    s.directory.change_own_password(&caller, &c.current_password, &c.new_password).await?;
    Ok(done("Password changed"))
}

/// `POST /users/{userId}/password/validate`.
pub async fn validate_for(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<CredentialsWrite>,
    Path(id): Path<String>,
    Body(c): Body<Candidate>,
) -> Result<Response, SlcError> {
    Ok(verdict(s.directory.check_password(&caller, user_id(&id)?, &c.password).await?))
}

/// `PUT /users/{userId}/password`.
pub async fn set(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<CredentialsWrite>,
    Path(id): Path<String>,
    Body(p): Body<NewPassword>,
) -> Result<Response, SlcError> {
    s.directory.set_password(&caller, user_id(&id)?, &p.password, p.must_change).await?;
    Ok(done("Password set"))
}

/// `POST /password/validate`: a password for a user about to be created.
pub async fn validate_new(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Body(c): Body<NewUserCandidate>,
) -> Result<Response, SlcError> {
    let names = (c.username.as_deref(), c.display_name.as_deref(), c.email.as_deref());
    Ok(verdict(s.directory.check_new_password(&caller, names, &c.password).await?))
}

/// `POST /password/change`: no token; the current password is proven as at sign-in.
pub async fn change_by_name(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Body(c): Body<ChangeByName>,
) -> Result<Response, SlcError> {
    let tenant = roster_core::directory::DEFAULT_TENANT;
    s.directory.change_password_by_login(tenant, &c.username, &c.current_password, &c.new_password, &meta).await?;
    Ok(done("Password changed"))
}

/// `DELETE /users/{userId}/logonfailures`: ends a temporary lockout; a permanent one stays.
pub async fn clear_failures(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Path(id): Path<String>,
) -> Result<Response, SlcError> {
    s.directory.clear_logon_failures(&caller, user_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
