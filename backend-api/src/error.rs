//! [`ApiError`], the one error type of this crate, and the Clerk error body it carries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use clerk_token_types::{ErrorCode, Reason, TokenType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The message when a call needs the instance secret key and none is configured: the one Clerk's
/// JavaScript SDK uses.
pub(crate) const MISSING_SECRET_KEY_MESSAGE: &str = "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.";

/// The Backend API error code for a rejected instance secret key.
pub(crate) const CLERK_KEY_INVALID: &str = "clerk_key_invalid";

/// One entry of a Clerk error body's `errors[]`.
///
/// Unknown members are ignored; `meta` is kept as it came (Clerk's JavaScript SDK renames a fixed
/// set of its keys to camelCase; here they stay in wire form, e.g. `param_name`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkApiError {
    /// The machine-readable code, e.g. `clerk_key_invalid`, `resource_not_found`.
    #[serde(default)]
    pub code: String,
    /// A short message.
    #[serde(default)]
    pub message: String,
    /// A longer explanation.
    #[serde(default)]
    pub long_message: Option<String>,
    /// Extra details, e.g. `{"param_name": "subject"}`.
    #[serde(default)]
    pub meta: Option<Map<String, Value>>,
}

impl ClerkApiError {
    /// An error entry with this code and message.
    ///
    /// ```rust
    /// let e = clerk_backend_api::ClerkApiError::new("clerk_key_invalid", "Invalid key");
    /// assert_eq!((e.code.as_str(), e.message.as_str()), ("clerk_key_invalid", "Invalid key"));
    /// ```
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            long_message: None,
            meta: None,
        }
    }
}

/// Why a Backend API call failed.
///
/// `Display` never contains a secret key or a token: request bodies are never echoed, and the
/// snippet of an unparseable response is bounded and only taken from error responses.
#[non_exhaustive]
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// The Backend API answered with a non-2xx status (and, usually, a Clerk error body).
    #[error("{}", api_message(*status, errors, clerk_trace_id.as_deref()))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The body's `errors[]`; empty when the body had none.
        errors: Vec<ClerkApiError>,
        /// From the body's `clerk_trace_id`, else the `Clerk-Trace-Id` header, else `CF-Ray`.
        clerk_trace_id: Option<String>,
        /// From the `Retry-After` header, in either form (delta-seconds, or an HTTP-date turned
        /// into the time left until it; a date in the past gives zero).
        retry_after: Option<Duration>,
    },
    /// The request could not be sent or its response not read (connection refused, reset, DNS,
    /// TLS, ...).
    #[error("Backend API request failed: {message}")]
    Network {
        /// What went wrong: the reqwest error and its causes, joined with `": "`. Never a
        /// secret: the key travels in a header, and reqwest's errors do not quote headers.
        message: String,
        /// The underlying error, also the [`source()`](std::error::Error::source) (in an `Arc`
        /// so that `ApiError` stays `Clone`: `source()` downcasts to `Arc<reqwest::Error>`).
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The Backend API answered 200 for a token that is revoked or expired, or (OAuth) with
    /// `{"active": false}`. Clerk's JavaScript SDK returns such a token as verified; this
    /// client refuses it. Maps to `token-invalid` (see [`machine_token_code`](Self::machine_token_code)).
    #[error("{}", inactive_message(*token_type, *state))]
    Inactive {
        /// The kind of token that was verified.
        token_type: TokenType,
        /// What the answer said.
        state: InactiveState,
    },
    /// One attempt took longer than the configured timeout.
    #[error("Backend API request timed out after {}ms", after.as_millis())]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The response could not be decoded (malformed JSON, an HTML error page, an unexpected
    /// shape).
    #[error("{}", decode_message(*status, message, snippet))]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// What did not decode. Quoted values of the parser's message are elided.
        message: String,
        /// At most 160 printable characters from the start of an **error** response body; empty
        /// for success responses, which may carry a token.
        snippet: String,
    },
    /// The response body was larger than the configured cap.
    #[error("Backend API response body exceeds the {limit}-byte limit (status {status})")]
    BodyTooLarge {
        /// The HTTP status of the response.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
    },
    /// An argument was rejected before any I/O; nothing was sent.
    #[error("Invalid {field}: {message}")]
    InvalidInput {
        /// The argument, e.g. `id`, `limit`.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The call needs a secret key and none is configured; nothing was sent.
    #[error("{MISSING_SECRET_KEY_MESSAGE}")]
    MissingSecretKey,
    /// The client could not be built (bad `api_url`, TLS initialisation, ...).
    #[error("Invalid Backend API client configuration: {message}")]
    Config {
        /// Why.
        message: String,
    },
}

fn api_message(status: u16, errors: &[ClerkApiError], trace: Option<&str>) -> String {
    let mut s = format!("Backend API error (status {status})");
    if let Some(e) = errors.first() {
        if !e.message.is_empty() {
            s.push_str(": ");
            s.push_str(&e.message);
        }
        if !e.code.is_empty() {
            s.push_str(" (code=");
            s.push_str(&e.code);
            s.push(')');
        }
    }
    if let Some(t) = trace.filter(|t| !t.is_empty()) {
        s.push_str(" [clerk_trace_id=");
        s.push_str(t);
        s.push(']');
    }
    s
}

fn decode_message(status: u16, message: &str, snippet: &str) -> String {
    if snippet.is_empty() {
        format!("Could not decode the Backend API response (status {status}): {message}")
    } else {
        format!(
            "Could not decode the Backend API response (status {status}): {message}; body starts with: {snippet}"
        )
    }
}

/// The token's name in messages: the words Clerk's JavaScript SDK uses in its 404 messages.
fn token_noun(token_type: TokenType) -> &'static str {
    match token_type {
        TokenType::OAuthToken => "OAuth token",
        TokenType::ApiKey => "API key",
        _ => "Machine token",
    }
}

/// The 404 message of a verify call, per token type, as Clerk's JavaScript SDK words it.
fn not_found_message(token_type: TokenType) -> String {
    format!("{} not found", token_noun(token_type))
}

/// `"<token> is revoked."`, `"… is expired."`, `"… is not active."`: the wording the facade
/// has always used for a revoked or expired M2M token, applied to every token type.
fn inactive_message(token_type: TokenType, state: InactiveState) -> String {
    format!("{} is {}.", token_noun(token_type), state.as_str())
}

/// Why a 200 verify answer was refused: see [`ApiError::Inactive`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InactiveState {
    /// `revoked: true`.
    Revoked,
    /// `expired: true`.
    Expired,
    /// `{"active": false}`, the OAuth verify endpoint's answer for a token that is not active.
    NotActive,
}

impl InactiveState {
    /// `"revoked"`, `"expired"` or `"not active"`.
    ///
    /// ```rust
    /// assert_eq!(clerk_backend_api::InactiveState::Expired.as_str(), "expired");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::NotActive => "not active",
        }
    }

    /// The state of a token resource's `revoked`/`expired` flags; revocation wins, as it
    /// cannot be undone.
    pub(crate) fn of(revoked: bool, expired: bool) -> Option<Self> {
        if revoked {
            Some(Self::Revoked)
        } else if expired {
            Some(Self::Expired)
        } else {
            None
        }
    }
}

impl fmt::Display for InactiveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }

    pub(crate) fn inactive(token_type: TokenType, state: InactiveState) -> Self {
        Self::Inactive { token_type, state }
    }

    /// The HTTP status, when a response was received.
    ///
    /// ```rust
    /// use clerk_backend_api::ApiError;
    /// assert_eq!(ApiError::MissingSecretKey.status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::Decode { status, .. }
            | Self::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error entries of a Clerk error body (empty for every other failure).
    ///
    /// ```rust
    /// assert!(clerk_backend_api::ApiError::MissingSecretKey.errors().is_empty());
    /// ```
    pub fn errors(&self) -> &[ClerkApiError] {
        match self {
            Self::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The `Retry-After` the server asked for, if any.
    ///
    /// ```rust
    /// assert_eq!(clerk_backend_api::ApiError::MissingSecretKey.retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether a Clerk error in the body has this code.
    ///
    /// ```rust
    /// use clerk_backend_api::{ApiError, ClerkApiError};
    /// let e = ApiError::Api { status: 401, errors: vec![ClerkApiError::new("clerk_key_invalid", "bad")],
    ///     clerk_trace_id: None, retry_after: None };
    /// assert!(e.has_code("clerk_key_invalid"));
    /// ```
    pub fn has_code(&self, code: &str) -> bool {
        self.errors().iter().any(|e| e.code == code)
    }

    /// Whether the secret key was missing or refused: no key, a 401, or `clerk_key_invalid`.
    fn is_key_failure(&self) -> bool {
        matches!(self, Self::MissingSecretKey)
            || self.status() == Some(401)
            || self.has_code(CLERK_KEY_INVALID)
    }

    /// The coarse code: `secret-key-invalid` for a missing or refused key, `token-invalid` for
    /// an [`Inactive`](Self::Inactive) token, `unexpected-error` for everything else (a
    /// transport failure is not a token verdict; see
    /// [`machine_token_code`](Self::machine_token_code) for the verify mapping).
    ///
    /// ```rust
    /// use clerk_backend_api::ApiError;
    /// use clerk_token_types::ErrorCode;
    /// assert_eq!(ApiError::MissingSecretKey.code(), ErrorCode::SecretKeyInvalid);
    /// assert_eq!(ApiError::Timeout { after: std::time::Duration::from_secs(1) }.code(), ErrorCode::UnexpectedError);
    /// ```
    pub fn code(&self) -> ErrorCode {
        if matches!(self, Self::Inactive { .. }) {
            ErrorCode::TokenInvalid
        } else if self.is_key_failure() {
            ErrorCode::SecretKeyInvalid
        } else {
            ErrorCode::UnexpectedError
        }
    }

    /// The detailed reason: `secret-key-invalid` for a missing or refused key, the token's
    /// reason for an [`Inactive`](Self::Inactive) token (see
    /// [`machine_token_reason`](Self::machine_token_reason)), else `unexpected-error`.
    ///
    /// ```rust
    /// use clerk_backend_api::ApiError;
    /// use clerk_token_types::Reason;
    /// assert_eq!(ApiError::MissingSecretKey.reason(), Reason::SecretKeyInvalid);
    /// ```
    pub fn reason(&self) -> Reason {
        if matches!(self, Self::Inactive { .. }) {
            self.machine_token_reason()
        } else if self.is_key_failure() {
            Reason::SecretKeyInvalid
        } else {
            Reason::UnexpectedError
        }
    }

    /// The code of a failed verify call, mapped as Clerk's JavaScript SDK does
    /// (`handleClerkAPIError` in `@clerk/backend`): 401 gives `secret-key-invalid`, 404
    /// `token-invalid`, anything else (other statuses, network failures, timeouts)
    /// `unexpected-error`. A missing key, which the JavaScript SDK would send as an
    /// unauthenticated request and get a 401 for, also gives `secret-key-invalid`; an
    /// [`Inactive`](Self::Inactive) token (which the JavaScript SDK accepts) gives
    /// `token-invalid`.
    ///
    /// ```rust
    /// use clerk_backend_api::ApiError;
    /// use clerk_token_types::ErrorCode;
    /// let e = |status| ApiError::Api { status, errors: vec![], clerk_trace_id: None, retry_after: None };
    /// assert_eq!(e(401).machine_token_code(), ErrorCode::SecretKeyInvalid);
    /// assert_eq!(e(404).machine_token_code(), ErrorCode::TokenInvalid);
    /// assert_eq!(e(500).machine_token_code(), ErrorCode::UnexpectedError);
    /// ```
    pub fn machine_token_code(&self) -> ErrorCode {
        if matches!(self, Self::Inactive { .. }) {
            return ErrorCode::TokenInvalid;
        }
        match self.status() {
            Some(401) => ErrorCode::SecretKeyInvalid,
            Some(404) => ErrorCode::TokenInvalid,
            None if matches!(self, Self::MissingSecretKey) => ErrorCode::SecretKeyInvalid,
            _ => ErrorCode::UnexpectedError,
        }
    }

    /// The message of a failed verify of a `token_type` token, to pair with
    /// [`machine_token_code`](Self::machine_token_code), worded as Clerk's JavaScript SDK
    /// words it: on 401 `errors[0].message` or `"Invalid secret key"`; on 404
    /// `"Machine token not found"`, `"OAuth token not found"` or `"API key not found"`;
    /// otherwise `"Unexpected error"`. An [`Inactive`](Self::Inactive) token gives its own
    /// message, e.g. `"API key is revoked."`.
    ///
    /// ```rust
    /// use clerk_backend_api::ApiError;
    /// use clerk_token_types::TokenType;
    /// let e = ApiError::Api { status: 404, errors: vec![], clerk_trace_id: None, retry_after: None };
    /// assert_eq!(e.machine_token_message(TokenType::M2MToken), "Machine token not found");
    /// assert_eq!(e.machine_token_message(TokenType::ApiKey), "API key not found");
    /// ```
    pub fn machine_token_message(&self, token_type: TokenType) -> String {
        if let Self::Inactive { state, .. } = self {
            return inactive_message(token_type, *state);
        }
        match self.machine_token_code() {
            ErrorCode::SecretKeyInvalid => match self {
                Self::MissingSecretKey => MISSING_SECRET_KEY_MESSAGE.to_owned(),
                _ => self
                    .errors()
                    .first()
                    .map(|e| e.message.clone())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "Invalid secret key".to_owned()),
            },
            ErrorCode::TokenInvalid => not_found_message(token_type),
            _ => "Unexpected error".to_owned(),
        }
    }

    /// The detailed reason of a failed verify call, to pair with
    /// [`machine_token_code`](Self::machine_token_code): `token-expired` for an expired token
    /// (the reason Clerk's SDKs give an expired JWT), `token-invalid` for any other refused
    /// token, `secret-key-invalid` for a refused key, else `unexpected-error`.
    ///
    /// ```rust
    /// use clerk_backend_api::{ApiError, InactiveState};
    /// use clerk_token_types::{Reason, TokenType};
    /// let e = ApiError::Inactive { token_type: TokenType::ApiKey, state: InactiveState::Expired };
    /// assert_eq!(e.machine_token_reason(), Reason::TokenExpired);
    /// assert_eq!(e.machine_token_message(TokenType::ApiKey), "API key is expired.");
    /// ```
    pub fn machine_token_reason(&self) -> Reason {
        if let Self::Inactive { state, .. } = self {
            return match state {
                InactiveState::Expired => Reason::TokenExpired,
                _ => Reason::TokenInvalid,
            };
        }
        match self.machine_token_code() {
            ErrorCode::SecretKeyInvalid => Reason::SecretKeyInvalid,
            ErrorCode::TokenInvalid => Reason::TokenInvalid,
            _ => Reason::UnexpectedError,
        }
    }

    /// Whether a retry may succeed: network failures, timeouts, 429 and 5xx.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } | Self::Timeout { .. } => true,
            Self::Api { status, .. } | Self::Decode { status, .. } => {
                *status == 429 || (500..=599).contains(status)
            }
            _ => false,
        }
    }
}

/// The first `max` printable characters of a body, for an error message.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A serde_json message with every double-quoted part elided: those quote values from the body,
/// which may be a token.
pub(crate) fn scrub_serde_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            if quoted {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for ClerkApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code={})", self.message, self.code)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// A real reqwest error (a URL that does not parse), as transport code would wrap it.
    fn network_error() -> ApiError {
        let source = reqwest::Client::new().get("not a url").build().unwrap_err();
        ApiError::Network {
            message: source.to_string(),
            source: Arc::new(source),
        }
    }

    #[test]
    fn network_errors_keep_their_source() {
        use std::error::Error as _;
        let e = network_error();
        let source = e.source().expect("the reqwest error is the source");
        assert!(source.downcast_ref::<Arc<reqwest::Error>>().is_some());
        assert!(
            e.to_string()
                .starts_with("Backend API request failed: builder error")
        );
        assert!(e.clone().source().is_some());
    }

    #[test]
    fn inactive_tokens_are_token_invalid() {
        for (tt, state, message, reason) in [
            (
                TokenType::ApiKey,
                InactiveState::Revoked,
                "API key is revoked.",
                Reason::TokenInvalid,
            ),
            (
                TokenType::OAuthToken,
                InactiveState::Expired,
                "OAuth token is expired.",
                Reason::TokenExpired,
            ),
            (
                TokenType::OAuthToken,
                InactiveState::NotActive,
                "OAuth token is not active.",
                Reason::TokenInvalid,
            ),
            (
                TokenType::M2MToken,
                InactiveState::Revoked,
                "Machine token is revoked.",
                Reason::TokenInvalid,
            ),
        ] {
            let e = ApiError::inactive(tt, state);
            assert_eq!(e.to_string(), message);
            assert_eq!(e.machine_token_message(tt), message);
            assert_eq!(e.machine_token_code(), ErrorCode::TokenInvalid);
            assert_eq!(e.code(), ErrorCode::TokenInvalid);
            assert_eq!(e.machine_token_reason(), reason);
            assert_eq!(e.reason(), reason);
            assert_eq!(e.status(), None);
            assert!(!e.is_transient());
        }
        assert_eq!(InactiveState::of(true, true), Some(InactiveState::Revoked));
        assert_eq!(InactiveState::of(false, true), Some(InactiveState::Expired));
        assert_eq!(InactiveState::of(false, false), None);
    }

    fn api(status: u16, errors: Vec<ClerkApiError>) -> ApiError {
        ApiError::Api {
            status,
            errors,
            clerk_trace_id: Some("trace_1".into()),
            retry_after: None,
        }
    }

    #[test]
    fn verify_mapping_follows_the_javascript_sdk() {
        let e = api(
            401,
            vec![ClerkApiError::new("clerk_key_invalid", "Bad key")],
        );
        assert_eq!(e.machine_token_code(), ErrorCode::SecretKeyInvalid);
        assert_eq!(e.machine_token_message(TokenType::M2MToken), "Bad key");
        let e = api(401, vec![]);
        assert_eq!(
            e.machine_token_message(TokenType::M2MToken),
            "Invalid secret key"
        );
        let e = api(404, vec![ClerkApiError::new("resource_not_found", "nf")]);
        assert_eq!(e.machine_token_code(), ErrorCode::TokenInvalid);
        assert_eq!(
            e.machine_token_message(TokenType::OAuthToken),
            "OAuth token not found"
        );
        for e in [
            api(500, vec![]),
            api(422, vec![]),
            network_error(),
            ApiError::invalid("token", "empty"),
        ] {
            assert_eq!(e.machine_token_code(), ErrorCode::UnexpectedError);
            assert_eq!(
                e.machine_token_message(TokenType::ApiKey),
                "Unexpected error"
            );
        }
        assert_eq!(
            ApiError::MissingSecretKey.machine_token_message(TokenType::M2MToken),
            MISSING_SECRET_KEY_MESSAGE
        );
    }

    #[test]
    fn codes_and_display() {
        let e = api(403, vec![ClerkApiError::new(CLERK_KEY_INVALID, "nope")]);
        assert_eq!(e.code(), ErrorCode::SecretKeyInvalid);
        assert_eq!(e.reason(), Reason::SecretKeyInvalid);
        assert_eq!(
            e.to_string(),
            "Backend API error (status 403): nope (code=clerk_key_invalid) [clerk_trace_id=trace_1]"
        );
        assert_eq!(api(500, vec![]).code(), ErrorCode::UnexpectedError);
        assert!(api(503, vec![]).is_transient());
        assert!(api(429, vec![]).is_transient());
        assert!(!api(404, vec![]).is_transient());
        assert!(!ApiError::MissingSecretKey.is_transient());
    }

    #[test]
    fn scrubbing_elides_quoted_values() {
        let err = serde_json::from_str::<u64>("\"mt_secret\"").unwrap_err();
        let s = scrub_serde_message(&err);
        assert!(!s.contains("mt_secret"), "{s}");
        assert!(s.contains("invalid type"), "{s}");
        assert_eq!(snippet(b"<html>\n<body>x</body>", 12), "<html> <body");
        assert_eq!(snippet(&[0xff, b'a'], 10), "\u{fffd}a");
    }
}
