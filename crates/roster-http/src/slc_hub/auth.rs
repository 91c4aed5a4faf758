//! The caller: `Authorization: Bearer <token>` with a token from `POST /login` or
//! `POST /impersonate` (a tenant API key is taken too). The extractor here is the one place this
//! face checks permissions.

use super::errors::SlcError;
use crate::need::Need;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use roster_core::Caller;
use std::marker::PhantomData;

/// The authenticated caller, holding the permission `N`.
pub struct Bearer<N: Need>(pub Caller, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Bearer<N> {
    type Rejection = SlcError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = crate::need::bearer_caller(parts, state).await?;
        caller.require(N::PERMISSION)?;
        Ok(Bearer(caller, PhantomData))
    }
}
