//! `/principals`: users and groups queried together.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, Params};
use super::wire::{List, ListParams, Principal};
use super::{list_request, list_response};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use roster_core::schema::Resource;

/// List users and groups together, by the attributes they share (`kind`, `name`, `display_name`, ...).
#[utoipa::path(get, path = "/principals", security(("api_key" = ["users:read"])), tag = "principals", params(ListParams),
    responses((status = 200, description = "A page of principals", body = List<Principal>), ProblemResponses))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let (req, projection) = list_request(Resource::Principal, p)?;
    let page = s.directory.list_principals(&caller, req).await?;
    Ok(list_response::<_, Principal>(page, &projection))
}
