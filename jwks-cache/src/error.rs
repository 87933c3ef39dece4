//! The one error type of this crate.

use crate::{ErrorCode, Reason};
use clerk_token_types::action;

/// The kid-mismatch message of Clerk's JavaScript SDK (`@clerk/backend`, `tokens/keys.ts`). It
/// talks about a "session token" because that SDK shares it between sessions and machine tokens; it
/// is kept verbatim for parity.
const KID_MISMATCH_PREFIX: &str = "Unable to find a signing key in JWKS that matches the kid='";
const KID_MISMATCH_SUFFIX: &str = "' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.";

/// `@clerk/backend`'s message for a JWKS without keys.
pub const NO_SIGNING_KEYS_MESSAGE: &str =
    "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.";

/// The kid reported when a token has no `kid` header, as `@clerk/backend` prints it.
pub const MISSING_KID: &str = "undefined";

/// Why a key could not be had for a token.
///
/// `Display` is `@clerk/backend`'s message where it has one. Messages never contain key material,
/// secrets, or the list of kids an instance knows (those are instance ids).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No usable key has the token's `kid` (reason `jwk-kid-mismatch`). A token without a `kid`
    /// reports the kid `undefined`, like `@clerk/backend`.
    #[error("{KID_MISMATCH_PREFIX}{kid}{KID_MISMATCH_SUFFIX}")]
    KidMismatch {
        /// The kid the token asked for.
        kid: String,
    },
    /// The JWKS could not be loaded (reason `jwk-remote-failed-to-load`).
    #[error("{message}")]
    RemoteFailedToLoad {
        /// `@clerk/backend`'s message, e.g. `Error loading Clerk JWKS from <url> with code=503`.
        message: String,
    },
    /// The Backend API refused the instance secret key (reason `secret-key-invalid`).
    #[error("{message}")]
    SecretKeyInvalid {
        /// The Backend API's message.
        message: String,
    },
    /// No local key was configured (reason `jwk-local-missing`).
    #[error("Missing local JWK.")]
    LocalMissing,
    /// Two usable keys of one key set share the token's kid; guessing would be unsound.
    #[error(
        "The JWKS contains more than one signing key with kid='{kid}'; refusing to pick one. Contact support@clerk.com."
    )]
    AmbiguousKid {
        /// The duplicated kid.
        kid: String,
    },
    /// A key that cannot be used: bad PEM or JWK, wrong size, `use`, `key_ops`, `alg`, or a key
    /// bound to another algorithm than the token's. The verifier reports this as `@clerk/backend`'s
    /// "Error verifying JWT signature." failure.
    #[error("Unusable public key: {detail}")]
    InvalidKey {
        /// What is wrong, without key material.
        detail: String,
    },
    /// The crypto provider failed (this is not "wrong signature", which is `Ok(false)`).
    #[error("Signature backend failure: {detail}")]
    Crypto {
        /// The provider's message.
        detail: String,
    },
    /// No crypto provider: the crate was built without the `josekit` and `aws-lc-rs` features
    /// and no [`CryptoProvider`](crate::CryptoProvider) was passed. Reported when a key or
    /// resolver is built (or a remote resolver first loads keys), not at compile time.
    #[error(
        "No crypto provider to verify signatures: enable the `josekit` or `aws-lc-rs` feature, or pass a CryptoProvider."
    )]
    NoCryptoProvider,
}

impl KeyError {
    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Self::InvalidKey {
            detail: detail.into(),
        }
    }

    pub(crate) fn kid_mismatch(kid: Option<&str>) -> Self {
        Self::KidMismatch {
            kid: kid.unwrap_or(MISSING_KID).to_owned(),
        }
    }

    pub(crate) fn no_signing_keys() -> Self {
        Self::RemoteFailedToLoad {
            message: NO_SIGNING_KEYS_MESSAGE.to_owned(),
        }
    }

    /// The detailed reason in Clerk's vocabulary.
    ///
    /// ```rust
    /// use clerk_jwks_cache::KeyError;
    /// let e = KeyError::KidMismatch { kid: "ins_1".into() };
    /// assert_eq!(e.reason(), clerk_jwks_cache::Reason::JwkKidMismatch);
    /// ```
    pub fn reason(&self) -> Reason {
        match self {
            Self::KidMismatch { .. } => Reason::JwkKidMismatch,
            Self::RemoteFailedToLoad { .. } => Reason::JwkRemoteFailedToLoad,
            Self::SecretKeyInvalid { .. } => Reason::SecretKeyInvalid,
            Self::LocalMissing => Reason::JwkLocalMissing,
            Self::AmbiguousKid { .. } => Reason::JwkFailedToResolve,
            Self::InvalidKey { .. } | Self::Crypto { .. } | Self::NoCryptoProvider => {
                Reason::TokenVerificationFailed
            }
        }
    }

    /// What Clerk's JavaScript SDK tells the user to do about this error (its `action`), if
    /// anything.
    ///
    /// ```rust
    /// use clerk_jwks_cache::KeyError;
    /// assert_eq!(KeyError::LocalMissing.action(), Some("Set the CLERK_JWT_KEY environment variable."));
    /// assert_eq!(KeyError::Crypto { detail: "x".into() }.action(), None);
    /// ```
    pub fn action(&self) -> Option<&'static str> {
        match self {
            Self::KidMismatch { .. } => Some(action::VALIDATE_KEYS),
            Self::RemoteFailedToLoad { .. } | Self::SecretKeyInvalid { .. } => {
                Some(action::CONTACT_SUPPORT)
            }
            Self::LocalMissing | Self::AmbiguousKid { .. } => Some(action::SET_CLERK_JWT_KEY),
            Self::InvalidKey { .. } => Some(action::ENSURE_CLERK_JWT),
            Self::Crypto { .. } | Self::NoCryptoProvider => None,
        }
    }

    /// The coarse error code. The M2M verifier maps every key failure to
    /// `token-verification-failed` (as `@clerk/backend`'s `verifyM2MJwt` does); this is the code
    /// when the error stands alone.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SecretKeyInvalid { .. } => ErrorCode::SecretKeyInvalid,
            Self::Crypto { .. } | Self::NoCryptoProvider => ErrorCode::UnexpectedError,
            _ => ErrorCode::TokenVerificationFailed,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn kid_mismatch_message_is_the_reference_text() {
        let e = KeyError::kid_mismatch(Some("ins_abc"));
        assert_eq!(
            e.to_string(),
            "Unable to find a signing key in JWKS that matches the kid='ins_abc' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
        );
        assert_eq!(
            KeyError::kid_mismatch(None).to_string(),
            e.to_string().replace("ins_abc", "undefined")
        );
    }

    #[test]
    fn reasons_and_codes() {
        assert_eq!(KeyError::LocalMissing.to_string(), "Missing local JWK.");
        assert_eq!(KeyError::LocalMissing.reason(), Reason::JwkLocalMissing);
        assert_eq!(
            KeyError::no_signing_keys().reason(),
            Reason::JwkRemoteFailedToLoad
        );
        assert_eq!(
            KeyError::no_signing_keys().to_string(),
            NO_SIGNING_KEYS_MESSAGE
        );
        let s = KeyError::SecretKeyInvalid {
            message: "bad".into(),
        };
        assert_eq!(s.reason(), Reason::SecretKeyInvalid);
        assert_eq!(s.code(), ErrorCode::SecretKeyInvalid);
        assert_eq!(
            KeyError::invalid("x").code(),
            ErrorCode::TokenVerificationFailed
        );
        assert_eq!(
            KeyError::AmbiguousKid { kid: "k".into() }.reason(),
            Reason::JwkFailedToResolve
        );
        assert_eq!(
            KeyError::NoCryptoProvider.code(),
            ErrorCode::UnexpectedError
        );
        assert!(KeyError::NoCryptoProvider.to_string().contains("aws-lc-rs"));
    }
}
