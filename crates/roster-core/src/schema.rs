//! The attribute catalogues that filters and sorts are checked against, one per queryable resource.

/// The type of an attribute, which decides the operators and literal values a filter may use on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// Text compared exactly.
    Text,
    /// Text compared without regard to case (user names, emails, group names).
    CaseInsensitive,
    Bool,
    Int,
    Time,
    Uuid,
    /// Text restricted to a fixed set of values.
    Enum(&'static [&'static str]),
    /// A free JSON object searched by path (`claims.department`).
    Json,
}

/// One attribute of a resource, as faces name it and as the store finds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub ty: AttrType,
    pub sortable: bool,
    pub nullable: bool,
}

const fn attr(name: &'static str, ty: AttrType, sortable: bool, nullable: bool) -> Attr {
    Attr { name, ty, sortable, nullable }
}

use crate::model::{InactiveReason, PrincipalKind, UserKind, UserStatus};
use AttrType::*;

pub static USER_ATTRS: &[Attr] = &[
    attr("id", Uuid, false, false),
    attr("number", Int, true, false),
    attr("external_id", Text, false, true),
    attr("user_name", CaseInsensitive, true, false),
    attr("display_name", Text, true, true),
    attr("given_name", Text, true, true),
    attr("family_name", Text, true, true),
    attr("email", CaseInsensitive, true, true),
    attr("email_verified", Bool, false, false),
    attr("kind", Enum(UserKind::ALL), false, false),
    attr("status", Enum(UserStatus::ALL), false, false),
    attr("inactive_reason", Enum(InactiveReason::ALL), false, true),
    attr("claims", Json, false, false),
    attr("unix_user_name", Text, false, true),
    attr("unix_home_directory", Text, false, true),
    attr("user_principal_name", CaseInsensitive, false, true),
    attr("domain_name", CaseInsensitive, false, true),
    attr("distinguished_name", CaseInsensitive, false, true),
    attr("guest", Bool, false, false),
    attr("federated_provider_id", Text, false, true),
    attr("federated_url", Text, false, true),
    attr("federated_subject_id", Text, false, true),
    attr("failed_logons", Int, false, false),
    attr("locked_until", Time, false, true),
    attr("created", Time, true, false),
    attr("modified", Time, true, false),
    attr("deleted", Time, false, true),
];

pub static GROUP_ATTRS: &[Attr] = &[
    attr("id", Uuid, false, false),
    attr("number", Int, true, false),
    attr("name", CaseInsensitive, true, false),
    attr("external_id", Text, false, true),
    attr("display_name", Text, true, true),
    attr("description", Text, false, true),
    attr("system", Bool, false, false),
    attr("created", Time, true, false),
    attr("modified", Time, true, false),
    attr("deleted", Time, false, true),
];

pub static PRINCIPAL_ATTRS: &[Attr] = &[
    attr("id", Uuid, false, false),
    attr("kind", Enum(PrincipalKind::ALL), false, false),
    attr("number", Int, false, false),
    attr("name", CaseInsensitive, true, false),
    attr("display_name", Text, true, true),
    attr("external_id", Text, false, true),
    attr("created", Time, true, false),
    attr("modified", Time, true, false),
    attr("deleted", Time, false, true),
];

/// A queryable resource and its catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
    Principal,
}

impl Resource {
    pub fn attrs(self) -> &'static [Attr] {
        match self {
            Resource::User => USER_ATTRS,
            Resource::Group => GROUP_ATTRS,
            Resource::Principal => PRINCIPAL_ATTRS,
        }
    }

    pub fn attr(self, name: &str) -> Option<&'static Attr> {
        self.attrs().iter().find(|a| a.name == name)
    }

    /// The attribute a listing sorts by when the caller names none (ties are broken by id everywhere).
    pub fn default_sort(self) -> &'static Attr {
        // "created" is in every catalogue; ids are UUIDv7, so id order is creation order too.
        self.attr("created").unwrap_or(&self.attrs()[0])
    }
}
