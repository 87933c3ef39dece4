//! The M2M token endpoints (`/m2m_tokens…`, without `/v1`, as Clerk's JavaScript SDK calls them).

use std::time::Duration;

use clerk_token_types::{M2MToken, MachineSecretKey, TokenType};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::num::{count, whole_seconds};
use crate::sibling_verify::refuse_inactive;
use crate::transport::{Call, Retry};
use crate::{ApiError, BackendApi, path};

/// The format of a created M2M token.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenFormat {
    /// `"opaque"`: an `mt_…` secret, verified by the Backend API (the server's default).
    Opaque,
    /// `"jwt"`: a signed JWT, verifiable locally against the instance JWKS.
    Jwt,
    /// A value this version does not know, kept as sent.
    Other(String),
}

impl TokenFormat {
    /// The wire text.
    ///
    /// ```rust
    /// use clerk_backend_api::TokenFormat;
    /// assert_eq!(TokenFormat::Jwt.as_str(), "jwt");
    /// assert_eq!(TokenFormat::Other("x".into()).as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::Opaque => "opaque",
            Self::Jwt => "jwt",
            Self::Other(s) => s,
        }
    }
}

impl From<&str> for TokenFormat {
    fn from(s: &str) -> Self {
        match s {
            "opaque" => Self::Opaque,
            "jwt" => Self::Jwt,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl Serialize for TokenFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self::from(s.as_str()))
    }
}

/// The lifetime asked of a new token: the `seconds_until_expiration` field.
///
/// Clerk's JavaScript SDK always sends `null` by default, which means "never expires"; this
/// client defaults to leaving the field out, so the machine's `default_token_ttl` applies (as
/// Clerk's Go SDK does). A token that never expires must be asked for explicitly with
/// [`Never`](Self::Never).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Expiration {
    /// The field is omitted: the machine's `default_token_ttl` applies.
    #[default]
    MachineDefault,
    /// `null`: the token never expires.
    Never,
    /// This long after creation; sent as whole seconds, so it must be a whole number of
    /// seconds greater than zero.
    After(Duration),
}

/// The arguments of [`M2MTokens::create`]. Every field is optional; start from
/// [`new`](Self::new) (the server's format), [`opaque`](Self::opaque) or [`jwt`](Self::jwt).
///
/// Wire form: `token_format` and `claims` are left out when `None` (the server then uses
/// `opaque` and no claims, the same as the JavaScript SDK's explicit `"opaque"` and `null`);
/// `seconds_until_expiration` follows [`Expiration`]; `min_remaining_ttl_seconds` is left out
/// when `None`.
///
/// ```rust
/// use std::time::Duration;
/// use clerk_backend_api::{CreateM2MTokenParams, Expiration, TokenFormat};
/// let p = CreateM2MTokenParams::jwt()
///     .expires_in(Duration::from_secs(300))
///     .claims(serde_json::json!({"role": "reader"}));
/// assert_eq!(p.token_format, Some(TokenFormat::Jwt));
/// assert_eq!(p.expiration, Expiration::After(Duration::from_secs(300)));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateM2MTokenParams {
    /// `opaque` (server default) or `jwt`.
    pub token_format: Option<TokenFormat>,
    /// The lifetime (`seconds_until_expiration` on the wire).
    pub expiration: Expiration,
    /// Custom claims (any JSON; an object in practice). Keys are sent as given.
    pub claims: Option<Value>,
    /// Opaque tokens only: return an existing live token with the same claims and scopes and at
    /// least this long left instead of minting one (`min_remaining_ttl_seconds`, whole
    /// seconds). Must be below the lifetime.
    pub min_remaining_ttl: Option<Duration>,
    /// The machine secret key to authenticate with, instead of the client's.
    pub machine_secret_key: Option<MachineSecretKey>,
}

impl CreateM2MTokenParams {
    /// No field set: the server's format (opaque), the machine's default lifetime, no claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// An opaque (`mt_…`) token, stated explicitly.
    pub fn opaque() -> Self {
        Self::new().token_format(TokenFormat::Opaque)
    }

    /// A JWT-format token, verifiable without a network call.
    pub fn jwt() -> Self {
        Self::new().token_format(TokenFormat::Jwt)
    }

    /// Sets [`token_format`](Self::token_format).
    pub fn token_format(mut self, format: TokenFormat) -> Self {
        self.token_format = Some(format);
        self
    }

    /// Sets the lifetime to `lifetime` ([`Expiration::After`]).
    pub fn expires_in(self, lifetime: Duration) -> Self {
        self.expiration(Expiration::After(lifetime))
    }

    /// A token that never expires ([`Expiration::Never`]).
    pub fn never_expires(self) -> Self {
        self.expiration(Expiration::Never)
    }

    /// Sets [`expiration`](Self::expiration).
    pub fn expiration(mut self, expiration: Expiration) -> Self {
        self.expiration = expiration;
        self
    }

    /// Sets [`claims`](Self::claims).
    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    /// Sets [`min_remaining_ttl`](Self::min_remaining_ttl).
    pub fn min_remaining_ttl(mut self, ttl: Duration) -> Self {
        self.min_remaining_ttl = Some(ttl);
        self
    }

    /// Sets [`machine_secret_key`](Self::machine_secret_key).
    pub fn machine_secret_key(mut self, key: MachineSecretKey) -> Self {
        self.machine_secret_key = Some(key);
        self
    }
}

/// The arguments of [`M2MTokens::list`]: a subject and optional filters.
///
/// ```rust
/// let p = clerk_backend_api::ListM2MTokensParams::new("mch_1").revoked(true).limit(5);
/// assert_eq!((p.subject.as_str(), p.revoked, p.limit), ("mch_1", Some(true), Some(5)));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListM2MTokensParams {
    /// The machine whose tokens to list (`mch_…`, required).
    pub subject: String,
    /// Select revoked (`true`) or non-revoked (`false`) tokens; server default `false`.
    pub revoked: Option<bool>,
    /// Select expired (`true`) or live (`false`) tokens; server default `false`.
    pub expired: Option<bool>,
    /// Page size, 1..=100 (server default 10).
    pub limit: Option<u32>,
    /// Items to skip (server default 0).
    pub offset: Option<u32>,
    /// The machine secret key to authenticate with, instead of the client's.
    pub machine_secret_key: Option<MachineSecretKey>,
}

impl ListM2MTokensParams {
    /// Parameters listing `subject`'s tokens with the server's defaults.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            revoked: None,
            expired: None,
            limit: None,
            offset: None,
            machine_secret_key: None,
        }
    }

    /// Sets [`revoked`](Self::revoked).
    pub fn revoked(mut self, revoked: bool) -> Self {
        self.revoked = Some(revoked);
        self
    }

    /// Sets [`expired`](Self::expired).
    pub fn expired(mut self, expired: bool) -> Self {
        self.expired = Some(expired);
        self
    }

    /// Sets [`limit`](Self::limit) (checked to be 1..=100 when sent).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets [`offset`](Self::offset).
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets [`machine_secret_key`](Self::machine_secret_key).
    pub fn machine_secret_key(mut self, key: MachineSecretKey) -> Self {
        self.machine_secret_key = Some(key);
        self
    }
}

/// The arguments of [`M2MTokens::revoke`]; all optional.
///
/// ```rust
/// let p = clerk_backend_api::RevokeM2MTokenParams::new().reason("rotated");
/// assert_eq!(p.reason.as_deref(), Some("rotated"));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevokeM2MTokenParams {
    /// Why (`revocation_reason`; sent as `null` when `None`).
    pub reason: Option<String>,
    /// The machine secret key to authenticate with, instead of the client's.
    pub machine_secret_key: Option<MachineSecretKey>,
}

impl RevokeM2MTokenParams {
    /// No reason, the client's key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`reason`](Self::reason).
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets [`machine_secret_key`](Self::machine_secret_key).
    pub fn machine_secret_key(mut self, key: MachineSecretKey) -> Self {
        self.machine_secret_key = Some(key);
        self
    }
}

/// One page of [`M2MTokens::list`]. Unknown fields are ignored.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct M2MTokenList {
    /// The tokens (without their secrets), newest first.
    pub m2m_tokens: Vec<M2MToken>,
    /// How many tokens match in total. The spec types it `number`: `3.0` is read as 3; a
    /// negative or fractional count is an [`ApiError::Decode`].
    #[serde(deserialize_with = "count")]
    pub total_count: u64,
}

/// The M2M token endpoints; get one with [`BackendApi::m2m_tokens`].
///
/// Authorization follows Clerk's JavaScript SDK: the per-call machine secret key, else the
/// client's machine secret key, else the instance secret key. With none of them the call fails
/// with [`ApiError::MissingSecretKey`] before any I/O (the JavaScript SDK sends the request
/// without a key and gets a 401). Create needs a machine secret key; the server refuses the
/// instance key.
#[derive(Clone, Copy, Debug)]
pub struct M2MTokens<'a> {
    api: &'a BackendApi,
}

impl BackendApi {
    /// The M2M token endpoints.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, CreateM2MTokenParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let machine = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).machine_secret_key(machine.secret_key).build()?;
    /// let token = api.m2m_tokens().create(CreateM2MTokenParams::new()).await?;
    /// assert_eq!(token.subject, machine.id);
    /// # Ok(()) }
    /// ```
    pub fn m2m_tokens(&self) -> M2MTokens<'_> {
        M2MTokens { api: self }
    }

    /// The bearer for an M2M endpoint, by the precedence described on [`M2MTokens`].
    fn m2m_key<'a>(&'a self, per_call: Option<&'a MachineSecretKey>) -> Result<&'a str, ApiError> {
        let inner = &self.inner;
        per_call
            .or(inner.machine_secret_key.as_ref())
            .map(MachineSecretKey::expose_secret)
            .or_else(|| inner.secret_key.as_ref().map(|k| k.expose_secret()))
            .ok_or(ApiError::MissingSecretKey)
    }
}

impl M2MTokens<'_> {
    /// Creates a token for the machine of the machine secret key: `POST /m2m_tokens`, expecting
    /// 201 and a response that carries the `token`. Never retried unless
    /// [`RetryPolicy::retry_create`](crate::RetryPolicy::retry_create) is set.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] (nothing sent) for a lifetime or `min_remaining_ttl` that is
    /// zero or not whole seconds, or a `min_remaining_ttl` not below the lifetime;
    /// [`ApiError::Api`] for the server's
    /// refusal (401 `machine_secret_key_invalid` with an instance key, 400, ...); a
    /// [`ApiError::Decode`] when the response has no `token`.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use clerk_backend_api::{BackendApi, CreateM2MTokenParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let machine = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).build()?;
    /// let params = CreateM2MTokenParams::jwt()
    ///     .expires_in(Duration::from_secs(300))
    ///     .claims(serde_json::json!({"role": "reader"}))
    ///     .machine_secret_key(machine.secret_key);
    /// let token = api.m2m_tokens().create(params).await?;
    /// assert_eq!(token.token.as_deref().map(|t| t.split('.').count()), Some(3));
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: CreateM2MTokenParams) -> Result<M2MToken, ApiError> {
        let body = create_body(&params)?;
        let key = self.api.m2m_key(params.machine_secret_key.as_ref())?;
        let token: M2MToken = self
            .api
            .send(Call {
                method: Method::POST,
                template: "/m2m_tokens",
                segments: &["m2m_tokens"],
                query: Vec::new(),
                body: Some(body),
                key,
                retry: Retry::Creates,
            })
            .await?;
        if token.token.is_none() {
            return Err(ApiError::Decode {
                status: 201,
                message: "the create response has no token".to_owned(),
                snippet: String::new(),
            });
        }
        Ok(token)
    }

    /// Lists a machine's opaque tokens: `GET /m2m_tokens?subject=…`. `revoked`, `expired`,
    /// `limit` and `offset` are sent when set (`false` too, unlike Clerk's JavaScript SDK, which
    /// drops falsy values; the server's default is `false` anyway).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] (nothing sent) for an empty subject or a limit outside
    /// 1..=100; [`ApiError::Api`] for the server's refusal; [`ApiError::Decode`] for an answer
    /// that does not decode, such as a negative or fractional `total_count`.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, CreateM2MTokenParams, ListM2MTokensParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let machine = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key())
    ///     .machine_secret_key(machine.secret_key).build()?;
    /// api.m2m_tokens().create(CreateM2MTokenParams::new()).await?;
    /// let page = api.m2m_tokens().list(ListM2MTokensParams::new(&machine.id)).await?;
    /// assert_eq!(page.total_count, 1);
    /// assert!(page.m2m_tokens[0].token.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, params: ListM2MTokensParams) -> Result<M2MTokenList, ApiError> {
        if params.subject.is_empty() {
            return Err(ApiError::invalid(
                "subject",
                "A subject (machine id) is required.",
            ));
        }
        if let Some(limit) = params.limit
            && !(1..=100).contains(&limit)
        {
            return Err(ApiError::invalid(
                "limit",
                format!("{limit} is outside 1..=100"),
            ));
        }
        let key = self.api.m2m_key(params.machine_secret_key.as_ref())?;
        let mut query = vec![("subject", params.subject.clone())];
        let mut push = |name, v: Option<String>| {
            if let Some(v) = v {
                query.push((name, v));
            }
        };
        push("revoked", params.revoked.map(|b| b.to_string()));
        push("expired", params.expired.map(|b| b.to_string()));
        push("limit", params.limit.map(|n| n.to_string()));
        push("offset", params.offset.map(|n| n.to_string()));
        self.api
            .send(Call {
                method: Method::GET,
                template: "/m2m_tokens",
                segments: &["m2m_tokens"],
                query,
                body: None,
                key,
                retry: Retry::Idempotent,
            })
            .await
    }

    /// Revokes an opaque token by id: `POST /m2m_tokens/{id}/revoke` with
    /// `{"revocation_reason": reason or null}`. Retried like a read (revoking twice is
    /// harmless).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] (nothing sent) for an id that is empty or not path-safe;
    /// [`ApiError::Api`] 404 for an unknown id.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, CreateM2MTokenParams, RevokeM2MTokenParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let machine = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).machine_secret_key(machine.secret_key).build()?;
    /// let t = api.m2m_tokens().create(CreateM2MTokenParams::new()).await?;
    /// let revoked = api.m2m_tokens().revoke(&t.id, RevokeM2MTokenParams::new().reason("rotated")).await?;
    /// assert!(revoked.revoked);
    /// assert!(api.m2m_tokens().revoke("../x", RevokeM2MTokenParams::new()).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn revoke(
        &self,
        id: &str,
        params: RevokeM2MTokenParams,
    ) -> Result<M2MToken, ApiError> {
        path::check_id("m2m_token_id", id)?;
        let key = self.api.m2m_key(params.machine_secret_key.as_ref())?;
        self.api
            .send(Call {
                method: Method::POST,
                template: "/m2m_tokens/{m2m_token_id}/revoke",
                segments: &["m2m_tokens", id, "revoke"],
                query: Vec::new(),
                body: Some(json!({ "revocation_reason": params.reason })),
                key,
                retry: Retry::Idempotent,
            })
            .await
    }

    /// Verifies an opaque token with the Backend API: `POST /m2m_tokens/verify` with
    /// `{"token": …}`. A JWT-format M2M token is not stored by Clerk; verify it locally
    /// (`clerk-token-verify`). The server answers 404 for unknown, revoked and expired tokens;
    /// [`ApiError::machine_token_code`] maps failures as Clerk's JavaScript SDK does. A 200
    /// answer that says `revoked: true` or `expired: true` is refused too (the JavaScript SDK
    /// would return it as verified).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] (nothing sent) for an empty token; [`ApiError::Api`] 404 for a
    /// token the server does not accept, 401 for a refused key; [`ApiError::Inactive`] for a
    /// revoked or expired token.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, CreateM2MTokenParams};
    /// use clerk_token_types::ErrorCode;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let machine = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let created = api.m2m_tokens()
    ///     .create(CreateM2MTokenParams::new().machine_secret_key(machine.secret_key))
    ///     .await?;
    /// let verified = api.m2m_tokens().verify(created.token.as_deref().unwrap_or_default(), None).await?;
    /// assert_eq!(verified.id, created.id);
    /// let err = api.m2m_tokens().verify("mt_unknown", None).await.unwrap_err();
    /// assert_eq!(err.machine_token_code(), ErrorCode::TokenInvalid);
    /// # Ok(()) }
    /// ```
    pub async fn verify(
        &self,
        token: &str,
        machine_secret_key: Option<&MachineSecretKey>,
    ) -> Result<M2MToken, ApiError> {
        if token.is_empty() {
            return Err(ApiError::invalid("token", "it is empty"));
        }
        let key = self.api.m2m_key(machine_secret_key)?;
        let verified: M2MToken = self
            .api
            .send(Call {
                method: Method::POST,
                template: "/m2m_tokens/verify",
                segments: &["m2m_tokens", "verify"],
                query: Vec::new(),
                body: Some(json!({ "token": token })),
                key,
                retry: Retry::Idempotent,
            })
            .await?;
        refuse_inactive(TokenType::M2MToken, verified.revoked, verified.expired)?;
        Ok(verified)
    }
}

/// The create body; see [`CreateM2MTokenParams`] for what is omitted.
fn create_body(p: &CreateM2MTokenParams) -> Result<Value, ApiError> {
    let mut body = Map::new();
    if let Some(format) = &p.token_format {
        body.insert("token_format".into(), Value::String(format.as_str().into()));
    }
    let min = p
        .min_remaining_ttl
        .map(|d| whole_seconds("min_remaining_ttl", d))
        .transpose()?;
    match p.expiration {
        Expiration::MachineDefault => {}
        Expiration::Never => {
            body.insert("seconds_until_expiration".into(), Value::Null);
        }
        Expiration::After(lifetime) => {
            let n = whole_seconds("expiration", lifetime)?;
            if n == 0 {
                return Err(ApiError::invalid("expiration", "it must be greater than 0"));
            }
            if let Some(min) = min
                && min >= n
            {
                return Err(ApiError::invalid(
                    "min_remaining_ttl",
                    format!("{min}s is not below the token lifetime of {n}s"),
                ));
            }
            body.insert("seconds_until_expiration".into(), Value::from(n));
        }
    }
    if let Some(claims) = &p.claims {
        body.insert("claims".into(), claims.clone());
    }
    if let Some(min) = min {
        body.insert("min_remaining_ttl_seconds".into(), Value::from(min));
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn create_body_null_versus_absent() {
        assert_eq!(
            create_body(&CreateM2MTokenParams::new()).unwrap(),
            json!({})
        );
        let p = CreateM2MTokenParams::opaque()
            .never_expires()
            .claims(json!({"camelCase": 1}))
            .min_remaining_ttl(Duration::from_secs(240));
        assert_eq!(
            create_body(&p).unwrap(),
            json!({"token_format":"opaque","seconds_until_expiration":null,"claims":{"camelCase":1},"min_remaining_ttl_seconds":240})
        );
        let p = CreateM2MTokenParams::new().expires_in(Duration::from_secs(60));
        assert_eq!(
            create_body(&p).unwrap(),
            json!({"seconds_until_expiration": 60})
        );
        assert_eq!(
            create_body(&CreateM2MTokenParams::jwt()).unwrap(),
            json!({"token_format": "jwt"})
        );
    }

    #[test]
    fn create_body_rejects_bad_lifetimes() {
        let field = |p: CreateM2MTokenParams| match create_body(&p) {
            Err(ApiError::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let p = CreateM2MTokenParams::new();
        assert_eq!(field(p.clone().expires_in(Duration::ZERO)), "expiration");
        assert_eq!(
            field(p.clone().expires_in(Duration::from_millis(1500))),
            "expiration"
        );
        assert_eq!(
            field(
                p.clone()
                    .expires_in(Duration::from_secs(60))
                    .min_remaining_ttl(Duration::from_secs(60))
            ),
            "min_remaining_ttl"
        );
        assert_eq!(
            field(p.min_remaining_ttl(Duration::from_nanos(1))),
            "min_remaining_ttl"
        );
    }

    #[test]
    fn list_total_count_follows_the_spec_number_type() {
        let page = |n: &str| {
            serde_json::from_str::<M2MTokenList>(&format!(
                r#"{{"m2m_tokens":[],"total_count":{n},"future":1}}"#
            ))
        };
        assert_eq!(page("3.0").unwrap().total_count, 3);
        assert_eq!(page("7").unwrap().total_count, 7);
        for bad in ["-1", "2.5", "\"3\""] {
            assert!(page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_format_keeps_unknown_values() {
        let f: TokenFormat = serde_json::from_str("\"paseto\"").unwrap();
        assert_eq!(f, TokenFormat::Other("paseto".into()));
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"paseto\"");
        let f: TokenFormat = serde_json::from_str("\"jwt\"").unwrap();
        assert_eq!(f, TokenFormat::Jwt);
    }
}
