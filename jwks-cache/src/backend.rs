//! The signature backends behind `VerifyingKey`. Private, so no backend type leaks into the API.

use josekit::jws::JwsVerifier as _;
use josekit::jws::alg::rsassa::{RsassaJwsAlgorithm, RsassaJwsVerifier};

use crate::{Algorithm, Backend, KeyError, der};

pub(crate) enum Verifier {
    Josekit(RsassaJwsVerifier),
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs(aws_lc_rs::signature::ParsedPublicKey),
}

impl Verifier {
    /// Builds the backend verifier once from validated, leading-zero-free numbers.
    pub(crate) fn new(
        backend: Backend,
        n: &[u8],
        e: &[u8],
        alg: Algorithm,
    ) -> Result<Self, KeyError> {
        match backend {
            Backend::Josekit => {
                let jose_alg = match alg {
                    Algorithm::RS256 => RsassaJwsAlgorithm::Rs256,
                    Algorithm::RS384 => RsassaJwsAlgorithm::Rs384,
                    Algorithm::RS512 => RsassaJwsAlgorithm::Rs512,
                };
                jose_alg
                    .verifier_from_der(der::encode_pkcs1(n, e))
                    .map(Self::Josekit)
                    .map_err(|err| KeyError::invalid(format!("josekit refused the key: {err}")))
            }
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => {
                use aws_lc_rs::signature;
                let params = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                };
                signature::RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(params)
                    .map(Self::AwsLcRs)
                    .map_err(|err| KeyError::invalid(format!("aws-lc-rs refused the key: {err}")))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::Josekit(_) => Backend::Josekit,
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs(_) => Backend::AwsLcRs,
        }
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        match self {
            // josekit folds every OpenSSL verify failure (mismatch, s >= n, bad padding) into
            // InvalidSignature; all of those are "wrong signature". Anything else is the backend.
            Self::Josekit(v) => match v.verify(message, signature) {
                Ok(()) => Ok(true),
                Err(josekit::JoseError::InvalidSignature(_)) => Ok(false),
                Err(other) => Err(KeyError::Crypto {
                    detail: other.to_string(),
                }),
            },
            // aws-lc-rs reports every failure as `Unspecified`, i.e. "not verified".
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs(k) => Ok(k.verify_sig(message, signature).is_ok()),
        }
    }
}
