//! [`VerifyError`]: why a token did not verify, in Clerk's vocabulary and with the message texts of
//! Clerk's JavaScript SDK (`@clerk/backend`: `verifyJwt`, `verifyM2MJwt`, `verifyOAuthJwt`,
//! `verifyToken`).

use clerk_jwks_cache::KeyError;
use clerk_token_types::{ErrorCode, JwtCategory, Reason, TokenType, action, format_utc};
use serde_json::Value;

use crate::js_json;

/// Why a token did not verify.
///
/// * [`code`](Self::code): the coarse code of `@clerk/backend`'s machine verifiers. Decode and
///   category failures are `token-invalid`; on the M2M and OAuth presets every other failure is
///   `token-verification-failed`.
/// * [`reason`](Self::reason): the detailed reason (`token-expired`, `jwk-kid-mismatch`, ...).
/// * `Display` / [`message`](Self::message): `@clerk/backend`'s message text where it has one.
///
/// Every variant records the token type of the preset that produced it (`None` when a pipeline
/// step was called on its own). No variant holds the raw token.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    /// Step 1: too large, not three parts, bad base64url or JSON.
    #[error("{source}")]
    Decode {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The decode error, whose text is `@clerk/backend`'s.
        #[source]
        source: clerk_token_types::Error,
    },
    /// Step 2: the `cat` header does not fit the preset ("Invalid M2M JWT category." or
    /// "Invalid session token category."). Checked before any key lookup.
    #[error("{message}")]
    InvalidCategory {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The category found.
        category: JwtCategory,
        /// `@clerk/backend`'s message.
        message: &'static str,
    },
    /// Step 2: `typ` is not one the preset allows.
    #[error("Invalid JWT type {}. Expected \"{}\".", js_json::string(.typ.as_deref()), .allowed.join(", "))]
    InvalidType {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The header's `typ`, if any.
        typ: Option<String>,
        /// The allowed values.
        allowed: &'static [&'static str],
    },
    /// Step 2: `alg` is not RS256, RS384 or RS512.
    #[error("Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.", js_json::string(.alg.as_deref()))]
    InvalidAlgorithm {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The header's `alg`, if any.
        alg: Option<String>,
    },
    /// Step 2 (our addition): the header has `crit`. This verifier understands no JWS extension,
    /// and RFC 7515 forbids an empty `crit`, so any `crit` is rejected.
    #[error("Invalid JWT header. It names critical extensions (crit) {}, and none is supported.", js_json::strings(.names))]
    CriticalHeader {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The names listed in `crit`.
        names: Vec<String>,
    },
    /// Step 2 (our addition): the header carries `jku`, `x5u`, `x5c` or `jwk`. Keys and key
    /// locations chosen by the token's author are never fetched or trusted.
    #[error(
        "Invalid JWT header. It carries \"{name}\", and keys or key locations inside a token are never trusted."
    )]
    EmbeddedKeyHeader {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The header member.
        name: &'static str,
    },
    /// Step 2 (our addition): `cty` is `JWT` (any case): a nested JWT, which is not supported.
    #[error("Invalid JWT content type (cty) {}. Nested JWTs are not supported.", js_json::string(Some(.cty)))]
    NestedJwt {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The header's `cty`.
        cty: String,
    },
    /// Step 3: no key could be had for the token's `kid` and `alg`.
    #[error("{source}")]
    Key {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The resolver's error, with its own reason (`jwk-kid-mismatch`, ...).
        #[source]
        source: KeyError,
    },
    /// Step 4: the signature could not be checked at all (a backend failure, or a key bound to
    /// another algorithm).
    #[error("Error verifying JWT signature. Error: {detail}")]
    SignatureFailed {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// What failed.
        detail: String,
    },
    /// Step 4: the signature is well formed but wrong.
    #[error("JWT signature is invalid.")]
    InvalidSignature {
        /// The preset's token type.
        token_type: Option<TokenType>,
    },
    /// Step 5: `sub` is missing or not a string.
    #[error("Subject claim (sub) is required and must be a string. Received {}.", js_json::value(.sub.as_ref()))]
    InvalidSubject {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found (`None`: missing).
        sub: Option<Value>,
    },
    /// Step 5, M2M preset: `sub` is a string that is not a machine id (`mch_...`).
    #[error("Invalid M2M JWT subject claim (sub) {}. Expected a machine ID starting with \"mch_\".", js_json::string(Some(.sub)))]
    SubjectNotMachine {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The subject found.
        sub: String,
    },
    /// Step 5: `aud` does not name any configured audience.
    #[error("{}", audience_message(.aud.as_ref(), .expected))]
    InvalidAudience {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found (`None`: missing).
        aud: Option<Value>,
        /// The configured audiences.
        expected: Vec<String>,
    },
    /// Step 5: `azp` is not one of the authorized parties.
    #[error("Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".", js_json::value(.azp.as_ref()), .expected.join(","))]
    InvalidAuthorizedParty {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found (`None`: missing).
        azp: Option<Value>,
        /// The configured authorized parties.
        expected: Vec<String>,
    },
    /// Step 5: `exp` is missing or not a number.
    #[error("Invalid JWT expiry date claim (exp) {}. Expected number.", js_json::value(.exp.as_ref()))]
    InvalidExpiry {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found (`None`: missing).
        exp: Option<Value>,
    },
    /// Step 5: the token has expired (`exp_ms <= now - skew`).
    #[error("JWT is expired. Expiry date: {}, Current date: {}.", format_utc(*.exp_ms), format_utc(*.now_ms))]
    Expired {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// `exp` in ms.
        exp_ms: i64,
        /// The time of the check, in ms.
        now_ms: i64,
    },
    /// Step 5: `nbf` is present and not a number.
    #[error("Invalid JWT not before date claim (nbf) {}. Expected number.", js_json::value(Some(.nbf)))]
    InvalidNotBefore {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found.
        nbf: Value,
    },
    /// Step 5: the token is not valid yet (`nbf_ms > now + skew`).
    #[error("JWT cannot be used prior to not before date claim (nbf). Not before date: {}; Current date: {};", format_utc(*.nbf_ms), format_utc(*.now_ms))]
    NotActiveYet {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// `nbf` in ms.
        nbf_ms: i64,
        /// The time of the check, in ms.
        now_ms: i64,
    },
    /// Step 5: `iat` is present and not a number.
    #[error("Invalid JWT issued at date claim (iat) {}. Expected number.", js_json::value(Some(.iat)))]
    InvalidIssuedAt {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found.
        iat: Value,
    },
    /// Step 5: the token was issued in the future (`iat_ms > now + skew`).
    #[error("JWT issued at date claim (iat) is in the future. Issued at date: {}; Current date: {};", format_utc(*.iat_ms), format_utc(*.now_ms))]
    IssuedInTheFuture {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// `iat` in ms.
        iat_ms: i64,
        /// The time of the check, in ms.
        now_ms: i64,
    },
    /// Step 5 (our addition, only with [`with_issuer`](crate::Verifier::with_issuer)): `iss` is
    /// not the configured issuer.
    #[error("Invalid JWT issuer claim (iss) {}. Expected \"{expected}\".", js_json::value(.iss.as_ref()))]
    InvalidIssuer {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The claim as found (`None`: missing).
        iss: Option<Value>,
        /// The configured issuer.
        expected: String,
    },
    /// Step 5 (our addition, only with
    /// [`with_expected_machine`](crate::Verifier::with_expected_machine)): the token is not
    /// scoped to this machine.
    #[error("The JWT is not scoped to machine {}: it is in neither the audience claim (aud) nor the scopes claim (scopes).", js_json::string(Some(.machine)))]
    MachineNotInScope {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The expected machine id.
        machine: String,
    },
    /// Step 6: the verified claims could not be mapped to the preset's output (for example a
    /// non-string `scopes`).
    #[error("{source}")]
    Mapping {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// What did not fit.
        #[source]
        source: clerk_token_types::Error,
    },
    /// A user [`Check`](crate::Check) rejected the token.
    #[error("{message}")]
    Custom {
        /// The preset's token type.
        token_type: Option<TokenType>,
        /// The reason given by the check.
        reason: Reason,
        /// The message given by the check.
        message: String,
    },
}

fn audience_message(aud: Option<&Value>, expected: &[String]) -> String {
    let array = if matches!(aud, Some(Value::Array(_))) {
        " array"
    } else {
        ""
    };
    format!(
        "Invalid JWT audience claim{array} (aud) {}. Is not included in \"{}\".",
        js_json::value(aud),
        js_json::strings(expected)
    )
}

/// The `token_type` field of any variant, by reference (`&` or `&mut`, following `$e`): one list
/// of the variants for both the getter and the setter.
macro_rules! token_type_of {
    ($e:expr) => {
        match $e {
            VerifyError::Decode { token_type, .. }
            | VerifyError::InvalidCategory { token_type, .. }
            | VerifyError::InvalidType { token_type, .. }
            | VerifyError::InvalidAlgorithm { token_type, .. }
            | VerifyError::CriticalHeader { token_type, .. }
            | VerifyError::EmbeddedKeyHeader { token_type, .. }
            | VerifyError::NestedJwt { token_type, .. }
            | VerifyError::Key { token_type, .. }
            | VerifyError::SignatureFailed { token_type, .. }
            | VerifyError::InvalidSignature { token_type }
            | VerifyError::InvalidSubject { token_type, .. }
            | VerifyError::SubjectNotMachine { token_type, .. }
            | VerifyError::InvalidAudience { token_type, .. }
            | VerifyError::InvalidAuthorizedParty { token_type, .. }
            | VerifyError::InvalidExpiry { token_type, .. }
            | VerifyError::Expired { token_type, .. }
            | VerifyError::InvalidNotBefore { token_type, .. }
            | VerifyError::NotActiveYet { token_type, .. }
            | VerifyError::InvalidIssuedAt { token_type, .. }
            | VerifyError::IssuedInTheFuture { token_type, .. }
            | VerifyError::InvalidIssuer { token_type, .. }
            | VerifyError::MachineNotInScope { token_type, .. }
            | VerifyError::Mapping { token_type, .. }
            | VerifyError::Custom { token_type, .. } => token_type,
        }
    };
}

impl VerifyError {
    /// An error for a user [`Check`](crate::Check).
    ///
    /// ```rust
    /// use clerk_token_verify::{ErrorCode, Reason, VerifyError};
    /// let e = VerifyError::custom(Reason::TokenVerificationFailed, "Missing org_id claim.");
    /// assert_eq!(e.to_string(), "Missing org_id claim.");
    /// assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    /// assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    /// ```
    pub fn custom(reason: Reason, message: impl Into<String>) -> Self {
        Self::Custom {
            token_type: None,
            reason,
            message: message.into(),
        }
    }

    /// The token type of the preset that failed (`None` for a step called on its own).
    ///
    /// ```rust
    /// use clerk_token_verify::VerifyError;
    /// assert_eq!(VerifyError::custom(clerk_token_verify::Reason::TokenInvalid, "x").token_type(), None);
    /// ```
    pub fn token_type(&self) -> Option<TokenType> {
        *token_type_of!(self)
    }

    /// Sets the token type if none is set yet (the verifier stamps its preset's type).
    pub(crate) fn with_token_type(mut self, t: TokenType) -> Self {
        token_type_of!(&mut self).get_or_insert(t);
        self
    }

    /// The detailed reason.
    ///
    /// ```rust
    /// use clerk_token_verify::{Reason, VerifyError};
    /// let e = VerifyError::InvalidSignature { token_type: None };
    /// assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    /// assert_eq!(e.to_string(), "JWT signature is invalid.");
    /// ```
    pub fn reason(&self) -> Reason {
        match self {
            Self::Decode { source, .. } | Self::Mapping { source, .. } => source.reason(),
            Self::InvalidCategory { .. }
            | Self::InvalidType { .. }
            | Self::CriticalHeader { .. }
            | Self::EmbeddedKeyHeader { .. }
            | Self::NestedJwt { .. } => Reason::TokenInvalid,
            Self::InvalidAlgorithm { .. } => Reason::TokenInvalidAlgorithm,
            Self::Key { source, .. } => source.reason(),
            Self::InvalidSignature { .. } => Reason::TokenInvalidSignature,
            Self::InvalidAuthorizedParty { .. } => Reason::TokenInvalidAuthorizedParties,
            Self::Expired { .. } => Reason::TokenExpired,
            Self::NotActiveYet { .. } => Reason::TokenNotActiveYet,
            Self::IssuedInTheFuture { .. } => Reason::TokenIatInTheFuture,
            Self::SignatureFailed { .. }
            | Self::InvalidSubject { .. }
            | Self::SubjectNotMachine { .. }
            | Self::InvalidAudience { .. }
            | Self::InvalidExpiry { .. }
            | Self::InvalidNotBefore { .. }
            | Self::InvalidIssuedAt { .. }
            | Self::InvalidIssuer { .. }
            | Self::MachineNotInScope { .. } => Reason::TokenVerificationFailed,
            Self::Custom { reason, .. } => *reason,
        }
    }

    /// The coarse code, as `@clerk/backend`'s machine verifiers give it: `token-invalid` for
    /// decode and category failures; on the M2M and OAuth presets `token-verification-failed`
    /// for everything else. Without a machine token type (the session preset, or a step on its
    /// own) the code follows the reason: `token-invalid` stays `token-invalid`, a key error keeps
    /// its own code.
    ///
    /// ```rust
    /// use clerk_token_verify::{ErrorCode, VerifyError};
    /// let e = VerifyError::InvalidType { token_type: None, typ: None, allowed: &["at+jwt"] };
    /// assert_eq!(e.code(), ErrorCode::TokenInvalid);
    /// assert_eq!(e.to_string(), "Invalid JWT type undefined. Expected \"at+jwt\".");
    /// ```
    pub fn code(&self) -> ErrorCode {
        if matches!(self, Self::Decode { .. } | Self::InvalidCategory { .. }) {
            return ErrorCode::TokenInvalid;
        }
        if self.token_type().is_some_and(TokenType::is_machine) {
            return ErrorCode::TokenVerificationFailed;
        }
        if let Self::Key { source, .. } = self {
            return source.code();
        }
        match self.reason() {
            Reason::TokenInvalid => ErrorCode::TokenInvalid,
            Reason::SecretKeyInvalid => ErrorCode::SecretKeyInvalid,
            Reason::UnexpectedError => ErrorCode::UnexpectedError,
            _ => ErrorCode::TokenVerificationFailed,
        }
    }

    /// The message text (the same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// `@clerk/backend`'s action hint, where it gives one (e.g. "Make sure that this is a valid
    /// Clerk-generated JWT.").
    pub fn action(&self) -> Option<&'static str> {
        match self {
            Self::InvalidCategory { token_type, .. } => {
                (*token_type != Some(TokenType::M2MToken)).then_some(action::ENSURE_CLERK_JWT)
            }
            Self::InvalidType { .. }
            | Self::InvalidAlgorithm { .. }
            | Self::SignatureFailed { .. }
            | Self::InvalidSubject { .. }
            | Self::InvalidAudience { .. }
            | Self::InvalidExpiry { .. } => Some(action::ENSURE_CLERK_JWT),
            Self::Key { source, .. } => source.action(),
            _ => None,
        }
    }

    pub(crate) fn key(source: KeyError) -> Self {
        match source {
            // A key that cannot be used for the token (e.g. a PEM key, which is RS256 only, and an
            // RS384 token) is `@clerk/backend`'s key-import failure, where WebCrypto refuses a key
            // whose `alg` does not fit: "Error verifying JWT signature. Error: ...", as
            // `KeyError::InvalidKey` documents.
            KeyError::InvalidKey { .. } => Self::SignatureFailed {
                token_type: None,
                detail: source.to_string(),
            },
            source => Self::Key {
                token_type: None,
                source,
            },
        }
    }
}
