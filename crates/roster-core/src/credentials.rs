//! Passwords as directory operations: the tenant's policy, checking a candidate password, and
//! setting one (by an administrator, optionally to be changed at the next sign-in).

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{EventData, EventType};
use crate::model::{self, User};
use crate::password::{PasswordPolicy, Personal};
use crate::store::PolicyKind;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// Hashes kept per user beyond the history the policy asks for (the policy may grow).
pub(crate) const HISTORY_KEPT: u32 = 24;

impl Directory {
    /// A tenant's policy of one kind, or its defaults while the tenant has set none.
    pub(crate) async fn tenant_policy<T: DeserializeOwned + Default>(
        &self,
        tenant: Uuid,
        kind: PolicyKind,
    ) -> Result<T, CoreError> {
        match self.store.policy(tenant, kind).await? {
            Some(json) => serde_json::from_value(json)
                .map_err(|e| CoreError::Internal(format!("stored {kind:?} policy does not read: {e}"))),
            None => Ok(T::default()),
        }
    }

    /// Sets a policy, recording the old and the new one.
    pub(crate) async fn set_tenant_policy<T: Serialize + DeserializeOwned + Default>(
        &self,
        caller: &Caller,
        kind: PolicyKind,
        policy: T,
    ) -> Result<T, CoreError> {
        let json = |p: &T| serde_json::to_value(p).map_err(|e| CoreError::Internal(e.to_string()));
        let old: T = self.tenant_policy(caller.tenant_id, kind).await?;
        let new = json(&policy)?;
        let event = caller.event(
            EventType::PolicyChange,
            EventData::PolicyChange { policy: kind.name(), old_policy: json(&old)?, new_policy: new.clone() },
        );
        self.store.set_policy(caller.tenant_id, kind, &new, &event).await?;
        Ok(policy)
    }

    /// The tenant's password policy (the defaults until it sets one).
    pub async fn password_policy(&self, caller: &Caller) -> Result<PasswordPolicy, CoreError> {
        self.tenant_policy(caller.tenant_id, PolicyKind::Password).await
    }

    pub async fn set_password_policy(
        &self,
        caller: &Caller,
        policy: PasswordPolicy,
    ) -> Result<PasswordPolicy, CoreError> {
        policy.validate().map_err(CoreError::Validation)?;
        self.set_tenant_policy(caller, PolicyKind::Password, policy).await
    }

    /// Every rule a candidate password for this user breaks, history included; empty when it is fine.
    pub async fn check_password(
        &self,
        caller: &Caller,
        user_id: Uuid,
        password: &str,
    ) -> Result<Vec<FieldError>, CoreError> {
        let user = self.user(caller, user_id).await?;
        let own = caller.user_id == Some(user_id) && caller.actor.is_none();
        let action = if own {
            Action::ChangeSelf(Permission::PasswordChange)
        } else {
            Action::ChangeUser(Permission::CredentialsWrite, user_id)
        };
        self.authorize(caller, action).await?;
        let mut policy = self.password_policy(caller).await?;
        // Another user's history says something about its current and past passwords: only the
        // user itself is told that a candidate is one of them.
        if !own {
            policy.history = 0;
        }
        self.password_problems(&policy, &user, password).await
    }

    /// Every rule a password for a user about to be created breaks, judged with the names
    /// (user name, display name, email) it will have.
    pub async fn check_new_password(
        &self,
        caller: &Caller,
        (user_name, display_name, email): (Option<&str>, Option<&str>, Option<&str>),
        password: &str,
    ) -> Result<Vec<FieldError>, CoreError> {
        let policy = self.password_policy(caller).await?;
        Ok(policy.check(password, Personal { user_name: user_name.unwrap_or_default(), email, display_name }))
    }

    async fn password_problems(
        &self,
        policy: &PasswordPolicy,
        user: &User,
        password: &str,
    ) -> Result<Vec<FieldError>, CoreError> {
        let who = Personal {
            user_name: &user.spec.user_name,
            email: user.spec.email.as_deref(),
            display_name: user.spec.display_name.as_deref(),
        };
        let mut problems = policy.check(password, who);
        // History is only worth its hashing cost once the password passes everything else.
        if problems.is_empty() && policy.history > 0 {
            for hash in self.store.password_hashes(user.tenant_id, user.id, policy.history).await? {
                if self.hasher.verify(password, &hash).await? {
                    problems.push(FieldError::new(
                        "password",
                        format!("must not be one of the last {} passwords", policy.history),
                    ));
                    break;
                }
            }
        }
        Ok(problems)
    }

    /// The hash of a password for a user, once it passes the tenant's policy and the user's
    /// history; every broken rule otherwise.
    pub(crate) async fn checked_hash(&self, user: &User, password: &str) -> Result<String, CoreError> {
        let policy: PasswordPolicy = self.tenant_policy(user.tenant_id, PolicyKind::Password).await?;
        let problems = self.password_problems(&policy, user, password).await?;
        if !problems.is_empty() {
            return Err(CoreError::Validation(problems));
        }
        self.hasher.hash(password).await
    }

    /// Creates a user with a first password, checked against the tenant's policy before
    /// anything is written; the user and its password are written together. With `must_change`
    /// the user has to choose a new password at its first sign-in.
    pub async fn create_user_with_password(
        &self,
        caller: &Caller,
        spec: crate::model::UserSpec,
        password: &str,
        must_change: bool,
    ) -> Result<User, CoreError> {
        self.create_password_user(caller, spec, password, must_change, None).await
    }

    /// [`Directory::create_user_with_password`], made a direct member of a group in the same
    /// transaction: all of it or none. Membership is a grant, so the caller must be able to
    /// give everything the group confers, and the group must keep its own members (not a
    /// system group, not one following a directory group); both are known before anything is
    /// written.
    pub async fn create_user_in_group(
        &self,
        caller: &Caller,
        spec: crate::model::UserSpec,
        password: &str,
        group: Uuid,
    ) -> Result<User, CoreError> {
        let g = self.group(caller, group).await?;
        self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        if g.deleted.is_some() {
            return Err(CoreError::Conflict("the group is deleted; restore it before adding members".into()));
        }
        if g.system || g.source.is_some() {
            return Err(CoreError::Conflict(
                "users are made only in a group that keeps its own members: not a system group, not one that follows a directory group".into(),
            ));
        }
        self.create_password_user(caller, spec, password, false, Some(&g)).await
    }

    async fn create_password_user(
        &self,
        caller: &Caller,
        mut spec: crate::model::UserSpec,
        password: &str,
        must_change: bool,
        group: Option<&crate::model::Group>,
    ) -> Result<User, CoreError> {
        self.authorize(caller, Action::Use(Permission::UsersWrite)).await?;
        self.authorize(caller, Action::Use(Permission::CredentialsWrite)).await?;
        crate::connectors::check_directory_edit(&crate::model::UserSpec::default(), &mut spec)?;
        crate::validate::user(&mut spec, None)?;
        let id = Uuid::now_v7();
        let now = model::now();
        let provisional = provisional_user(caller, id, &spec, now);
        let hash = self.checked_hash(&provisional, password).await?;
        let created = self.creation_event(caller, id, &spec);
        let credential = caller.credential_event((&provisional).into(), "password", "SET");
        let joined = group.map(|g| {
            let member = crate::model::MemberRef { kind: crate::model::PrincipalKind::User, id };
            crate::directory::membership_event(caller, g, member, "ADD")
        });
        let events: Vec<&crate::events::Event> =
            [Some(&created), Some(&credential), joined.as_ref()].into_iter().flatten().collect();
        let first = crate::store::FirstPassword { hash: &hash, must_change, group: group.map(|g| g.id) };
        Ok(self.store.insert_user_with_password(caller.tenant_id, id, &spec, first, now, &events).await?)
    }

    /// An application user with its first client secret and, if named, its access policy: one
    /// transaction, so no client is left without a secret or outside its policy. The secret is
    /// shown here once.
    pub async fn create_application_user(
        &self,
        caller: &Caller,
        mut spec: crate::model::UserSpec,
        policy: Option<Uuid>,
    ) -> Result<(User, String), CoreError> {
        self.authorize(caller, Action::Use(Permission::UsersWrite)).await?;
        self.authorize(caller, Action::Use(Permission::CredentialsWrite)).await?;
        if policy.is_some() {
            self.authorize(caller, Action::Use(Permission::PoliciesWrite)).await?;
        }
        spec.kind = crate::model::UserKind::Application;
        crate::connectors::check_directory_edit(&crate::model::UserSpec::default(), &mut spec)?;
        crate::validate::user(&mut spec, None)?;
        if policy.is_some() && spec.guest {
            return Err(crate::StoreError::Guest.into());
        }
        let (policy, changes) = self.policy_change(caller, None, policy).await?;
        let id = Uuid::now_v7();
        let now = model::now();
        let provisional = provisional_user(caller, id, &spec, now);
        let created = self.creation_event(caller, id, &spec);
        let credential = caller.credential_event((&provisional).into(), "client_secret", "ROTATE");
        let assigned = policy.map(|_| {
            caller.event(
                EventType::UserChange,
                EventData::UserChange { user: (&provisional).into(), action: "ASSIGN_ACCESS_POLICY", changes },
            )
        });
        let events: Vec<&crate::events::Event> =
            [Some(&created), Some(&credential), assigned.as_ref()].into_iter().flatten().collect();
        let secret = crate::apikey::generate();
        let first = crate::store::FirstSecret { hash: &crate::apikey::hash(&secret), access_policy: policy };
        let user = self.store.insert_application_user(caller.tenant_id, id, &spec, first, now, &events).await?;
        Ok((user, secret))
    }

    /// Sets another user's password after checking it against the policy and history.
    pub async fn set_password(
        &self,
        caller: &Caller,
        user_id: Uuid,
        password: &str,
        must_change: bool,
    ) -> Result<User, CoreError> {
        let user = self.user(caller, user_id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, user_id)).await?;
        self.write_password(caller, &user, password, must_change).await
    }

    /// Writes a user's password once it passes the policy and history, for a caller already
    /// allowed to (or a user who has just proven its current password).
    pub(crate) async fn write_password(
        &self,
        caller: &Caller,
        user: &User,
        password: &str,
        must_change: bool,
    ) -> Result<User, CoreError> {
        let user_id = user.id;
        if user.deleted.is_some() {
            return Err(CoreError::Conflict("the user is deleted; restore it before setting its password".into()));
        }
        let hash = self.checked_hash(user, password).await?;
        let action = if caller.user_id == Some(user_id) { "CHANGE" } else { "SET" };
        let event = caller.credential_event(user.into(), "password", action);
        Ok(self
            .store
            .set_password(caller.tenant_id, user_id, &hash, must_change, HISTORY_KEPT, model::now(), &event)
            .await?)
    }

    /// A signed-in user changes its own password, proving the current one. Every session of the
    /// user ends, this one included: the user signs in again with the new password.
    ///
    /// The current password is proven as at a sign-in: a wrong one counts towards the lockout
    /// (a stolen access token is no licence to guess), and a locked account proves nothing.
    pub async fn change_own_password(&self, caller: &Caller, current: &str, new: &str) -> Result<(), CoreError> {
        self.authorize(caller, Action::ChangeSelf(Permission::PasswordChange)).await?;
        let uid = caller.user_id.ok_or(CoreError::NotFound { what: "user" })?;
        let user = self.user(caller, uid).await?;
        let hash = self.store.password_hashes(caller.tenant_id, uid, 1).await?.into_iter().next();
        let proven = match hash {
            Some(h) if current.len() <= crate::password::MAX_BYTES => self.hasher.verify(current, &h).await?,
            _ => false,
        };
        let refused = || CoreError::invalid("current_password", "is not the current password");
        if !proven {
            let login = &user.spec.user_name;
            let failure = crate::sessions::sign_in_event(
                user.tenant_id,
                &caller.request,
                caller.who.clone(),
                Some(&user),
                login,
                "password",
                "wrong current password",
            );
            self.logon_failed(&user, &caller.request, failure).await?;
            return Err(refused());
        }
        if user.locked_at(model::now()) {
            return Err(refused());
        }
        self.write_password(caller, &user, new, false).await.map(|_| ())
    }
}

/// The user a creation is about to write, for the events that name it before it exists.
fn provisional_user(caller: &Caller, id: Uuid, spec: &crate::model::UserSpec, now: model::Time) -> User {
    User {
        id,
        tenant_id: caller.tenant_id,
        number: 0,
        spec: spec.clone(),
        created: now,
        modified: now,
        deleted: None,
        version: 1,
        password_changed: None,
        password_must_change: false,
        failed_logons: 0,
        locked_until: None,
        invitation_expires: None,
        access_policy: None,
        activated: None,
        email_confirmed: None,
        last_sign_in: None,
    }
}
