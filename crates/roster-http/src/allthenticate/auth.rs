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

/// The authenticated caller, holding the permission `N`.
pub struct Key<N: Need>(pub Caller, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Key<N> {
    type Rejection = AtError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = match parts.headers.get("x-api-key") {
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
