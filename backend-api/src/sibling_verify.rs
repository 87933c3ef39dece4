//! The verify endpoints of the sibling machine tokens, API keys and OAuth access tokens, and
//! their typed answers ([`ApiKey`], [`IdPOAuthAccessToken`], after the resources of the same
//! names in Clerk's JavaScript SDK).

use clerk_token_types::TokenType;
use reqwest::Method;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use crate::num::{number, opt_number};
use crate::transport::{Call, Retry};
use crate::{ApiError, BackendApi, InactiveState};

/// A verified API key: the answer of `POST /api_keys/verify`. Unknown fields are ignored;
/// fields the answer leaves out take their empty value. Timestamps are Unix milliseconds.
/// It carries no secret (the key's secret is not in the answer).
///
/// ```rust
/// let key: clerk_backend_api::ApiKey = serde_json::from_value(serde_json::json!({
///     "object": "api_key", "id": "ak_3beecc9c60adb5f9b850e91a8ee1e992", "type": "api_key",
///     "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "name": "MY_KEY", "scopes": ["read"],
///     "claims": null, "revoked": false, "expired": false, "expiration": null,
///     "created_at": 1716883200000_i64, "a_future_field": true
/// }))?;
/// assert_eq!((key.name.as_str(), key.scopes.as_slice()), ("MY_KEY", ["read".to_owned()].as_slice()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    /// `ak_…`
    pub id: String,
    /// The key type, `api_key` today (`type` on the wire).
    #[serde(rename = "type", default)]
    pub key_type: String,
    /// Who the key acts for: a user (`user_…`), an organization (`org_…`) or a machine
    /// (`mch_…`).
    pub subject: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Custom claims; `None` when there are none.
    #[serde(default)]
    pub claims: Option<Value>,
    /// Its scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether it was revoked ([`BackendApi::verify_api_key`] refuses a revoked key).
    #[serde(default)]
    pub revoked: bool,
    /// Why it was revoked.
    #[serde(default)]
    pub revocation_reason: Option<String>,
    /// Whether it has expired ([`BackendApi::verify_api_key`] refuses an expired key).
    #[serde(default)]
    pub expired: bool,
    /// When it expires; `None` for never.
    #[serde(default, deserialize_with = "opt_number")]
    pub expiration: Option<i64>,
    /// The user who created it.
    #[serde(default)]
    pub created_by: Option<String>,
    /// When it was last used.
    #[serde(default, deserialize_with = "opt_number")]
    pub last_used_at: Option<i64>,
    /// Creation time.
    #[serde(default, deserialize_with = "number")]
    pub created_at: i64,
    /// Last update.
    #[serde(default, deserialize_with = "number")]
    pub updated_at: i64,
}

impl ApiKey {
    /// A live key with this id and subject and every other field empty (for tests and
    /// fixtures; real values come from [`BackendApi::verify_api_key`]).
    ///
    /// ```rust
    /// let key = clerk_backend_api::ApiKey::new("ak_1", "user_1");
    /// assert!(!key.revoked && key.scopes.is_empty());
    /// ```
    pub fn new(id: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            key_type: "api_key".to_owned(),
            subject: subject.into(),
            name: String::new(),
            description: None,
            claims: None,
            scopes: Vec::new(),
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: None,
            created_by: None,
            last_used_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }
}

/// A verified opaque OAuth access token (`oat_…`) issued by Clerk as an identity provider: the
/// answer of `POST /oauth_applications/access_tokens/verify`. Unknown fields are ignored;
/// timestamps are Unix milliseconds.
///
/// ```rust
/// let t: clerk_backend_api::IdPOAuthAccessToken = serde_json::from_value(serde_json::json!({
///     "object": "clerk_idp_oauth_access_token", "id": "oat_0ef5a7a33d87ed87ee7954c845d80450",
///     "client_id": "client_1", "subject": "user_1", "scopes": ["read", "write"],
///     "revoked": false, "expired": false, "expiration": 1716883200000_i64
/// }))?;
/// assert_eq!(t.scopes, ["read", "write"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdPOAuthAccessToken {
    /// `oat_…`
    pub id: String,
    /// The OAuth application's client id.
    #[serde(default)]
    pub client_id: String,
    /// The user the token acts for (`user_…`).
    pub subject: String,
    /// The granted scopes. The spec sends an array; a space-separated string (the OAuth
    /// `scope` form) is accepted too.
    #[serde(default, deserialize_with = "scopes")]
    pub scopes: Vec<String>,
    /// Whether it was revoked ([`BackendApi::verify_oauth_token`] refuses a revoked token).
    #[serde(default)]
    pub revoked: bool,
    /// Why it was revoked.
    #[serde(default)]
    pub revocation_reason: Option<String>,
    /// Whether it has expired ([`BackendApi::verify_oauth_token`] refuses an expired token).
    #[serde(default)]
    pub expired: bool,
    /// When it expires; `None` for never.
    #[serde(default, deserialize_with = "opt_number")]
    pub expiration: Option<i64>,
    /// Creation time.
    #[serde(default, deserialize_with = "number")]
    pub created_at: i64,
    /// Last update.
    #[serde(default, deserialize_with = "number")]
    pub updated_at: i64,
}

impl IdPOAuthAccessToken {
    /// A live token with this id and subject and every other field empty (for tests and
    /// fixtures; real values come from [`BackendApi::verify_oauth_token`]).
    ///
    /// ```rust
    /// let t = clerk_backend_api::IdPOAuthAccessToken::new("oat_1", "user_1");
    /// assert!(!t.expired && t.client_id.is_empty());
    /// ```
    pub fn new(id: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            client_id: String::new(),
            subject: subject.into(),
            scopes: Vec::new(),
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: None,
            created_at: 0,
            updated_at: 0,
        }
    }
}

fn scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scopes {
        List(Vec<String>),
        Spaced(String),
    }
    Ok(match Option::<Scopes>::deserialize(d)? {
        None => Vec::new(),
        Some(Scopes::List(v)) => v,
        Some(Scopes::Spaced(s)) => s.split_whitespace().map(str::to_owned).collect(),
    })
}

/// The OAuth verify answer: the spec's `anyOf` of a token and `{"active": false}`.
enum OAuthAnswer {
    Token(IdPOAuthAccessToken),
    NotActive,
}

impl<'de> Deserialize<'de> for OAuthAnswer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        // Any `active: false` means "not active", even beside token fields: refusing is the
        // safe reading of a contradictory answer.
        if map.get("active") == Some(&Value::Bool(false)) {
            return Ok(Self::NotActive);
        }
        IdPOAuthAccessToken::deserialize(Value::Object(map))
            .map(Self::Token)
            .map_err(D::Error::custom)
    }
}

impl BackendApi {
    /// Verifies an API key (`ak_…`): `POST /api_keys/verify` with `{"secret": …}` and the
    /// instance secret key.
    ///
    /// A 200 answer that says `revoked: true` or `expired: true` is refused with
    /// [`ApiError::Inactive`] (Clerk's JavaScript SDK would return the key as verified).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for an empty secret; [`ApiError::MissingSecretKey`] without
    /// an instance key; [`ApiError::Api`] 404 for an unknown key (see
    /// [`ApiError::machine_token_message`]); [`ApiError::Inactive`] for a revoked or expired
    /// key.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let key = emu.create_api_key(&m.id);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let verified = api.verify_api_key(&key).await?;
    /// assert_eq!(verified.subject, m.id);
    /// # Ok(()) }
    /// ```
    pub async fn verify_api_key(&self, secret: &str) -> Result<ApiKey, ApiError> {
        let key: ApiKey = self
            .sibling_verify(
                "/api_keys/verify",
                &["api_keys", "verify"],
                "secret",
                secret,
            )
            .await?;
        refuse_inactive(TokenType::ApiKey, key.revoked, key.expired)?;
        Ok(key)
    }

    /// Verifies an opaque OAuth access token (`oat_…`):
    /// `POST /oauth_applications/access_tokens/verify` with `{"access_token": …}` and the
    /// instance secret key.
    ///
    /// The answer `{"active": false}` (the spec's answer for a token that is not active) and a
    /// token that says `revoked: true` or `expired: true` are refused with
    /// [`ApiError::Inactive`] (Clerk's JavaScript SDK would return them as verified).
    ///
    /// # Errors
    /// As [`verify_api_key`](Self::verify_api_key).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// use clerk_token_types::TokenType;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let token = emu.create_oauth_token("user_1");
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// assert_eq!(api.verify_oauth_token(&token).await?.subject, "user_1");
    /// let err = api.verify_oauth_token("oat_unknown").await.unwrap_err();
    /// assert_eq!(err.machine_token_message(TokenType::OAuthToken), "OAuth token not found");
    /// # Ok(()) }
    /// ```
    pub async fn verify_oauth_token(&self, token: &str) -> Result<IdPOAuthAccessToken, ApiError> {
        let answer: OAuthAnswer = self
            .sibling_verify(
                "/oauth_applications/access_tokens/verify",
                &["oauth_applications", "access_tokens", "verify"],
                "access_token",
                token,
            )
            .await?;
        match answer {
            OAuthAnswer::NotActive => Err(ApiError::inactive(
                TokenType::OAuthToken,
                InactiveState::NotActive,
            )),
            OAuthAnswer::Token(t) => {
                refuse_inactive(TokenType::OAuthToken, t.revoked, t.expired)?;
                Ok(t)
            }
        }
    }

    async fn sibling_verify<T: DeserializeOwned>(
        &self,
        template: &'static str,
        segments: &[&str],
        field: &'static str,
        token: &str,
    ) -> Result<T, ApiError> {
        if token.is_empty() {
            return Err(ApiError::invalid(field, "it is empty"));
        }
        let key = self.instance_key()?;
        self.send(Call {
            method: Method::POST,
            template,
            segments,
            query: Vec::new(),
            body: Some(json!({ field: token })),
            key,
            retry: Retry::Idempotent,
        })
        .await
    }
}

/// [`ApiError::Inactive`] for a token resource whose flags say it is revoked or expired.
pub(crate) fn refuse_inactive(
    token_type: TokenType,
    revoked: bool,
    expired: bool,
) -> Result<(), ApiError> {
    InactiveState::of(revoked, expired)
        .map_or(Ok(()), |state| Err(ApiError::inactive(token_type, state)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn oauth_answers_are_tokens_or_not_active() {
        let answer = |v: Value| serde_json::from_value::<OAuthAnswer>(v);
        assert!(matches!(
            answer(json!({"active": false})),
            Ok(OAuthAnswer::NotActive)
        ));
        assert!(matches!(
            answer(json!({"active": false, "id": "oat_1", "subject": "user_1"})),
            Ok(OAuthAnswer::NotActive)
        ));
        let Ok(OAuthAnswer::Token(t)) = answer(json!({
            "object": "clerk_idp_oauth_access_token", "id": "oat_1", "client_id": "c",
            "subject": "user_1", "scopes": "read  write", "revoked": false,
            "revocation_reason": null, "expired": true, "expiration": 1.5e12,
            "created_at": 1, "updated_at": 2.0, "type": "oauth_token"
        })) else {
            panic!("a token")
        };
        assert_eq!(t.scopes, ["read", "write"]);
        assert_eq!(t.expiration, Some(1_500_000_000_000));
        assert!(t.expired);
        for bad in [
            json!({"active": true}),
            json!({}),
            json!([1]),
            json!({"id": "oat_1"}),
        ] {
            assert!(answer(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_keys_are_forward_compatible() {
        let k: ApiKey = serde_json::from_value(json!({
            "id": "ak_1", "subject": "mch_1", "claims": {"a": 1}, "revoked": true,
            "revocation_reason": "leaked", "new_field": [1, 2]
        }))
        .unwrap();
        assert_eq!(k.claims, Some(json!({"a": 1})));
        assert_eq!(k.revocation_reason.as_deref(), Some("leaked"));
        assert_eq!((k.created_at, k.expiration), (0, None));
        assert!(serde_json::from_value::<ApiKey>(json!({"id": "ak_1"})).is_err());
        // The JSON form keeps the wire names.
        let v = serde_json::to_value(ApiKey::new("ak_2", "user_2")).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["subject"].as_str()),
            (Some("api_key"), Some("user_2"))
        );
    }

    #[test]
    fn revocation_beats_expiry() {
        let e = refuse_inactive(TokenType::ApiKey, true, true).unwrap_err();
        assert_eq!(e.to_string(), "API key is revoked.");
        let e = refuse_inactive(TokenType::OAuthToken, false, true).unwrap_err();
        assert_eq!(e.to_string(), "OAuth token is expired.");
        assert!(refuse_inactive(TokenType::ApiKey, false, false).is_ok());
    }
}
