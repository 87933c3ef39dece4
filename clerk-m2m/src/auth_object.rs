//! What a successful verification gives: the typed result ([`VerifiedToken`]) and the uniform
//! auth object handed to request handlers ([`AuthObject`], reference §11).

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

/// The authenticated caller of a request (the reference's authenticated machine object, §11):
/// token type, id, subject, machine id, scopes, claims and the raw token.
///
/// `Debug` cuts the raw token to its first 7 characters, as the reference's `debug()`.
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

    /// The raw bearer token, as the reference's `getToken()`. Handle with care: it is a secret.
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
            .field("token", &redact(&self.token))
            .finish_non_exhaustive()
    }
}

/// The first 7 characters of a secret, then `…`, as the reference's debug output.
///
/// ```rust
/// assert_eq!(clerk_m2m::redact("mt_0123456789"), "mt_0123…");
/// assert_eq!(clerk_m2m::redact("short"), "short…");
/// ```
pub fn redact(secret: &str) -> String {
    let prefix: String = secret.chars().take(7).collect();
    format!("{prefix}…")
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
    fn debug_never_shows_the_whole_token() {
        let a = AuthObject::new(
            VerifiedToken::M2M(M2MToken::new("mt_1", "mch_a")),
            "mt_abcdefghijklmnop",
        );
        let dbg = format!("{a:?}");
        assert!(dbg.contains("mt_abcd…"), "{dbg}");
        assert!(!dbg.contains("mt_abcde"), "{dbg}");
    }
}
