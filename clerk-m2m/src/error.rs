//! The crate's one error type, [`Error`], speaking the shared [`ErrorCode`]/[`Reason`] vocabulary.

use clerk_backend_api::ApiError;
use clerk_jwks_cache::KeyError;
use clerk_token_types::{ErrorCode, Reason, TokenType};
use clerk_token_verify::VerifyError;

/// Everything that can go wrong in `clerk-m2m`: verification failures (with the token type they
/// were typed as, as in `@clerk/backend`'s `{tokenType, errors}` result), Backend API failures and
/// configuration mistakes.
///
/// `Display` is `@clerk/backend`'s message where it has one. No variant holds a secret key or a raw
/// token.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A JWT failed local verification (`@clerk/backend`'s `verifyM2MJwt` / `verifyOAuthJwt` /
    /// `verifyToken` errors).
    #[error("{source}")]
    Verify {
        /// The type the token was routed as.
        token_type: TokenType,
        /// The verifier's error.
        #[source]
        source: VerifyError,
    },
    /// A JWT-shaped token could not be decoded. Typed `m2m_token` by routing, as in
    /// `@clerk/backend`.
    #[error("{source}")]
    Decode {
        /// Always [`TokenType::M2MToken`] from [`MachineAuth::verify_machine_token`](crate::MachineAuth::verify_machine_token).
        token_type: TokenType,
        /// The decode error.
        #[source]
        source: clerk_token_types::Error,
    },
    /// A JWT that is neither an M2M JWT (`sub` `mch_…`) nor an OAuth JWT (`typ` `at+jwt`).
    #[error(
        "Invalid JWT type: {typ}. Expected one of: at+jwt, application/at+jwt for OAuth, or sub starting with 'mch_' for M2M"
    )]
    InvalidJwtType {
        /// The header `typ`, or `missing`.
        typ: String,
    },
    /// A token with no known machine prefix and not a machine JWT.
    #[error("Unknown machine token type")]
    UnknownTokenType,
    /// A token of another type was given where one type was expected.
    #[error("Expected a {expected} but got {}.", found.map_or("token of unknown type", TokenType::as_str))]
    TokenTypeMismatch {
        /// The expected type.
        expected: TokenType,
        /// The detected type, if any.
        found: Option<TokenType>,
    },
    /// The Backend API rejected (or failed) a token verification, mapped as `@clerk/backend`'s
    /// `handleClerkAPIError`: 401 `secret-key-invalid`, 404 `token-invalid`, anything else
    /// `unexpected-error`; a 200 answer for a revoked, expired or inactive token
    /// ([`ApiError::Inactive`]) is `token-invalid` too.
    #[error("{message}")]
    BackendVerify {
        /// The type the token was routed as.
        token_type: TokenType,
        /// The mapped code.
        code: ErrorCode,
        /// `@clerk/backend`'s message ("Machine token not found", "Unexpected error", ...).
        message: String,
        /// The HTTP status, when there was a response.
        status: Option<u16>,
        /// The underlying error.
        #[source]
        source: ApiError,
    },
    /// The Backend API answered 200 for an opaque M2M token that is revoked or expired.
    /// Stricter than `@clerk/backend`, which returns such a token as verified.
    #[error("Machine token is {state}.")]
    Inactive {
        /// `"revoked"` or `"expired"`.
        state: &'static str,
    },
    /// An opaque token that cannot be one Clerk issues (prefix, length, characters), refused by
    /// the opaque-token guard without a Backend API call. `Display` is `@clerk/backend`'s message
    /// for an unknown token, as the Backend API's 404 would have given.
    #[error("{}", not_found_message(*token_type))]
    MalformedToken {
        /// The type the token was routed as.
        token_type: TokenType,
    },
    /// The opaque-token guard refused a Backend API verify call: the cap on outstanding calls
    /// and its wait queue were full.
    #[error(
        "The Clerk Backend API is saturated: {max_concurrent} verify calls are outstanding and {max_queued} are waiting; try again shortly."
    )]
    Saturated {
        /// The type the token was routed as.
        token_type: TokenType,
        /// The configured cap on outstanding calls.
        max_concurrent: usize,
        /// The configured bound of the wait queue.
        max_queued: usize,
    },
    /// A Backend API verify call on the request path did not finish within the opaque-token
    /// guard's latency budget (a hanging or rate-limiting Backend API).
    #[error("The Clerk Backend API did not answer within the request budget of {} ms.", budget.as_millis())]
    BudgetExceeded {
        /// The type the token was routed as.
        token_type: TokenType,
        /// The budget.
        budget: std::time::Duration,
    },
    /// A Backend API call (create, list, revoke) failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A configured key (PEM) could not be used.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// No secret key was configured where one is needed.
    #[error("{message}")]
    MissingSecretKey {
        /// `@clerk/backend`'s message.
        message: &'static str,
    },
    /// A synchronous (local) verification was asked for a token that needs I/O: an opaque token
    /// (the Backend API decides), or a JWT whose key is not in memory yet (a cold JWKS, an
    /// unknown `kid`). Verify it with the `async` method instead, which warms the cache.
    #[error("The {token_type} needs {needs} to verify; use the async verification")]
    NotLocal {
        /// The token's type.
        token_type: TokenType,
        /// `"the Backend API"` or `"a JWKS fetch"`.
        needs: &'static str,
    },
    /// Any other configuration mistake.
    #[error("{message}")]
    Config {
        /// What is wrong (never contains a secret).
        message: String,
    },
}

/// `@clerk/backend`'s message for a token the Backend API does not know (its 404).
fn not_found_message(token_type: TokenType) -> &'static str {
    match token_type {
        TokenType::OAuthToken => "OAuth token not found",
        TokenType::ApiKey => "API key not found",
        _ => "Machine token not found",
    }
}

/// `@clerk/backend`'s message when neither a machine secret key nor a secret key is set.
pub(crate) const MACHINE_AUTH_REQUIRES_KEY: &str = "Machine token authentication requires either a Machine secret key or a Clerk secret key. Ensure a Clerk secret key or Machine secret key is set.";
/// `@clerk/backend`'s missing-secret-key message.
pub(crate) const MISSING_SECRET_KEY: &str = "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.";

impl Error {
    /// The shared error code.
    ///
    /// ```rust
    /// use clerk_m2m::{Error, ErrorCode};
    /// assert_eq!(Error::UnknownTokenType.code(), ErrorCode::TokenInvalid);
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Verify { source, .. } => source.code(),
            Self::Decode { .. }
            | Self::UnknownTokenType
            | Self::TokenTypeMismatch { .. }
            | Self::Inactive { .. }
            | Self::MalformedToken { .. } => ErrorCode::TokenInvalid,
            Self::Saturated { .. } | Self::BudgetExceeded { .. } => ErrorCode::UnexpectedError,
            Self::InvalidJwtType { .. } => ErrorCode::TokenVerificationFailed,
            Self::BackendVerify { code, .. } => *code,
            Self::Api(e) => e.code(),
            Self::Key(e) => e.code(),
            Self::MissingSecretKey { .. } => ErrorCode::SecretKeyInvalid,
            Self::NotLocal { .. } | Self::Config { .. } => ErrorCode::UnexpectedError,
        }
    }

    /// The detailed reason.
    ///
    /// ```rust
    /// use clerk_m2m::{Error, Reason, TokenType};
    /// let e = Error::TokenTypeMismatch { expected: TokenType::M2MToken, found: None };
    /// assert_eq!(e.reason(), Reason::TokenTypeMismatch);
    /// ```
    pub fn reason(&self) -> Reason {
        match self {
            Self::Verify { source, .. } => source.reason(),
            Self::Decode { .. } | Self::UnknownTokenType | Self::MalformedToken { .. } => {
                Reason::TokenInvalid
            }
            Self::Saturated { .. } | Self::BudgetExceeded { .. } => Reason::UnexpectedError,
            Self::TokenTypeMismatch { .. } => Reason::TokenTypeMismatch,
            Self::Inactive { state } if *state == "expired" => Reason::TokenExpired,
            Self::Inactive { .. } => Reason::TokenInvalid,
            Self::InvalidJwtType { .. } => Reason::TokenVerificationFailed,
            Self::BackendVerify { source, .. } => source.machine_token_reason(),
            Self::Api(e) => e.reason(),
            Self::Key(e) => e.reason(),
            Self::MissingSecretKey { .. } => Reason::SecretKeyInvalid,
            Self::NotLocal { .. } | Self::Config { .. } => Reason::UnexpectedError,
        }
    }

    /// The token type the failed token was routed as, as `@clerk/backend`'s `tokenType` in an error
    /// result; `None` when the token could not be typed (or the error is not about a token).
    ///
    /// ```rust
    /// use clerk_m2m::{Error, TokenType};
    /// assert_eq!(Error::InvalidJwtType { typ: "missing".into() }.token_type(), Some(TokenType::OAuthToken));
    /// assert_eq!(Error::UnknownTokenType.token_type(), None);
    /// ```
    pub fn token_type(&self) -> Option<TokenType> {
        match self {
            Self::Verify { token_type, .. }
            | Self::Decode { token_type, .. }
            | Self::BackendVerify { token_type, .. }
            | Self::MalformedToken { token_type }
            | Self::Saturated { token_type, .. }
            | Self::BudgetExceeded { token_type, .. } => Some(*token_type),
            Self::InvalidJwtType { .. } => Some(TokenType::OAuthToken),
            Self::Inactive { .. } => Some(TokenType::M2MToken),
            Self::NotLocal { token_type, .. } => Some(*token_type),
            Self::TokenTypeMismatch { found, .. } => *found,
            _ => None,
        }
    }

    /// The HTTP status of a Backend API failure.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::BackendVerify { status, .. } => *status,
            Self::Api(e) => e.status(),
            _ => None,
        }
    }

    /// `@clerk/backend`'s `getFullMessage()`: `"<message> (code=<code>, status=<status or n/a>)"`,
    /// used as the `x-clerk-auth-message` of a rejected request.
    ///
    /// ```rust
    /// use clerk_m2m::Error;
    /// assert_eq!(
    ///     Error::UnknownTokenType.full_message(),
    ///     "Unknown machine token type (code=token-invalid, status=n/a)"
    /// );
    /// ```
    pub fn full_message(&self) -> String {
        let status = self
            .status()
            .map_or_else(|| "n/a".to_owned(), |s| s.to_string());
        format!("{self} (code={}, status={status})", self.code())
    }

    /// True when the token itself was rejected (as opposed to a configuration, key or
    /// infrastructure failure): the CLI's exit code 1 versus 2.
    pub fn is_rejection(&self) -> bool {
        !matches!(
            self,
            Self::Config { .. }
                | Self::MissingSecretKey { .. }
                | Self::Key(_)
                | Self::NotLocal { .. }
        )
    }

    /// A JWT that is neither an M2M nor an OAuth JWT; its `typ` (attacker-controlled) bounded.
    pub(crate) fn invalid_jwt_type(jwt: &clerk_token_types::Jwt) -> Self {
        let typ = jwt.header().typ.as_deref().unwrap_or("missing");
        Self::InvalidJwtType {
            typ: typ.chars().take(64).collect(),
        }
    }

    /// Maps a Backend API failure of a verify call as `@clerk/backend`'s `handleClerkAPIError`.
    pub(crate) fn from_backend_verify(token_type: TokenType, source: ApiError) -> Self {
        Self::BackendVerify {
            token_type,
            code: source.machine_token_code(),
            message: source.machine_token_message(token_type),
            status: source.status(),
            source,
        }
    }
}
