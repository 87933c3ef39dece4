//! The shared error vocabulary ([`ErrorCode`], [`Reason`], [`action`]) and this crate's [`Error`].

use std::fmt;

/// The coarse error code every crate reports, as Clerk's `MachineTokenVerificationError.code`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `token-invalid`: the token is malformed, of the wrong category, or unknown to Clerk.
    TokenInvalid,
    /// `token-verification-failed`: the token is well formed but did not verify.
    TokenVerificationFailed,
    /// `secret-key-invalid`: the secret key was rejected or is malformed.
    SecretKeyInvalid,
    /// `unexpected-error`: anything else (network, server errors, bugs).
    UnexpectedError,
}

impl ErrorCode {
    /// The wire text, e.g. `"token-invalid"`.
    ///
    /// ```rust
    /// assert_eq!(clerk_token_types::ErrorCode::TokenInvalid.as_str(), "token-invalid");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TokenInvalid => "token-invalid",
            Self::TokenVerificationFailed => "token-verification-failed",
            Self::SecretKeyInvalid => "secret-key-invalid",
            Self::UnexpectedError => "unexpected-error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The detailed reason, as Clerk's `TokenVerificationError.reason` (plus the request-level
/// `token-type-mismatch` and `unexpected-error`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `token-expired`
    TokenExpired,
    /// `token-invalid`
    TokenInvalid,
    /// `token-invalid-algorithm`
    TokenInvalidAlgorithm,
    /// `token-invalid-authorized-parties`
    TokenInvalidAuthorizedParties,
    /// `token-invalid-signature`
    TokenInvalidSignature,
    /// `token-not-active-yet`
    TokenNotActiveYet,
    /// `token-iat-in-the-future`
    TokenIatInTheFuture,
    /// `token-verification-failed`
    TokenVerificationFailed,
    /// `secret-key-invalid`
    SecretKeyInvalid,
    /// `jwk-local-missing`
    JwkLocalMissing,
    /// `jwk-remote-failed-to-load`
    JwkRemoteFailedToLoad,
    /// `jwk-failed-to-resolve`
    JwkFailedToResolve,
    /// `jwk-kid-mismatch`
    JwkKidMismatch,
    /// `token-type-mismatch`
    TokenTypeMismatch,
    /// `unexpected-error`
    UnexpectedError,
}

impl Reason {
    /// The wire text, e.g. `"token-expired"`.
    ///
    /// ```rust
    /// assert_eq!(clerk_token_types::Reason::JwkKidMismatch.as_str(), "jwk-kid-mismatch");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TokenExpired => "token-expired",
            Self::TokenInvalid => "token-invalid",
            Self::TokenInvalidAlgorithm => "token-invalid-algorithm",
            Self::TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
            Self::TokenInvalidSignature => "token-invalid-signature",
            Self::TokenNotActiveYet => "token-not-active-yet",
            Self::TokenIatInTheFuture => "token-iat-in-the-future",
            Self::TokenVerificationFailed => "token-verification-failed",
            Self::SecretKeyInvalid => "secret-key-invalid",
            Self::JwkLocalMissing => "jwk-local-missing",
            Self::JwkRemoteFailedToLoad => "jwk-remote-failed-to-load",
            Self::JwkFailedToResolve => "jwk-failed-to-resolve",
            Self::JwkKidMismatch => "jwk-kid-mismatch",
            Self::TokenTypeMismatch => "token-type-mismatch",
            Self::UnexpectedError => "unexpected-error",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `TokenVerificationErrorAction` texts of Clerk's JS SDK ([`errors.ts`](https://github.com/clerk/javascript/blob/main/packages/backend/src/errors.ts)).
pub mod action {
    /// `Contact support@clerk.com`
    pub const CONTACT_SUPPORT: &str = "Contact support@clerk.com";
    /// `Make sure that this is a valid Clerk-generated JWT.`
    pub const ENSURE_CLERK_JWT: &str = "Make sure that this is a valid Clerk-generated JWT.";
    /// `Set the CLERK_JWT_KEY environment variable.`
    pub const SET_CLERK_JWT_KEY: &str = "Set the CLERK_JWT_KEY environment variable.";
    /// `Set the CLERK_SECRET_KEY environment variable.`
    pub const SET_CLERK_SECRET_KEY: &str = "Set the CLERK_SECRET_KEY environment variable.";
    /// `Make sure your system clock is in sync (e.g. turn off and on automatic time synchronization).`
    pub const ENSURE_CLOCK_SYNC: &str = "Make sure your system clock is in sync (e.g. turn off and on automatic time synchronization).";
    /// The action of a `jwk-kid-mismatch`: the token's kid is not one of this instance's keys,
    /// which usually means a secret key or PEM key of another instance.
    pub const VALIDATE_KEYS: &str = "Go to your Dashboard and validate your secret and public keys are correct. Contact support@clerk.com if the issue persists.";
}

/// Which part of a compact JWS failed to decode.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// The protected header (first segment).
    Header,
    /// The payload (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// Everything that can go wrong in this crate: decoding a JWT, mapping claims to an
/// [`M2MToken`](crate::M2MToken), parsing a secret key or a token type.
///
/// Messages never contain the raw token or a secret key.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The token is longer than [`DecodeOptions::max_token_bytes`](crate::DecodeOptions).
    /// Checked before any other work.
    #[error("Invalid JWT form. The token is {len} bytes long, more than the limit of {max} bytes.")]
    TooLarge {
        /// Length of the rejected token in bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The token does not have exactly three dot-separated parts.
    #[error("Invalid JWT form. A JWT consists of three parts separated by dots.")]
    NotThreeParts,
    /// A segment is not canonical unpadded base64url, or the header/payload is not a JSON object of
    /// the expected shape (duplicate members, a non-string `alg`, ...). `detail` says which.
    #[error("Invalid JWT form. The header, payload, or signature could not be decoded.")]
    Undecodable {
        /// The segment that failed.
        segment: Segment,
        /// A short human explanation (never contains the token).
        detail: String,
    },
    /// A claim needed to build a typed token is missing or has the wrong JSON type.
    /// `message` follows the JS SDK's wording where it has one.
    #[error("{message}")]
    InvalidClaim {
        /// The claim name, e.g. `"iat"`.
        claim: &'static str,
        /// The full message.
        message: String,
    },
    /// A token's custom claims do not deserialize into the type asked for
    /// ([`M2MToken::claims_as`](crate::M2MToken::claims_as)).
    #[error("The token's custom claims do not have the expected shape: {detail}")]
    CustomClaims {
        /// serde's explanation (cut to 200 characters).
        detail: String,
    },
    /// A secret key is empty or not usable in an HTTP header.
    #[error("Invalid secret key: {detail}.")]
    InvalidSecretKey {
        /// Why (never contains the key).
        detail: &'static str,
    },
    /// A token type name is not one of `session_token`, `m2m_token`, `oauth_token`, `api_key`.
    #[error(
        "Unknown token type {value:?}. Expected one of: session_token, m2m_token, oauth_token, api_key."
    )]
    UnknownTokenType {
        /// The rejected text (cut to 64 characters).
        value: String,
    },
}

impl Error {
    /// The shared error code: `token-invalid` for decode errors, `token-verification-failed` for
    /// claim errors, `secret-key-invalid` for key errors.
    ///
    /// ```rust
    /// use clerk_token_types::{dangerous, ErrorCode};
    /// let err = dangerous::insecure_decode("not-a-jwt").unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::TokenInvalid);
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } | Self::NotThreeParts | Self::Undecodable { .. } => {
                ErrorCode::TokenInvalid
            }
            Self::InvalidClaim { .. } | Self::CustomClaims { .. } => {
                ErrorCode::TokenVerificationFailed
            }
            Self::InvalidSecretKey { .. } => ErrorCode::SecretKeyInvalid,
            Self::UnknownTokenType { .. } => ErrorCode::UnexpectedError,
        }
    }

    /// The detailed reason.
    ///
    /// ```rust
    /// use clerk_token_types::{dangerous, Reason};
    /// assert_eq!(dangerous::insecure_decode("a.b").unwrap_err().reason(), Reason::TokenInvalid);
    /// ```
    pub fn reason(&self) -> Reason {
        match self {
            Self::TooLarge { .. } | Self::NotThreeParts | Self::Undecodable { .. } => {
                Reason::TokenInvalid
            }
            Self::InvalidClaim { .. } | Self::CustomClaims { .. } => {
                Reason::TokenVerificationFailed
            }
            Self::InvalidSecretKey { .. } => Reason::SecretKeyInvalid,
            Self::UnknownTokenType { .. } => Reason::UnexpectedError,
        }
    }

    /// The decode detail (which check failed), for logs; `None` for other errors.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Undecodable { detail, .. } => Some(detail),
            _ => None,
        }
    }
}
