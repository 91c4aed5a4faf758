//! SCIM filters (RFC 7644 section 3.4.2.2) in the core filter language: the attribute paths of
//! Users and Groups named as core attributes or claims paths, compared with or without regard to
//! case as each attribute's `caseExact` says; the elements of multi-valued attributes tested one
//! by one (`emails[type eq "work" and value co "@example.com"]`, `members[value eq "…"]`); and the
//! value filters of PATCH paths matched against one element in memory.

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

/// Whether an attribute (an unprefixed, lower-cased path) compares case-exactly, as its schema
/// says (RFC 7643 section 2.2: not unless it says so; references always do). Paths the schema
/// does not have (`meta.created`) are not text.
fn case_exact(kind: Kind, path: &str) -> bool {
    let (attrs, rest): (&'static [schema::Attr], &str) = match path.strip_prefix("enterprise:") {
        Some(rest) => (&schema::ENTERPRISE_ATTRS, rest),
        None => (kind.attrs(), path),
    };
    let (head, sub) = rest.split_once('.').map_or((rest, None), |(h, s)| (h, Some(s)));
    let found = schema::find(attrs, head).and_then(|a| match sub {
        Some(s) => schema::find(a.sub, s),
        None => Some(a),
    });
    found.is_none_or(|a| a.case_exact || a.ty == Ty::Reference)
}

/// A multi-valued complex attribute whose elements a filter tests one by one.
#[derive(Clone, Copy)]
enum Many {
    /// Kept as a claims array under its SCIM name (`emails` is also the user's email).
    Claims(&'static schema::Attr),
    /// A user's direct groups.
    Groups,
    /// A group's direct members.
    Members,
}

fn many(kind: Kind, name: &str) -> Option<Many> {
    let a = schema::find(kind.attrs(), name)?;
    match (kind, a.name) {
        (Kind::User, "emails" | "phoneNumbers" | "addresses") => Some(Many::Claims(a)),
        (Kind::User, "groups") => Some(Many::Groups),
        (Kind::Group, "members") => Some(Many::Members),
        _ => None,
    }
}

/// The test of one sub-attribute of an element.
fn element(kind: Kind, many: Many, attr: &str, sub: &str, ask: Ask) -> Result<Filter, FilterError> {
    let path = format!("{attr}.{sub}");
    let sub_lower = sub.to_ascii_lowercase();
    match many {
        Many::Claims(a) => {
            let s = schema::find(a.sub, sub).ok_or(FilterError::UnknownAttribute(path))?;
            let f = filter::test(Target::Claim(vec![s.name.to_owned()]), ask)?;
            Ok(if s.case_exact { f } else { f.ignoring_case() })
        }
        Many::Groups => match sub_lower.as_str() {
            "value" => id_test(Resource::Group, ask),
            "display" => filter::test(catalogue(Resource::Group, "name")?, ask),
            "type" => fixed(&path, "direct", ask),
            _ => Err(unfilterable(kind, &path)),
        },
        Many::Members => match sub_lower.as_str() {
            "value" => id_test(Resource::Principal, ask),
            "type" => {
                let kind_of = |k: &str| {
                    filter::test(catalogue(Resource::Principal, "kind")?, Ask::Cmp(CmpOp::Eq, Literal::Str(k.into())))
                };
                match &ask {
                    Ask::Present => Ok(Filter::everything()),
                    Ask::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), Literal::Str(t)) => {
                        let is = match t.to_ascii_lowercase().as_str() {
                            "user" => kind_of("user")?,
                            "group" => kind_of("group")?,
                            _ => Filter::nothing(),
                        };
                        Ok(if *op == CmpOp::Eq { is } else { Filter::Not(Box::new(is)) })
                    }
                    _ => Err(FilterError::BadValue { attr: path, expected: "eq \"User\" or eq \"Group\"".into() }),
                }
            }
            _ => Err(unfilterable(kind, &path)),
        },
    }
}

/// A sub-attribute every element holds with the same value (`groups.type`, always "direct").
fn fixed(path: &str, value: &str, ask: Ask) -> Result<Filter, FilterError> {
    let holds = match ask {
        Ask::Present => true,
        Ask::Cmp(op, Literal::Str(s)) => {
            let (have, want) = (value.to_lowercase(), s.to_lowercase());
            match op {
                CmpOp::Eq => have == want,
                CmpOp::Ne => have != want,
                CmpOp::Co => have.contains(&want),
                CmpOp::Sw => have.starts_with(&want),
                CmpOp::Ew => have.ends_with(&want),
                CmpOp::Gt => have > want,
                CmpOp::Ge => have >= want,
                CmpOp::Lt => have < want,
                CmpOp::Le => have <= want,
            }
        }
        _ => return Err(FilterError::BadValue { attr: path.to_owned(), expected: "a string".into() }),
    };
    Ok(if holds { Filter::everything() } else { Filter::nothing() })
}

/// `attr[inner]`: some element matches `inner`.
fn some_element(many: Many, inner: Filter) -> Filter {
    match many {
        Many::Claims(a) if a.name == "emails" => {
            // The user's email is an element too, when the kept list no longer holds it.
            let email = Filter::Test { target: Target::Attr(email_attr()), cond: Cond::Present };
            let core = Filter::And(vec![email, as_email_element(&inner)]);
            Filter::Or(vec![Filter::Any { array: vec![a.name.to_owned()], element: Box::new(inner) }, core])
        }
        Many::Claims(a) => Filter::Any { array: vec![a.name.to_owned()], element: Box::new(inner) },
        Many::Groups => Filter::MemberOf(Box::new(inner)),
        Many::Members => Filter::HasMember(Box::new(inner)),
    }
}

fn email_attr() -> &'static roster_core::schema::Attr {
    // The catalogue has it (the unit test below names it); a filter on nothing would be wrong,
    // not unsafe, were it ever missing.
    Resource::User.attr("email").unwrap_or(&roster_core::schema::USER_ATTRS[0])
}

/// An element filter evaluated on the element the user's email stands for: `{"value": email,
/// "primary": true}`.
fn as_email_element(f: &Filter) -> Filter {
    let email = || Target::Attr(email_attr());
    match f {
        Filter::And(parts) => Filter::And(parts.iter().map(as_email_element).collect()),
        Filter::Or(parts) => Filter::Or(parts.iter().map(as_email_element).collect()),
        Filter::Not(inner) => Filter::Not(Box::new(as_email_element(inner))),
        Filter::Test { target: Target::Claim(path), cond } if path.len() == 1 => match path[0].as_str() {
            "value" => {
                // The email compares through its lower-cased key, whatever the case asked.
                let lower = |v: &Value| match v {
                    Value::Json(serde_json::Value::String(s)) | Value::Folded(s) => Value::Text(s.to_lowercase()),
                    other => other.clone(),
                };
                let cond = match cond {
                    Cond::Cmp(op, v) if matches!(lower(v), Value::Text(_)) => Cond::Cmp(*op, lower(v)),
                    Cond::In(values) => Cond::In(values.iter().map(lower).collect()),
                    Cond::Present => Cond::Present,
                    _ => return Filter::nothing(),
                };
                Filter::Test { target: email(), cond }
            }
            "primary" => {
                let holds = match cond {
                    Cond::Present => true,
                    Cond::Cmp(CmpOp::Eq, Value::Json(serde_json::Value::Bool(b))) => *b,
                    Cond::Cmp(CmpOp::Ne, Value::Json(serde_json::Value::Bool(b))) => !*b,
                    _ => false,
                };
                if holds {
                    Filter::everything()
                } else {
                    Filter::nothing()
                }
            }
            // Sub-attributes the email has not: only `ne` holds of what is missing.
            _ => match cond {
                Cond::Cmp(CmpOp::Ne, _) => Filter::everything(),
                _ => Filter::nothing(),
            },
        },
        _ => Filter::nothing(),
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

    fn element_test(&self, attr: &str, sub: &str, ask: Ask) -> Result<Filter, FilterError> {
        match many(self.0, &unprefixed(self.0, attr)) {
            Some(m) => element(self.0, m, attr, sub, ask),
            None => self.test(&format!("{attr}.{sub}"), ask),
        }
    }

    fn value_path(&self, attr: &str, inner: Filter) -> Result<Filter, FilterError> {
        Ok(match many(self.0, &unprefixed(self.0, attr)) {
            Some(m) => some_element(m, inner),
            None => inner,
        })
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
        // `emails.type eq "work"` is `emails[type eq "work"]`; `emails co "x"` tests the value
        // (RFC 7644 section 3.4.2.2), and `addresses pr` asks for any element.
        let (head, sub) = p.split_once('.').map_or((p.as_str(), None), |(h, s)| (h, Some(s)));
        if let Some(m) = many(self.0, head) {
            let attr = &path[..path.len() - sub.map_or(0, |s| s.len() + 1)];
            let inner = match (sub, &ask, m) {
                (Some(s), _, _) => element(self.0, m, attr, s, ask)?,
                (None, Ask::Present, _) => Filter::everything(),
                (None, _, Many::Claims(a)) if schema::find(a.sub, "value").is_none() => {
                    return Err(FilterError::NotFilterable(path.to_owned()))
                }
                (None, _, _) => element(self.0, m, attr, "value", ask)?,
            };
            return Ok(some_element(m, inner));
        }
        let f = self.typed_test(&p, path, ask)?;
        Ok(if case_exact(self.0, &p) { f } else { f.ignoring_case() })
    }

    /// The test of a single-valued attribute (`p` is `path` unprefixed and lower-cased).
    fn typed_test(&self, p: &str, path: &str, ask: Ask) -> Result<Filter, FilterError> {
        let (resource, name) = match (self.0, p) {
            (Kind::User, "id") => return id_test(Resource::User, ask),
            (Kind::Group, "id") => return id_test(Resource::Group, ask),
            (Kind::User, "active") => return active_test(path, ask),
            (Kind::User, "externalid") => (Resource::User, "external_id"),
            (Kind::User, "username") => (Resource::User, "user_name"),
            (Kind::User, "displayname") => (Resource::User, "display_name"),
            (Kind::User, "name.givenname") => (Resource::User, "given_name"),
            (Kind::User, "name.familyname") => (Resource::User, "family_name"),
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
        // The element vocabulary makes none of these.
        Filter::Test { .. } | Filter::Any { .. } | Filter::MemberOf(_) | Filter::HasMember(_) => false,
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
    fn case_follows_each_attribute() {
        let folded = |f: &Filter| format!("{f:?}").contains("Folded");
        for p in [
            "displayName",
            "name.givenName",
            "title",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        ] {
            assert!(folded(&parse(Kind::User, &format!(r#"{p} eq "X""#)).unwrap()), "{p} is not case-exact");
        }
        for p in ["externalId", "profileUrl"] {
            assert!(!folded(&parse(Kind::User, &format!(r#"{p} eq "X""#)).unwrap()), "{p} is case-exact");
        }
        let work = parse(Kind::User, r#"emails[type eq "work" and value co "@Example.com"]"#).unwrap();
        let Filter::Or(branches) = &work else { unreachable!("{work:?}") };
        let Filter::Any { array, element } = &branches[0] else { unreachable!("{work:?}") };
        assert_eq!(array, &["emails"]);
        assert!(folded(element), "{element:?}");
    }

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
        for p in ["phoneNumbers.value", "emails.type", "groups", "groups.display", "addresses", "addresses.locality"] {
            assert!(parse(Kind::User, &format!("{p} pr")).is_ok(), "{p}");
        }
        for p in ["members", "members.value", "members.type"] {
            assert!(parse(Kind::Group, &format!("{p} pr")).is_ok(), "{p}");
        }
        for p in ["name", "groups.$ref"] {
            assert_eq!(parse(Kind::User, &format!("{p} pr")), Err(FilterError::NotFilterable(p.into())), "{p}");
        }
        let p = r#"addresses eq "x""#;
        assert_eq!(parse(Kind::User, p), Err(FilterError::NotFilterable("addresses".into())));
        assert_eq!(parse(Kind::Group, "members.$ref pr"), Err(FilterError::NotFilterable("members.$ref".into())));
        assert_eq!(parse(Kind::User, "emails[nope pr]"), Err(FilterError::UnknownAttribute("emails.nope".into())));
        assert_eq!(parse(Kind::User, "nick pr"), Err(FilterError::UnknownAttribute("nick".into())));
    }
}
