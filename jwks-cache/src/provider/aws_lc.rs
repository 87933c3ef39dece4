//! The aws-lc-rs provider.

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};

use super::{CryptoProvider, RsaPublicNumbers, SignatureVerifier};
use crate::{Algorithm, KeyError};

/// Verifies with aws-lc-rs (`RSA_PKCS1_2048_8192_SHA*`; cargo feature `aws-lc-rs`). The fastest
/// of the two shipped providers (see the `verify` bench of `clerk-token-verify`), and the
/// library reqwest's rustls already links.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct AwsLcRsProvider;

impl AwsLcRsProvider {
    /// The provider.
    pub const fn new() -> Self {
        Self
    }
}

impl CryptoProvider for AwsLcRsProvider {
    fn name(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn rsa_verifier(
        &self,
        key: RsaPublicNumbers<'_>,
        alg: Algorithm,
    ) -> Result<Box<dyn SignatureVerifier>, KeyError> {
        let params = match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        };
        RsaPublicKeyComponents {
            n: key.modulus(),
            e: key.exponent(),
        }
        .to_parsed_public_key(params)
        .map(|k| Box::new(Verifier(k)) as Box<dyn SignatureVerifier>)
        .map_err(|err| KeyError::invalid(format!("aws-lc-rs refused the key: {err}")))
    }
}

struct Verifier(ParsedPublicKey);

impl SignatureVerifier for Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        // aws-lc-rs reports every failure as `Unspecified`, i.e. "not verified".
        Ok(self.0.verify_sig(message, signature).is_ok())
    }
}
