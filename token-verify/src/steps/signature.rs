//! Step 4: the signature, checked over the signing input exactly as received.

use clerk_jwks_cache::VerifyingKey;
use clerk_token_types::Algorithm;

use crate::VerifyError;

/// Checks `signature` over `signing_input` (the raw `header.payload`) with `key`.
///
/// The key must be bound to the token's `alg`: one key, one algorithm (RFC 8725 §3.1). A key
/// bound to another algorithm, or a backend failure, is `@clerk/backend`'s "Error verifying JWT
/// signature. Error: ..." (`token-verification-failed`); a wrong signature is "JWT signature is
/// invalid." (`token-invalid-signature`).
pub fn check(
    key: &VerifyingKey,
    alg: Algorithm,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    if key.algorithm() != alg {
        return Err(VerifyError::SignatureFailed {
            token_type: None,
            detail: format!(
                "the key is bound to {}, and the token uses {}.",
                key.algorithm(),
                alg
            ),
        });
    }
    match key.verify(signing_input, signature) {
        Ok(true) => Ok(()),
        Ok(false) => Err(VerifyError::InvalidSignature { token_type: None }),
        Err(e) => Err(VerifyError::SignatureFailed {
            token_type: None,
            detail: e.to_string(),
        }),
    }
}
