//! Creating and changing users: `POST /users`, `PUT /users/{userId}` (replaces the writable
//! fields) and `PATCH /users/{userId}` (a JSON Patch of add, remove and replace over them).
//! Setting or clearing `deleted` soft-deletes or restores the user.

use super::auth::Bearer;
use super::errors::SlcError;
use super::users::{record, user_id};
use super::wire::{SlcUser, UserWrite};
use super::Body;
use crate::need::UsersWrite;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::model::{InactiveReason, User, UserSpec, UserStatus};
use roster_core::{Caller, Directory};

/// Fields a patch may not touch: the system's own.
const READ_ONLY: &[&str] =
    &["_id", "_created", "_modified", "system", "invitationPending", "invitationExpiry", "temporarilyLocked"];

/// The spec a write asks for, over the user's current one (a new user's is the default).
fn spec_of(current: &UserSpec, w: &UserWrite) -> Result<UserSpec, SlcError> {
    let user_name = w.user_name.clone().ok_or_else(|| SlcError::bad_request("userName is required"))?;
    let reason = match w.inactive_reason.as_deref() {
        None => None,
        Some("manual") => Some(InactiveReason::Manual),
        Some("tooManyFailedLogons") => Some(InactiveReason::TooManyFailedLogons),
        Some("externalAccountDisabled") => Some(InactiveReason::ExternalAccountDisabled),
        Some(other) => {
            return Err(SlcError::bad_request(format!(
                "inactiveReason must be manual, tooManyFailedLogons or externalAccountDisabled, not '{other}'"
            )))
        }
    };
    let (status, inactive_reason) = match (w.active.unwrap_or(true), current.status) {
        // An invited user stays invited until it accepts.
        (true, UserStatus::Invited) => (UserStatus::Invited, None),
        (true, _) => (UserStatus::Active, None),
        (false, _) => (UserStatus::Deactivated, Some(reason.unwrap_or(InactiveReason::Manual))),
    };
    Ok(UserSpec {
        user_name,
        external_id: w.external_id.clone(),
        display_name: w.display_name.clone(),
        email: w.email.clone(),
        unix_home_directory: w.unix_home_directory.clone(),
        unix_user_name: w.unix_user_name.clone(),
        user_principal_name: w.user_principal_name.clone(),
        status,
        inactive_reason,
        ..current.clone()
    })
}

fn created(user: &User) -> Response {
    (StatusCode::CREATED, axum::Json(record(user, &Default::default()))).into_response()
}

/// `POST /users`: a user with its first password (`mustChange`: changed at first sign-in).
pub async fn create(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Body(doc): Body<serde_json::Value>,
) -> Result<Response, SlcError> {
    let w: UserWrite = super::written(doc, READ_ONLY)?;
    let password = w.password.clone().ok_or_else(|| SlcError::bad_request("password is required"))?;
    if w.deleted.is_some() {
        return Err(SlcError::bad_request("deleted cannot be set on a new user"));
    }
    let spec = spec_of(&UserSpec { claims: roster_core::model::empty_object(), ..UserSpec::default() }, &w)?;
    let d = &s.directory;
    let user = d.create_user_with_password(&caller, spec, &password, w.must_change.unwrap_or(false)).await?;
    Ok(created(&user))
}

/// Makes a user what a write describes: its fields, then its deletion state.
async fn apply(d: &Directory, caller: &Caller, current: User, w: &UserWrite) -> Result<User, SlcError> {
    if w.password.is_some() || w.must_change.is_some() {
        return Err(SlcError::bad_request("the password is set through /users/{userId}/password"));
    }
    let spec = spec_of(&current.spec, w)?;
    let mut user = current;
    if user.deleted.is_some() && w.deleted.is_none() {
        user = d.restore_user(caller, user.id, None).await?;
    }
    if spec != user.spec {
        user = d.replace_user(caller, user.id, None, spec).await?;
    }
    if user.deleted.is_none() && w.deleted.is_some() {
        user = d.soft_delete_user(caller, user.id, None).await?;
    }
    Ok(user)
}

/// `PUT /users/{userId}`: replaces the writable fields.
pub async fn replace(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Path(id): Path<String>,
    Body(doc): Body<serde_json::Value>,
) -> Result<Response, SlcError> {
    let w: UserWrite = super::written(doc, READ_ONLY)?;
    let current = s.directory.user(&caller, user_id(&id)?).await?;
    let user = apply(&s.directory, &caller, current, &w).await?;
    Ok(axum::Json(record(&user, &Default::default())).into_response())
}

/// `PATCH /users/{userId}`: a JSON Patch (add, remove, replace) over the user as it reads.
pub async fn patch(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Path(id): Path<String>,
    super::AnyJson(body): super::AnyJson,
) -> Result<Response, SlcError> {
    let current = s.directory.user(&caller, user_id(&id)?).await?;
    let doc = serde_json::to_value(SlcUser::from(&current)).unwrap_or_default();
    let w: UserWrite = super::json_patch(doc, body, READ_ONLY)?;
    let user = apply(&s.directory, &caller, current, &w).await?;
    Ok(axum::Json(record(&user, &Default::default())).into_response())
}
