//! The permission each route requires, read from its OpenAPI entry: the `security` scopes a
//! handler's `#[utoipa::path]` declares are both the documentation and the rule.

use axum::http::Method;
use roster_core::access::Permission;
use std::collections::HashMap;

/// Route pattern → (method, permission).
#[derive(Debug, Default)]
pub struct RoutePermissions(HashMap<String, Vec<(Method, Permission)>>);

/// What is wrong with an operation's declaration.
#[derive(Debug, PartialEq, Eq)]
pub struct Undeclared {
    pub method: String,
    pub path: String,
    pub problem: String,
}

impl RoutePermissions {
    /// Reads every operation's declared permission; answers the operations that declare none,
    /// several, or one that is not in the catalogue.
    pub fn from_openapi(spec: &utoipa::openapi::OpenApi) -> (RoutePermissions, Vec<Undeclared>) {
        let doc = serde_json::to_value(spec).unwrap_or_default();
        let mut map: HashMap<String, Vec<(Method, Permission)>> = HashMap::new();
        let mut problems = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(m) = method.to_uppercase().parse::<Method>() else { continue };
                // `security: [{}]` marks a public operation (sign-in), which takes no credential.
                if op["security"]
                    .as_array()
                    .is_some_and(|reqs| reqs.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())))
                {
                    continue;
                }
                let scopes: Vec<&str> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|req| req.get("api_key"))
                    .filter_map(|s| s.as_array())
                    .flatten()
                    .filter_map(|s| s.as_str())
                    .collect();
                let problem = match scopes.as_slice() {
                    [one] => match Permission::parse(one) {
                        Some(p) => {
                            map.entry(path.clone()).or_default().push((m, p));
                            continue;
                        }
                        None => format!("'{one}' is not a permission"),
                    },
                    [] => "declares no permission".to_owned(),
                    _ => "declares more than one permission".to_owned(),
                };
                problems.push(Undeclared { method: m.to_string(), path: path.clone(), problem });
            }
        }
        (RoutePermissions(map), problems)
    }

    pub fn required(&self, method: &Method, route: &str) -> Option<Permission> {
        self.0.get(route)?.iter().find(|(m, _)| m == method).map(|(_, p)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_declares_one_known_permission() {
        let spec = crate::openapi();
        let (map, problems) = RoutePermissions::from_openapi(&spec);
        assert_eq!(problems, vec![], "routes without a valid permission");
        assert_eq!(map.required(&Method::GET, "/api/v1/users"), Some(Permission::UsersRead));
        assert_eq!(map.required(&Method::DELETE, "/api/v1/groups/{id}"), Some(Permission::GroupsWrite));
        assert_eq!(map.required(&Method::POST, "/api/v1/api-keys"), Some(Permission::KeysManage));
        assert_eq!(map.required(&Method::PUT, "/api/v1/users"), None);
    }
}
