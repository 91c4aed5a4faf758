//! Roster's HTTP faces: the native REST API, its OpenAPI document and docs page, and the
//! operational endpoints, behind one set of layers (request ids, tracing, metrics, body limits).

mod allthenticate;
mod audit;
mod beyond_identity;
mod beyondtrust;
mod body;
mod docs;
mod mattr;
pub mod native;
mod need;
mod ops;
mod pages;
mod permissions;
mod routes;
mod scim;
mod slc_hub;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use roster_core::Directory;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use routes::served_paths;

/// "user" → "User": a core noun at the start of a dialect's sentence.
pub(crate) fn capitalised(word: &str) -> String {
    let mut out = word.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out
}

/// Whether a request says its body is JSON (`application/json` or any `application/*+json`).
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The route of a dialect's OpenAPI document, a JSON text kept in the binary.
pub(crate) fn json_document(doc: &'static str) -> axum::routing::MethodRouter<AppState> {
    axum::routing::get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) })
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub directory: Directory,
    metrics: PrometheusHandle,
    openapi: Arc<String>,
    docs: Arc<String>,
    permissions: Arc<permissions::RoutePermissions>,
    /// Largest request body accepted (SCIM publishes it as Bulk's maxPayloadSize).
    max_body_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { max_body_bytes: 1024 * 1024 }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Roster API", description = "The native API of Roster, a self-hosted user directory and identity server.", license(name = "Apache-2.0")),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    components(schemas(native::Problem)),
    tags((name = "users"), (name = "groups"), (name = "principals"), (name = "api-keys"), (name = "passwords"), (name = "auth"), (name = "events"), (name = "enrollment"), (name = "devices"), (name = "mail"), (name = "directories"), (name = "access-policies"), (name = "secrets"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A tenant API key")).build(),
            ),
        );
    }
}

fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut spec) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", native::router()).split_for_parts();
    name_operations(&mut spec);
    (router, spec)
}

/// Gives every operation the id `<tag>.<handler>` (`api-keys.list`, `users.list`): utoipa names
/// an operation after its handler alone, and handlers in different modules share names, which
/// code generators refuse. A unit test keeps the ids unique.
fn name_operations(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
            let handler = operation.operation_id.take().unwrap_or_default();
            operation.operation_id = Some(format!("{tag}.{handler}"));
        }
    }
}

/// The OpenAPI document of the native API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The process-wide metrics recorder (installed once, however many servers a process runs).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only when another recorder is installed already; then ours just stays empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole HTTP application.
pub fn app(directory: Directory, config: &HttpConfig) -> Router {
    let (api, spec) = routes();
    let json = spec.to_pretty_json().unwrap_or_default();
    let docs = Arc::new(docs::render(&serde_json::from_str(&json).unwrap_or_default()));
    let (route_permissions, undeclared) = permissions::RoutePermissions::from_openapi(&spec);
    for u in &undeclared {
        // Such a route answers 403 to everyone; a unit test keeps this list empty.
        tracing::error!(method = %u.method, path = %u.path, problem = %u.problem, "route permission");
    }
    let state = AppState {
        directory,
        metrics: metrics_handle(),
        openapi: Arc::new(json),
        docs,
        permissions: Arc::new(route_permissions),
        max_body_bytes: config.max_body_bytes,
    };
    let request_id = HeaderName::from_static(audit::REQUEST_ID);
    api.route_layer(middleware::from_fn_with_state(state.clone(), audit::record_refusals))
        .merge(ops::router())
        .merge(docs::router())
        .nest_service("/compat/beyondtrust", beyondtrust::service(state.clone()))
        .nest_service("/compat/mattr", mattr::service(state.clone()))
        .nest_service("/compat/beyond-identity", beyond_identity::service(state.clone()))
        .nest_service("/compat/slc-hub", slc_hub::service(state.clone()))
        .nest_service("/compat/allthenticate", allthenticate::service(state.clone()))
        .nest_service("/scim/v2", scim::service(state.clone()))
        .route_service("/scim/{*other}", axum::routing::any(scim::other_version))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::map_response(retry_after))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            native::ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server could not complete the request",
            )
            .into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(audit::check_request_id))
        .with_state(state)
}

async fn not_found() -> native::ApiError {
    native::ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "no such route")
}

async fn method_not_allowed() -> native::ApiError {
    native::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "route.method_not_allowed",
        "this route does not take that method",
    )
}

/// Every 429 says when to come back: the native API says exactly; a dialect, whose error
/// shape has no room for it, says a minute, by when every bucket has refilled.
async fn retry_after(mut resp: Response) -> Response {
    if resp.status() == StatusCode::TOO_MANY_REQUESTS && !resp.headers().contains_key(header::RETRY_AFTER) {
        resp.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("60"));
    }
    resp
}

/// Counts requests by route and status and times them; the route is the matched pattern, so
/// ids do not explode the label space.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("roster_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("roster_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_native_operation_has_its_own_id() {
        let spec = serde_json::to_value(super::openapi()).unwrap();
        let mut seen = std::collections::BTreeMap::new();
        let mut clashes = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(id.contains('.') && !id.ends_with('.') && !id.starts_with('.'), "{method} {path}: id {id:?}");
                if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                    clashes.push(format!("{id}: {other} and {method} {path}"));
                }
            }
        }
        assert_eq!(clashes, Vec::<String>::new(), "operation ids that name two operations");
        assert_eq!(spec["paths"]["/api/v1/api-keys"]["get"]["operationId"], "api-keys.list");
        assert!(seen.len() > 90, "only {} operations", seen.len());
    }
}
