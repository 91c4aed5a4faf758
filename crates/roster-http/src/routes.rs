//! A face's router that remembers the paths it serves, so a test can hold them against the
//! face's OpenAPI document: a route a face serves but does not document cannot escape the
//! route-by-caller matrix, which is read off the documents.

use crate::AppState;
use axum::routing::MethodRouter;
use axum::Router;

/// An axum router and the path of every route added to it, nests included.
#[derive(Default)]
pub(crate) struct Routes {
    pub router: Router<AppState>,
    pub paths: Vec<String>,
}

impl Routes {
    pub fn route(mut self, path: &str, methods: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, methods);
        self.paths.push(path.to_owned());
        self
    }

    pub fn nest(mut self, prefix: &str, inner: Routes) -> Self {
        self.router = self.router.nest(prefix, inner.router);
        self.paths.extend(inner.paths.into_iter().map(|p| format!("{prefix}{p}")));
        self
    }
}

/// Every path each face mounts serves, under the prefix it is mounted at (the native API is
/// documented from its handlers, so it cannot serve what it does not document, and is not here).
pub fn served_paths() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("/compat/beyondtrust", crate::beyondtrust::routes().paths),
        ("/compat/mattr", crate::mattr::routes().paths),
        ("/compat/beyond-identity", crate::beyond_identity::routes().paths),
        ("/compat/slc-hub", crate::slc_hub::routes().paths),
        ("/compat/allthenticate", crate::allthenticate::routes().paths),
        ("/scim/v2", crate::scim::routes().paths),
    ]
}
