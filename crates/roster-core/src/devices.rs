//! Device credentials: public keys (Ed25519 or P-256) bound to a user through a binding link,
//! and passwordless sign-in by signing a single-use, short-lived server challenge with one.

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::events::{EventActor, EventData, EventType, RequestMeta};
use crate::model::{self, str_enum, Time};
use crate::token::TokenPair;
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use uuid::Uuid;

/// How long a sign-in challenge may be answered.
pub const CHALLENGE_TTL_SECONDS: i64 = 120;
/// Every challenge starts with this, so a signature made for Roster's sign-in cannot be
/// mistaken for one over anything else the key signs.
const CHALLENGE_PREFIX: &str = "roster-device-sign-in.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyAlgorithm {
    /// Ed25519 signatures (64 bytes).
    Ed25519,
    /// ECDSA over P-256 with SHA-256; signatures as DER or as 64 bytes r‖s.
    ES256,
}
str_enum!(KeyAlgorithm { Ed25519 => "Ed25519", ES256 => "ES256" });

/// A device key of a user. The public key is kept as DER SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCredential {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub algorithm: KeyAlgorithm,
    pub public_key: Vec<u8>,
    pub created: Time,
    pub last_used: Option<Time>,
    pub revoked: Option<Time>,
}

/// A sign-in challenge for one device credential.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub credential_id: Uuid,
    /// The exact text the device signs (its UTF-8 bytes).
    pub text: String,
    pub expires: Time,
}

/// Reads a PEM public key ("BEGIN PUBLIC KEY"), answering its algorithm and DER form.
pub(crate) fn parse_public_key(pem: &str) -> Result<(KeyAlgorithm, Vec<u8>), CoreError> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    use p256::pkcs8::EncodePublicKey;
    let bad = || {
        CoreError::invalid(
            "public_key",
            "must be an Ed25519 or P-256 public key in PEM form (-----BEGIN PUBLIC KEY-----)",
        )
    };
    if pem.len() > 4096 {
        return Err(bad());
    }
    if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim()) {
        let der = ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_der(&k).map_err(|_| bad())?;
        return Ok((KeyAlgorithm::Ed25519, der.as_bytes().to_vec()));
    }
    if let Ok(k) = p256::PublicKey::from_public_key_pem(pem.trim()) {
        let der = k.to_public_key_der().map_err(|_| bad())?;
        return Ok((KeyAlgorithm::ES256, der.as_bytes().to_vec()));
    }
    Err(bad())
}

/// Whether `signature` is the key's signature of `message`.
fn verify(algorithm: KeyAlgorithm, der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    match algorithm {
        KeyAlgorithm::Ed25519 => {
            let (Ok(key), Ok(sig)) = (
                ed25519_dalek::VerifyingKey::from_public_key_der(der),
                ed25519_dalek::Signature::from_slice(signature),
            ) else {
                return false;
            };
            key.verify_strict(message, &sig).is_ok()
        }
        KeyAlgorithm::ES256 => {
            use p256::ecdsa::signature::Verifier;
            let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) else { return false };
            let sig = if signature.len() == 64 {
                p256::ecdsa::Signature::from_slice(signature)
            } else {
                p256::ecdsa::Signature::from_der(signature)
            };
            sig.is_ok_and(|s| key.verify(message, &s).is_ok())
        }
    }
}

impl Directory {
    /// A user's device credentials, revoked ones included.
    pub async fn devices(&self, caller: &Caller, user_id: Uuid) -> Result<Vec<DeviceCredential>, CoreError> {
        self.user(caller, user_id).await?;
        Ok(self.store.device_credentials(caller.tenant_id, user_id).await?)
    }

    /// The signed-in user's device credentials (NotFound for callers that are no user).
    pub async fn my_devices(&self, caller: &Caller) -> Result<Vec<DeviceCredential>, CoreError> {
        self.devices(caller, self.me(caller).await?.id).await
    }

    /// Revokes one of the signed-in user's device credentials.
    pub async fn revoke_my_device(&self, caller: &Caller, device: Uuid) -> Result<(), CoreError> {
        self.authorize(caller, Action::ChangeSelf(Permission::SelfService)).await?;
        self.end_device(caller, self.me(caller).await?.id, device).await
    }

    /// Revokes a device credential: it signs nobody in any more.
    pub async fn revoke_device(&self, caller: &Caller, user_id: Uuid, device: Uuid) -> Result<(), CoreError> {
        self.user(caller, user_id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, user_id)).await?;
        self.end_device(caller, user_id, device).await
    }

    async fn end_device(&self, caller: &Caller, user_id: Uuid, device: Uuid) -> Result<(), CoreError> {
        let user = self.user(caller, user_id).await?;
        let key = self.store.device_credential(caller.tenant_id, device).await?.filter(|d| d.user_id == user_id);
        let event = caller.event(
            EventType::CredentialChange,
            EventData::CredentialChange {
                user: (&user).into(),
                credential: "device",
                action: "REVOKE",
                device: key.as_ref().map(Into::into),
            },
        );
        Ok(self.store.revoke_device_credential(caller.tenant_id, user_id, device, model::now(), &event).await?)
    }

    /// A challenge for a device credential of a tenant to sign. Unknown and revoked credentials
    /// answer Unauthenticated.
    pub async fn device_challenge(
        &self,
        tenant: &str,
        credential: Uuid,
        request: &RequestMeta,
    ) -> Result<Challenge, CoreError> {
        self.throttle.admit(request, Some(&format!("{tenant}/device/{credential}")))?;
        if tenant.contains('\0') {
            return Err(CoreError::Unauthenticated);
        }
        let tenant = self.store.tenant_by_name(tenant).await?.ok_or(CoreError::Unauthenticated)?;
        let device = self.store.device_credential(tenant.id, credential).await?.ok_or(CoreError::Unauthenticated)?;
        if device.revoked.is_some() {
            return Err(CoreError::Unauthenticated);
        }
        let mut nonce = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let challenge = Challenge {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            credential_id: credential,
            text: format!("{CHALLENGE_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nonce)),
            expires: model::now() + chrono::Duration::seconds(CHALLENGE_TTL_SECONDS),
        };
        self.store.insert_challenge(&challenge).await?;
        Ok(challenge)
    }

    /// Signs in with a device: the challenge is used up whatever the outcome; a good signature by
    /// a live credential of a user who may sign in opens a session, as a password sign-in does.
    pub async fn device_sign_in(
        &self,
        challenge: Uuid,
        signature: &str,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        self.throttle.admit(request, None)?;
        let now = model::now();
        let ch = self.store.take_challenge(challenge, now).await?.ok_or(CoreError::Unauthenticated)?;
        let device =
            self.store.device_credential(ch.tenant_id, ch.credential_id).await?.ok_or(CoreError::Unauthenticated)?;
        let user = self.store.user(ch.tenant_id, device.user_id).await?.ok_or(CoreError::Unauthenticated)?;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature.trim().trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(signature.trim()))
            .unwrap_or_default();
        let refusal = if device.revoked.is_some() {
            Some("the device credential is revoked")
        } else if !verify(device.algorithm, &device.public_key, ch.text.as_bytes(), &sig) {
            Some("bad signature")
        } else if user.locked_at(now) {
            Some("the account is locked")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let event = crate::sessions::sign_in_event(
                ch.tenant_id,
                request,
                EventActor::user(&user),
                Some(&user),
                &device.id.to_string(),
                "device",
                reason,
            );
            self.store.record_events(&[event]).await?;
            return Err(CoreError::Unauthenticated);
        }
        self.store.touch_device_credential(device.id, now).await?;
        let tenant = self.store.tenant_by_id(ch.tenant_id).await?.ok_or(CoreError::Unauthenticated)?;
        self.open_signed_in(&tenant.name, &user, "device", None, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_verify_and_reject() {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        use ed25519_dalek::Signer;
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let pem = sk.verifying_key().to_public_key_pem(Default::default()).unwrap_or_default();
        let (alg, der) = parse_public_key(&pem).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(alg, KeyAlgorithm::Ed25519);
        let sig = sk.sign(b"hello").to_bytes();
        assert!(verify(alg, &der, b"hello", &sig));
        assert!(!verify(alg, &der, b"hellp", &sig));

        let ek = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        let pem = p256::PublicKey::from(ek.verifying_key()).to_public_key_pem(Default::default()).unwrap_or_default();
        let (alg, der) = parse_public_key(&pem).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(alg, KeyAlgorithm::ES256);
        let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&ek, b"hello");
        assert!(verify(alg, &der, b"hello", &sig.to_bytes()), "raw r||s");
        assert!(verify(alg, &der, b"hello", sig.to_der().as_bytes()), "DER");
        assert!(!verify(alg, &der, b"other", &sig.to_bytes()));
        assert!(parse_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }
}
