//! Sessions of an API key itself, for faces whose clients sign in with a key and no user
//! (BeyondInsight's `PS-Auth key=...`): an opaque token that acts as the key, with the key's role,
//! until it signs out, the key is revoked or expires, or the session's lifetime ends.

use crate::apikey;
use crate::directory::{key_data, Caller, Directory};
use crate::error::CoreError;
use crate::events::{EventData, EventType};
use crate::model;
use crate::token::KeySession;
use uuid::Uuid;

/// Key-session tokens start with this, so a face tells them from access tokens without parsing,
/// and secret scanners still see Roster's prefix.
pub const KEY_SESSION_PREFIX: &str = "roster_ks_";

impl Directory {
    /// Opens a session of the key `key` authenticated as; it lasts as long as an access token.
    pub async fn open_key_session(&self, key: &Caller) -> Result<String, CoreError> {
        let kid = match (key.api_key_id, key.user_id, key.actor) {
            (Some(kid), None, None) => kid,
            _ => return Err(CoreError::invalid("authorization", "only an API key opens a key session")),
        };
        let api_key = self.store.api_key(key.tenant_id, kid).await?.ok_or(CoreError::Unauthenticated)?;
        let now = model::now();
        let session = KeySession {
            id: Uuid::now_v7(),
            tenant_id: key.tenant_id,
            api_key_id: kid,
            created: now,
            expires: now + chrono::Duration::seconds(self.token_settings.access_ttl_seconds),
            revoked: None,
        };
        let token = format!("{KEY_SESSION_PREFIX}{}", &apikey::generate()[apikey::PREFIX.len()..]);
        let mut event = key.event(
            EventType::ApiKeyChange,
            EventData::ApiKeyChange { key: key_data(&api_key), action: "SESSION_OPEN" },
        );
        event.data["session_id"] = session.id.to_string().into();
        self.store.insert_key_session(&session, &apikey::hash(&token), &event).await?;
        Ok(token)
    }

    /// Resolves the token of a session: a key session's, or else a user's access token.
    pub async fn authenticate_session(&self, token: &str) -> Result<Caller, CoreError> {
        if !token.starts_with(KEY_SESSION_PREFIX) {
            return self.authenticate_token(token).await;
        }
        if token.len() > apikey::MAX_LEN {
            return Err(CoreError::Unauthenticated);
        }
        let session = self.store.key_session_by_hash(&apikey::hash(token)).await?.ok_or(CoreError::Unauthenticated)?;
        if session.revoked.is_some() || session.expires <= model::now() {
            return Err(CoreError::Unauthenticated);
        }
        // The key is read on every use, so revoking it ends its sessions at once on every process.
        let key = self.store.api_key(session.tenant_id, session.api_key_id).await?.ok_or(CoreError::Unauthenticated)?;
        Ok(Caller { session_id: Some(session.id), ..self.key_caller(key).await? })
    }

    /// Ends the key session a caller came with.
    pub(crate) async fn close_key_session(&self, caller: &Caller, session: Uuid, kid: Uuid) -> Result<(), CoreError> {
        let key = self.store.api_key(caller.tenant_id, kid).await?.ok_or(CoreError::Unauthenticated)?;
        let mut event = caller
            .event(EventType::ApiKeyChange, EventData::ApiKeyChange { key: key_data(&key), action: "SESSION_CLOSE" });
        event.data["session_id"] = session.to_string().into();
        Ok(self.store.revoke_key_session(caller.tenant_id, session, model::now(), &event).await?)
    }
}
