//! The caller: a tenant API key sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (a
//! user's access token is taken too, as a bearer). The extractor here is the one place this face
//! checks permissions.

use super::errors::AtError;
use crate::need::Need;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use roster_core::{Caller, CoreError};
use std::marker::PhantomData;

static API_KEY: axum::http::HeaderName = axum::http::HeaderName::from_static("x-api-key");

/// The authenticated caller, holding the permission `N`.
pub struct Key<N: Need>(pub Caller, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Key<N> {
    type Rejection = AtError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let x_api_key = crate::need::single(&parts.headers, &API_KEY)?;
        // Two credentials are one too many, even when they agree: refused like two headers.
        if x_api_key.is_some() && crate::need::authorization(&parts.headers)?.is_some() {
            return Err(
                CoreError::invalid("authorization", "send the key as X-API-Key or as a bearer, not both").into()
            );
        }
        let caller = match x_api_key {
            Some(v) => {
                let key = v.to_str().map_err(|_| CoreError::Unauthenticated)?.trim();
                let caller =
                    state.directory.authenticate_api_key(key).await?.serving(crate::audit::request_meta(parts));
                crate::audit::CallerSlot::set(parts, &caller);
                caller
            }
            None => crate::need::bearer_caller(parts, state).await?,
        };
        caller.require(N::PERMISSION)?;
        Ok(Key(caller, PhantomData))
    }
}
