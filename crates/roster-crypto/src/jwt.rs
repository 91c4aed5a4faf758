//! ES256 access tokens: keys kept in the store (so every process of a deployment signs and
//! verifies alike), their private halves sealed under the server's secret key, the newest
//! signs, all verify, and the public halves are published as JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::pkcs8::EncodePrivateKey;
use roster_core::connectors::Sealer;
use roster_core::model;
use roster_core::store::Store;
use roster_core::token::{AccessClaims, SigningKey, TokenService, TokenSettings};
use roster_core::CoreError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const ALGORITHM: &str = "ES256";
/// How often an unknown `kid` may make the service reread the keys (another process may have added one).
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// How long a process signs with the keys it read before rereading them, so a rotation made
/// elsewhere (`roster signing-key rotate`) reaches every process of a deployment.
const SIGNING_REFRESH: Duration = Duration::from_secs(300);

struct Keys {
    signing: Option<(String, EncodingKey)>,
    verifying: HashMap<String, DecodingKey>,
    jwks: serde_json::Value,
    loaded: Instant,
}

pub struct JwtService {
    store: Arc<dyn Store>,
    sealer: Arc<dyn Sealer>,
    settings: TokenSettings,
    keys: RwLock<Keys>,
}

impl std::fmt::Debug for JwtService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtService").field("issuer", &self.settings.issuer).finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("token keys: {e}"))
}

/// A stored private half that is PKCS#8 DER as it is (a key written before keys were sealed):
/// DER starts with a SEQUENCE tag, a sealed value with its format version.
fn is_plain_der(stored: &[u8]) -> bool {
    stored.first() == Some(&0x30)
}

/// The PKCS#8 DER of a stored key's private half.
fn private_der(key: &SigningKey, sealer: &dyn Sealer) -> Result<Vec<u8>, CoreError> {
    if is_plain_der(&key.private_key) {
        return Ok(key.private_key.clone());
    }
    sealer
        .open(&key.private_key, &roster_core::token::signing_key_context(&key.kid))
        .map_err(|e| internal(format!("key {}: {e}", key.kid)))
}

/// A new P-256 key: PKCS#8 DER of the private half sealed under `sealer`, and the public half
/// as a JWK.
pub fn generate_key(sealer: &dyn Sealer) -> Result<SigningKey, CoreError> {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = secret.to_pkcs8_der().map_err(internal)?;
    let point = p256::EncodedPoint::from(secret.public_key());
    let (Some(x), Some(y)) = (point.x(), point.y()) else { return Err(internal("public key has no coordinates")) };
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    // RFC 7638 thumbprint: the SHA-256 of the required members in lexicographic order.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let jwk =
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": ALGORITHM});
    let private_key = sealer.seal(der.as_bytes(), &roster_core::token::signing_key_context(&kid));
    Ok(SigningKey {
        kid,
        algorithm: ALGORITHM.into(),
        private_key,
        public_jwk: jwk,
        created: model::now(),
        retired: None,
    })
}

/// Makes a new signing key and retires the others (they still verify the tokens they signed).
/// Answers the new key's id. Running processes sign with it within five minutes.
pub async fn rotate(store: &dyn Store, sealer: &dyn Sealer) -> Result<String, CoreError> {
    let key = generate_key(sealer)?;
    store.insert_signing_key(&key).await?;
    store.retire_signing_keys(&key.kid, model::now()).await?;
    Ok(key.kid)
}

fn load(keys: &[SigningKey], sealer: &dyn Sealer) -> Result<Keys, CoreError> {
    let mut verifying = HashMap::new();
    let mut published = Vec::new();
    let mut signing = None;
    for k in keys.iter().filter(|k| k.algorithm == ALGORITHM) {
        let (Some(x), Some(y)) = (k.public_jwk["x"].as_str(), k.public_jwk["y"].as_str()) else { continue };
        verifying.insert(k.kid.clone(), DecodingKey::from_ec_components(x, y).map_err(internal)?);
        published.push(k.public_jwk.clone());
        // Keys come newest first: the newest live one signs.
        if signing.is_none() && k.retired.is_none() {
            signing = Some((k.kid.clone(), EncodingKey::from_ec_der(&private_der(k, sealer)?)));
        }
    }
    Ok(Keys { signing, verifying, jwks: serde_json::json!({ "keys": published }), loaded: Instant::now() })
}

impl JwtService {
    /// Loads the keys, making the first one when the store has none, and seals any private
    /// half still stored as it is.
    pub async fn start(
        store: Arc<dyn Store>,
        sealer: Arc<dyn Sealer>,
        settings: TokenSettings,
    ) -> Result<JwtService, CoreError> {
        let mut stored = store.signing_keys().await?;
        for key in stored.iter().filter(|k| is_plain_der(&k.private_key)) {
            let sealed = sealer.seal(&key.private_key, &roster_core::token::signing_key_context(&key.kid));
            store.reseal_signing_key(&key.kid, &sealed).await?;
        }
        if !stored.iter().any(|k| k.algorithm == ALGORITHM && k.retired.is_none()) {
            let key = generate_key(sealer.as_ref())?;
            store.insert_signing_key(&key).await?;
        }
        stored = store.signing_keys().await?;
        let keys = load(&stored, sealer.as_ref())?;
        Ok(JwtService { store, sealer, settings, keys: RwLock::new(keys) })
    }

    async fn reload(&self) -> Result<(), CoreError> {
        let fresh = load(&self.store.signing_keys().await?, self.sealer.as_ref())?;
        *self.keys.write().map_err(internal)? = fresh;
        Ok(())
    }

    fn decoding_key(&self, kid: &str) -> Result<(Option<DecodingKey>, bool), CoreError> {
        let keys = self.keys.read().map_err(internal)?;
        Ok((keys.verifying.get(kid).cloned(), keys.loaded.elapsed() >= RELOAD_INTERVAL))
    }
}

#[async_trait::async_trait]
impl TokenService for JwtService {
    async fn sign(&self, claims: &AccessClaims) -> Result<String, CoreError> {
        let stale = self.keys.read().map_err(internal)?.loaded.elapsed() >= SIGNING_REFRESH;
        if stale {
            self.reload().await?;
        }
        let keys = self.keys.read().map_err(internal)?;
        let (kid, key) = keys.signing.as_ref().ok_or_else(|| internal("no signing key"))?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, claims, key).map_err(internal)
    }

    async fn verify(&self, token: &str) -> Result<AccessClaims, CoreError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| CoreError::Unauthenticated)?;
        if header.alg != Algorithm::ES256 {
            return Err(CoreError::Unauthenticated);
        }
        let kid = header.kid.ok_or(CoreError::Unauthenticated)?;
        let key = match self.decoding_key(&kid)? {
            (Some(k), _) => k,
            (None, true) => {
                self.reload().await?;
                self.decoding_key(&kid)?.0.ok_or(CoreError::Unauthenticated)?
            }
            (None, false) => return Err(CoreError::Unauthenticated),
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|_| CoreError::Unauthenticated)
    }

    async fn jwks(&self) -> Result<serde_json::Value, CoreError> {
        Ok(self.keys.read().map_err(internal)?.jwks.clone())
    }
}
