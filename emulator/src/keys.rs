//! The instance's RSA signing keys: generation, the process-wide key pool, JWKS export, signing,
//! rotation.
//!
//! RSA-2048 generation costs 0.1 to 1 s of CPU, so emulators do not generate a key each: by
//! default every emulator of a process signs with the same key material (pool entry 0), under its
//! own fresh `kid`, and that material is generated only when first needed (the first JWT minted,
//! the first JWKS served, the first public key asked for). Rotation takes the next pool entry the
//! emulator does not already use. An emulator built with
//! [`EmulatorBuilder::fresh_signing_key`](crate::EmulatorBuilder::fresh_signing_key) generates
//! its own keys instead, for tests that need keys no other emulator has.

use std::sync::{Arc, Mutex, OnceLock, PoisonError, TryLockError};

use josekit::jwk::KeyPair as _;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::alg::rsassa::RsassaJwsSigner;
use josekit::jws::{JwsSigner as _, RS256, RS384, RS512};
use serde_json::{Value, json};

use crate::error::EmulatorError;
use crate::ids;
use crate::tt::Algorithm;

/// One RSA-2048 key pair: its public parts and a signer for each RSASSA-PKCS1-v1_5 algorithm.
pub(crate) struct KeyMaterial {
    public_pem: String,
    n: String,
    e: String,
    rs256: RsassaJwsSigner,
    rs384: RsassaJwsSigner,
    rs512: RsassaJwsSigner,
}

impl std::fmt::Debug for KeyMaterial {
    // Never the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial").finish_non_exhaustive()
    }
}

fn crypto(e: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Crypto {
        detail: e.to_string(),
    }
}

impl KeyMaterial {
    /// A fresh RSA-2048 key pair (0.1 to 1 s of CPU).
    pub(crate) fn generate() -> Result<Arc<Self>, EmulatorError> {
        Self::from_pair(&RS256.generate_key_pair(2048).map_err(crypto)?)
    }

    /// From a PKCS#8 or PKCS#1 private key PEM (2048 bits or more).
    pub(crate) fn from_pem(pem: &str) -> Result<Arc<Self>, EmulatorError> {
        Self::from_pair(&RS256.key_pair_from_pem(pem.as_bytes()).map_err(crypto)?)
    }

    /// A fresh RSA-2048 private key as PKCS#8 PEM.
    pub(crate) fn generate_pem() -> Result<String, EmulatorError> {
        let pair = RS256.generate_key_pair(2048).map_err(crypto)?;
        String::from_utf8(pair.to_pem_private_key()).map_err(crypto)
    }

    fn from_pair(pair: &RsaKeyPair) -> Result<Arc<Self>, EmulatorError> {
        let der = pair.to_der_private_key();
        let public_pem = String::from_utf8(pair.to_pem_public_key()).map_err(crypto)?;
        let jwk = pair.to_jwk_public_key();
        let param = |name: &str| -> Result<String, EmulatorError> {
            jwk.parameter(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| crypto(format!("the public JWK has no {name}")))
        };
        Ok(Arc::new(Self {
            n: param("n")?,
            e: param("e")?,
            rs256: RS256.signer_from_der(&der).map_err(crypto)?,
            rs384: RS384.signer_from_der(&der).map_err(crypto)?,
            rs512: RS512.signer_from_der(&der).map_err(crypto)?,
            public_pem,
        }))
    }
}

/// The process-wide pool of generated key material. Entry 0 is every default emulator's first
/// key; later entries serve rotations. Generation happens under the lock, so concurrent
/// emulators wait for one generation instead of each running their own.
static POOL: Mutex<Vec<Arc<KeyMaterial>>> = Mutex::new(Vec::new());

/// Pool entry `index`, generating it (and any before it) if needed.
fn pooled(index: usize) -> Result<Arc<KeyMaterial>, EmulatorError> {
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    while pool.len() <= index {
        let material = KeyMaterial::generate()?;
        pool.push(material);
    }
    pool.get(index)
        .cloned()
        .ok_or_else(|| crypto("the key pool is inconsistent"))
}

/// Whether pool entry `index` exists already (no generation needed). Never waits: while a
/// generation holds the lock the answer is "not yet", so async callers do not stall a worker.
fn pooled_ready(index: usize) -> bool {
    match POOL.try_lock() {
        Ok(pool) => pool.len() > index,
        Err(TryLockError::Poisoned(p)) => p.into_inner().len() > index,
        Err(TryLockError::WouldBlock) => false,
    }
}

/// The key that signs [`MintSpec::foreign_key`](crate::MintSpec::foreign_key) tokens: generated
/// once per process, never in the pool, so never published by any emulator.
static FOREIGN: Mutex<Option<Arc<KeyMaterial>>> = Mutex::new(None);

fn foreign_material() -> Result<Arc<KeyMaterial>, EmulatorError> {
    let mut slot = FOREIGN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(m) = slot.as_ref() {
        return Ok(Arc::clone(m));
    }
    let m = KeyMaterial::generate()?;
    *slot = Some(Arc::clone(&m));
    Ok(m)
}

/// Where a key's material comes from.
#[derive(Debug)]
enum Source {
    /// Generated for this key or read from a PEM.
    Own(Arc<KeyMaterial>),
    /// Pool entry `n`, shared by the emulators of this process, resolved on first use.
    Pooled(usize),
    /// The process-wide foreign key.
    Foreign,
}

/// A signing key as one emulator publishes it: a `kid` and the key material.
pub(crate) struct SigningKey {
    kid: String,
    source: Source,
    resolved: OnceLock<Arc<KeyMaterial>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(kid: String, source: Source) -> Arc<Self> {
        let resolved = OnceLock::new();
        if let Source::Own(m) = &source {
            let _ = resolved.set(Arc::clone(m));
        }
        Arc::new(Self {
            kid,
            source,
            resolved,
        })
    }

    /// A freshly generated key with a fresh `ins_...` kid (0.1 to 1 s of CPU, now).
    pub(crate) fn generate() -> Result<Arc<Self>, EmulatorError> {
        Ok(Self::new(
            ids::instance_id(),
            Source::Own(KeyMaterial::generate()?),
        ))
    }

    /// A key from a PKCS#8 or PKCS#1 private key PEM (2048 bits or more), with a fresh kid.
    pub(crate) fn from_pem(pem: &str) -> Result<Arc<Self>, EmulatorError> {
        Ok(Self::new(
            ids::instance_id(),
            Source::Own(KeyMaterial::from_pem(pem)?),
        ))
    }

    /// The process's shared pool entry `index` under a fresh kid; no generation until first use.
    pub(crate) fn pooled(index: usize) -> Arc<Self> {
        Self::new(ids::instance_id(), Source::Pooled(index))
    }

    /// The process-wide foreign key under `kid` (a key no JWKS publishes).
    pub(crate) fn foreign(kid: &str) -> Arc<Self> {
        Self::new(kid.to_owned(), Source::Foreign)
    }

    /// The pool entry this key uses, if any.
    pub(crate) fn pool_index(&self) -> Option<usize> {
        match self.source {
            Source::Pooled(i) => Some(i),
            _ => None,
        }
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// Whether the key material is at hand (using the key will not generate one).
    pub(crate) fn is_ready(&self) -> bool {
        self.resolved.get().is_some()
            || match self.source {
                Source::Own(_) => true,
                Source::Pooled(i) => pooled_ready(i),
                Source::Foreign => match FOREIGN.try_lock() {
                    Ok(slot) => slot.is_some(),
                    Err(TryLockError::Poisoned(p)) => p.into_inner().is_some(),
                    Err(TryLockError::WouldBlock) => false,
                },
            }
    }

    /// The key material, generating the shared one on first use (this blocks: async code calls
    /// [`ensure_ready`] first).
    pub(crate) fn material(&self) -> Result<&KeyMaterial, EmulatorError> {
        if let Some(m) = self.resolved.get() {
            return Ok(m);
        }
        let m = match &self.source {
            Source::Own(m) => Arc::clone(m),
            Source::Pooled(i) => pooled(*i)?,
            Source::Foreign => foreign_material()?,
        };
        Ok(self.resolved.get_or_init(|| m))
    }

    /// Whether two keys sign with the same key material (same public key).
    #[cfg(test)]
    pub(crate) fn same_material(&self, other: &Self) -> Result<bool, EmulatorError> {
        Ok(std::ptr::eq(self.material()?, other.material()?))
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), what Clerk shows as the JWT public key.
    pub(crate) fn public_pem(&self) -> Result<&str, EmulatorError> {
        Ok(&self.material()?.public_pem)
    }

    /// The public JWK exactly as Clerk's JWKS lists it.
    pub(crate) fn public_jwk(&self) -> Result<Value, EmulatorError> {
        let m = self.material()?;
        Ok(json!({
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "n": m.n,
            "e": m.e,
        }))
    }

    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, EmulatorError> {
        let m = self.material()?;
        let signer = match alg {
            Algorithm::RS256 => &m.rs256,
            Algorithm::RS384 => &m.rs384,
            Algorithm::RS512 => &m.rs512,
        };
        signer.sign(message).map_err(crypto)
    }
}

/// Makes `keys` usable without blocking the async runtime: any material still to be generated
/// is generated on the blocking pool.
pub(crate) async fn ensure_ready(keys: Vec<Arc<SigningKey>>) -> Result<(), EmulatorError> {
    if keys.iter().all(|k| k.is_ready()) {
        return Ok(());
    }
    tokio::task::spawn_blocking(move || keys.iter().try_for_each(|k| k.material().map(|_| ())))
        .await
        .map_err(crypto)?
}

/// A fresh RSA-2048 private key PEM.
pub(crate) fn generate_pem() -> Result<String, EmulatorError> {
    KeyMaterial::generate_pem()
}

/// The instance's keys: `current` signs, `old` stay published until dropped.
#[derive(Debug)]
pub(crate) struct KeyRing {
    current: Arc<SigningKey>,
    old: Vec<Arc<SigningKey>>,
    /// The pool entry the next shared rotation takes: past every entry this ring ever used, so
    /// a dropped key never comes back under a new kid.
    next_pool: usize,
}

impl KeyRing {
    pub(crate) fn new(first: Arc<SigningKey>) -> Self {
        let next_pool = first.pool_index().map_or(1, |i| i.saturating_add(1));
        Self {
            current: first,
            old: Vec::new(),
            next_pool,
        }
    }

    pub(crate) fn current(&self) -> &Arc<SigningKey> {
        &self.current
    }

    pub(crate) fn rotate(&mut self, key: Arc<SigningKey>) {
        if let Some(i) = key.pool_index() {
            self.next_pool = self.next_pool.max(i.saturating_add(1));
        }
        let previous = std::mem::replace(&mut self.current, key);
        self.old.insert(0, previous);
    }

    pub(crate) fn drop_old(&mut self) {
        self.old.clear();
    }

    fn all(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        std::iter::once(&self.current).chain(self.old.iter())
    }

    /// Every published key, the current signer first.
    pub(crate) fn keys(&self) -> Vec<Arc<SigningKey>> {
        self.all().cloned().collect()
    }

    /// The pool entry of the next shared rotation: one this ring never used.
    pub(crate) fn next_pool_index(&self) -> usize {
        self.next_pool
    }

    pub(crate) fn kids(&self) -> Vec<String> {
        self.all().map(|k| k.kid.clone()).collect()
    }
}

/// The JWKS of `keys`, exactly as `GET /v1/jwks` serves it.
pub(crate) fn jwks_of(keys: &[Arc<SigningKey>]) -> Result<Value, EmulatorError> {
    let keys = keys
        .iter()
        .map(|k| k.public_jwk())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "keys": keys }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_public_key() {
        let pem = generate_pem().unwrap();
        let a = SigningKey::from_pem(&pem).unwrap();
        let b = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(a.public_pem().unwrap(), b.public_pem().unwrap());
        assert_ne!(a.kid(), b.kid());
        assert!(SigningKey::from_pem("not a pem").is_err());
    }

    #[test]
    fn pooled_keys_share_material_under_fresh_kids() {
        let a = SigningKey::pooled(0);
        let b = SigningKey::pooled(0);
        assert_ne!(a.kid(), b.kid());
        assert!(a.same_material(&b).unwrap());
        assert!(a.is_ready() && b.is_ready());
        assert_eq!(a.public_pem().unwrap(), b.public_pem().unwrap());
        let c = SigningKey::pooled(1);
        assert!(!a.same_material(&c).unwrap());
        let own = SigningKey::generate().unwrap();
        assert!(!own.same_material(&a).unwrap());
        let foreign = SigningKey::foreign("ins_x");
        assert!(!foreign.same_material(&a).unwrap());
        assert!(!foreign.same_material(&c).unwrap());
        assert!(
            foreign
                .same_material(&SigningKey::foreign("ins_y"))
                .unwrap()
        );
    }

    #[test]
    fn generates_publishes_and_rotates() {
        let k1 = SigningKey::pooled(0);
        assert!(k1.kid().starts_with("ins_"));
        assert!(
            k1.public_pem()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        assert_eq!(k1.public_jwk().unwrap()["e"], "AQAB");
        assert_eq!(k1.sign(Algorithm::RS256, b"x").unwrap().len(), 256);
        let mut ring = KeyRing::new(k1.clone());
        assert_eq!(ring.next_pool_index(), 1);
        let k2 = SigningKey::pooled(ring.next_pool_index());
        ring.rotate(k2.clone());
        assert_eq!(ring.current().kid(), k2.kid());
        assert_eq!(ring.kids(), vec![k2.kid().to_owned(), k1.kid().to_owned()]);
        assert_eq!(
            jwks_of(&ring.keys()).unwrap()["keys"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(ring.next_pool_index(), 2);
        ring.drop_old();
        assert_eq!(ring.kids(), vec![k2.kid().to_owned()]);
        // A dropped key's material never comes back under a new kid.
        assert_eq!(ring.next_pool_index(), 2);
        assert_eq!(
            KeyRing::new(SigningKey::generate().unwrap()).next_pool_index(),
            1
        );
    }
}
