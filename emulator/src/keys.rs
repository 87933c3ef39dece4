//! The instance's RSA signing keys: generation, JWKS export, signing, rotation.

use std::sync::Arc;

use josekit::jwk::KeyPair as _;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::alg::rsassa::RsassaJwsSigner;
use josekit::jws::{JwsSigner as _, RS256, RS384, RS512};
use serde_json::{Value, json};

use crate::error::EmulatorError;
use crate::ids;
use crate::tt::Algorithm;

/// One RSA-2048 key pair, with a signer for each RSASSA-PKCS1-v1_5 algorithm.
pub(crate) struct SigningKey {
    kid: String,
    public_pem: String,
    n: String,
    e: String,
    rs256: RsassaJwsSigner,
    rs384: RsassaJwsSigner,
    rs512: RsassaJwsSigner,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn crypto(e: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Crypto {
        detail: e.to_string(),
    }
}

impl SigningKey {
    /// A fresh key with a fresh `ins_...` kid (about 100 ms of CPU).
    pub(crate) fn generate() -> Result<Arc<Self>, EmulatorError> {
        Self::generate_with_kid(ids::instance_id())
    }

    pub(crate) fn generate_with_kid(kid: String) -> Result<Arc<Self>, EmulatorError> {
        Self::from_pair(&RS256.generate_key_pair(2048).map_err(crypto)?, kid)
    }

    /// A key from a PKCS#8 or PKCS#1 private key PEM (2048 bits or more), with a fresh kid.
    pub(crate) fn from_pem(pem: &str) -> Result<Arc<Self>, EmulatorError> {
        let pair = RS256.key_pair_from_pem(pem.as_bytes()).map_err(crypto)?;
        Self::from_pair(&pair, ids::instance_id())
    }

    /// A fresh RSA-2048 private key as PKCS#8 PEM.
    pub(crate) fn generate_pem() -> Result<String, EmulatorError> {
        let pair = RS256.generate_key_pair(2048).map_err(crypto)?;
        String::from_utf8(pair.to_pem_private_key()).map_err(crypto)
    }

    fn from_pair(pair: &RsaKeyPair, kid: String) -> Result<Arc<Self>, EmulatorError> {
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
            kid,
            public_pem,
        }))
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), what Clerk shows as the JWT public key.
    pub(crate) fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The public JWK exactly as Clerk's JWKS lists it.
    pub(crate) fn public_jwk(&self) -> Value {
        json!({
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "n": self.n,
            "e": self.e,
        })
    }

    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, EmulatorError> {
        let signer = match alg {
            Algorithm::RS256 => &self.rs256,
            Algorithm::RS384 => &self.rs384,
            Algorithm::RS512 => &self.rs512,
        };
        signer.sign(message).map_err(crypto)
    }
}

/// The instance's keys: `current` signs, `old` stay published until dropped.
#[derive(Debug)]
pub(crate) struct KeyRing {
    current: Arc<SigningKey>,
    old: Vec<Arc<SigningKey>>,
}

impl KeyRing {
    pub(crate) fn new(first: Arc<SigningKey>) -> Self {
        Self {
            current: first,
            old: Vec::new(),
        }
    }

    pub(crate) fn current(&self) -> &Arc<SigningKey> {
        &self.current
    }

    pub(crate) fn rotate(&mut self, key: Arc<SigningKey>) {
        let previous = std::mem::replace(&mut self.current, key);
        self.old.insert(0, previous);
    }

    pub(crate) fn drop_old(&mut self) {
        self.old.clear();
    }

    fn all(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        std::iter::once(&self.current).chain(self.old.iter())
    }

    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": self.all().map(|k| k.public_jwk()).collect::<Vec<_>>() })
    }

    pub(crate) fn kids(&self) -> Vec<String> {
        self.all().map(|k| k.kid.clone()).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_public_key() {
        let pem = SigningKey::generate_pem().unwrap();
        let a = SigningKey::from_pem(&pem).unwrap();
        let b = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(a.public_pem(), b.public_pem());
        assert_ne!(a.kid(), b.kid());
        assert!(SigningKey::from_pem("not a pem").is_err());
    }

    #[test]
    fn generates_publishes_and_rotates() {
        let k1 = SigningKey::generate().unwrap();
        assert!(k1.kid().starts_with("ins_"));
        assert!(k1.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(k1.public_jwk()["e"], "AQAB");
        assert_eq!(k1.sign(Algorithm::RS256, b"x").unwrap().len(), 256);
        let mut ring = KeyRing::new(k1.clone());
        let k2 = SigningKey::generate().unwrap();
        ring.rotate(k2.clone());
        assert_eq!(ring.current().kid(), k2.kid());
        assert_eq!(ring.kids(), vec![k2.kid().to_owned(), k1.kid().to_owned()]);
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 2);
        ring.drop_old();
        assert_eq!(ring.kids(), vec![k2.kid().to_owned()]);
    }
}
