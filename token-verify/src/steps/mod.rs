//! The pipeline, one small public function per step, in the order [`Verifier`](crate::Verifier)
//! runs them:
//!
//! 1. [`decode`]: size cap, then base64url and JSON (token-types).
//! 2. [`header::check`]: `cat` and `typ` per preset, the `alg` allow-list, and our own rules
//!    (`crit`, embedded keys, nested JWTs). No key has been looked up yet.
//! 3. [`key::resolve`]: the [`KeyResolver`](clerk_jwks_cache::KeyResolver), lock-free cache first.
//! 4. [`signature::check`]: RSASSA-PKCS1-v1_5 over the raw signing input.
//! 5. [`claims::check`]: `sub`, `aud`, `azp`, `exp`, `nbf`, `iat` (`@clerk/backend`'s order), then
//!    the optional `iss` and machine rules. Only ever after the signature holds.
//! 6. Mapping to the preset's output ([`Preset::map`](crate::Preset::map)).
//!
//! User [`Check`](crate::Check)s run after step 4, before or after step 5.
//! The functions are public so other tools (and the Wycheproof tests) can run one step alone.

pub mod claims;
pub mod header;
pub mod key;
pub mod signature;

use clerk_token_types::{DecodeOptions, Jwt};

use crate::VerifyError;

/// Step 1: decodes the compact token, rejecting it before any work when it is larger than
/// `opts.max_token_bytes`.
///
/// ```rust
/// use clerk_token_verify::{steps, Reason};
/// let err = steps::decode("whatever", &Default::default()).unwrap_err();
/// assert_eq!(err.reason(), Reason::TokenInvalid);
/// assert_eq!(err.to_string(), "Invalid JWT form. A JWT consists of three parts separated by dots.");
/// ```
#[inline]
pub fn decode(token: &str, opts: &DecodeOptions) -> Result<Jwt, VerifyError> {
    clerk_token_types::dangerous::insecure_decode_with(token, opts).map_err(|source| {
        VerifyError::Decode {
            token_type: None,
            source,
        }
    })
}
