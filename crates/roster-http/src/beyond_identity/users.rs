//! `POST /v1/manage/users` and `POST /v1/manage/recover-user`: creating a user who is mailed a
//! link that binds a device key (enrollment), and mailing a fresh one (recovery).

use super::auth::Bearer;
use super::errors::BiError;
use super::wire::{CiamUser, CreateUser, RecoverUser};
use super::Body;
use crate::need::UsersWrite;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use roster_core::mail::MessageKind;
use roster_core::model::{User, UserKind, UserSpec, UserStatus};

/// The only delivery the vendor documents.
const DELIVERY: &str = "email";

fn delivery(method: &str) -> Result<(), BiError> {
    if method == DELIVERY {
        return Ok(());
    }
    Err(BiError::malformed(format!("binding_token_delivery_method must be '{DELIVERY}', not '{method}'")))
}

/// A required text field: present is not enough, it must hold something.
fn required<'a>(field: &str, value: &'a str) -> Result<&'a str, BiError> {
    if value.trim().is_empty() {
        return Err(BiError::malformed(format!("{field} must not be empty")));
    }
    Ok(value)
}

fn one(user: &User) -> Response {
    axum::Json(CiamUser::from(user)).into_response()
}

/// Creates an active user and mails it an enrollment link, in one transaction: a refusal
/// creates nothing and sends nothing.
pub async fn create(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Body(body): Body<CreateUser>,
) -> Result<Response, BiError> {
    let spec = UserSpec {
        external_id: Some(required("external_id", &body.external_id)?.to_owned()),
        email: Some(required("email", &body.email)?.to_owned()),
        user_name: required("user_name", &body.user_name)?.to_owned(),
        display_name: Some(required("display_name", &body.display_name)?.to_owned()),
        status: UserStatus::Active,
        kind: UserKind::Local,
        claims: roster_core::model::empty_object(),
        ..UserSpec::default()
    };
    delivery(&body.binding_token_delivery_method)?;
    let user = s.directory.create_user_with_link(&caller, spec, MessageKind::DeviceBinding).await?;
    Ok(one(&user))
}

/// Mails the user an external id names a fresh enrollment link; the unused earlier ones stop
/// working. Suspended and deleted users are refused.
pub async fn recover(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersWrite>,
    Body(body): Body<RecoverUser>,
) -> Result<Response, BiError> {
    required("external_id", &body.external_id)?;
    delivery(&body.binding_token_delivery_method)?;
    let user = s.directory.user_by_external_id(&caller, &body.external_id).await?;
    s.directory.send_binding_link(&caller, user.id).await?;
    Ok(one(&user))
}
