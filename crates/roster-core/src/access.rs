//! Permissions, roles and ranks: the fixed catalogue of what a caller may do.
//!
//! Faces declare one permission per route; the caller's permissions come from its role.

/// One thing a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Acting on oneself: one's own record, signing out. Every role has it.
    SelfService,
    UsersRead,
    UsersWrite,
    UsersQuarantine,
    GroupsRead,
    GroupsWrite,
    EventsRead,
    CredentialsWrite,
    PoliciesWrite,
    KeysManage,
    Impersonate,
    TenantAdmin,
    SecretsRead,
    SecretsWrite,
    /// Changing one's own password: implied by SelfService, and all a user who must change its
    /// password holds until it does.
    PasswordChange,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::SelfService,
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::UsersQuarantine,
        Permission::GroupsRead,
        Permission::GroupsWrite,
        Permission::EventsRead,
        Permission::CredentialsWrite,
        Permission::PoliciesWrite,
        Permission::KeysManage,
        Permission::Impersonate,
        Permission::TenantAdmin,
        Permission::SecretsRead,
        Permission::SecretsWrite,
        Permission::PasswordChange,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::SelfService => "self",
            Permission::UsersRead => "users:read",
            Permission::UsersWrite => "users:write",
            Permission::UsersQuarantine => "users:quarantine",
            Permission::GroupsRead => "groups:read",
            Permission::GroupsWrite => "groups:write",
            Permission::EventsRead => "events:read",
            Permission::CredentialsWrite => "credentials:write",
            Permission::PoliciesWrite => "policies:write",
            Permission::KeysManage => "keys:manage",
            Permission::Impersonate => "impersonate",
            Permission::TenantAdmin => "tenant:admin",
            Permission::SecretsRead => "secrets:read",
            Permission::SecretsWrite => "secrets:write",
            Permission::PasswordChange => "password:change",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions(u32);

impl Permissions {
    pub const NONE: Permissions = Permissions(0);

    pub const fn of(list: &[Permission]) -> Permissions {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        Permissions(bits)
    }

    pub const fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }

    pub const fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether every permission of `other` is in `self`: a caller may grant only what it holds.
    pub const fn covers(self, other: Permissions) -> bool {
        other.0 & !self.0 == 0
    }

    /// The permissions of `self` that are not in `other`.
    pub const fn minus(self, other: Permissions) -> Permissions {
        Permissions(self.0 & !other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

/// A named set of permissions.
#[derive(Debug, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: Permissions,
}

use Permission::*;

/// The built-in roles, from least to most powerful.
pub static ROLES: &[Role] = &[
    Role {
        name: "regular",
        description: "No administrative rights (rank REGULAR)",
        permissions: Permissions::of(&[SelfService]),
    },
    Role {
        name: "reader",
        description: "Reads users, groups and events",
        permissions: Permissions::of(&[SelfService, UsersRead, GroupsRead, EventsRead]),
    },
    Role {
        name: "user-admin",
        description: "Manages users, their credentials and groups",
        permissions: Permissions::of(&[
            UsersRead,
            UsersWrite,
            UsersQuarantine,
            GroupsRead,
            GroupsWrite,
            CredentialsWrite,
        ]),
    },
    Role {
        name: "admin",
        description: "Adds users, manages groups, policies and secrets, reads events (rank ADMIN)",
        permissions: Permissions::of(&[
            SelfService,
            UsersRead,
            UsersWrite,
            UsersQuarantine,
            GroupsRead,
            GroupsWrite,
            EventsRead,
            CredentialsWrite,
            PoliciesWrite,
            SecretsRead,
            SecretsWrite,
        ]),
    },
    Role {
        name: "super-admin",
        description: "Everything, including making admins and keys and impersonating (rank SUPER)",
        permissions: Permissions::of(&Permission::ALL),
    },
];

pub fn role(name: &str) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.name == name)
}

/// What every role may do without administering anything: act on oneself and read.
const NON_ADMINISTRATIVE: Permissions = Permissions::of(&[SelfService, UsersRead, GroupsRead, EventsRead]);

impl Role {
    /// Whether the role changes anything beyond the holder itself; only a tenant
    /// administrator (rank SUPER) hands such roles out or takes them away.
    pub fn is_administrative(&self) -> bool {
        !NON_ADMINISTRATIVE.covers(self.permissions)
    }
}

/// The union of the permissions of the named roles; names unknown to this version grant nothing.
pub fn permissions_of<'a>(roles: impl IntoIterator<Item = &'a str>) -> Permissions {
    roles.into_iter().filter_map(role).fold(Permissions::NONE, |acc, r| acc.union(r.permissions))
}

/// The three ranks some faces speak of, and the roles they stand for, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    Regular,
    Admin,
    Super,
}

impl Rank {
    pub fn role(self) -> &'static str {
        match self {
            Rank::Regular => "regular",
            Rank::Admin => "admin",
            Rank::Super => "super-admin",
        }
    }

    /// The rank a role amounts to: the highest whose permissions it holds.
    pub fn of(perms: Permissions) -> Rank {
        let holds = |r: Rank| role(r.role()).is_some_and(|role| perms.covers(role.permissions));
        if holds(Rank::Super) {
            Rank::Super
        } else if holds(Rank::Admin) {
            Rank::Admin
        } else {
            Rank::Regular
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Permission::parse("users:delete"), None);
        assert_eq!(Permissions::of(&Permission::ALL).iter().count(), Permission::ALL.len());
    }

    #[test]
    fn roles_grow_and_ranks_map_onto_them() {
        let perms = |n: &str| role(n).map(|r| r.permissions).unwrap_or_default();
        assert!(perms("super-admin").covers(perms("admin")));
        assert!(perms("admin").covers(perms("user-admin")));
        assert!(!perms("admin").contains(KeysManage), "only SUPER makes keys and admins");
        assert!(!perms("reader").contains(UsersWrite));
        assert_eq!(Rank::of(perms("super-admin")), Rank::Super);
        assert_eq!(Rank::of(perms("admin")), Rank::Admin);
        assert_eq!(Rank::of(perms("user-admin")), Rank::Regular);
        assert_eq!(perms("regular"), Permissions::of(&[SelfService]));
        assert!(!role("reader").is_some_and(Role::is_administrative));
        assert!(["user-admin", "admin", "super-admin"].iter().all(|n| role(n).is_some_and(Role::is_administrative)));
        assert_eq!(permissions_of(["reader", "user-admin", "nonsense"]), perms("reader").union(perms("user-admin")));
    }
}
