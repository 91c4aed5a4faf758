//! The SCIM schemas this face serves (Users with the enterprise extension, Groups), as one table
//! of attributes and their characteristics: discovery, input checks, projections and PATCH paths
//! all read it, so what `/Schemas` publishes is what the face does.

use serde_json::{json, Map, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Boolean,
    Complex,
    Reference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// One attribute and its characteristics (RFC 7643 section 7).
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Ty,
    pub multi: bool,
    pub required: bool,
    pub mutability: Mutability,
    /// Never returned (passwords).
    pub never_returned: bool,
    pub unique: bool,
    pub case_exact: bool,
    pub canonical: &'static [&'static str],
    pub refs: &'static [&'static str],
    pub sub: &'static [Attr],
    pub description: &'static str,
}

const fn attr(name: &'static str, ty: Ty, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        mutability: Mutability::ReadWrite,
        never_returned: false,
        unique: false,
        case_exact: false,
        canonical: &[],
        refs: &[],
        sub: &[],
        description,
    }
}

const fn text(name: &'static str, description: &'static str) -> Attr {
    attr(name, Ty::String, description)
}

const fn complex(name: &'static str, sub: &'static [Attr], description: &'static str) -> Attr {
    Attr { sub, ..attr(name, Ty::Complex, description) }
}

const fn multi(a: Attr) -> Attr {
    Attr { multi: true, ..a }
}

const fn typed(name: &'static str, canonical: &'static [&'static str]) -> Attr {
    Attr { canonical, ..text(name, "A label naming the value's function.") }
}

const PRIMARY: Attr = attr("primary", Ty::Boolean, "Whether this is the preferred value; at most one is.");

static NAME: [Attr; 6] = [
    text("formatted", "The full name, formatted for display."),
    text("familyName", "The family name."),
    text("givenName", "The given name."),
    text("middleName", "The middle name."),
    text("honorificPrefix", "The honorific prefix (Ms., Dr.)."),
    text("honorificSuffix", "The honorific suffix (III, PhD)."),
];
static EMAILS: [Attr; 4] = [
    text("value", "The email address. The primary one (or the first) is the user's email in Roster."),
    text("display", "A human-readable name."),
    typed("type", &["work", "home", "other"]),
    PRIMARY,
];
static PHONES: [Attr; 4] = [
    text("value", "The phone number."),
    text("display", "A human-readable name."),
    typed("type", &["work", "home", "mobile", "fax", "pager", "other"]),
    PRIMARY,
];
static ADDRESSES: [Attr; 8] = [
    text("formatted", "The full address, formatted for display."),
    text("streetAddress", "The street address."),
    text("locality", "The city or locality."),
    text("region", "The state or region."),
    text("postalCode", "The postal code."),
    text("country", "The country."),
    typed("type", &["work", "home", "other"]),
    PRIMARY,
];
const fn read_only(a: Attr) -> Attr {
    Attr { mutability: Mutability::ReadOnly, ..a }
}
static USER_GROUPS: [Attr; 4] = [
    read_only(text("value", "The group's id.")),
    read_only(Attr { refs: &["Group"], ..attr("$ref", Ty::Reference, "The group's URI.") }),
    read_only(text("display", "The group's name.")),
    read_only(Attr { canonical: &["direct"], ..text("type", "How the user belongs to the group.") }),
];

pub static USER_ATTRS: [Attr; 18] = [
    Attr {
        required: true,
        unique: true,
        ..text("userName", "The unique name the user signs in with; compared without regard to case.")
    },
    complex("name", &NAME, "The components of the user's name."),
    text("displayName", "The name to display."),
    text("nickName", "The casual name."),
    Attr { refs: &["external"], ..attr("profileUrl", Ty::Reference, "The user's online profile.") },
    text("title", "The user's title."),
    text("userType", "The relationship to the organisation."),
    text("preferredLanguage", "The preferred written or spoken language."),
    text("locale", "The default location, for currencies and dates."),
    text("timezone", "The time zone, as an IANA name."),
    Attr {
        required: true,
        ..attr(
            "active",
            Ty::Boolean,
            "Whether the user may sign in (Roster's status active); false suspends it. Roster always knows it, so it is required and defaults to true.",
        )
    },
    Attr {
        mutability: Mutability::WriteOnly,
        never_returned: true,
        case_exact: true,
        ..text("password", "A new password, checked against the tenant's password policy; never returned.")
    },
    multi(complex("emails", &EMAILS, "Email addresses.")),
    multi(complex("phoneNumbers", &PHONES, "Phone numbers.")),
    multi(complex("addresses", &ADDRESSES, "Physical addresses.")),
    read_only(multi(complex("groups", &USER_GROUPS, "The groups the user belongs to directly."))),
    // Not in the table's order of RFC 7643 but kept here: extension attributes follow.
    Attr { case_exact: true, ..text("externalId", "The user's id in the provisioning client.") },
    read_only(Attr { case_exact: true, ..text("id", "The user's id in Roster.") }),
];

static MANAGER: [Attr; 2] =
    [text("value", "The manager's id."), Attr { refs: &["User"], ..attr("$ref", Ty::Reference, "The manager's URI.") }];

pub static ENTERPRISE_ATTRS: [Attr; 6] = [
    text("employeeNumber", "The number the organisation knows the user by."),
    text("costCenter", "The cost center."),
    text("organization", "The organisation."),
    text("division", "The division."),
    text("department", "The department."),
    complex("manager", &MANAGER, "The user's manager."),
];

static MEMBERS: [Attr; 3] = [
    Attr { mutability: Mutability::Immutable, ..text("value", "The member's id.") },
    Attr {
        mutability: Mutability::Immutable,
        refs: &["User", "Group"],
        ..attr("$ref", Ty::Reference, "The member's URI.")
    },
    Attr { mutability: Mutability::Immutable, canonical: &["User", "Group"], ..text("type", "User or Group.") },
];

pub static GROUP_ATTRS: [Attr; 4] = [
    Attr {
        required: true,
        unique: true,
        ..text("displayName", "The group's unique name (Roster's group name); compared without regard to case.")
    },
    multi(complex("members", &MEMBERS, "The group's direct members: users and groups.")),
    Attr { case_exact: true, ..text("externalId", "The group's id in the provisioning client.") },
    read_only(Attr { case_exact: true, ..text("id", "The group's id in Roster.") }),
];

/// The attributes a schema URN defines, without the common ones (id, externalId).
pub fn attrs_of(urn: &str) -> &'static [Attr] {
    let all: &'static [Attr] = match urn {
        USER => &USER_ATTRS,
        ENTERPRISE => &ENTERPRISE_ATTRS,
        _ => &GROUP_ATTRS,
    };
    let common = all.iter().take_while(|a| a.name != "externalId").count();
    &all[..common]
}

/// An attribute by name, case-insensitively (RFC 7643 section 2.1), common ones included.
pub fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A resource type this face serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::User, Kind::Group];

    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Kind::User => USER,
            Kind::Group => GROUP,
        }
    }

    /// Every attribute of the core schema, common ones included.
    pub fn attrs(self) -> &'static [Attr] {
        match self {
            Kind::User => &USER_ATTRS,
            Kind::Group => &GROUP_ATTRS,
        }
    }

    /// The extension schemas the resource type takes.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::User => &[ENTERPRISE],
            Kind::Group => &[],
        }
    }
}

fn describe(a: &Attr) -> Value {
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    };
    let ty = match a.ty {
        Ty::String => "string",
        Ty::Boolean => "boolean",
        Ty::Complex => "complex",
        Ty::Reference => "reference",
    };
    let returned = if a.never_returned {
        "never"
    } else if a.name == "id" {
        "always"
    } else {
        "default"
    };
    let mut d = json!({
        "name": a.name,
        "type": ty,
        "multiValued": a.multi,
        "description": a.description,
        "required": a.required,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": if a.unique || a.name == "id" { "server" } else { "none" },
    });
    if matches!(a.ty, Ty::String | Ty::Reference) {
        d["caseExact"] = Value::Bool(a.case_exact || a.ty == Ty::Reference);
    }
    if !a.canonical.is_empty() {
        d["canonicalValues"] = json!(a.canonical);
    }
    if !a.refs.is_empty() {
        d["referenceTypes"] = json!(a.refs);
    }
    if !a.sub.is_empty() {
        d["subAttributes"] = Value::Array(a.sub.iter().map(describe).collect());
    }
    d
}

fn schema_document(base: &str, id: &str, name: &str, description: &str) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs_of(id).iter().map(describe).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// The schemas of `/Schemas`, the resource and extension schemas first.
pub fn schemas(base: &str) -> Vec<Value> {
    let mut out = vec![
        schema_document(base, USER, "User", "User Account"),
        schema_document(base, ENTERPRISE, "EnterpriseUser", "Enterprise User"),
        schema_document(base, GROUP, "Group", "Group"),
    ];
    // The schemas that describe discovery itself, as RFC 7643 section 8.7.2 lists them.
    for (id, name, attrs) in [
        (
            SPC,
            "Service Provider Configuration",
            "documentationUri patch bulk filter changePassword sort etag authenticationSchemes",
        ),
        (RESOURCE_TYPE, "ResourceType", "id name description endpoint schema schemaExtensions"),
        (SCHEMA, "Schema", "id name description attributes"),
    ] {
        let attributes: Vec<Value> = attrs
            .split(' ')
            .map(|n| {
                let ty = match n {
                    "patch" | "bulk" | "filter" | "changePassword" | "sort" | "etag" | "schemaExtensions"
                    | "authenticationSchemes" | "attributes" => "complex",
                    _ => "string",
                };
                let multi = matches!(n, "authenticationSchemes" | "schemaExtensions" | "attributes");
                json!({"name": n, "type": ty, "multiValued": multi, "required": matches!(n, "id" | "name" | "endpoint" | "schema"),
                       "mutability": "readOnly", "returned": "default", "uniqueness": "none"})
            })
            .collect();
        out.push(json!({
            "schemas": [SCHEMA], "id": id, "name": name, "description": name, "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        }));
    }
    out
}

pub fn resource_type(base: &str, kind: Kind) -> Value {
    let ext: Vec<Value> = kind.extensions().iter().map(|e| json!({"schema": e, "required": false})).collect();
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": kind.name(),
        "name": kind.name(),
        "description": format!("{}s of the tenant", kind.name()),
        "endpoint": format!("/{}", kind.endpoint()),
        "schema": kind.schema(),
        "schemaExtensions": ext,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", kind.name())},
    })
}

/// What the face supports, truthfully.
pub fn service_provider_config(base: &str, max_operations: usize, max_payload: usize, max_results: u32) -> Value {
    json!({
        "schemas": [SPC],
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": max_operations, "maxPayloadSize": max_payload},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A tenant API key, or an access token from the tenant's OAuth token endpoint, as Authorization: Bearer.",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// A message body (PatchOp, SearchRequest, BulkRequest): a JSON object whose `schemas`, when
/// given (always, when `required`), names `urn`.
pub fn message<'a>(
    body: &'a Value,
    urn: &str,
    required: bool,
) -> Result<&'a Map<String, Value>, super::errors::ScimError> {
    use super::errors::ScimError;
    let obj = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let named = match member(obj, "schemas") {
        None => !required,
        Some(s) => {
            s.as_array().is_some_and(|l| l.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn))))
        }
    };
    if !named {
        return Err(ScimError::bad("invalidSyntax", format!("schemas must name {urn}")));
    }
    Ok(obj)
}

/// An object's member by name, case-insensitively.
pub fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}
