//! [`TokenType`] and the [`AcceptsToken`] filter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The kinds of bearer token Clerk issues, with the wire names of Clerk's JS SDK
/// ([`tokens/tokenTypes.ts`](https://github.com/clerk/javascript/blob/main/packages/backend/src/tokens/tokenTypes.ts)).
///
/// Non-exhaustive: Clerk adds token kinds, and a new one must not break your `match`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenType {
    /// `session_token`: a user session JWT.
    #[serde(rename = "session_token")]
    SessionToken,
    /// `m2m_token`: a machine-to-machine token (opaque `mt_...` or a JWT with a `mch_` subject).
    #[serde(rename = "m2m_token")]
    M2MToken,
    /// `oauth_token`: an OAuth access token (opaque `oat_...` or an `at+jwt` JWT).
    #[serde(rename = "oauth_token")]
    OAuthToken,
    /// `api_key`: an API key (`ak_...`).
    #[serde(rename = "api_key")]
    ApiKey,
}

impl TokenType {
    /// Every token type, in the JS SDK's order.
    pub const ALL: [Self; 4] = [
        Self::SessionToken,
        Self::ApiKey,
        Self::M2MToken,
        Self::OAuthToken,
    ];

    /// The wire name.
    ///
    /// ```rust
    /// assert_eq!(clerk_token_types::TokenType::M2MToken.as_str(), "m2m_token");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SessionToken => "session_token",
            Self::M2MToken => "m2m_token",
            Self::OAuthToken => "oauth_token",
            Self::ApiKey => "api_key",
        }
    }

    /// True for the machine types (`api_key`, `m2m_token`, `oauth_token`), as `isMachineTokenType`.
    ///
    /// ```rust
    /// use clerk_token_types::TokenType;
    /// assert!(TokenType::ApiKey.is_machine());
    /// assert!(!TokenType::SessionToken.is_machine());
    /// ```
    pub const fn is_machine(self) -> bool {
        !matches!(self, Self::SessionToken)
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenType {
    type Err = Error;

    /// Parses a wire name exactly (case-sensitive).
    ///
    /// ```rust
    /// use clerk_token_types::TokenType;
    /// assert_eq!("oauth_token".parse::<TokenType>().unwrap(), TokenType::OAuthToken);
    /// assert!("OAUTH_TOKEN".parse::<TokenType>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::UnknownTokenType {
                value: s.chars().take(64).collect(),
            })
    }
}

/// Which token types an endpoint accepts: `"any"`, one type, or a list (the JS SDK's
/// `acceptsToken` option).
///
/// The default is `One(SessionToken)`, as the JS SDK's `acceptsToken` default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcceptsToken {
    /// Every type.
    Any,
    /// Exactly this type.
    One(TokenType),
    /// Any type in the list (an empty list accepts nothing).
    List(Vec<TokenType>),
}

impl Default for AcceptsToken {
    fn default() -> Self {
        Self::One(TokenType::SessionToken)
    }
}

impl AcceptsToken {
    /// Whether `t` is accepted (`isTokenTypeAccepted`).
    ///
    /// ```rust
    /// use clerk_token_types::{AcceptsToken, TokenType};
    /// let list = AcceptsToken::from(vec![TokenType::ApiKey, TokenType::M2MToken]);
    /// assert!(list.accepts(TokenType::ApiKey));
    /// assert!(!list.accepts(TokenType::SessionToken));
    /// assert!(!AcceptsToken::from(TokenType::M2MToken).accepts(TokenType::ApiKey));
    /// assert!(AcceptsToken::Any.accepts(TokenType::OAuthToken));
    /// ```
    pub fn accepts(&self, t: TokenType) -> bool {
        match self {
            Self::Any => true,
            Self::One(one) => *one == t,
            Self::List(list) => list.contains(&t),
        }
    }
}

impl From<TokenType> for AcceptsToken {
    fn from(t: TokenType) -> Self {
        Self::One(t)
    }
}

impl From<Vec<TokenType>> for AcceptsToken {
    fn from(list: Vec<TokenType>) -> Self {
        Self::List(list)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_match_the_js_sdk() {
        for (t, name) in [
            (TokenType::SessionToken, "session_token"),
            (TokenType::M2MToken, "m2m_token"),
            (TokenType::OAuthToken, "oauth_token"),
            (TokenType::ApiKey, "api_key"),
        ] {
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<TokenType>(&format!("\"{name}\"")).unwrap(),
                t
            );
            assert_eq!(name.parse::<TokenType>().unwrap(), t);
            assert_eq!(t.to_string(), name);
        }
        assert!(serde_json::from_str::<TokenType>("\"m2_m_token\"").is_err());
    }

    #[test]
    fn machine_types() {
        let machine: Vec<_> = TokenType::ALL
            .into_iter()
            .filter(|t| t.is_machine())
            .collect();
        assert_eq!(
            machine,
            [
                TokenType::ApiKey,
                TokenType::M2MToken,
                TokenType::OAuthToken
            ]
        );
    }

    #[test]
    fn unknown_type_is_an_error_without_the_full_text() {
        let long = "x".repeat(500);
        let err = long.parse::<TokenType>().unwrap_err();
        assert!(err.to_string().len() < 200);
        assert!("".parse::<TokenType>().is_err());
    }

    #[test]
    fn accepts_rules_of_the_js_sdk() {
        assert_eq!(
            AcceptsToken::default(),
            AcceptsToken::One(TokenType::SessionToken)
        );
        let l = AcceptsToken::from(vec![TokenType::ApiKey, TokenType::M2MToken]);
        assert!(l.accepts(TokenType::ApiKey));
        assert!(l.accepts(TokenType::M2MToken));
        assert!(!l.accepts(TokenType::SessionToken));
        assert!(!AcceptsToken::One(TokenType::M2MToken).accepts(TokenType::ApiKey));
        assert!(!AcceptsToken::List(vec![]).accepts(TokenType::ApiKey));
        for t in TokenType::ALL {
            assert!(AcceptsToken::Any.accepts(t));
        }
    }
}
