//! The crypto provider seam: which library turns RSA public numbers into a signature verifier.
//!
//! In the spirit of rustls's `CryptoProvider`: the cache, the JWK filter, the RSA checks and the
//! verifier pipeline are the same whatever the provider; a provider only builds, once per key,
//! an object that checks RSASSA-PKCS1-v1_5 signatures. Two ship, each behind its own cargo
//! feature ([`JosekitProvider`], `josekit`, default; [`AwsLcRsProvider`], `aws-lc-rs`), and any
//! type implementing [`CryptoProvider`] can be passed instead.

use std::fmt;
use std::sync::Arc;

use crate::{Algorithm, KeyError};

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "josekit")]
mod josekit;

#[cfg(feature = "aws-lc-rs")]
pub use aws_lc::AwsLcRsProvider;
#[cfg(feature = "josekit")]
pub use josekit::JosekitProvider;

/// Builds signature verifiers for RSA public keys. Object safe: pass `Arc<dyn CryptoProvider>`
/// (or `&dyn CryptoProvider`) to the [`VerifyingKey`](crate::VerifyingKey) constructors and the
/// resolvers.
///
/// The key handed to [`CryptoProvider::rsa_verifier`] has already passed this crate's checks
/// (2048..=8192 bits, odd modulus, odd exponent in 3..2^32, no ROCA fingerprint), and
/// [`SignatureVerifier::verify`] is only called with a signature exactly as long as the modulus.
///
/// ```rust
/// use clerk_jwks_cache::{
///     Algorithm, CryptoProvider, KeyError, RsaPublicNumbers, SignatureVerifier, VerifyingKey,
/// };
///
/// /// A provider that refuses every key, e.g. to switch signature checks off in a kill switch.
/// #[derive(Debug)]
/// struct Refuse;
///
/// impl CryptoProvider for Refuse {
///     fn name(&self) -> &'static str {
///         "refuse"
///     }
///     fn rsa_verifier(
///         &self,
///         _key: RsaPublicNumbers<'_>,
///         alg: Algorithm,
///     ) -> Result<Box<dyn SignatureVerifier>, KeyError> {
///         Err(KeyError::InvalidKey { detail: format!("{} is switched off", alg.as_str()) })
///     }
/// }
///
/// let mut n = vec![0xC5u8; 256];
/// n[255] = 0x01;
/// let err = VerifyingKey::from_rsa_components_with(&n, &[1, 0, 1], Algorithm::RS256, &Refuse);
/// assert!(matches!(err, Err(KeyError::InvalidKey { .. })));
/// ```
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// A short name for logs and `Debug` output, e.g. `"josekit"`.
    fn name(&self) -> &'static str;

    /// Builds the verifier of RSASSA-PKCS1-v1_5 signatures with `alg`'s hash under `key`.
    /// Called once per key and algorithm when a key set is loaded, never per token.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] when the provider cannot use the key or the algorithm.
    fn rsa_verifier(
        &self,
        key: RsaPublicNumbers<'_>,
        alg: Algorithm,
    ) -> Result<Box<dyn SignatureVerifier>, KeyError>;
}

/// Checks signatures under one key and one algorithm; built by a [`CryptoProvider`].
pub trait SignatureVerifier: Send + Sync {
    /// `Ok(true)`: `signature` is valid over `message`. `Ok(false)`: it is not (any malformed or
    /// mismatched signature). `Err`: the library itself failed ([`KeyError::Crypto`]).
    ///
    /// # Errors
    /// [`KeyError::Crypto`] for a failure that is not "wrong signature".
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<bool, KeyError>;
}

/// The big-endian RSA modulus and public exponent of a key that passed this crate's checks,
/// without leading zero octets. Only this crate builds one.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct RsaPublicNumbers<'a> {
    n: &'a [u8],
    e: &'a [u8],
    bits: usize,
}

impl fmt::Debug for RsaPublicNumbers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPublicNumbers")
            .field("modulus_bits", &self.bits)
            .field("exponent", &self.e)
            .finish_non_exhaustive()
    }
}

impl<'a> RsaPublicNumbers<'a> {
    pub(crate) fn new(n: &'a [u8], e: &'a [u8], bits: usize) -> Self {
        Self { n, e, bits }
    }

    /// The modulus `n`, big-endian, no leading zeros.
    pub fn modulus(&self) -> &'a [u8] {
        self.n
    }

    /// The public exponent `e`, big-endian, no leading zeros.
    pub fn exponent(&self) -> &'a [u8] {
        self.e
    }

    /// The modulus size in bits (2048..=8192).
    pub fn modulus_bits(&self) -> usize {
        self.bits
    }

    /// The key as PKCS#1 `RSAPublicKey` DER, for libraries that take DER.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] if the DER encoder refuses the numbers (it does not for keys
    /// that passed the checks).
    pub fn to_pkcs1_der(&self) -> Result<Vec<u8>, KeyError> {
        crate::der::encode_pkcs1(self.n, self.e)
    }
}

/// The process default provider: [`JosekitProvider`] when the `josekit` feature is on, else
/// [`AwsLcRsProvider`] when `aws-lc-rs` is on.
///
/// The choice is made by cargo features, so it is the same everywhere in the process; nothing is
/// installed at run time.
///
/// # Errors
/// [`KeyError::NoCryptoProvider`] when neither feature is enabled. That is an error when a key or
/// resolver is built (the crate compiles without a provider), so a build without provider
/// features must pass its own provider to the `*_with` constructors.
///
/// ```rust
/// let provider = clerk_jwks_cache::default_provider()?;
/// assert!(["josekit", "aws-lc-rs"].contains(&provider.name()));
/// # Ok::<(), clerk_jwks_cache::KeyError>(())
/// ```
pub fn default_provider() -> Result<Arc<dyn CryptoProvider>, KeyError> {
    #[cfg(feature = "josekit")]
    {
        Ok(Arc::new(JosekitProvider::new()))
    }
    #[cfg(all(feature = "aws-lc-rs", not(feature = "josekit")))]
    {
        Ok(Arc::new(AwsLcRsProvider::new()))
    }
    #[cfg(not(any(feature = "josekit", feature = "aws-lc-rs")))]
    {
        Err(KeyError::NoCryptoProvider)
    }
}
