//! The caller: `Authorization: Bearer <API token>`, a tenant API key (a user's access token is
//! taken too). The extractor here is the one place this face checks permissions.

use super::errors::BiError;
use crate::need::Need;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use roster_core::{Caller, CoreError};
use std::marker::PhantomData;

/// The authenticated caller, holding the permission `N`.
pub struct Bearer<N: Need>(pub Caller, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Bearer<N> {
    type Rejection = BiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = match crate::need::bearer_caller(parts, state).await {
            Ok(c) => c,
            // The vendor tells a revoked or expired token from one it does not know.
            Err(CoreError::Unauthenticated) if state.directory.api_key_inactive(presented(parts)).await? => {
                return Err(BiError::inactive_token())
            }
            Err(e) => return Err(e.into()),
        };
        caller.require(N::PERMISSION)?;
        Ok(Bearer(caller, PhantomData))
    }
}

/// The bearer credential as sent, or "" when there is none.
fn presented(parts: &Parts) -> &str {
    let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    }
}
