//! `POST /login` and `POST /impersonate`: tokens as `{token, expiresIn}`, the same core tokens as
//! every face's.

use super::auth::Bearer;
use super::errors::SlcError;
use super::wire::{Impersonate, Login, Token};
use super::Body;
use crate::native::extract::Meta;
use crate::need;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use roster_core::token::TokenPair;

fn token(pair: TokenPair) -> Response {
    axum::Json(Token { token: pair.access_token, expires_in: pair.expires_in }).into_response()
}

/// Password login to the default tenant; a wrong name or password is one 401.
pub async fn login(State(s): State<AppState>, Meta(meta): Meta, Body(body): Body<Login>) -> Result<Response, SlcError> {
    let tenant = roster_core::directory::DEFAULT_TENANT;
    Ok(token(s.directory.login(tenant, &body.username, &body.password, &meta).await?))
}

/// A token for another user of the caller's tenant, naming the caller as the one who acts.
pub async fn impersonate(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<need::Impersonate>,
    Body(body): Body<Impersonate>,
) -> Result<Response, SlcError> {
    let target = super::users::user_id(&body.user_id)?;
    Ok(token(s.directory.impersonate(&caller, target).await?))
}
