//! SCIM filters (RFC 7644 section 3.4.2.2) in the core filter language: the attribute paths of
//! Users and Groups named as core attributes or claims paths, and the value filters of PATCH
//! paths (`emails[type eq "work"]`) matched against one element in memory.

use super::schema::{self, Kind, Ty, ENTERPRISE};
use roster_core::filter::{self, Ask, CmpOp, Cond, Filter, FilterError, Literal, Target, Value, Vocabulary};
use roster_core::model::UserStatus;
use roster_core::schema::Resource;
use serde_json::Map;

/// The SCIM names of a resource type, for listings.
pub struct Names(pub Kind);

/// Drops a core-schema URN prefix (`urn:...:core:2.0:User:userName`); an enterprise path becomes
/// `enterprise:department`.
fn unprefixed(kind: Kind, path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let core = kind.schema().to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(&core).and_then(|r| r.strip_prefix(':')) {
        return rest.to_owned();
    }
    if kind == Kind::User {
        if let Some(rest) = lower.strip_prefix(&ENTERPRISE.to_ascii_lowercase()).and_then(|r| r.strip_prefix(':')) {
            return format!("enterprise:{rest}");
        }
    }
    lower
}

/// A core catalogue attribute; every name this module maps to is one (a unit test holds it to that).
fn catalogue(resource: Resource, name: &str) -> Result<Target, FilterError> {
    resource.attr(name).map(Target::Attr).ok_or_else(|| FilterError::UnknownAttribute(name.to_owned()))
}

/// The claims path a SCIM attribute kept as a claim is stored under (see `users::CLAIMED`), read
/// off the schema: a single-valued text attribute of the user kept as a claim, a part of `name`
/// core has no field for, an enterprise attribute, or the manager's value.
fn claim_path(path: &str) -> Option<Vec<String>> {
    let (enterprise, rest) = match path.strip_prefix("enterprise:") {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    let attrs: &'static [schema::Attr] = if enterprise { &schema::ENTERPRISE_ATTRS } else { &schema::USER_ATTRS };
    let (head, sub) = rest.split_once('.').map_or((rest, None), |(h, s)| (h, Some(s)));
    let a = schema::find(attrs, head)?;
    let claimed = enterprise || super::users::CLAIMED.contains(&a.name);
    match (a.ty, sub) {
        (Ty::String | Ty::Reference, None) if claimed && !a.multi => Some(vec![a.name.to_owned()]),
        (Ty::Complex, None | Some("value")) if enterprise => Some(vec![a.name.to_owned(), "value".to_owned()]),
        (Ty::Complex, Some(s)) if a.name == "name" => {
            let sub = schema::find(a.sub, s)?;
            let core_field = matches!(sub.name, "givenName" | "familyName");
            (!core_field).then(|| vec![a.name.to_owned(), sub.name.to_owned()])
        }
        _ => None,
    }
}

/// `id`: a value that is not a UUID names no resource, so it matches nothing (not a 400).
fn id_test(resource: Resource, ask: Ask) -> Result<Filter, FilterError> {
    match filter::test(catalogue(resource, "id")?, ask.clone()) {
        Err(FilterError::BadValue { .. }) => match ask {
            Ask::Cmp(CmpOp::Ne, _) => Ok(Filter::Not(Box::new(Filter::nothing()))),
            _ => Ok(Filter::nothing()),
        },
        other => other,
    }
}

/// `active`: true when the user's status is active.
fn active_test(path: &str, ask: Ask) -> Result<Filter, FilterError> {
    let status = catalogue(Resource::User, "status")?;
    let active = || Filter::Test {
        target: status.clone(),
        cond: Cond::Cmp(CmpOp::Eq, Value::Text(UserStatus::Active.as_str().into())),
    };
    let wanted = |lit: &Literal| match lit {
        Literal::Bool(b) => Ok(*b),
        Literal::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            Ok(s.eq_ignore_ascii_case("true"))
        }
        _ => Err(FilterError::BadValue { attr: path.to_owned(), expected: "true or false".into() }),
    };
    match ask {
        Ask::Present => Ok(Filter::Not(Box::new(Filter::nothing()))),
        Ask::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), lit) => {
            let yes = wanted(&lit)? == (op == CmpOp::Eq);
            Ok(if yes { active() } else { Filter::Not(Box::new(active())) })
        }
        Ask::Cmp(op, _) => Err(FilterError::OperatorNotAllowed { attr: path.to_owned(), op: op.as_str() }),
        Ask::In(_) => Err(FilterError::UnknownOperator("in".into())),
    }
}

/// `meta.resourceType`: everything or nothing.
fn resource_type_test(kind: Kind, ask: Ask) -> Result<Filter, FilterError> {
    let all = Filter::Not(Box::new(Filter::nothing()));
    Ok(match ask {
        Ask::Present => all,
        Ask::Cmp(CmpOp::Eq, Literal::Str(s)) if s.eq_ignore_ascii_case(kind.name()) => all,
        Ask::Cmp(CmpOp::Ne, Literal::Str(s)) if !s.eq_ignore_ascii_case(kind.name()) => all,
        _ => Filter::nothing(),
    })
}

impl Vocabulary for Names {
    fn value_paths(&self) -> bool {
        true
    }

    fn test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError> {
        // Errors name the attribute as the client wrote it, not core's name for it.
        self.core_test(path, ask).map_err(|e| match e {
            FilterError::BadValue { expected, .. } => FilterError::BadValue { attr: path.to_owned(), expected },
            FilterError::OperatorNotAllowed { op, .. } => FilterError::OperatorNotAllowed { attr: path.to_owned(), op },
            other => other,
        })
    }
}

impl Names {
    fn core_test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError> {
        if matches!(ask, Ask::In(_)) {
            return Err(FilterError::UnknownOperator("in".into()));
        }
        let p = unprefixed(self.0, path);
        if p == "meta.resourcetype" {
            return resource_type_test(self.0, ask);
        }
        let (resource, name) = match (self.0, p.as_str()) {
            (Kind::User, "id") => return id_test(Resource::User, ask),
            (Kind::Group, "id") => return id_test(Resource::Group, ask),
            (Kind::User, "active") => return active_test(path, ask),
            (Kind::User, "externalid") => (Resource::User, "external_id"),
            (Kind::User, "username") => (Resource::User, "user_name"),
            (Kind::User, "displayname") => (Resource::User, "display_name"),
            (Kind::User, "name.givenname") => (Resource::User, "given_name"),
            (Kind::User, "name.familyname") => (Resource::User, "family_name"),
            (Kind::User, "emails" | "emails.value") => (Resource::User, "email"),
            (Kind::User, "emails.primary") => {
                // The user's email is its primary one: `primary eq true` asks that it has one.
                let email = catalogue(Resource::User, "email")?;
                let has = Filter::Test { target: email, cond: Cond::Present };
                return match ask {
                    Ask::Cmp(CmpOp::Eq, Literal::Bool(true)) | Ask::Present => Ok(has),
                    Ask::Cmp(CmpOp::Eq, Literal::Bool(false)) => Ok(Filter::Not(Box::new(has))),
                    _ => Err(FilterError::BadValue { attr: path.to_owned(), expected: "eq true or eq false".into() }),
                };
            }
            (Kind::User, "meta.created") => (Resource::User, "created"),
            (Kind::User, "meta.lastmodified") => (Resource::User, "modified"),
            (Kind::Group, "displayname") => (Resource::Group, "name"),
            (Kind::Group, "externalid") => (Resource::Group, "external_id"),
            (Kind::Group, "meta.created") => (Resource::Group, "created"),
            (Kind::Group, "meta.lastmodified") => (Resource::Group, "modified"),
            (Kind::User, other) => {
                return match claim_path(other) {
                    Some(claims) => filter::test(Target::Claim(claims), ask),
                    None => Err(unfilterable(self.0, path)),
                }
            }
            (Kind::Group, _) => return Err(unfilterable(self.0, path)),
        };
        filter::test(catalogue(resource, name)?, ask)
    }
}

/// A name the schema has but filters cannot test, or one it does not have.
fn unfilterable(kind: Kind, path: &str) -> FilterError {
    let head = path.split(['.', '[']).next().unwrap_or(path);
    let known = super::schema::find(kind.attrs(), head).is_some()
        || head.to_ascii_lowercase().starts_with("urn:")
        || head.eq_ignore_ascii_case("meta");
    if known {
        FilterError::NotFilterable(path.to_owned())
    } else {
        FilterError::UnknownAttribute(path.to_owned())
    }
}

/// A SCIM listing filter for `kind`, in the core filter language.
pub fn parse(kind: Kind, text: &str) -> Result<Filter, FilterError> {
    filter::parse_with(text, &Names(kind))
}

/// The sub-attribute names of one element of a multi-valued attribute, for PATCH value filters.
struct Element;

impl Vocabulary for Element {
    fn test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError> {
        if matches!(ask, Ask::In(_)) {
            return Err(FilterError::UnknownOperator("in".into()));
        }
        filter::test(Target::Claim(path.split('.').map(str::to_owned).collect()), ask)
    }
}

/// A value filter of a PATCH path (`type eq "work" and primary eq true`).
pub fn parse_element(text: &str) -> Result<Filter, FilterError> {
    filter::parse_with(text, &Element)
}

/// Whether one element matches a value filter. Strings compare without regard to case, as the
/// sub-attributes of SCIM's multi-valued attributes do.
pub fn matches(f: &Filter, element: &serde_json::Value) -> bool {
    match f {
        Filter::And(parts) => parts.iter().all(|p| matches(p, element)),
        Filter::Or(parts) => parts.iter().any(|p| matches(p, element)),
        Filter::Not(inner) => !matches(inner, element),
        Filter::Test { target: Target::Claim(path), cond } => {
            let found = path.iter().try_fold(element, |v, key| match v {
                serde_json::Value::Object(o) => super::schema::member(o, key),
                _ => None,
            });
            test_value(found, cond)
        }
        Filter::Test { .. } => false,
    }
}

fn test_value(found: Option<&serde_json::Value>, cond: &Cond) -> bool {
    use serde_json::Value as J;
    let found = found.filter(|v| !v.is_null());
    match cond {
        Cond::Present => found.is_some_and(|v| v.as_str() != Some("")),
        Cond::IsObject => found.is_some_and(J::is_object),
        Cond::In(values) => values.iter().any(|v| test_value(found, &Cond::Cmp(CmpOp::Eq, v.clone()))),
        Cond::Cmp(op, Value::Json(want)) => {
            let Some(have) = found else { return *op == CmpOp::Ne };
            let ord = match (have, want) {
                (J::String(a), J::String(b)) => {
                    let (a, b) = (a.to_lowercase(), b.to_lowercase());
                    match op {
                        CmpOp::Co => return a.contains(&b),
                        CmpOp::Sw => return a.starts_with(&b),
                        CmpOp::Ew => return a.ends_with(&b),
                        _ => a.cmp(&b),
                    }
                }
                (J::Bool(a), J::Bool(b)) => a.cmp(b),
                (J::String(a), J::Bool(b)) => match super::doc::boolean(&J::String(a.clone())) {
                    Some(a) => a.cmp(b),
                    None => return *op == CmpOp::Ne,
                },
                (J::Number(a), J::Number(b)) => match (a.as_f64(), b.as_f64()) {
                    (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Less),
                    _ => return false,
                },
                _ => return *op == CmpOp::Ne,
            };
            use std::cmp::Ordering::*;
            match op {
                CmpOp::Eq => ord == Equal,
                CmpOp::Ne => ord != Equal,
                CmpOp::Gt => ord == Greater,
                CmpOp::Ge => ord != Less,
                CmpOp::Lt => ord == Less,
                CmpOp::Le => ord != Greater,
                CmpOp::Co | CmpOp::Sw | CmpOp::Ew => false,
            }
        }
        Cond::Cmp(..) => false,
    }
}

/// The `name eq value` tests a value filter is a conjunction of, as the element they describe:
/// what a PATCH that matches no element adds (`emails[type eq "work"].value`).
pub fn described(f: &Filter) -> Option<Map<String, serde_json::Value>> {
    let mut out = Map::new();
    let parts = match f {
        Filter::And(parts) => parts.as_slice(),
        single => std::slice::from_ref(single),
    };
    for p in parts {
        match p {
            Filter::Test { target: Target::Claim(path), cond: Cond::Cmp(CmpOp::Eq, Value::Json(v)) }
                if path.len() == 1 =>
            {
                out.insert(path[0].clone(), v.clone());
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filterable_name_maps_to_core() {
        let user = [
            "id",
            "externalId",
            "userName",
            "displayName",
            "name.givenName",
            "name.familyName",
            "emails",
            "emails.value",
            "emails.primary",
            "active",
            "meta.created",
            "meta.lastModified",
            "meta.resourceType",
            "title",
            "nickName",
            "profileUrl",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "name.formatted",
            "name.middleName",
            "name.honorificPrefix",
            "name.honorificSuffix",
        ];
        let enterprise =
            ["employeeNumber", "costCenter", "organization", "division", "department", "manager", "manager.value"];
        let paths = user.iter().map(|p| p.to_string()).chain(enterprise.iter().map(|p| format!("{ENTERPRISE}:{p}")));
        for p in paths {
            assert!(parse(Kind::User, &format!("{p} pr")).is_ok(), "{p}");
        }
        for p in ["id", "externalId", "displayName", "meta.created", "meta.lastModified"] {
            assert!(parse(Kind::Group, &format!("{p} pr")).is_ok(), "{p}");
        }
        for p in ["phoneNumbers.value", "emails.type", "groups", "name", "addresses"] {
            assert_eq!(parse(Kind::User, &format!("{p} pr")), Err(FilterError::NotFilterable(p.into())), "{p}");
        }
        assert_eq!(parse(Kind::Group, "members pr"), Err(FilterError::NotFilterable("members".into())));
        assert_eq!(parse(Kind::User, "nick pr"), Err(FilterError::UnknownAttribute("nick".into())));
    }
}
