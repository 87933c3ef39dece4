//! The non-M2M outputs: [`OAuthAccessToken`] and [`SessionClaims`].

use clerk_token_types::{ClaimValue, Error, JwtClaims, TokenType};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ClockSkew;
use crate::steps::claims::is_expired;

/// Claims that are not "custom" (as in `@clerk/backend`'s `fromJwtPayload`): left out of `claims`.
const RESERVED: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];

/// A verified OAuth access token (`@clerk/backend`'s `IdPOAuthAccessToken.fromJwtPayload`).
///
/// Serialises as `@clerk/backend`'s JSON form (`client_id`, `type`, `subject`, `scopes`, ...).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OAuthAccessToken {
    /// `jti`, or `""` when missing.
    pub id: String,
    /// `client_id`, or `""` when missing.
    pub client_id: String,
    /// Always [`TokenType::OAuthToken`].
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// `sub`.
    pub subject: String,
    /// `scp` (an array of strings), else `scope` split on spaces, else empty.
    pub scopes: Vec<String>,
    /// Always `false` for a locally verified JWT.
    pub revoked: bool,
    /// Always `None` for a locally verified JWT.
    pub revocation_reason: Option<String>,
    /// `exp_ms <= now - skew`.
    pub expired: bool,
    /// `exp` in ms.
    pub expiration: Option<i64>,
    /// `iat` in ms (0 when the token has no `iat`).
    pub created_at: i64,
    /// `iat` in ms, as `created_at` (a JWT has no update time).
    pub updated_at: i64,
    /// Every claim except `iss, sub, exp, nbf, iat, jti`, in wire order; `None` when none is left.
    pub claims: Option<Value>,
}

impl OAuthAccessToken {
    /// Maps verified claims. Stricter than `@clerk/backend`: `jti`, `client_id`, `scope` and `scp`
    /// of the wrong JSON type are errors instead of being passed through.
    ///
    /// ```rust
    /// use clerk_token_types::{ClaimValue, JwtClaims, NumericDate};
    /// use clerk_token_verify::{ClockSkew, OAuthAccessToken};
    /// let mut c = JwtClaims {
    ///     sub: Some(ClaimValue::Valid("user_1".into())),
    ///     exp: Some(ClaimValue::Valid(NumericDate(1_666_648_550.0))),
    ///     iat: Some(ClaimValue::Valid(NumericDate(1_666_648_250.0))),
    ///     ..Default::default()
    /// };
    /// c.extra.insert("client_id".into(), "client_1".into());
    /// c.extra.insert("scope".into(), "read write".into());
    /// let t = OAuthAccessToken::from_jwt_claims(&c, 1_666_648_250_000, ClockSkew::default())?;
    /// assert_eq!((t.client_id.as_str(), t.scopes.len(), t.expiration), ("client_1", 2, Some(1_666_648_550_000)));
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    pub fn from_jwt_claims(
        claims: &JwtClaims,
        now_ms: i64,
        skew: ClockSkew,
    ) -> Result<Self, Error> {
        let subject = match &claims.sub {
            Some(ClaimValue::Valid(s)) => s.clone(),
            other => {
                return Err(wrong(
                    "sub",
                    "Subject claim (sub)",
                    other.as_ref().map(ClaimValue::to_json),
                    "a string",
                ));
            }
        };
        let id = match &claims.jti {
            None => String::new(),
            Some(ClaimValue::Valid(s)) => s.clone(),
            Some(other) => {
                return Err(wrong(
                    "jti",
                    "JWT ID claim (jti)",
                    Some(other.to_json()),
                    "a string",
                ));
            }
        };
        let client_id = match claims.extra.get("client_id") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                return Err(wrong(
                    "client_id",
                    "OAuth client ID claim (client_id)",
                    Some(v.clone()),
                    "a string",
                ));
            }
        };
        let scopes = match (claims.extra.get("scp"), claims.extra.get("scope")) {
            (Some(Value::Array(items)), _) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    wrong(
                        "scp",
                        "OAuth scopes claim (scp)",
                        Some(Value::Array(items.clone())),
                        "an array of strings",
                    )
                })?,
            (Some(v), _) => {
                return Err(wrong(
                    "scp",
                    "OAuth scopes claim (scp)",
                    Some(v.clone()),
                    "an array of strings",
                ));
            }
            (None, Some(Value::String(s))) => s.split(' ').map(str::to_owned).collect(),
            (None, Some(v)) => {
                return Err(wrong(
                    "scope",
                    "OAuth scope claim (scope)",
                    Some(v.clone()),
                    "a string",
                ));
            }
            (None, None) => Vec::new(),
        };
        let expiration = match &claims.exp {
            None => None,
            Some(ClaimValue::Valid(d)) => Some(d.to_millis_with_fraction()),
            Some(other) => {
                return Err(wrong(
                    "exp",
                    "JWT expiry date claim (exp)",
                    Some(other.to_json()),
                    "a number",
                ));
            }
        };
        let created_at = match &claims.iat {
            None => 0,
            Some(ClaimValue::Valid(d)) => d.to_millis_with_fraction(),
            Some(other) => {
                return Err(wrong(
                    "iat",
                    "JWT issued at date claim (iat)",
                    Some(other.to_json()),
                    "a number",
                ));
            }
        };
        let custom: Map<String, Value> = claims
            .to_json()
            .into_iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .collect();
        Ok(Self {
            id,
            client_id,
            token_type: TokenType::OAuthToken,
            subject,
            scopes,
            revoked: false,
            revocation_reason: None,
            expired: expiration.is_some_and(|e| is_expired(e, now_ms, skew)),
            expiration,
            created_at,
            updated_at: created_at,
            claims: (!custom.is_empty()).then_some(Value::Object(custom)),
        })
    }
}

fn wrong(claim: &'static str, what: &str, got: Option<Value>, expected: &str) -> Error {
    Error::InvalidClaim {
        claim,
        message: format!(
            "Invalid {what} {}. Expected {expected}.",
            crate::js_json::value(got.as_ref())
        ),
    }
}

/// The claims of a verified session token.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct SessionClaims {
    /// Every claim, typed where Clerk reads it.
    pub claims: JwtClaims,
}

impl SessionClaims {
    /// The subject (the user id), which the claim rules guarantee is a string.
    pub fn subject(&self) -> &str {
        self.claims
            .sub
            .as_ref()
            .and_then(ClaimValue::valid)
            .map_or("", String::as_str)
    }
}
