//! The caller: `Authorization: Bearer <token>` with a token from `POST oauth/token` (the
//! client-credentials grant of an application user) or a tenant API key. The extractor here is
//! the one place this face checks permissions.

use super::errors::MattrError;
use super::wire::TokenRequest;
use super::Body;
use crate::need::Need;
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use roster_core::Caller;
use std::marker::PhantomData;

/// The authenticated caller, holding the permission `N`.
pub struct Bearer<N: Need>(pub Caller, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Bearer<N> {
    type Rejection = MattrError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = crate::need::bearer_caller(parts, state).await?;
        caller.require(N::PERMISSION)?;
        Ok(Bearer(caller, PhantomData))
    }
}

/// `POST oauth/token`: the client-credentials grant, as JSON. The audience names the tenant's
/// API as the client sees it; any non-empty value is accepted.
pub async fn token(
    State(s): State<AppState>,
    crate::native::extract::Meta(meta): crate::native::extract::Meta,
    Body(req): Body<TokenRequest>,
) -> Result<Response, MattrError> {
    if req.grant_type != "client_credentials" {
        let value = Some(req.grant_type.clone().into());
        return Err(MattrError::invalid("body", "grant_type", value, "must be client_credentials"));
    }
    if req.audience.trim().is_empty() {
        return Err(MattrError::invalid("body", "audience", Some(req.audience.into()), "must not be empty"));
    }
    let pair = s.directory.client_credentials(&req.client_id, &req.client_secret, &meta).await?;
    let body = serde_json::json!({
        "access_token": pair.access_token,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
    });
    Ok(axum::Json(body).into_response())
}
