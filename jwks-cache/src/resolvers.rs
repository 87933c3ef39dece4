//! The `KeyResolver` trait and the two resolvers that need no network: a configured PEM key and a
//! static JWKS document.

use std::sync::Arc;

use crate::key_set::KeySet;
use crate::{Algorithm, CryptoProvider, JwkSet, KeyError, VerifyingKey, default_provider};

/// Answers the verifier's one question: which key verifies a token with this `kid` and `alg`?
///
/// A token without a `kid` asks with `None`. JWKS resolvers never match it (`@clerk/backend` looks
/// up the string "undefined"; we refuse instead) and answer `jwk-kid-mismatch` for kid `undefined`.
#[async_trait::async_trait]
pub trait KeyResolver: Send + Sync {
    /// The key for `kid` and `alg`, fetching if the resolver needs to.
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError>;

    /// The lock-free, allocation-free fast path: the key if it can be had now without I/O.
    /// The verifier calls this first and falls back to [`KeyResolver::resolve`] on `None`.
    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        let _ = (kid, alg);
        None
    }
}

#[async_trait::async_trait]
impl<T: KeyResolver + ?Sized> KeyResolver for Arc<T> {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        (**self).resolve(kid, alg).await
    }
    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        (**self).resolve_cached(kid, alg)
    }
}

#[async_trait::async_trait]
impl<T: KeyResolver + ?Sized> KeyResolver for Box<T> {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        (**self).resolve(kid, alg).await
    }
    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        (**self).resolve_cached(kid, alg)
    }
}

/// A configured RSA public key (Clerk's `CLERK_JWT_KEY`): networkless verification.
///
/// The key is RS256 only, as in Clerk's JavaScript SDK, whose PEM-derived JWK is hard-coded RS256.
/// The token's `kid` is ignored entirely: any kid, or none, selects this key, and nothing is ever
/// cached by kid (a kid is attacker-controlled; `@clerk/backend` keeps no kid-keyed cache for a
/// PEM key either, a security fix, SDK-148).
#[derive(Debug, Clone)]
pub struct PemKeyResolver {
    key: Arc<VerifyingKey>,
}

impl PemKeyResolver {
    /// Parses SPKI PEM, PKCS#1 PEM or the bare base64 body, 2048..=8192 bits.
    /// Blank input is [`KeyError::LocalMissing`] ("Missing local JWK.").
    ///
    /// ```rust
    /// use clerk_jwks_cache::{KeyError, PemKeyResolver};
    /// assert_eq!(PemKeyResolver::new("").unwrap_err(), KeyError::LocalMissing);
    /// ```
    pub fn new(pem: &str) -> Result<Self, KeyError> {
        Ok(Self {
            key: Arc::new(VerifyingKey::from_pem(pem)?),
        })
    }

    /// [`PemKeyResolver::new`] with an explicit [`CryptoProvider`].
    pub fn with_provider(pem: &str, provider: &dyn CryptoProvider) -> Result<Self, KeyError> {
        Ok(Self {
            key: Arc::new(VerifyingKey::from_pem_with(pem, provider)?),
        })
    }

    /// The configured key.
    pub fn key(&self) -> &Arc<VerifyingKey> {
        &self.key
    }

    fn answer(&self, alg: Algorithm) -> Result<Arc<VerifyingKey>, KeyError> {
        if alg == self.key.algorithm() {
            Ok(Arc::clone(&self.key))
        } else {
            Err(KeyError::invalid(format!(
                "the configured PEM key (CLERK_JWT_KEY) verifies RS256 only, not {}",
                alg.as_str()
            )))
        }
    }
}

#[async_trait::async_trait]
impl KeyResolver for PemKeyResolver {
    async fn resolve(
        &self,
        _kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        self.answer(alg)
    }
    fn resolve_cached(&self, _kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.answer(alg).ok()
    }
}

/// Keys from a fixed JWKS document, built once.
#[derive(Debug)]
pub struct StaticJwksResolver {
    keys: KeySet,
}

impl StaticJwksResolver {
    /// Builds every usable key of the set (see the crate docs for the JWK filter). A set with no
    /// usable key is an error: it could never verify anything.
    ///
    /// ```rust
    /// use clerk_jwks_cache::{JwkSet, StaticJwksResolver};
    /// assert!(StaticJwksResolver::new(&JwkSet::default()).is_err());
    /// ```
    pub fn new(set: &JwkSet) -> Result<Self, KeyError> {
        Self::with_provider(set, &*default_provider()?)
    }

    /// [`StaticJwksResolver::new`] with an explicit [`CryptoProvider`].
    pub fn with_provider(set: &JwkSet, provider: &dyn CryptoProvider) -> Result<Self, KeyError> {
        let keys = KeySet::build(set, provider);
        if keys.is_empty() {
            return Err(KeyError::invalid(
                "the JWKS contains no usable RSA signing key",
            ));
        }
        Ok(Self { keys })
    }

    /// Parses a JWKS JSON document and builds its keys.
    ///
    /// ```rust
    /// use clerk_jwks_cache::StaticJwksResolver;
    /// assert!(StaticJwksResolver::from_json(r#"{"keys":[]}"#).is_err());
    /// ```
    pub fn from_json(s: &str) -> Result<Self, KeyError> {
        Self::new(&JwkSet::from_json(s)?)
    }
}

#[async_trait::async_trait]
impl KeyResolver for StaticJwksResolver {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        self.keys.resolve(kid, alg)
    }
    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.keys.get(kid, alg)
    }
}
