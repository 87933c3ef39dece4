//! The outcome of [`MachineAuth::authenticate_request`](crate::MachineAuth::authenticate_request):
//! signed in with an [`AuthObject`], or signed out with a token type, reason and message
//! (the request states of `@clerk/backend`'s `tokens/authStatus.ts`).

use std::fmt;

use clerk_token_types::{ErrorCode, Reason, TokenType};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::AuthObject;

/// `x-clerk-auth-status`
pub const AUTH_STATUS_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-status");
/// `x-clerk-auth-reason`
pub const AUTH_REASON_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-reason");
/// `x-clerk-auth-message`
pub const AUTH_MESSAGE_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-message");

/// Why a request is signed out (`@clerk/backend`'s `reason` field).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedOutReason {
    /// `token-type-mismatch`: the token is not of an accepted type.
    TokenTypeMismatch,
    /// `No token in header` (`@clerk/backend`'s literal text): a machine type is expected and the
    /// request carries no bearer token.
    NoTokenInHeader,
    /// A machine token failed verification: the error's code (`token-invalid`, ...).
    Code(ErrorCode),
    /// A session token failed verification: the error's reason (`token-expired`, ...).
    Reason(Reason),
}

impl SignedOutReason {
    /// The wire text of the `x-clerk-auth-reason` header.
    ///
    /// ```rust
    /// use clerk_m2m::{ErrorCode, SignedOutReason};
    /// assert_eq!(SignedOutReason::NoTokenInHeader.as_str(), "No token in header");
    /// assert_eq!(SignedOutReason::Code(ErrorCode::TokenInvalid).as_str(), "token-invalid");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenTypeMismatch => Reason::TokenTypeMismatch.as_str(),
            Self::NoTokenInHeader => "No token in header",
            Self::Code(c) => c.as_str(),
            Self::Reason(r) => r.as_str(),
        }
    }
}

impl fmt::Display for SignedOutReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-out request (`@clerk/backend`'s unauthenticated state).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedOut {
    /// The token type of the state: the expected type, the detected type, or `None` for
    /// `@clerk/backend`'s "invalid token" state (a token type not in an accepted list).
    pub token_type: Option<TokenType>,
    /// Why.
    pub reason: SignedOutReason,
    /// Details (`""` for mismatches), e.g. `Machine token not found (code=token-invalid, status=404)`.
    pub message: String,
}

impl SignedOut {
    /// A signed-out state (for tests of your own handlers and layers).
    pub fn new(
        token_type: Option<TokenType>,
        reason: SignedOutReason,
        message: impl Into<String>,
    ) -> Self {
        Self {
            token_type,
            reason,
            message: message.into(),
        }
    }
}

/// The result of authenticating a request.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum AuthState {
    /// The bearer token verified.
    SignedIn(AuthObject),
    /// It did not (or there was none).
    SignedOut(SignedOut),
}

impl AuthState {
    pub(crate) fn signed_out(
        token_type: Option<TokenType>,
        reason: SignedOutReason,
        message: impl Into<String>,
    ) -> Self {
        Self::SignedOut(SignedOut::new(token_type, reason, message))
    }

    /// Whether the request is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Self::SignedIn(_))
    }

    /// `"signed-in"` or `"signed-out"`.
    pub fn status(&self) -> &'static str {
        match self {
            Self::SignedIn(_) => "signed-in",
            Self::SignedOut(_) => "signed-out",
        }
    }

    /// The token type of the state (`@clerk/backend`'s `tokenType`).
    pub fn token_type(&self) -> Option<TokenType> {
        match self {
            Self::SignedIn(a) => Some(a.token_type()),
            Self::SignedOut(s) => s.token_type,
        }
    }

    /// The auth object of a signed-in request.
    pub fn auth_object(&self) -> Option<&AuthObject> {
        match self {
            Self::SignedIn(a) => Some(a),
            Self::SignedOut(_) => None,
        }
    }

    /// The reason of a signed-out request.
    pub fn reason(&self) -> Option<SignedOutReason> {
        match self {
            Self::SignedIn(_) => None,
            Self::SignedOut(s) => Some(s.reason),
        }
    }

    /// The message of a signed-out request.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::SignedIn(_) => None,
            Self::SignedOut(s) => Some(&s.message),
        }
    }

    /// The response headers of the state: none when signed in; `x-clerk-auth-status`,
    /// `x-clerk-auth-reason` and `x-clerk-auth-message` when signed out, each only when
    /// non-empty, and a value that is not a valid header value is skipped (as in `@clerk/backend`).
    ///
    /// ```rust
    /// # use clerk_m2m::{AuthState, SignedOut, SignedOutReason, TokenType};
    /// let state = AuthState::SignedOut(SignedOut::new(
    ///     Some(TokenType::M2MToken),
    ///     SignedOutReason::NoTokenInHeader,
    ///     "",
    /// ));
    /// let h = state.headers();
    /// assert_eq!(h["x-clerk-auth-status"], "signed-out");
    /// assert_eq!(h["x-clerk-auth-reason"], "No token in header");
    /// assert!(h.get("x-clerk-auth-message").is_none());
    /// ```
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Self::SignedOut(s) = self {
            let mut put = |name: HeaderName, value: &str| {
                if value.is_empty() {
                    return;
                }
                if let Ok(v) = HeaderValue::from_str(value) {
                    headers.insert(name, v);
                }
            };
            put(AUTH_STATUS_HEADER, "signed-out");
            put(AUTH_REASON_HEADER, s.reason.as_str());
            put(AUTH_MESSAGE_HEADER, &s.message);
        }
        headers
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{M2MToken, VerifiedToken};

    #[test]
    fn signed_in_has_no_debug_headers() {
        let a = AuthObject::new(VerifiedToken::M2M(M2MToken::new("mt_1", "mch_1")), "mt_x");
        let s = AuthState::SignedIn(a);
        assert!(s.headers().is_empty());
        assert_eq!(s.status(), "signed-in");
        assert_eq!(s.token_type(), Some(TokenType::M2MToken));
    }

    #[test]
    fn signed_out_headers_carry_status_reason_and_message() {
        let s = AuthState::signed_out(
            Some(TokenType::M2MToken),
            SignedOutReason::Code(ErrorCode::TokenInvalid),
            "Machine token not found (code=token-invalid, status=404)",
        );
        let h = s.headers();
        assert_eq!(h[AUTH_STATUS_HEADER], "signed-out");
        assert_eq!(h[AUTH_REASON_HEADER], "token-invalid");
        assert_eq!(
            h[AUTH_MESSAGE_HEADER],
            "Machine token not found (code=token-invalid, status=404)"
        );
    }

    #[test]
    fn invalid_header_values_are_skipped() {
        let s = AuthState::signed_out(None, SignedOutReason::TokenTypeMismatch, "bad\nvalue");
        let h = s.headers();
        assert_eq!(h[AUTH_REASON_HEADER], "token-type-mismatch");
        assert!(h.get(AUTH_MESSAGE_HEADER).is_none());
    }
}
