//! The one authorization decision: whether this caller may do this action to this target,
//! including every power the action would hand out or take away. Core operations ask it before
//! they write; no face decides any of this.
//!
//! The rules:
//! - the caller holds the action's permission (a face's route permission is only a first gate);
//! - *containment*: changing a user (attributes, status, credentials, devices, sessions,
//!   deletion) or signing in as it needs every power that user effectively holds (directly or
//!   through groups, nested), so nobody acts on someone who outranks them;
//! - *grants*: anything that gives a principal roles (a direct role, membership in a group with
//!   roles, nesting a group, linking a group to a directory, a key's role) needs the right to
//!   grant each role it confers; taking them away likewise;
//! - the tenant's last active super-admin is never removed, suspended, deleted or demoted: the
//!   decision names the role to keep, and the store checks it inside the write's transaction.

use crate::access::{self, Permission, Permissions, Rank};
use crate::directory::{Caller, Directory, SUPER_ROLE};
use crate::error::CoreError;
use crate::model::{Depth, MemberRef, PrincipalKind};
use uuid::Uuid;

/// What a caller asks to do, in the directory's own words.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Something that needs one permission and changes no principal's powers or credentials:
    /// reading, creating a user without roles, tenant settings.
    Use(Permission),
    /// Changing a user (attributes, status, credentials, devices, sessions, deletion, restore):
    /// the permission, and the caller covering every power the user holds.
    ChangeUser(Permission, Uuid),
    /// A signed-in user acting on its own record (its devices, its password).
    ChangeSelf(Permission),
    /// Signing in as a user.
    Impersonate(Uuid),
    /// Handing out or taking away these roles (a direct assignment, a key's role).
    Grant(Permission, &'a [&'a str]),
    /// Changing who holds what a group confers: its members, its nesting, its directory link,
    /// its deletion or restoration. Every role the group holds, directly or through the groups
    /// it is nested in, is granted or taken away by such a change.
    ChangeGroupPowers(Permission, Uuid),
}

/// What the decision allowed, for the write that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// A role some active user must still hold after the write (the write's store transaction
    /// checks it): set when the target holds or confers super-admin.
    pub keep_holder: Option<&'static str>,
}

/// Permissions every principal holds over itself alone; they are no power over others, so a
/// caller need not hold them to act on someone.
const SELF_ONLY: Permissions = Permissions::of(&[Permission::SelfService, Permission::PasswordChange]);

/// The powers of `held` that a caller must also hold to act on their holder.
const fn powers(held: Permissions) -> Permissions {
    held.minus(SELF_ONLY)
}

/// Whether the caller holds every power over others that `held` gives.
pub(crate) fn covers_powers(caller: &Caller, held: Permissions) -> bool {
    caller.permissions.covers(powers(held))
}

/// Whether the caller may hand out (or take away) a built-in role: it must hold every power the
/// role gives, and administrative roles are handed out only by a tenant administrator.
pub(crate) fn may_grant(caller: &Caller, role: &access::Role) -> bool {
    caller.permissions.covers(powers(role.permissions))
        && (!role.is_administrative() || caller.permissions.contains(Permission::TenantAdmin))
}

impl Action<'_> {
    /// The permission the action needs before anything else is asked.
    fn permission(&self) -> Permission {
        match *self {
            Action::Use(p)
            | Action::ChangeUser(p, _)
            | Action::ChangeSelf(p)
            | Action::Grant(p, _)
            | Action::ChangeGroupPowers(p, _) => p,
            Action::Impersonate(_) => Permission::Impersonate,
        }
    }
}

impl Directory {
    /// The one authorization decision (see the module's rules). Refusals are `Forbidden`; an
    /// unknown role named by a grant is a validation error naming the catalogue.
    pub async fn authorize(&self, caller: &Caller, action: Action<'_>) -> Result<Allowed, CoreError> {
        caller.require(action.permission())?;
        let none = Allowed { keep_holder: None };
        match action {
            Action::Use(_) => Ok(none),
            Action::ChangeSelf(_) => match caller.user_id {
                Some(_) => Ok(none),
                None => Err(CoreError::NotFound { what: "user" }),
            },
            Action::ChangeUser(_, target) | Action::Impersonate(target) => {
                let (_, held) = self.user_access(caller.tenant_id, target).await?;
                if !covers_powers(caller, held) {
                    return Err(CoreError::Forbidden);
                }
                Ok(keep_if(Rank::of(held) == Rank::Super))
            }
            Action::Grant(_, roles) => {
                let mut keep = false;
                for name in roles {
                    let role = known_role(name)?;
                    if !may_grant(caller, role) {
                        return Err(CoreError::Forbidden);
                    }
                    keep |= role.name == SUPER_ROLE;
                }
                Ok(keep_if(keep))
            }
            Action::ChangeGroupPowers(_, group) => {
                let of = MemberRef { kind: PrincipalKind::Group, id: group };
                let conferred = self.store.roles(caller.tenant_id, of, Depth::Indirect).await?;
                let mut keep = false;
                // Roles unknown to this version confer nothing, so they need no right to grant.
                for role in conferred.iter().filter_map(|r| access::role(r)) {
                    if !may_grant(caller, role) {
                        return Err(CoreError::Forbidden);
                    }
                    keep |= role.name == SUPER_ROLE;
                }
                Ok(keep_if(keep))
            }
        }
    }
}

fn keep_if(holds_super: bool) -> Allowed {
    Allowed { keep_holder: holds_super.then_some(SUPER_ROLE) }
}

/// A built-in role by name, or a validation error listing them.
pub(crate) fn known_role(name: &str) -> Result<&'static access::Role, CoreError> {
    access::role(name).ok_or_else(|| {
        let names: Vec<&str> = access::ROLES.iter().map(|r| r.name).collect();
        CoreError::invalid("role", format!("unknown role; one of {}", names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_with(role: &str) -> Caller {
        let mut c = Caller::operator(Uuid::nil());
        c.permissions = access::role(role).map(|r| r.permissions).unwrap_or_default();
        c
    }

    #[test]
    fn a_role_is_granted_only_by_whoever_holds_its_powers_and_administrative_ones_by_a_tenant_admin() {
        let role = |n| known_role(n).unwrap();
        let user_admin = caller_with("user-admin");
        // The base role gives only powers over oneself: anybody who may change users hands it out.
        assert!(may_grant(&user_admin, role("regular")));
        assert!(!may_grant(&user_admin, role("reader")), "a user-admin cannot read events");
        assert!(!may_grant(&user_admin, role("user-admin")), "administrative: tenant admins only");
        assert!(!may_grant(&caller_with("admin"), role("super-admin")));
        assert!(!may_grant(&caller_with("admin"), role("admin")));
        for r in access::ROLES {
            assert!(may_grant(&caller_with("super-admin"), r), "{}", r.name);
        }
        assert!(known_role("root").is_err());
    }

    #[test]
    fn powers_over_others_leave_out_what_everyone_holds_over_itself() {
        let regular = access::role("regular").unwrap().permissions;
        assert_eq!(powers(regular), Permissions::NONE);
        let user_admin = caller_with("user-admin");
        assert!(user_admin.permissions.covers(powers(regular)));
        let admin = access::role("admin").unwrap().permissions;
        assert!(!user_admin.permissions.covers(powers(admin)));
    }
}
