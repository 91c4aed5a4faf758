//! Sealing secrets Roster must read back (directory bind passwords, shared secrets, signing
//! keys, queued message bodies): XChaCha20-Poly1305 under the server's secret key, bound to the
//! record the secret belongs to, with a ring of keys so the key can be rotated.
//!
//! A sealed value is `1 | key id (8) | nonce (24) | ciphertext and tag`. The key id (from a hash
//! of the key) lets a server with another key say so plainly instead of failing to decrypt.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use roster_core::connectors::Sealer;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;

/// One key of the ring.
struct Key {
    cipher: XChaCha20Poly1305,
    id: [u8; KEY_ID_LEN],
}

impl Key {
    fn from_bytes(key: &[u8; 32]) -> Key {
        let digest = Sha256::new().chain_update(b"roster secret key id").chain_update(key).finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Key { cipher: XChaCha20Poly1305::new(key.into()), id }
    }
}

/// How often an unknown key id may make a server reread its key file (another process may have
/// rotated the key).
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The server's secret keys: the first seals, every one opens what it sealed. The key file holds
/// one key per line, 64 hex digits each, the sealing one first; `roster secret-key rotate` puts a
/// new one first and re-seals everything, `prune` drops the others. A value sealed under a key
/// this process has not read yet makes it reread the file, so a rotation needs no restart.
pub struct SecretKey {
    keys: RwLock<Vec<Key>>,
    file: Option<PathBuf>,
    /// When sealing last reread the file (it does every RELOAD_INTERVAL, to seal with a new key).
    sealing_read: Mutex<Instant>,
    /// When an unknown key id last made opening reread it.
    unknown_read: Mutex<Instant>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &self.id()).finish_non_exhaustive()
    }
}

fn parse(path: &Path, text: &str) -> Result<Vec<[u8; 32]>, String> {
    let bad = || format!("{} must hold keys of 64 hex digits, one per line", path.display());
    let keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| hex::decode(l).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(bad))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(bad());
    }
    Ok(keys)
}

fn read_keys(path: &Path) -> Result<Vec<[u8; 32]>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(path, &text)
}

impl SecretKey {
    fn ring(keys: &[[u8; 32]], file: Option<PathBuf>) -> SecretKey {
        SecretKey {
            keys: RwLock::new(keys.iter().map(Key::from_bytes).collect()),
            file,
            sealing_read: Mutex::new(Instant::now()),
            // The first unknown key id may reread the file at once.
            unknown_read: Mutex::new(Instant::now().checked_sub(RELOAD_INTERVAL).unwrap_or_else(Instant::now)),
        }
    }

    pub fn from_bytes(key: &[u8; 32]) -> SecretKey {
        SecretKey::ring(&[*key], None)
    }

    pub fn generate() -> SecretKey {
        SecretKey::from_bytes(&XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Reads a key file: one key of 64 hex digits per line, the sealing one first.
    pub fn from_file(path: &Path) -> Result<SecretKey, String> {
        Ok(SecretKey::ring(&read_keys(path)?, Some(path.to_owned())))
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
        Ok(SecretKey::ring(&[key], Some(path.to_owned())))
    }

    /// Puts a new sealing key first in the key file (the others still open), and answers the
    /// ring as the file now is. The file is replaced whole, never left half written.
    pub fn rotate_file(path: &Path) -> Result<SecretKey, String> {
        let mut keys = read_keys(path)?;
        keys.insert(0, XChaCha20Poly1305::generate_key(&mut OsRng).into());
        rewrite(path, &keys)?;
        SecretKey::from_file(path)
    }

    /// Keeps only the sealing key in the key file (once nothing is sealed under the others).
    pub fn prune_file(path: &Path) -> Result<usize, String> {
        let keys = read_keys(path)?;
        rewrite(path, &keys[..1])?;
        Ok(keys.len() - 1)
    }

    /// A short hex id of the sealing key, for logs.
    pub fn id(&self) -> String {
        self.keys.read().map(|k| hex::encode(k[0].id)).unwrap_or_default()
    }

    /// The ids of the keys that only open, not seal.
    pub fn previous_ids(&self) -> Vec<String> {
        self.keys.read().map(|k| k[1..].iter().map(|k| hex::encode(k.id)).collect()).unwrap_or_default()
    }

    /// Rereads the key file, at most every RELOAD_INTERVAL by this timer; true when it read it.
    fn reload(&self, timer: &Mutex<Instant>) -> bool {
        let Some(path) = &self.file else { return false };
        let Ok(mut read) = timer.lock() else { return false };
        if read.elapsed() < RELOAD_INTERVAL {
            return false;
        }
        *read = Instant::now();
        match read_keys(path) {
            Ok(keys) => match self.keys.write() {
                Ok(mut ring) => {
                    *ring = keys.iter().map(Key::from_bytes).collect();
                    true
                }
                Err(_) => false,
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot reread the secret key file");
                false
            }
        }
    }

    fn open_with(&self, key_id: &[u8], nonce: &XNonce, body: &[u8], context: &[u8]) -> Option<Result<Vec<u8>, String>> {
        let ring = self.keys.read().ok()?;
        let key = ring.iter().find(|k| k.id == key_id)?;
        Some(
            key.cipher
                .decrypt(nonce, Payload { msg: body, aad: context })
                .map_err(|_| "the sealed value does not open with this key for this record".to_owned()),
        )
    }
}

/// Writes the key file anew: a sibling file (mode 0600) renamed over it.
fn rewrite(path: &Path, keys: &[[u8; 32]]) -> Result<(), String> {
    let text: Vec<String> = keys.iter().map(hex::encode).collect();
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    write_private(&partial, format!("{}\n", text.join("\n")).as_bytes())
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
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
        // A rotation elsewhere reaches this process within RELOAD_INTERVAL: it seals with the
        // new key from then on.
        self.reload(&self.sealing_read);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let Ok(ring) = self.keys.read() else { return Vec::new() };
        let key = &ring[0];
        // Encrypting into a Vec cannot fail for inputs this small.
        let sealed = key.cipher.encrypt(&nonce, Payload { msg: plain, aad: context }).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&key.id);
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
        let nonce = XNonce::from_slice(&sealed[1 + KEY_ID_LEN..header]);
        let body = &sealed[header..];
        if let Some(opened) = self.open_with(key_id, nonce, body, context) {
            return opened;
        }
        if self.reload(&self.unknown_read) {
            if let Some(opened) = self.open_with(key_id, nonce, body, context) {
                return opened;
            }
        }
        Err(format!(
            "sealed with secret key {} but this server has key {}; configure the same secret key file on every server",
            hex::encode(key_id),
            self.id()
        ))
    }

    fn sealed_by_current(&self, sealed: &[u8]) -> bool {
        let ring = self.keys.read();
        sealed.len() > KEY_ID_LEN && ring.is_ok_and(|r| sealed[1..1 + KEY_ID_LEN] == r[0].id)
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

    #[test]
    fn a_rotated_file_seals_with_the_new_key_and_opens_with_both_until_pruned() {
        let path = std::env::temp_dir().join(format!("roster-key-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let first = SecretKey::load_or_create(&path).unwrap();
        let old = first.seal(b"v", b"c");
        let ring = SecretKey::rotate_file(&path).unwrap();
        assert_eq!(ring.previous_ids(), [first.id()]);
        let new = ring.seal(b"v", b"c");
        assert!(ring.sealed_by_current(&new) && !ring.sealed_by_current(&old));
        assert_eq!(ring.open(&old, b"c").unwrap(), b"v");
        // The process that read only the first key rereads the file to open the new value.
        assert_eq!(first.open(&new, b"c").unwrap(), b"v");
        assert_eq!(SecretKey::prune_file(&path).unwrap(), 1);
        let pruned = SecretKey::from_file(&path).unwrap();
        assert!(pruned.open(&old, b"c").is_err() && pruned.open(&new, b"c").is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let _ = std::fs::remove_file(&path);
    }
}
