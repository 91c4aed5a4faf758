//! The BeyondInsight / Password Safe public API v3 dialect, mounted at
//! `/compat/beyondtrust/BeyondTrust/api/public/v3`: the vendor's paths (in any case), PascalCase
//! JSON, integer ids, its sign-in (`Auth/SignAppin` with `PS-Auth` or a client-credentials bearer
//! token) and its session cookie. Handlers translate and call core, nothing more.

mod auth;
mod errors;
mod groups;
mod users;
mod wire;

use crate::AppState;
use axum::extract::Request;
use axum::routing::{get, post};
use axum::Router;
use errors::BtError;
use roster_core::directory::ListRequest;
use roster_core::page::{Page, Sort};
use roster_core::schema::Resource;
use roster_core::CoreError;

/// Every record of a listing, page after page: the vendor answers whole lists.
async fn every<T, F, Fut>(resource: Resource, sort: &str, filter: Option<&str>, page: F) -> Result<Vec<T>, BtError>
where
    F: FnMut(ListRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, CoreError>>,
{
    let filter = filter.map(|f| roster_core::filter::parse(f, resource)).transpose().map_err(CoreError::from)?;
    let sort = Sort::parse(Some(sort), resource)?;
    let req = ListRequest::first(filter, sort, roster_core::page::MAX_LIMIT);
    Ok(crate::pages::every(req, page).await?)
}

/// The integer `{id}` of a path.
fn path_number(id: &str) -> Result<i64, BtError> {
    id.parse().map_err(|_| BtError::bad_request(format!("id must be an integer, not '{id}'")))
}

/// Where the dialect's routes live, below its mount point, in lower case.
const BASE: &str = "/beyondtrust/api/public/v3";

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route(&format!("{BASE}/auth/signappin"), post(auth::sign_app_in))
        .route(&format!("{BASE}/auth/connect/token"), post(auth::connect_token))
        .route(&format!("{BASE}/auth/signout"), post(auth::sign_out))
        .route(&format!("{BASE}/users"), get(users::list).post(users::create))
        .route(&format!("{BASE}/users/{{id}}"), get(users::get).put(users::update).delete(users::delete))
        .route(&format!("{BASE}/users/{{id}}/quarantine"), post(users::quarantine))
        .route(&format!("{BASE}/users/{{id}}/recycleclientsecret"), post(users::recycle_client_secret))
        .route(&format!("{BASE}/users/{{id}}/usergroups"), get(groups::groups_of))
        .route(&format!("{BASE}/users/{{id}}/usergroups/{{group}}"), post(groups::join).delete(groups::leave))
        .route(&format!("{BASE}/usergroups"), get(groups::list).post(groups::create).delete(groups::delete_named))
        .route(&format!("{BASE}/usergroups/{{id}}"), get(groups::get).delete(groups::delete))
        .route(&format!("{BASE}/usergroups/{{id}}/users"), get(groups::users_of).post(groups::create_in))
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found)
}

/// The vendor's server matches paths without regard to case: the path is lowered before routing
/// (ids are integers, so nothing of meaning is lost).
fn lower_path(mut req: Request) -> Request {
    let uri = req.uri();
    let lowered = uri.path().to_ascii_lowercase();
    if lowered != uri.path() {
        let rebuilt = match uri.query() {
            Some(q) => format!("{lowered}?{q}"),
            None => lowered,
        };
        if let Ok(u) = rebuilt.parse() {
            *req.uri_mut() = u;
        }
    }
    req
}

/// The dialect as a service to nest at `/compat/beyondtrust`.
pub fn service(
    state: AppState,
) -> impl tower::Service<
    Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
       + Send
       + Sync
       + 'static {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    tower::ServiceBuilder::new().map_request(lower_path).service(router().route_layer(refusals).with_state(state))
}
