//! Access policies: named sets of sign-in conditions (today, the networks a user may sign in
//! from) that users are assigned, numbered per tenant for faces with integer ids. Every tenant
//! has a default policy, which applies to users assigned none.

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{self, EventData, EventType, Outcome, RequestMeta};
use crate::model::{self, Group, Time, User};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

/// The name of the policy every tenant starts with.
pub const DEFAULT_POLICY: &str = "default";
const MAX_NETWORKS: usize = 64;

/// The writable attributes of an access policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessPolicySpec {
    /// Unique in the tenant (case-insensitive).
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Networks (CIDR, such as `10.0.0.0/8` or `2001:db8::/32`, or single addresses) users of
    /// this policy may sign in from; empty allows every address.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPolicy {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Per-tenant integer id; the default policy is 1.
    pub number: i64,
    pub spec: AccessPolicySpec,
    /// The tenant's default policy: it applies to users assigned none, and cannot be removed.
    pub default: bool,
    pub created: Time,
    pub modified: Time,
}

impl AccessPolicy {
    /// Whether a sign-in from `ip` is allowed (an unknown address only when nothing is restricted).
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        if self.spec.allowed_networks.is_empty() {
            return true;
        }
        let Some(ip) = ip else { return false };
        self.spec.allowed_networks.iter().filter_map(|n| parse_network(n)).any(|net| net.contains(&ip))
    }
}

fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

fn check(spec: &mut AccessPolicySpec) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    spec.name = spec.name.trim().to_owned();
    if spec.name.is_empty() || spec.name.chars().count() > 128 || spec.name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", "a policy name is 1 to 128 printable characters"));
    }
    if spec.description.as_deref().is_some_and(|d| d.chars().count() > 1024 || d.contains('\0')) {
        errors.push(FieldError::new("description", "at most 1024 characters"));
    }
    if spec.allowed_networks.len() > MAX_NETWORKS {
        errors.push(FieldError::new("allowed_networks", format!("at most {MAX_NETWORKS} networks")));
    }
    for (i, n) in spec.allowed_networks.iter_mut().enumerate() {
        *n = n.trim().to_owned();
        match parse_network(n) {
            // Stored in one canonical form, so equal policies compare equal.
            Some(net) => *n = net.trunc().to_string(),
            None => errors.push(FieldError::new(
                format!("allowed_networks[{i}]"),
                format!("'{n}' is not a network such as 10.0.0.0/8 or an address"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

impl Directory {
    /// The tenant's policies, by number.
    pub async fn access_policies(&self, caller: &Caller) -> Result<Vec<AccessPolicy>, CoreError> {
        Ok(self.store.access_policies(caller.tenant_id).await?)
    }

    pub async fn access_policy(&self, caller: &Caller, id: Uuid) -> Result<AccessPolicy, CoreError> {
        self.store.access_policy(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "access policy" })
    }

    /// A policy by its per-tenant number.
    pub async fn access_policy_numbered(&self, caller: &Caller, number: i64) -> Result<AccessPolicy, CoreError> {
        let all = self.access_policies(caller).await?;
        all.into_iter().find(|p| p.number == number).ok_or(CoreError::NotFound { what: "access policy" })
    }

    pub async fn create_access_policy(
        &self,
        caller: &Caller,
        mut spec: AccessPolicySpec,
    ) -> Result<AccessPolicy, CoreError> {
        check(&mut spec)?;
        let now = model::now();
        let policy = AccessPolicy {
            id: Uuid::now_v7(),
            tenant_id: caller.tenant_id,
            number: 0,
            spec,
            default: false,
            created: now,
            modified: now,
        };
        let event = policy_event(caller, &policy, "CREATE", None);
        Ok(self.store.insert_access_policy(&policy, &event).await?)
    }

    /// Replaces a policy's attributes (the default policy keeps its name).
    pub async fn replace_access_policy(
        &self,
        caller: &Caller,
        id: Uuid,
        mut spec: AccessPolicySpec,
    ) -> Result<AccessPolicy, CoreError> {
        check(&mut spec)?;
        let current = self.access_policy(caller, id).await?;
        if current.default && !spec.name.eq_ignore_ascii_case(&current.spec.name) {
            return Err(CoreError::invalid("name", "the default policy cannot be renamed"));
        }
        let next = AccessPolicy { spec, modified: model::now(), ..current.clone() };
        let event = policy_event(caller, &next, "UPDATE", Some(&current));
        self.store.update_access_policy(&next, &event).await?;
        Ok(next)
    }

    /// Removes a policy; its users fall back to the default one.
    pub async fn delete_access_policy(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        let current = self.access_policy(caller, id).await?;
        if current.default {
            return Err(CoreError::Conflict("the default access policy cannot be removed".into()));
        }
        let event = deletion_event(caller, &current);
        Ok(self.store.delete_access_policy(caller.tenant_id, id, &event).await?)
    }

    /// Assigns a user its policy (None: back to the default).
    pub async fn assign_access_policy(
        &self,
        caller: &Caller,
        user: Uuid,
        policy: Option<Uuid>,
    ) -> Result<User, CoreError> {
        let u = self.user(caller, user).await?;
        // A policy decides where and how its user may sign in: a change to that user.
        self.authorize(caller, Action::ChangeUser(Permission::PoliciesWrite, user)).await?;
        if policy.is_some() && u.spec.guest {
            return Err(crate::StoreError::Guest.into());
        }
        let (p, changes) = self.policy_change(caller, u.access_policy, policy).await?;
        let event = caller.event(
            EventType::UserChange,
            EventData::UserChange { user: (&u).into(), action: "ASSIGN_ACCESS_POLICY", changes },
        );
        Ok(self.store.set_access_policy(caller.tenant_id, user, p, &event).await?)
    }

    /// Assigns a group its policy (None: none); it governs every member, direct or not.
    pub async fn assign_group_access_policy(
        &self,
        caller: &Caller,
        group: Uuid,
        policy: Option<Uuid>,
    ) -> Result<Group, CoreError> {
        let g = self.group(caller, group).await?;
        let (p, changes) = self.policy_change(caller, g.access_policy, policy).await?;
        let event = caller.event(
            EventType::GroupChange,
            EventData::GroupChange { group: (&g).into(), action: "ASSIGN_ACCESS_POLICY", changes },
        );
        Ok(self.store.set_group_access_policy(caller.tenant_id, group, p, &event).await?)
    }

    /// The policy to assign (checked to exist in the tenant) and the change its event records.
    pub(crate) async fn policy_change(
        &self,
        caller: &Caller,
        before: Option<Uuid>,
        policy: Option<Uuid>,
    ) -> Result<(Option<Uuid>, events::Changes), CoreError> {
        let after = match policy {
            Some(id) => Some(self.access_policy(caller, id).await?.id),
            None => None,
        };
        let mut changes = events::Changes::new();
        let change = events::Change { before: serde_json::json!(before), after: serde_json::json!(after) };
        changes.insert("access_policy_id".into(), change);
        Ok((after, changes))
    }

    /// The policies assigned to a user: its own and those of the groups it belongs to, by number
    /// (none: the tenant's default governs it).
    pub async fn user_access_policies(&self, caller: &Caller, user: Uuid) -> Result<Vec<AccessPolicy>, CoreError> {
        self.user(caller, user).await?;
        Ok(self.store.user_access_policies(caller.tenant_id, user).await?)
    }

    /// The policy that governs a user: its own, or the tenant's default.
    pub async fn effective_access_policy(&self, user: &User) -> Result<Option<AccessPolicy>, CoreError> {
        let all = self.store.access_policies(user.tenant_id).await?;
        Ok(match user.access_policy {
            Some(id) => all.into_iter().find(|p| p.id == id),
            None => all.into_iter().find(|p| p.default),
        })
    }

    /// Refuses a sign-in from an address the user's policy does not allow, with a DENIED event.
    pub(crate) async fn check_network(
        &self,
        user: &User,
        method: &'static str,
        request: &RequestMeta,
    ) -> Result<(), CoreError> {
        let ip = request.ip.as_deref().and_then(|i| i.parse::<IpAddr>().ok());
        // Every policy the user is under (its own and its groups') must allow the address;
        // under none, the tenant's default decides.
        let mut policies = self.store.user_access_policies(user.tenant_id, user.id).await?;
        if policies.is_empty() {
            policies = self.store.access_policies(user.tenant_id).await?.into_iter().filter(|p| p.default).collect();
        }
        if let Some(p) = policies.iter().find(|p| !p.allows(ip)) {
            let login = &user.spec.user_name;
            let why = format!("access policy '{}' does not allow signing in from this address", p.spec.name);
            let actor = events::EventActor::user(user);
            let event = crate::sessions::sign_in_event(user.tenant_id, request, actor, Some(user), login, method, &why);
            self.store.record_events(&[event.outcome(Outcome::Denied)]).await?;
            return Err(CoreError::Forbidden);
        }
        Ok(())
    }
}

/// The event of a policy's removal.
pub(crate) fn deletion_event(caller: &Caller, p: &AccessPolicy) -> events::Event {
    policy_event(caller, p, "DELETE", None)
}

fn policy_event(
    caller: &Caller,
    p: &AccessPolicy,
    action: &'static str,
    before: Option<&AccessPolicy>,
) -> events::Event {
    caller.event(
        EventType::PolicyChange,
        EventData::PolicyChange {
            policy: "access",
            old_policy: before.map(policy_json).unwrap_or_default(),
            new_policy: if action == "DELETE" { serde_json::Value::Null } else { policy_json(p) },
        },
    )
}

fn policy_json(p: &AccessPolicy) -> serde_json::Value {
    serde_json::json!({"id": p.id, "number": p.number, "name": p.spec.name, "description": p.spec.description,
        "allowed_networks": p.spec.allowed_networks})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(networks: &[&str]) -> AccessPolicy {
        AccessPolicy {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            number: 2,
            spec: AccessPolicySpec {
                name: "p".into(),
                description: None,
                allowed_networks: networks.iter().map(|s| (*s).to_owned()).collect(),
            },
            default: false,
            created: model::now(),
            modified: model::now(),
        }
    }

    #[test]
    fn networks_are_checked_and_canonical() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert!(policy(&[]).allows(None));
        let p = policy(&["10.1.0.0/16", "2001:db8::/32", "192.0.2.7"]);
        assert!(p.allows(ip("10.1.200.3")) && p.allows(ip("2001:db8::1")) && p.allows(ip("192.0.2.7")));
        assert!(!p.allows(ip("10.2.0.1")) && !p.allows(ip("192.0.2.8")) && !p.allows(None));
        let mut spec = AccessPolicySpec {
            name: " ops ".into(),
            allowed_networks: vec!["10.1.2.3/16".into()],
            ..Default::default()
        };
        check(&mut spec).unwrap();
        assert_eq!((spec.name.as_str(), spec.allowed_networks[0].as_str()), ("ops", "10.1.0.0/16"));
        let mut bad = AccessPolicySpec {
            name: "x".into(),
            allowed_networks: vec!["10.0.0.0/33".into(), "nope".into()],
            ..Default::default()
        };
        let Err(CoreError::Validation(errs)) = check(&mut bad) else { panic!("accepted") };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["allowed_networks[0]", "allowed_networks[1]"]);
    }
}
