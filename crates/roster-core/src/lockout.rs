//! Sign-in lockout: too many failed sign-ins lock an account for a while, and past a second
//! threshold deactivate it; an administrator can clear the failures (which lifts only the lock).

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{Change, Changes, Event, EventData, EventType, RequestMeta};
use crate::model::{self, InactiveReason, User, UserStatus};
use crate::store::PolicyKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest window or lock a policy may set: thirty days.
const MAX_SECONDS: u32 = 30 * 24 * 3600;
/// Highest failure threshold a policy may set.
const MAX_THRESHOLD: u32 = 1000;

/// A tenant's lockout rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct LockoutPolicy {
    /// Failed sign-ins within `window_seconds` that lock the account for `lock_seconds`; 0 never locks.
    pub lock_after: u32,
    pub window_seconds: u32,
    pub lock_seconds: u32,
    /// Failed sign-ins since the last successful one that deactivate the account
    /// (`inactive_reason` too_many_failed_logons); 0 never deactivates.
    pub deactivate_after: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { lock_after: 5, window_seconds: 900, lock_seconds: 900, deactivate_after: 25 }
    }
}

impl LockoutPolicy {
    /// Every problem of the policy itself.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for (field, v) in [("window_seconds", self.window_seconds), ("lock_seconds", self.lock_seconds)] {
            if !(1..=MAX_SECONDS).contains(&v) {
                errors.push(FieldError::new(field, format!("must be 1 to {MAX_SECONDS}")));
            }
        }
        for (field, v) in [("lock_after", self.lock_after), ("deactivate_after", self.deactivate_after)] {
            if v > MAX_THRESHOLD {
                errors.push(FieldError::new(field, format!("must be 0 (off) to {MAX_THRESHOLD}")));
            }
        }
        if self.lock_after > 0 && self.deactivate_after > 0 && self.deactivate_after <= self.lock_after {
            errors.push(FieldError::new("deactivate_after", "must be more than lock_after, or 0"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl Directory {
    pub async fn lockout_policy(&self, caller: &Caller) -> Result<LockoutPolicy, CoreError> {
        self.tenant_policy(caller.tenant_id, PolicyKind::Lockout).await
    }

    pub async fn set_lockout_policy(&self, caller: &Caller, policy: LockoutPolicy) -> Result<LockoutPolicy, CoreError> {
        policy.validate().map_err(CoreError::Validation)?;
        self.set_tenant_policy(caller, PolicyKind::Lockout, policy).await
    }

    /// Forgets a user's failed sign-ins and lifts its temporary lock. A user already
    /// deactivated for too many failures stays deactivated: reactivating is a separate decision.
    pub async fn clear_logon_failures(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        let user = self.user(caller, id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        let event = caller.event(
            EventType::UserChange,
            EventData::UserChange { user: (&user).into(), action: "CLEAR_LOGON_FAILURES", changes: Changes::new() },
        );
        self.store.clear_logon_failures(caller.tenant_id, id, Some(&event)).await?;
        self.user(caller, id).await
    }

    /// Counts a failed sign-in of a known user (recording `failure`, its event) and applies the
    /// tenant's policy to the count.
    pub(crate) async fn logon_failed(
        &self,
        user: &User,
        request: &RequestMeta,
        failure: Event,
    ) -> Result<(), CoreError> {
        let policy: LockoutPolicy = self.tenant_policy(user.tenant_id, PolicyKind::Lockout).await?;
        let now = model::now();
        let window_start = now - chrono::Duration::seconds(i64::from(policy.window_seconds));
        let failures = self.store.record_logon_failure(user.tenant_id, user.id, now, window_start, &failure).await?;
        let system = Caller::system(user.tenant_id, request);
        // The tenant's last super-admin is never deactivated: guesses at its password lock it instead.
        let last_holder = || async {
            let allowed = self.authorize(&system, Action::ChangeUser(Permission::UsersWrite, user.id)).await?;
            Ok::<_, CoreError>(allowed.keep_holder.is_some())
        };
        if policy.deactivate_after > 0
            && failures.total >= i64::from(policy.deactivate_after)
            && user.spec.status == UserStatus::Active
            && !last_holder().await?
        {
            tracing::warn!(user = %user.id, failures = failures.total, "deactivating after too many failed sign-ins");
            // Only an active user is deactivated: a manual reason set meanwhile is not overwritten.
            self.edit_user(&system, user.id, None, |spec| {
                let mut next = spec.clone();
                if next.status == UserStatus::Active {
                    next.status = UserStatus::Deactivated;
                    next.inactive_reason = Some(InactiveReason::TooManyFailedLogons);
                }
                Ok(next)
            })
            .await?;
        } else if policy.lock_after > 0 && failures.recent >= policy.lock_after && !user.locked_at(now) {
            tracing::info!(user = %user.id, "locking after too many recent failed sign-ins");
            let until = now + chrono::Duration::seconds(i64::from(policy.lock_seconds));
            let mut changes = Changes::new();
            changes.insert(
                "locked_until".into(),
                Change { before: serde_json::Value::Null, after: until.timestamp_millis().into() },
            );
            let event = system
                .event(EventType::UserChange, EventData::UserChange { user: user.into(), action: "LOCK", changes });
            self.store.lock_user(user.tenant_id, user.id, until, &event).await?;
            // A lock means someone may hold or be guessing the password: open sessions end too.
            self.store.revoke_user_sessions(user.tenant_id, user.id, now).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_checked_whole() {
        assert_eq!(LockoutPolicy::default().validate(), Ok(()));
        let bad =
            LockoutPolicy { lock_after: 10, window_seconds: 0, lock_seconds: MAX_SECONDS + 1, deactivate_after: 10 };
        let fields: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["window_seconds", "lock_seconds", "deactivate_after"]);
        let off = LockoutPolicy { lock_after: 0, deactivate_after: 0, ..LockoutPolicy::default() };
        assert_eq!(off.validate(), Ok(()));
    }
}
