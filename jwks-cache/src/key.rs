//! `VerifyingKey`: one RSA public key, bound to exactly one algorithm (RFC 8725 §3.1), with its
//! provider's verifier built once.

use std::fmt;

use crate::jwk::{Jwk, rsa_numbers_from_jwk};
use crate::provider::{CryptoProvider, RsaPublicNumbers, SignatureVerifier, default_provider};
use crate::rsa_checks::check_rsa_numbers;
use crate::{Algorithm, KeyError, der};

/// One RSA public key bound to one [`Algorithm`], ready to verify signatures.
///
/// Building one checks the key and has the [`CryptoProvider`] build its verifier; verifying does
/// neither, so keys are built when a key set is loaded, never per token.
///
/// The constructors without `_with` use [`default_provider`](crate::default_provider); with no
/// provider feature enabled they fail with [`KeyError::NoCryptoProvider`].
pub struct VerifyingKey {
    alg: Algorithm,
    kid: Option<String>,
    modulus_bits: usize,
    modulus_len: usize,
    provider: &'static str,
    verifier: Box<dyn SignatureVerifier>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("modulus_bits", &self.modulus_bits)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Builds a key from a JWK for one algorithm, applying the JWK filter: `kty` must be `RSA`,
    /// `use` (if present) `sig`, `key_ops` (if present) must contain `verify`, `alg` (if present)
    /// must equal `alg`, no private members, RSA 2048..=8192 bits with a sane exponent.
    ///
    /// ```rust
    /// use clerk_jwks_cache::{Algorithm, Jwk, KeyError, VerifyingKey};
    /// let jwk: Jwk = serde_json::from_str(r#"{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}"#)?;
    /// let err = VerifyingKey::from_jwk(&jwk, Algorithm::RS256).unwrap_err();
    /// assert!(matches!(err, KeyError::InvalidKey { .. }));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_jwk(jwk: &Jwk, alg: Algorithm) -> Result<Self, KeyError> {
        Self::from_jwk_with(jwk, alg, &*default_provider()?)
    }

    /// [`VerifyingKey::from_jwk`] with an explicit [`CryptoProvider`].
    pub fn from_jwk_with(
        jwk: &Jwk,
        alg: Algorithm,
        provider: &dyn CryptoProvider,
    ) -> Result<Self, KeyError> {
        let numbers = rsa_numbers_from_jwk(jwk, alg)?;
        let mut key = Self::from_rsa_components_with(&numbers.n, &numbers.e, alg, provider)?;
        key.kid.clone_from(&jwk.kid);
        Ok(key)
    }

    /// Builds an RS256 key from a PEM: SPKI (`BEGIN PUBLIC KEY`), PKCS#1
    /// (`BEGIN RSA PUBLIC KEY`), or the bare base64 body Clerk's dashboard shows. Literal `\n`
    /// escapes are read as newlines. Blank input is [`KeyError::LocalMissing`].
    ///
    /// ```rust
    /// use clerk_jwks_cache::{KeyError, VerifyingKey};
    /// assert_eq!(VerifyingKey::from_pem("").unwrap_err(), KeyError::LocalMissing);
    /// assert!(matches!(VerifyingKey::from_pem("not a key"), Err(KeyError::InvalidKey { .. })));
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        // Parse first: a blank or malformed PEM says so even in a build without a provider.
        let numbers = der::parse_pem(pem)?;
        Self::from_rsa_components_with(
            &numbers.n,
            &numbers.e,
            Algorithm::RS256,
            &*default_provider()?,
        )
    }

    /// [`VerifyingKey::from_pem`] with an explicit [`CryptoProvider`].
    pub fn from_pem_with(pem: &str, provider: &dyn CryptoProvider) -> Result<Self, KeyError> {
        let numbers = der::parse_pem(pem)?;
        Self::from_rsa_components_with(&numbers.n, &numbers.e, Algorithm::RS256, provider)
    }

    /// Builds a key from the big-endian RSA modulus and exponent.
    ///
    /// ```rust
    /// use clerk_jwks_cache::{Algorithm, VerifyingKey};
    /// // 1024-bit keys are refused.
    /// let n = [0xC3u8; 128];
    /// assert!(VerifyingKey::from_rsa_components(&n, &[1, 0, 1], Algorithm::RS256).is_err());
    /// ```
    pub fn from_rsa_components(n: &[u8], e: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        Self::from_rsa_components_with(n, e, alg, &*default_provider()?)
    }

    /// [`VerifyingKey::from_rsa_components`] with an explicit [`CryptoProvider`] (benches
    /// compare them).
    pub fn from_rsa_components_with(
        n: &[u8],
        e: &[u8],
        alg: Algorithm,
        provider: &dyn CryptoProvider,
    ) -> Result<Self, KeyError> {
        let modulus_bits = check_rsa_numbers(n, e)?;
        let n = der::strip_leading_zeros(n);
        let e = der::strip_leading_zeros(e);
        let verifier = provider.rsa_verifier(RsaPublicNumbers::new(n, e, modulus_bits), alg)?;
        Ok(Self {
            alg,
            kid: None,
            modulus_bits,
            modulus_len: n.len(),
            provider: provider.name(),
            verifier,
        })
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The JWK's `kid`, if the key came from a JWK that had one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The modulus size in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// The [`CryptoProvider::name`] of the provider that built this key's verifier.
    pub fn provider_name(&self) -> &'static str {
        self.provider
    }

    /// Verifies an RSASSA-PKCS1-v1_5 signature over `signing_input` (the raw `header.payload`).
    ///
    /// `Ok(true)`: valid. `Ok(false)`: a wrong signature, including one of the wrong length or
    /// not below the modulus (WebCrypto also answers `false` there). `Err`: the provider failed.
    ///
    /// ```rust
    /// # use clerk_jwks_cache::{Algorithm, VerifyingKey};
    /// # let mut n = vec![0xC5u8; 256]; n[255] = 0x01;
    /// let key = VerifyingKey::from_rsa_components(&n, &[1, 0, 1], Algorithm::RS256)?;
    /// assert_eq!(key.verify(b"h.p", &[0u8; 256])?, false);
    /// # Ok::<(), clerk_jwks_cache::KeyError>(())
    /// ```
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        // RFC 8017 §8.2.2 step 1: a signature of the wrong length is invalid.
        if signature.len() != self.modulus_len {
            return Ok(false);
        }
        self.verifier.verify(signing_input, signature)
    }
}
