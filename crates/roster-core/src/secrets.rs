//! The secrets safe: named values sealed at rest, owned by users. Only an owner reads a value
//! (and each read is in the trail); a secret always keeps at least one owner, so a user who is
//! the only owner of a secret cannot be deleted until it has another.

use crate::connectors::WriteOnly;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{EventData, EventType, SecretData};
use crate::model::{self, Time};
use serde::Deserialize;
use std::collections::BTreeSet;
use uuid::Uuid;

const MAX_VALUE_BYTES: usize = 64 * 1024;
const MAX_OWNERS: usize = 100;

/// A secret to store.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSecret {
    /// Unique in the tenant (case-insensitive).
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The value, at most 64 KiB; sealed at rest and answered only to owners.
    #[cfg_attr(feature = "openapi", schema(value_type = String, write_only))]
    pub value: WriteOnly,
    /// The users who own it; a user who stores a secret always owns it. An API key must name at
    /// least one.
    #[serde(default)]
    pub owners: Vec<Uuid>,
}

/// A secret as stored: its value only sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub owners: Vec<Uuid>,
    pub sealed_value: Vec<u8>,
    pub created: Time,
    pub modified: Time,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret").field("id", &self.id).field("name", &self.name).finish_non_exhaustive()
    }
}

pub(crate) fn seal_context(tenant: Uuid, id: Uuid) -> Vec<u8> {
    [b"roster secret value".as_slice(), tenant.as_bytes(), id.as_bytes()].concat()
}

fn data(s: &Secret) -> SecretData {
    SecretData { id: s.id, name: s.name.clone() }
}

impl Directory {
    /// Stores a secret, sealed with the server's key.
    pub async fn create_secret(&self, caller: &Caller, new: NewSecret) -> Result<Secret, CoreError> {
        let mut errors = Vec::new();
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
            errors.push(FieldError::new("name", "a secret name is 1 to 256 printable characters"));
        }
        if new.description.as_deref().is_some_and(|d| d.chars().count() > 1024 || d.contains('\0')) {
            errors.push(FieldError::new("description", "at most 1024 characters"));
        }
        if new.value.0.is_empty() || new.value.0.len() > MAX_VALUE_BYTES {
            errors.push(FieldError::new("value", "1 byte to 64 KiB"));
        }
        let mut owners: BTreeSet<Uuid> = new.owners.iter().copied().collect();
        owners.extend(caller.user_id);
        if owners.is_empty() {
            errors.push(FieldError::new("owners", "name at least one user to own the secret"));
        }
        if owners.len() > MAX_OWNERS {
            errors.push(FieldError::new("owners", format!("at most {MAX_OWNERS} owners")));
        }
        if !errors.is_empty() {
            return Err(CoreError::Validation(errors));
        }
        for owner in &owners {
            self.live_owner(caller, *owner).await?;
        }
        let id = Uuid::now_v7();
        let now = model::now();
        let sealed_value = self.sealer()?.seal(new.value.0.as_bytes(), &seal_context(caller.tenant_id, id));
        let secret = Secret {
            id,
            tenant_id: caller.tenant_id,
            name,
            description: new.description,
            owners: owners.into_iter().collect(),
            sealed_value,
            created: now,
            modified: now,
        };
        let event = caller.event(
            EventType::SecretChange,
            EventData::SecretChange { secret: data(&secret), action: "CREATE", user: None },
        );
        self.store.insert_secret(&secret, &event).await?;
        Ok(secret)
    }

    async fn live_owner(&self, caller: &Caller, user: Uuid) -> Result<(), CoreError> {
        match self.store.user(caller.tenant_id, user).await? {
            Some(u) if u.deleted.is_none() => Ok(()),
            _ => Err(CoreError::NotFound { what: "user" }),
        }
    }

    /// The tenant's secrets (names and owners, never values), by name.
    pub async fn secrets(&self, caller: &Caller) -> Result<Vec<Secret>, CoreError> {
        Ok(self.store.secrets(caller.tenant_id).await?)
    }

    pub async fn secret(&self, caller: &Caller, id: Uuid) -> Result<Secret, CoreError> {
        self.store.secret(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "secret" })
    }

    /// A secret's value, for one of its owners only; every read is recorded.
    pub async fn secret_value(&self, caller: &Caller, id: Uuid) -> Result<String, CoreError> {
        let secret = self.secret(caller, id).await?;
        if !caller.user_id.is_some_and(|u| secret.owners.contains(&u)) {
            return Err(CoreError::Forbidden);
        }
        let plain = self
            .sealer()?
            .open(&secret.sealed_value, &seal_context(secret.tenant_id, secret.id))
            .map_err(|e| CoreError::Internal(format!("secret {}: {e}", secret.id)))?;
        let value = String::from_utf8(plain).map_err(|_| CoreError::Internal("a secret is not UTF-8".into()))?;
        let event = caller.event(
            EventType::SecretRead,
            EventData::SecretChange { secret: data(&secret), action: "READ", user: None },
        );
        self.store.record_events(&[event]).await?;
        Ok(value)
    }

    pub async fn add_secret_owner(&self, caller: &Caller, id: Uuid, user: Uuid) -> Result<Secret, CoreError> {
        let secret = self.secret(caller, id).await?;
        self.live_owner(caller, user).await?;
        if secret.owners.contains(&user) {
            return Ok(secret);
        }
        let event = caller.event(
            EventType::SecretChange,
            EventData::SecretChange { secret: data(&secret), action: "OWNER_ADD", user: Some(user) },
        );
        self.store.add_secret_owner(caller.tenant_id, id, user, model::now(), &event).await?;
        self.secret(caller, id).await
    }

    /// Removes an owner; the last one stays (409).
    pub async fn remove_secret_owner(&self, caller: &Caller, id: Uuid, user: Uuid) -> Result<Secret, CoreError> {
        let secret = self.secret(caller, id).await?;
        if !secret.owners.contains(&user) {
            return Err(CoreError::NotFound { what: "owner" });
        }
        let event = caller.event(
            EventType::SecretChange,
            EventData::SecretChange { secret: data(&secret), action: "OWNER_REMOVE", user: Some(user) },
        );
        self.store.remove_secret_owner(caller.tenant_id, id, user, &event).await?;
        self.secret(caller, id).await
    }

    pub async fn delete_secret(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        let secret = self.secret(caller, id).await?;
        let event = caller.event(
            EventType::SecretChange,
            EventData::SecretChange { secret: data(&secret), action: "DELETE", user: None },
        );
        Ok(self.store.delete_secret(caller.tenant_id, id, &event).await?)
    }
}
