//! Sealing secrets Roster must read back (directory bind passwords): XChaCha20-Poly1305 under
//! the server's secret key, bound to the record the secret belongs to.
//!
//! A sealed value is `1 | key id (8) | nonce (24) | ciphertext and tag`. The key id (from a hash
//! of the key) lets a server with another key say so plainly instead of failing to decrypt.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use roster_core::connectors::Sealer;
use sha2::{Digest, Sha256};
use std::path::Path;

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;

/// The server's secret key.
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
    id: [u8; KEY_ID_LEN],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &hex::encode(self.id)).finish_non_exhaustive()
    }
}

impl SecretKey {
    pub fn from_bytes(key: &[u8; 32]) -> SecretKey {
        let digest = Sha256::new().chain_update(b"roster secret key id").chain_update(key).finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        SecretKey { cipher: XChaCha20Poly1305::new(key.into()), id }
    }

    pub fn generate() -> SecretKey {
        SecretKey::from_bytes(&XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Reads a key file: 64 hex digits (white space around them is ignored).
    pub fn from_file(path: &Path) -> Result<SecretKey, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let bytes = hex::decode(text.trim()).map_err(|_| format!("{} must hold 64 hex digits", path.display()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| format!("{} must hold 64 hex digits", path.display()))?;
        Ok(SecretKey::from_bytes(&key))
    }

    /// Reads the key file, or makes one (mode 0600) when there is none.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, String> {
        if path.exists() {
            return SecretKey::from_file(path);
        }
        let key: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        write_private(path, hex::encode(key).as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        Ok(SecretKey::from_bytes(&key))
    }

    /// A short hex id of the key, for logs.
    pub fn id(&self) -> String {
        hex::encode(self.id)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

impl Sealer for SecretKey {
    fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encrypting into a Vec cannot fail for inputs this small.
        let sealed = self.cipher.encrypt(&nonce, Payload { msg: plain, aad: context }).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, String> {
        let header = 1 + KEY_ID_LEN + NONCE_LEN;
        if sealed.len() < header || sealed[0] != VERSION {
            return Err("the sealed value is not in a known format".into());
        }
        let key_id = &sealed[1..1 + KEY_ID_LEN];
        if key_id != self.id {
            return Err(format!(
                "sealed with secret key {} but this server has key {}; configure the same secret key file on every server",
                hex::encode(key_id),
                self.id()
            ));
        }
        let nonce = XNonce::from_slice(&sealed[1 + KEY_ID_LEN..header]);
        self.cipher
            .decrypt(nonce, Payload { msg: &sealed[header..], aad: context })
            .map_err(|_| "the sealed value does not open with this key for this record".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_for_its_record_and_key() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"bind secret", b"tenant-a/conn-1");
        assert!(!sealed.windows(11).any(|w| w == b"bind secret"), "the plain text must not appear");
        assert_eq!(key.open(&sealed, b"tenant-a/conn-1").unwrap(), b"bind secret");
        assert!(key.open(&sealed, b"tenant-b/conn-1").is_err(), "bound to its record");
        let other = SecretKey::generate();
        assert!(other.open(&sealed, b"tenant-a/conn-1").unwrap_err().contains("configure the same secret key"));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(&tampered, b"tenant-a/conn-1").is_err());
        assert_ne!(key.seal(b"x", b"c"), key.seal(b"x", b"c"), "a fresh nonce each time");
    }

    #[test]
    fn key_files_round_trip() {
        let dir = std::env::temp_dir().join(format!("roster-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("secret.key");
        let made = SecretKey::load_or_create(&path).unwrap();
        let read = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(made.id(), read.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(SecretKey::from_file(&path).unwrap_err().contains("64 hex digits"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
