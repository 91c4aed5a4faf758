//! Re-sealing every stored secret under the sealing key, after `roster secret-key rotate` put a
//! new one first in the key file: bind passwords, shared secrets, signing keys and the bodies of
//! undelivered messages. Each value is replaced only if unchanged since it was read, so servers
//! writing meanwhile lose nothing; running it again finishes what an interrupted run left.

use crate::directory::Directory;
use crate::error::CoreError;
use crate::store::{SealedKind, SealedValue};
use uuid::Uuid;

/// What a re-sealing did, per kind: values re-sealed, already under the sealing key, and left
/// as they were (changed meanwhile, or not opening with any key; each is logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResealReport {
    pub resealed: u64,
    pub current: u64,
    pub left: u64,
}

/// A stored value's sealed bytes and the context they were sealed for.
struct Sealed {
    context: Vec<u8>,
    bytes: Vec<u8>,
}

/// The sealed part of a stored value (None: stored in the clear by an older version, which the
/// server seals on its own terms).
fn sealed_part(v: &SealedValue) -> Result<Option<Sealed>, String> {
    use base64::Engine;
    let id = || Uuid::parse_str(&v.record).map_err(|e| e.to_string());
    Ok(match v.kind {
        SealedKind::BindPassword => {
            Some(Sealed { context: crate::connectors::seal_context(v.tenant, id()?), bytes: v.value.clone() })
        }
        SealedKind::SecretValue => {
            Some(Sealed { context: crate::secrets::seal_context(v.tenant, id()?), bytes: v.value.clone() })
        }
        SealedKind::SigningKey if v.value.first() == Some(&0x30) => None,
        SealedKind::SigningKey => {
            Some(Sealed { context: crate::token::signing_key_context(&v.record), bytes: v.value.clone() })
        }
        SealedKind::OutboxText | SealedKind::OutboxHtml => {
            let part = if v.kind == SealedKind::OutboxText { "text" } else { "html" };
            let text = String::from_utf8_lossy(&v.value);
            match text.strip_prefix(crate::mail::SEALED_BODY) {
                None => None,
                Some(b64) => {
                    let bytes =
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64).map_err(|e| e.to_string())?;
                    Some(Sealed { context: crate::mail::body_context(id()?, part), bytes })
                }
            }
        }
    })
}

/// The value as stored once re-sealed.
fn stored(kind: SealedKind, sealed: Vec<u8>) -> Vec<u8> {
    use base64::Engine;
    match kind {
        SealedKind::OutboxText | SealedKind::OutboxHtml => {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed);
            format!("{}{b64}", crate::mail::SEALED_BODY).into_bytes()
        }
        _ => sealed,
    }
}

impl Directory {
    /// Re-seals every stored secret not sealed under the key that seals now.
    pub async fn reseal_all(&self) -> Result<ResealReport, CoreError> {
        let sealer = self.sealer()?;
        let mut report = ResealReport::default();
        for kind in SealedKind::ALL {
            for v in self.store.sealed_values(kind).await? {
                let Some(Sealed { context, bytes: sealed }) = sealed_part(&v).map_err(CoreError::Internal)? else {
                    continue;
                };
                if sealer.sealed_by_current(&sealed) {
                    report.current += 1;
                    continue;
                }
                let plain = match sealer.open(&sealed, &context) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(kind = ?kind, record = %v.record, error = %e, "a sealed value opens with no key of the key file");
                        report.left += 1;
                        continue;
                    }
                };
                let new = stored(kind, sealer.seal(&plain, &context));
                if self.store.replace_sealed(&v, &new).await? {
                    report.resealed += 1;
                } else {
                    // Written anew meanwhile, under the sealing key: nothing to do.
                    report.left += 1;
                }
            }
        }
        Ok(report)
    }
}
