//! Roles held by users and groups: assigning and removing them, and the roles (and so the
//! permissions) a user holds directly and through every group it belongs to.

use crate::access::{self, Permission, Permissions, Rank, Role};
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::events::{Event, EventData, EventType};
use crate::model::{self, Depth, MemberRef, PrincipalKind};
use uuid::Uuid;

/// The role every signed-in user holds whatever else it is given.
pub const BASE_ROLE: &str = "regular";

/// A principal's roles: assigned to it, and held in all (through its groups as well).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSet {
    pub direct: Vec<String>,
    pub effective: Vec<String>,
}

/// The permission that changing a principal's roles needs before the grant itself is judged.
fn write_permission(p: MemberRef) -> Permission {
    match p.kind {
        PrincipalKind::User => Permission::UsersWrite,
        PrincipalKind::Group => Permission::GroupsWrite,
    }
}

fn role_event(caller: &Caller, principal: MemberRef, role: &Role, action: &'static str) -> Event {
    caller.event(
        EventType::RoleChange,
        EventData::RoleChange { principal: principal.into(), role: role.name.to_owned(), action },
    )
}

impl Directory {
    async fn principal_exists(&self, caller: &Caller, p: MemberRef) -> Result<(), CoreError> {
        match p.kind {
            PrincipalKind::User => self.user(caller, p.id).await.map(drop),
            PrincipalKind::Group => self.group(caller, p.id).await.map(drop),
        }
    }

    /// Gives a user or group a role; answers false when it held it already.
    pub async fn assign_role(&self, caller: &Caller, to: MemberRef, role: &str) -> Result<bool, CoreError> {
        let role = crate::authz::known_role(role)?;
        self.authorize(caller, Action::Grant(write_permission(to), &[role.name])).await?;
        self.principal_exists(caller, to).await?;
        let event = role_event(caller, to, role, "ASSIGN");
        Ok(self.store.assign_role(caller.tenant_id, to, role.name, model::now(), &event).await?)
    }

    pub async fn unassign_role(&self, caller: &Caller, from: MemberRef, role: &str) -> Result<(), CoreError> {
        let role = crate::authz::known_role(role)?;
        let allowed = self.authorize(caller, Action::Grant(write_permission(from), &[role.name])).await?;
        self.principal_exists(caller, from).await?;
        let event = role_event(caller, from, role, "UNASSIGN");
        Ok(self.store.unassign_role(caller.tenant_id, from, role.name, &event, allowed.keep_holder).await?)
    }

    pub async fn roles_of(&self, caller: &Caller, of: MemberRef) -> Result<RoleSet, CoreError> {
        self.principal_exists(caller, of).await?;
        let direct = self.store.roles(caller.tenant_id, of, Depth::Direct).await?;
        let effective = match of.kind {
            PrincipalKind::User => self.user_access(caller.tenant_id, of.id).await?.0,
            PrincipalKind::Group => self.store.roles(caller.tenant_id, of, Depth::Indirect).await?,
        };
        Ok(RoleSet { direct, effective })
    }

    /// A user's rank: the highest its roles (its own and its groups') amount to.
    pub async fn rank(&self, caller: &Caller, user: Uuid) -> Result<Rank, CoreError> {
        self.user(caller, user).await?;
        Ok(Rank::of(self.user_access(caller.tenant_id, user).await?.1))
    }

    /// Gives a user a rank by replacing the rank roles assigned to it. Only a tenant
    /// administrator (rank SUPER) makes or unmakes an ADMIN or SUPER; the tenant's last SUPER
    /// keeps its rank; a rank held through a group is changed on the group, not here.
    pub async fn set_rank(&self, caller: &Caller, user: Uuid, rank: Rank) -> Result<Rank, CoreError> {
        let u = self.live_user(caller, user).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, user)).await?;
        self.authorize(caller, Action::Grant(Permission::UsersWrite, &[rank.role()])).await?;
        let current = Rank::of(self.user_access(caller.tenant_id, user).await?.1);
        if (rank != Rank::Regular || current != Rank::Regular) && !caller.permissions.contains(Permission::TenantAdmin)
        {
            return Err(CoreError::Forbidden);
        }
        if rank != Rank::Regular && u.spec.guest {
            return Err(CoreError::Conflict("a guest cannot be given a rank; promote it first".into()));
        }
        let me = MemberRef { kind: PrincipalKind::User, id: user };
        let direct = self.store.roles(caller.tenant_id, me, Depth::Direct).await?;
        let all = self.store.roles(caller.tenant_id, me, Depth::Indirect).await?;
        let through_groups =
            Rank::of(access::permissions_of(all.iter().filter(|r| !direct.contains(r)).map(String::as_str)));
        if through_groups > rank {
            return Err(CoreError::Conflict(format!(
                "the user holds the {} role through a group it belongs to; change that group's roles",
                through_groups.role()
            )));
        }
        if current == rank {
            return Ok(rank);
        }
        const RANK_ROLES: [&str; 3] = ["regular", "admin", "super-admin"];
        let role = (rank != Rank::Regular).then(|| rank.role());
        let mut events: Vec<Event> = direct
            .iter()
            .filter(|r| RANK_ROLES.contains(&r.as_str()) && Some(r.as_str()) != role)
            .filter_map(|r| access::role(r))
            .map(|r| role_event(caller, me, r, "UNASSIGN"))
            .collect();
        if let Some(r) = role.and_then(access::role) {
            events.push(role_event(caller, me, r, "ASSIGN"));
        }
        let keep = (current == Rank::Super).then_some(crate::directory::SUPER_ROLE);
        self.store.set_rank_role(caller.tenant_id, user, &RANK_ROLES, role, keep, &events).await?;
        Ok(rank)
    }

    /// The roles a user holds in all, the base role first, and the permissions they add up to.
    pub(crate) async fn user_access(&self, tenant: Uuid, user: Uuid) -> Result<(Vec<String>, Permissions), CoreError> {
        let member = MemberRef { kind: PrincipalKind::User, id: user };
        let mut roles = self.store.roles(tenant, member, Depth::Indirect).await?;
        roles.retain(|r| r != BASE_ROLE && access::role(r).is_some());
        roles.insert(0, BASE_ROLE.to_owned());
        let permissions = access::permissions_of(roles.iter().map(String::as_str));
        Ok((roles, permissions))
    }
}
