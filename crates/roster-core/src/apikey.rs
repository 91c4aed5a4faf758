//! API keys: generation, parsing and hashing of the bearer secrets that stand for a tenant's callers.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every generated key starts with this, so secret scanners can spot leaked keys.
pub const PREFIX: &str = "roster_";
/// Bounds on an operator-chosen key (ROSTER_BOOTSTRAP_API_KEY).
pub const MIN_LEN: usize = 32;
pub const MAX_LEN: usize = 263;

/// The shape of a generated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyFormat {
    /// 256 random bits in base64url: 50 characters with the prefix.
    #[default]
    Standard,
    /// 512 random bits in hex: 135 characters with the prefix, for clients that insist on keys
    /// of 128 characters or more (the BeyondInsight clients take 128 to 263).
    Long,
}

/// A new key: 256 random bits, base64url, behind the prefix.
pub fn generate() -> String {
    generate_as(KeyFormat::Standard)
}

pub fn generate_as(format: KeyFormat) -> String {
    use base64::Engine;
    match format {
        KeyFormat::Standard => {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
        }
        KeyFormat::Long => {
            let mut bytes = [0u8; 64];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            format!("{PREFIX}{}", hex::encode(bytes))
        }
    }
}

/// Keys carry at least 256 bits of entropy (or 32+ operator-chosen characters), so one SHA-256
/// suffices: a slow hash would add nothing but a per-request cost.
pub fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// Checks an operator-chosen key: 32 to 263 printable ASCII characters, no spaces.
pub fn check_chosen(key: &str) -> Result<(), String> {
    if !(MIN_LEN..=MAX_LEN).contains(&key.len()) {
        return Err(format!("an API key must be {MIN_LEN} to {MAX_LEN} characters long"));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("an API key must be printable ASCII without spaces".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_valid() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(check_chosen(&a).is_ok());
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert!(hashes_equal(&hash(&a), &hash(&a)));
        assert!(!hashes_equal(&hash(&a), &hash(&b)));
        let long = generate_as(KeyFormat::Long);
        assert!((128..=263).contains(&long.len()) && check_chosen(&long).is_ok(), "{}", long.len());
        assert_ne!(long, generate_as(KeyFormat::Long));
    }

    #[test]
    fn chosen_keys_are_bounded() {
        assert!(check_chosen(&"x".repeat(31)).is_err());
        assert!(check_chosen(&"x".repeat(264)).is_err());
        assert!(check_chosen(&format!("{} y", "x".repeat(40))).is_err());
        assert!(check_chosen(&"x".repeat(263)).is_ok());
    }
}
