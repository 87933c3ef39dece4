//! The josekit (OpenSSL) provider.

use josekit::jws::JwsVerifier as _;
use josekit::jws::alg::rsassa::{RsassaJwsAlgorithm, RsassaJwsVerifier};

use super::{CryptoProvider, RsaPublicNumbers, SignatureVerifier};
use crate::{Algorithm, KeyError};

/// Verifies with josekit over OpenSSL (cargo feature `josekit`, on by default).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct JosekitProvider;

impl JosekitProvider {
    /// The provider.
    pub const fn new() -> Self {
        Self
    }
}

impl CryptoProvider for JosekitProvider {
    fn name(&self) -> &'static str {
        "josekit"
    }

    fn rsa_verifier(
        &self,
        key: RsaPublicNumbers<'_>,
        alg: Algorithm,
    ) -> Result<Box<dyn SignatureVerifier>, KeyError> {
        let jose_alg = match alg {
            Algorithm::RS256 => RsassaJwsAlgorithm::Rs256,
            Algorithm::RS384 => RsassaJwsAlgorithm::Rs384,
            Algorithm::RS512 => RsassaJwsAlgorithm::Rs512,
        };
        let verifier = jose_alg
            .verifier_from_der(key.to_pkcs1_der()?)
            .map_err(|err| KeyError::invalid(format!("josekit refused the key: {err}")))?;
        Ok(Box::new(Verifier(verifier)))
    }
}

struct Verifier(RsassaJwsVerifier);

impl SignatureVerifier for Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        // josekit folds every OpenSSL verify failure (mismatch, s >= n, bad padding) into
        // InvalidSignature; all of those are "wrong signature". Anything else is the library.
        match self.0.verify(message, signature) {
            Ok(()) => Ok(true),
            Err(josekit::JoseError::InvalidSignature(_)) => Ok(false),
            Err(other) => Err(KeyError::Crypto {
                detail: other.to_string(),
            }),
        }
    }
}
