//! What a successful verification gives: the typed result ([`VerifiedToken`]) and the uniform
//! auth object handed to request handlers ([`AuthObject`], the machine auth object of `@clerk/backend`'s `tokens/authObjects.ts`).

use std::fmt;
use std::sync::Arc;

use clerk_backend_api::{ApiKey, IdPOAuthAccessToken};
use clerk_token_types::{M2MToken, TokenType};
use clerk_token_verify::{OAuthAccessToken, SessionClaims};
use serde_json::Value;

/// A verified token, typed by what verified it.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum VerifiedToken {
    /// An M2M token: an opaque `mt_…` verified by the Backend API, or an M2M JWT verified locally.
    M2M(M2MToken),
    /// An OAuth access token JWT (`typ` `at+jwt`), verified locally.
    OAuthJwt(OAuthAccessToken),
    /// An opaque OAuth access token (`oat_…`), as the Backend API described it.
    OAuth(IdPOAuthAccessToken),
    /// An API key (`ak_…`), as the Backend API described it.
    ApiKey(ApiKey),
    /// A session token JWT, verified locally.
    Session(Box<SessionClaims>),
}

impl VerifiedToken {
    /// The token type.
    ///
    /// ```rust
    /// use clerk_m2m::{M2MToken, TokenType, VerifiedToken};
    /// let t = VerifiedToken::M2M(M2MToken::new("mt_1", "mch_1"));
    /// assert_eq!(t.token_type(), TokenType::M2MToken);
    /// ```
    pub fn token_type(&self) -> TokenType {
        match self {
            Self::M2M(_) => TokenType::M2MToken,
            Self::OAuthJwt(_) | Self::OAuth(_) => TokenType::OAuthToken,
            Self::ApiKey(_) => TokenType::ApiKey,
            Self::Session(_) => TokenType::SessionToken,
        }
    }

    /// The token as JSON: the wire fields of the typed resource for M2M tokens, opaque OAuth
    /// tokens and API keys, the claims for session and OAuth JWTs' resources.
    /// Never contains the raw token string of a verified bearer (the `token` field of an
    /// M2MToken is only set on create responses).
    ///
    /// ```rust
    /// use clerk_m2m::{M2MToken, VerifiedToken};
    /// let json = VerifiedToken::M2M(M2MToken::new("mt_1", "mch_1")).to_json();
    /// assert_eq!(json["subject"], "mch_1");
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            Self::M2M(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Self::OAuthJwt(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Self::OAuth(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Self::ApiKey(k) => serde_json::to_value(k).unwrap_or(Value::Null),
            Self::Session(s) => Value::Object(s.claims.to_json()),
        }
    }

    /// The M2M token, if this is one.
    pub fn as_m2m(&self) -> Option<&M2MToken> {
        match self {
            Self::M2M(t) => Some(t),
            _ => None,
        }
    }
}

/// The authenticated caller of a request (the authenticated machine object of Clerk's JavaScript SDK):
/// token type, id, subject, machine id, scopes, claims and the raw token.
///
/// `Debug` shows none of the raw token: `@clerk/backend`'s `debug()` prints its first 7
/// characters, which for an `mt_` token are 4 characters of its secret; we print only the type.
#[derive(Clone)]
pub struct AuthObject {
    token_type: TokenType,
    id: String,
    subject: String,
    scopes: Vec<String>,
    claims: Option<Value>,
    token: String,
    verified: Arc<VerifiedToken>,
}

impl AuthObject {
    /// Builds the auth object of a verified token and the raw bearer it came from.
    ///
    /// ```rust
    /// use clerk_m2m::{AuthObject, M2MToken, TokenType, VerifiedToken};
    /// let mut t = M2MToken::new("mt_1", "mch_caller");
    /// t.scopes = vec!["mch_me".into()];
    /// let auth = AuthObject::new(VerifiedToken::M2M(t), "mt_secret_value");
    /// assert_eq!(auth.token_type(), TokenType::M2MToken);
    /// assert_eq!(auth.machine_id(), Some("mch_caller"));
    /// assert!(auth.has_scope("mch_me"));
    /// assert!(!format!("{auth:?}").contains("mt_secret_value"));
    /// ```
    pub fn new(verified: VerifiedToken, token: impl Into<String>) -> Self {
        let (id, subject, scopes, claims) = match &verified {
            VerifiedToken::M2M(t) => (
                t.id.clone(),
                t.subject.clone(),
                t.scopes.clone(),
                t.claims.clone(),
            ),
            VerifiedToken::Session(s) => {
                let json = Value::Object(s.claims.to_json());
                let id = str_field(&json, "sid").or_else(|| str_field(&json, "jti"));
                (
                    id.unwrap_or_default(),
                    str_field(&json, "sub").unwrap_or_default(),
                    Vec::new(),
                    Some(json),
                )
            }
            other => {
                let json = other.to_json();
                let scopes = match json.get("scopes") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    Some(Value::String(s)) => s
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                };
                let claims = json.get("claims").filter(|c| !c.is_null()).cloned();
                (
                    str_field(&json, "id").unwrap_or_default(),
                    str_field(&json, "subject").unwrap_or_default(),
                    scopes,
                    claims,
                )
            }
        };
        Self {
            token_type: verified.token_type(),
            id,
            subject,
            scopes,
            claims,
            token: token.into(),
            verified: Arc::new(verified),
        }
    }

    /// The token type.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The token id (`mt_…`; a JWT's `jti`; `""` when there is none).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subject: the calling machine (`mch_…`) for M2M tokens, the user or org otherwise.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The calling machine's id: the subject of an M2M token, `None` for other types.
    pub fn machine_id(&self) -> Option<&str> {
        (self.token_type == TokenType::M2MToken).then_some(self.subject.as_str())
    }

    /// The scopes: for M2M tokens, the machine ids this token may call.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether `scope` is one of the token's scopes (exact match).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The custom claims (`None` when there are none).
    pub fn claims(&self) -> Option<&Value> {
        self.claims.as_ref()
    }

    /// The custom claims as your own type, the habit of `jsonwebtoken::decode::<Claims>`.
    /// Absent claims read as JSON `null`, so an `Option<T>` or a type with all-default fields
    /// can stand for "no claims".
    ///
    /// ```rust
    /// use clerk_m2m::{AuthObject, M2MToken, VerifiedToken};
    /// #[derive(serde::Deserialize)]
    /// struct Claims { tenant: String }
    ///
    /// let mut t = M2MToken::new("mt_1", "mch_caller");
    /// t.claims = Some(serde_json::json!({"tenant": "acme", "other": 1}));
    /// let auth = AuthObject::new(VerifiedToken::M2M(t), "mt_secret");
    /// assert_eq!(auth.claims_as::<Claims>()?.tenant, "acme");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    /// The claims do not have the shape of `T`.
    pub fn claims_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match &self.claims {
            Some(v) => T::deserialize(v),
            None => T::deserialize(&Value::Null),
        }
    }

    /// The raw bearer token, as `@clerk/backend`'s `getToken()`. Handle with care: it is a secret.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The full typed verification result.
    pub fn verified(&self) -> &VerifiedToken {
        &self.verified
    }
}

impl fmt::Debug for AuthObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthObject")
            .field("token_type", &self.token_type)
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn str_field(json: &Value, name: &str) -> Option<String> {
    json.get(name).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn m2m_object_has_machine_id_equal_to_subject() {
        let mut t = M2MToken::new("mt_1", "mch_a");
        t.scopes = vec!["mch_b".into()];
        t.claims = Some(json!({"role": "svc"}));
        let a = AuthObject::new(VerifiedToken::M2M(t), "mt_secret");
        assert_eq!(a.id(), "mt_1");
        assert_eq!(a.machine_id(), Some("mch_a"));
        assert_eq!(a.scopes(), ["mch_b".to_owned()]);
        assert_eq!(a.claims(), Some(&json!({"role": "svc"})));
        assert_eq!(a.token(), "mt_secret");
    }

    #[test]
    fn api_key_object_reads_the_backend_json() {
        let v = json!({"id": "ak_id", "subject": "user_1", "scopes": ["read"], "claims": null, "name": "k"});
        let key: ApiKey = serde_json::from_value(v).unwrap();
        let a = AuthObject::new(VerifiedToken::ApiKey(key), "ak_secret");
        assert_eq!(a.token_type(), TokenType::ApiKey);
        assert_eq!(a.subject(), "user_1");
        assert_eq!(a.machine_id(), None);
        assert!(a.has_scope("read"));
        assert_eq!(a.claims(), None);
    }

    #[test]
    fn debug_shows_none_of_the_token() {
        for token in [
            "mt_abcdefghijklmnop",
            "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            "ak_0123456789",
        ] {
            let a = AuthObject::new(VerifiedToken::M2M(M2MToken::new("mt_1", "mch_a")), token);
            let dbg = format!("{a:?}");
            assert!(dbg.contains(r#"token: "<redacted>""#), "{dbg}");
            // Not even the first characters after the prefix (`@clerk/backend` shows 4 of them).
            assert!(!dbg.contains(&token[..4]), "{dbg}");
        }
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Claims {
        tenant: String,
        #[serde(default)]
        tier: Option<u8>,
    }

    #[test]
    fn claims_as_reads_custom_claims_into_a_type() {
        let mut t = M2MToken::new("mt_1", "mch_a");
        t.claims = Some(json!({"tenant": "acme", "tier": 2, "extra": true}));
        let a = AuthObject::new(VerifiedToken::M2M(t), "mt_x");
        let c: Claims = a.claims_as().unwrap();
        assert_eq!(
            c,
            Claims {
                tenant: "acme".into(),
                tier: Some(2)
            }
        );
        // A shape mismatch is an error, not a default.
        let mut t = M2MToken::new("mt_1", "mch_a");
        t.claims = Some(json!({"tenant": 7}));
        let a = AuthObject::new(VerifiedToken::M2M(t), "mt_x");
        assert!(a.claims_as::<Claims>().is_err());
        // No claims: `Option<T>` is `None`, a required type is an error.
        let a = AuthObject::new(VerifiedToken::M2M(M2MToken::new("mt_1", "mch_a")), "mt_x");
        assert_eq!(a.claims_as::<Option<Claims>>().unwrap(), None);
        assert!(a.claims_as::<Claims>().is_err());
    }
}
