//! The instance's in-memory state and every Backend API rule, independent of HTTP.
//!
//! Each operation runs under one `std::sync::Mutex` lock (never across an await), which is what
//! makes concurrent requests behave as if they ran one after another.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Number, Value, json};
use subtle::ConstantTimeEq;

use crate::api_error::ApiError;
use crate::extract::{Field, RequestBody, closed, int_in, query_int, query_integer};
use crate::ids;
use crate::keys::{KeyRing, SigningKey};
use crate::mint;

/// Clerk's default `default_token_ttl` for a machine, in seconds.
pub(crate) const DEFAULT_TOKEN_TTL: u64 = 3600;
/// The spec's maximum `default_token_ttl` of a machine (ten years).
const MAX_TOKEN_TTL: u64 = 315_360_000;
const MAX_PREVIOUS_TOKEN_TTL: u64 = 28_800;
const MAX_SCOPED_MACHINES: usize = 150;
/// How many opaque M2M tokens an emulator keeps by default (see `EmulatorBuilder::max_stored_tokens`).
pub(crate) const DEFAULT_MAX_TOKENS: usize = 100_000;

/// Who is calling, from the `Authorization: Bearer` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    Instance,
    Machine(String),
}

#[derive(Clone)]
pub(crate) struct Machine {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) default_token_ttl: u64,
    pub(crate) scoped: Vec<String>,
    pub(crate) secret: String,
    /// The secret before the last rotation and the time (ms) it stops working.
    pub(crate) previous_secret: Option<(String, i64)>,
}

#[derive(Clone)]
pub(crate) struct Token {
    id: String,
    secret: String,
    subject: String,
    scopes: Vec<String>,
    claims: Option<Value>,
    revoked: bool,
    revocation_reason: Option<String>,
    expiration: Option<i64>,
    last_used_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    seq: u64,
}

impl Token {
    fn is_expired(&self, now: i64) -> bool {
        self.expiration.is_some_and(|e| e <= now)
    }

    fn to_json(&self, now: i64, with_secret: bool) -> Value {
        let mut v = json!({
            "object": "machine_to_machine_token",
            "id": self.id,
            "subject": self.subject,
            "scopes": self.scopes,
            "claims": self.claims,
            "revoked": self.revoked,
            "revocation_reason": self.revocation_reason,
            "expired": self.is_expired(now),
            "expiration": self.expiration,
            "last_used_at": self.last_used_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if with_secret {
            v["token"] = json!(self.secret);
        }
        v
    }
}

/// A machine-side view handed to the library API.
#[derive(Clone)]
pub(crate) struct MachineView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) secret: String,
    pub(crate) scoped: Vec<String>,
}

/// What `POST /m2m_tokens` produced: either a finished answer, or a JWT still to be signed
/// (signing happens after the lock is released).
pub(crate) enum Created {
    Done(Value),
    SignJwt {
        key: Arc<SigningKey>,
        header: Map<String, Value>,
        claims: Map<String, Value>,
        response: Value,
    },
}

// ---- request bodies, as the spec types them ----
//
// Open bodies ignore unknown fields (serde's default), as the spec allows; the spec's closed
// bodies (`additionalProperties: false`) collect them in `extra` and refuse them.

macro_rules! request_body {
    ($name:ident, required = $req:expr) => {
        impl RequestBody for $name {
            const REQUIRED: bool = $req;
        }
    };
}

/// `POST /v1/machines`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateMachine {
    #[serde(default)]
    pub(crate) name: Field<String>,
    #[serde(default)]
    pub(crate) scoped_machines: Field<Vec<String>>,
    #[serde(default)]
    pub(crate) default_token_ttl: Field<Number>,
}
request_body!(CreateMachine, required = false);

/// `PATCH /v1/machines/{id}`.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdateMachine {
    #[serde(default)]
    name: Field<String>,
    #[serde(default)]
    default_token_ttl: Field<Number>,
}
request_body!(UpdateMachine, required = false);

/// `POST /v1/machines/{id}/secret_key/rotate`.
#[derive(Debug, Deserialize)]
pub(crate) struct RotateSecret {
    #[serde(default)]
    previous_token_ttl: Field<Number>,
}
request_body!(RotateSecret, required = true);

/// `POST /v1/machines/{id}/scopes`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AddScope {
    #[serde(default)]
    pub(crate) to_machine_id: Field<String>,
}
request_body!(AddScope, required = false);

/// `POST /m2m_tokens` (closed).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateToken {
    #[serde(default)]
    token_format: Field<String>,
    #[serde(default)]
    seconds_until_expiration: Field<Number>,
    #[serde(default)]
    claims: Field<Value>,
    #[serde(default)]
    min_remaining_ttl_seconds: Field<Number>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}
request_body!(CreateToken, required = true);

/// `POST /m2m_tokens/{id}/revoke` (closed).
#[derive(Debug, Deserialize)]
pub(crate) struct RevokeToken {
    #[serde(default)]
    revocation_reason: Field<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}
request_body!(RevokeToken, required = true);

/// `POST /m2m_tokens/verify` (closed: `token` only).
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyToken {
    #[serde(default)]
    token: Field<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}
request_body!(VerifyToken, required = true);

/// `POST /api_keys/verify` (closed).
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyApiKey {
    #[serde(default)]
    secret: Field<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}
request_body!(VerifyApiKey, required = true);

/// `POST /oauth_applications/access_tokens/verify` (open; `secret` is the deprecated name of
/// `access_token`).
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyOAuth {
    #[serde(default)]
    access_token: Field<String>,
    #[serde(default)]
    secret: Field<String>,
}
request_body!(VerifyOAuth, required = true);

/// A sibling machine token (API key or OAuth access token) as the library API created it.
#[derive(Clone, Debug)]
pub(crate) struct Sibling {
    /// The verify answer, without `revoked`/`expired`, which are computed.
    answer: Value,
    revoked: bool,
    revocation_reason: Option<String>,
    expiration: Option<i64>,
}

impl Sibling {
    fn new(answer: Value) -> Self {
        Self {
            answer,
            revoked: false,
            revocation_reason: None,
            expiration: None,
        }
    }

    fn to_json(&self, now: i64) -> Value {
        let mut v = self.answer.clone();
        v["revoked"] = json!(self.revoked);
        v["revocation_reason"] = json!(self.revocation_reason);
        v["expired"] = json!(self.expiration.is_some_and(|e| e <= now));
        v["expiration"] = json!(self.expiration);
        v
    }
}

// Debug by hand: the state holds every secret.
pub(crate) struct State {
    pub(crate) instance_id: String,
    pub(crate) secret_key: String,
    pub(crate) api_url: String,
    pub(crate) keys: KeyRing,
    machines: Vec<Machine>,
    tokens: HashMap<String, Token>,
    by_secret: HashMap<String, String>,
    seq: u64,
    api_keys: HashMap<String, Sibling>,
    oauth_tokens: HashMap<String, Sibling>,
    /// The most opaque M2M tokens kept; see [`State::make_room`].
    max_tokens: usize,
    /// The API key and OAuth access token `bootstrap_demo_machines` made, for `serve` to print.
    demo_credentials: Option<(String, String)>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("instance_id", &self.instance_id)
            .field("api_url", &self.api_url)
            .field("kids", &self.keys.kids())
            .field("machines", &self.machines.len())
            .field("m2m_tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

fn machine_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("No machine was found with id {id}"))
}

fn token_not_found() -> ApiError {
    ApiError::not_found("The M2M token was not found, or it has been revoked or has expired.")
}

impl State {
    pub(crate) fn new(secret_key: String, api_url: String, key: Arc<SigningKey>) -> Self {
        Self {
            instance_id: ids::instance_id(),
            secret_key,
            api_url,
            keys: KeyRing::new(key),
            machines: Vec::new(),
            tokens: HashMap::new(),
            by_secret: HashMap::new(),
            seq: 0,
            api_keys: HashMap::new(),
            oauth_tokens: HashMap::new(),
            max_tokens: DEFAULT_MAX_TOKENS,
            demo_credentials: None,
        }
    }

    // ---- authentication ----

    /// Resolve a bearer secret; `None` when no key matches (a rotated machine key keeps working
    /// until its grace period ends).
    ///
    /// Every stored secret is compared in constant time (`subtle`), and the scan does not stop
    /// at a match, so the answer time does not tell how much of a guess was right.
    pub(crate) fn caller(&self, secret: &str, now: i64) -> Option<Caller> {
        let eq = |known: &str| bool::from(known.as_bytes().ct_eq(secret.as_bytes()));
        let mut found = None;
        if eq(&self.secret_key) {
            found = Some(Caller::Instance);
        }
        for m in &self.machines {
            let current = eq(&m.secret);
            let previous = m
                .previous_secret
                .as_ref()
                .is_some_and(|(s, until)| eq(s) & (now < *until));
            if (current | previous) && found.is_none() {
                found = Some(Caller::Machine(m.id.clone()));
            }
        }
        found
    }

    /// Remember the demo API key and OAuth access token (secrets), replacing earlier ones.
    pub(crate) fn set_demo_credentials(&mut self, api_key: String, oauth_token: String) {
        self.demo_credentials = Some((api_key, oauth_token));
    }

    /// The demo API key and OAuth access token, if `bootstrap_demo_machines` made them.
    pub(crate) fn demo_credentials(&self) -> Option<(String, String)> {
        self.demo_credentials.clone()
    }

    /// Set how many opaque M2M tokens are kept (at least 1).
    pub(crate) fn set_max_tokens(&mut self, max: usize) {
        self.max_tokens = max.max(1);
    }

    /// Make room for one more stored token: at the cap, evict the oldest revoked or expired
    /// token, else the oldest token (it then verifies as unknown, as on a real instance after
    /// its retention ends).
    fn make_room(&mut self, now: i64) {
        while self.tokens.len() >= self.max_tokens {
            let oldest_dead = self
                .tokens
                .values()
                .filter(|t| t.revoked || t.is_expired(now))
                .min_by_key(|t| t.seq)
                .or_else(|| self.tokens.values().min_by_key(|t| t.seq))
                .map(|t| t.id.clone());
            let Some(id) = oldest_dead else { return };
            if let Some(t) = self.tokens.remove(&id) {
                self.by_secret.remove(&t.secret);
            }
        }
    }

    // ---- machines ----

    fn machine(&self, id: &str) -> Result<&Machine, ApiError> {
        self.machines
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| machine_not_found(id))
    }

    fn machine_mut(&mut self, id: &str) -> Result<&mut Machine, ApiError> {
        self.machines
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or_else(|| machine_not_found(id))
    }

    pub(crate) fn machine_view(&self, id: &str) -> Option<MachineView> {
        self.machine(id).ok().map(|m| MachineView {
            id: m.id.clone(),
            name: m.name.clone(),
            secret: m.secret.clone(),
            scoped: m.scoped.clone(),
        })
    }

    pub(crate) fn machine_views(&self) -> Vec<MachineView> {
        self.machines
            .iter()
            .filter_map(|m| self.machine_view(&m.id))
            .collect()
    }

    pub(crate) fn machine_scopes(&self, id: &str) -> Option<Vec<String>> {
        self.machine(id).ok().map(|m| m.scoped.clone())
    }

    fn machine_brief(&self, m: &Machine) -> Value {
        json!({
            "object": "machine",
            "id": m.id,
            "name": m.name,
            "instance_id": self.instance_id,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
            "default_token_ttl": m.default_token_ttl,
        })
    }

    fn machine_json(&self, m: &Machine) -> Value {
        let mut v = self.machine_brief(m);
        let scoped: Vec<Value> = m
            .scoped
            .iter()
            .filter_map(|id| self.machine(id).ok())
            .map(|s| self.machine_brief(s))
            .collect();
        v["scoped_machines"] = Value::Array(scoped);
        v
    }

    pub(crate) fn create_machine(
        &mut self,
        body: CreateMachine,
        now: i64,
    ) -> Result<Value, ApiError> {
        let name = valid_name(body.name.not_null("name")?)?
            .ok_or_else(|| ApiError::missing_param("name"))?;
        let items = body
            .scoped_machines
            .not_null("scoped_machines")?
            .unwrap_or_default();
        if items.len() > MAX_SCOPED_MACHINES {
            return Err(ApiError::invalid_param(
                "scoped_machines",
                format!("scoped_machines can hold at most {MAX_SCOPED_MACHINES} machines."),
            ));
        }
        let mut scoped: Vec<String> = Vec::with_capacity(items.len());
        for id in items {
            if self.machine(&id).is_err() {
                return Err(ApiError::invalid_param(
                    "scoped_machines",
                    format!("No machine was found with id {id}"),
                ));
            }
            if !scoped.contains(&id) {
                scoped.push(id);
            }
        }
        let ttl = match body.default_token_ttl.not_null("default_token_ttl")? {
            Some(n) => int_in("default_token_ttl", &n, 1, MAX_TOKEN_TTL)?,
            None => DEFAULT_TOKEN_TTL,
        };
        let m = Machine {
            id: ids::machine_id(),
            name,
            created_at: now,
            updated_at: now,
            default_token_ttl: ttl,
            scoped,
            secret: ids::machine_secret_key(),
            previous_secret: None,
        };
        let mut v = self.machine_json(&m);
        v["secret_key"] = json!(m.secret);
        self.machines.push(m);
        Ok(v)
    }

    pub(crate) fn get_machine(&self, id: &str) -> Result<Value, ApiError> {
        Ok(self.machine_json(self.machine(id)?))
    }

    pub(crate) fn list_machines(&self, q: &HashMap<String, String>) -> Result<Value, ApiError> {
        // The spec types these two `integer` here (`number` on `GET /m2m_tokens`).
        let limit =
            query_integer("limit", q.get("limit").map(String::as_str), 1, 500)?.unwrap_or(10);
        let offset =
            query_integer("offset", q.get("offset").map(String::as_str), 0, u64::MAX)?.unwrap_or(0);
        // The spec: an exact match on the machine id, a partial (case-insensitive) one on the name.
        let needle = q.get("query").filter(|n| !n.is_empty());
        let needle_lower = needle.map(|n| n.to_lowercase());
        let mut found: Vec<&Machine> = self
            .machines
            .iter()
            .filter(|m| match (needle, &needle_lower) {
                (Some(n), Some(lower)) => m.id == *n || m.name.to_lowercase().contains(lower),
                _ => true,
            })
            .collect();
        let order = q
            .get("order_by")
            .map_or("-created_at", String::as_str)
            .trim();
        // "If you don't use + or -, then + is implied." A `+` may also arrive decoded as a
        // space from a query string that did not percent-encode it.
        let (descending, field) = match order.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, order.strip_prefix('+').unwrap_or(order)),
        };
        // Machines are stored in creation order, so "created_at" is the stored order.
        match field {
            "created_at" => {}
            "name" => found.sort_by(|a, b| a.name.cmp(&b.name)),
            _ => {
                return Err(ApiError::invalid_param(
                    "order_by",
                    "order_by must be created_at or name, optionally prefixed by + or -.",
                ));
            }
        }
        if descending {
            found.reverse();
        }
        let total = found.len();
        let data: Vec<Value> = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|m| self.machine_json(m))
            .collect();
        Ok(json!({ "data": data, "total_count": total }))
    }

    pub(crate) fn update_machine(
        &mut self,
        id: &str,
        body: UpdateMachine,
        now: i64,
    ) -> Result<Value, ApiError> {
        let name = valid_name(body.name.not_null("name")?)?;
        let ttl = match body.default_token_ttl.not_null("default_token_ttl")? {
            Some(n) => Some(int_in("default_token_ttl", &n, 1, MAX_TOKEN_TTL)?),
            None => None,
        };
        let m = self.machine_mut(id)?;
        if let Some(name) = name {
            m.name = name;
        }
        if let Some(ttl) = ttl {
            m.default_token_ttl = ttl;
        }
        m.updated_at = now;
        self.get_machine(id)
    }

    /// Delete a machine, its scopes both ways, and its opaque tokens.
    pub(crate) fn delete_machine(&mut self, id: &str) -> Result<Value, ApiError> {
        self.machine(id)?;
        self.machines.retain(|m| m.id != id);
        for m in &mut self.machines {
            m.scoped.retain(|s| s != id);
        }
        let gone: Vec<String> = self
            .tokens
            .values()
            .filter(|t| t.subject == id)
            .map(|t| t.id.clone())
            .collect();
        for tid in gone {
            if let Some(t) = self.tokens.remove(&tid) {
                self.by_secret.remove(&t.secret);
            }
        }
        Ok(json!({ "object": "machine", "id": id, "deleted": true }))
    }

    pub(crate) fn machine_secret(&self, id: &str) -> Result<Value, ApiError> {
        let m = self.machine(id)?;
        Ok(json!({ "object": "machine_secret_key", "secret": m.secret }))
    }

    pub(crate) fn rotate_machine_secret(
        &mut self,
        id: &str,
        body: RotateSecret,
        now: i64,
    ) -> Result<Value, ApiError> {
        let grace = body
            .previous_token_ttl
            .not_null("previous_token_ttl")?
            .ok_or_else(|| ApiError::missing_param("previous_token_ttl"))?;
        let grace = int_in("previous_token_ttl", &grace, 0, MAX_PREVIOUS_TOKEN_TTL)?;
        let m = self.machine_mut(id)?;
        let old = std::mem::replace(&mut m.secret, ids::machine_secret_key());
        let grace_ms = i64::try_from(grace).unwrap_or(0).saturating_mul(1000);
        m.previous_secret = (grace > 0).then(|| (old, now.saturating_add(grace_ms)));
        m.updated_at = now;
        Ok(json!({ "object": "machine_secret_key", "secret": m.secret }))
    }

    pub(crate) fn add_scope(
        &mut self,
        id: &str,
        body: AddScope,
        now: i64,
    ) -> Result<Value, ApiError> {
        let to = body
            .to_machine_id
            .or_null()
            .ok_or_else(|| ApiError::missing_param("to_machine_id"))?;
        self.machine(id)?;
        self.machine(&to)?;
        if to == id {
            return Err(ApiError::invalid_param(
                "to_machine_id",
                "A machine cannot be scoped to itself.",
            ));
        }
        let m = self.machine_mut(id)?;
        if m.scoped.contains(&to) {
            return Err(ApiError::conflict(format!(
                "Machine {id} is already scoped to {to}."
            )));
        }
        if m.scoped.len() >= MAX_SCOPED_MACHINES {
            return Err(ApiError::invalid_param(
                "to_machine_id",
                format!("A machine can hold at most {MAX_SCOPED_MACHINES} scopes."),
            ));
        }
        m.scoped.push(to.clone());
        m.updated_at = now;
        Ok(
            json!({ "object": "machine_scope", "from_machine_id": id, "to_machine_id": to, "created_at": now }),
        )
    }

    pub(crate) fn remove_scope(&mut self, id: &str, to: &str, now: i64) -> Result<Value, ApiError> {
        let m = self.machine_mut(id)?;
        if !m.scoped.iter().any(|s| s == to) {
            return Err(ApiError::not_found(format!(
                "Machine {id} is not scoped to {to}."
            )));
        }
        m.scoped.retain(|s| s != to);
        m.updated_at = now;
        Ok(
            json!({ "object": "machine_scope", "from_machine_id": id, "to_machine_id": to, "deleted": true }),
        )
    }

    // ---- M2M tokens ----

    pub(crate) fn create_token(
        &mut self,
        caller: &str,
        body: CreateToken,
        now: i64,
    ) -> Result<Created, ApiError> {
        closed(&body.extra)?;
        let jwt = match body.token_format.not_null("token_format")?.as_deref() {
            None | Some("opaque") => false,
            Some("jwt") => true,
            Some(_) => {
                return Err(ApiError::invalid_param(
                    "token_format",
                    "token_format must be one of opaque, jwt.",
                ));
            }
        };
        let machine = self.machine(caller)?.clone();
        // Absent: the machine's default TTL; null: never expires; else a number > 0. The spec
        // sets no maximum; a lifetime too long for the clock saturates at the end of time.
        let lifetime_ms: Option<i64> = match body.seconds_until_expiration {
            Field::Absent => Some(
                i64::try_from(machine.default_token_ttl)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(1000),
            ),
            Field::Null => None,
            Field::Value(n) => match n.as_f64() {
                // `as` saturates for floats too large for an i64.
                #[allow(clippy::cast_possible_truncation)]
                Some(s) if s > 0.0 && s.is_finite() => Some((s * 1000.0).ceil() as i64),
                _ => {
                    return Err(ApiError::invalid_param(
                        "seconds_until_expiration",
                        "seconds_until_expiration must be a number greater than 0, or null.",
                    ));
                }
            },
        };
        let claims = body.claims.or_null();
        let min_remaining = match body
            .min_remaining_ttl_seconds
            .not_null("min_remaining_ttl_seconds")?
        {
            Some(n) => Some(int_in("min_remaining_ttl_seconds", &n, 0, u64::MAX)?),
            None => None,
        };
        let min_remaining_ms =
            min_remaining.map(|n| i64::try_from(n).unwrap_or(i64::MAX).saturating_mul(1000));
        if let (Some(min), Some(life)) = (min_remaining_ms, lifetime_ms)
            && min >= life
        {
            return Err(ApiError::invalid_param(
                "min_remaining_ttl_seconds",
                "min_remaining_ttl_seconds must be less than the token's lifetime.",
            ));
        }
        let expiration = lifetime_ms.map(|l| now.saturating_add(l));
        let scopes = machine.scoped.clone();
        if jwt {
            return self.plan_jwt(&machine, scopes, claims, lifetime_ms, now);
        }
        if let Some(min) = min_remaining_ms {
            let reusable = self
                .tokens
                .values()
                .filter(|t| {
                    t.subject == machine.id
                        && !t.revoked
                        && !t.is_expired(now)
                        && t.claims == claims
                        && t.scopes == scopes
                        && t.expiration.is_none_or(|e| e.saturating_sub(now) >= min)
                })
                .max_by_key(|t| t.seq);
            if let Some(t) = reusable {
                return Ok(Created::Done(t.to_json(now, true)));
            }
        }
        self.make_room(now);
        self.seq += 1;
        let token = Token {
            id: ids::m2m_token_id(),
            secret: ids::m2m_token_secret(),
            subject: machine.id,
            scopes,
            claims,
            revoked: false,
            revocation_reason: None,
            expiration,
            last_used_at: None,
            created_at: now,
            updated_at: now,
            seq: self.seq,
        };
        let v = token.to_json(now, true);
        self.by_secret
            .insert(token.secret.clone(), token.id.clone());
        self.tokens.insert(token.id.clone(), token);
        Ok(Created::Done(v))
    }

    fn plan_jwt(
        &self,
        machine: &Machine,
        scopes: Vec<String>,
        claims: Option<Value>,
        lifetime_ms: Option<i64>,
        now: i64,
    ) -> Result<Created, ApiError> {
        let custom = match &claims {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(ApiError::invalid_param(
                    "claims",
                    "claims must be a JSON object for JWT tokens.",
                ));
            }
        };
        let iat = now.div_euclid(1000);
        // Round the lifetime up to whole seconds so a JWT never outlives nothing it was asked for.
        let exp = lifetime_ms.map(|l| iat.saturating_add(l.saturating_add(999) / 1000));
        let jti = ids::m2m_token_id();
        let key = self.keys.current().clone();
        let header = mint::m2m_header(key.kid());
        let standard = mint::m2m_claims(
            &self.api_url,
            &machine.id,
            &scopes,
            &jti,
            iat,
            Some(iat),
            exp,
        );
        // The spec refuses no claim names; custom claims never override the ones the
        // instance sets (`iss`, `sub`, `aud`, `scopes`, `jti`, `iat`, `nbf`, `exp`), so a token
        // always says truthfully who issued it, to whom, and until when.
        let mut payload = standard;
        for (k, v) in custom {
            payload.entry(k).or_insert(v);
        }
        let token = Token {
            id: jti,
            secret: String::new(),
            subject: machine.id.clone(),
            scopes,
            claims,
            revoked: false,
            revocation_reason: None,
            expiration: exp.map(|e| e.saturating_mul(1000)),
            last_used_at: None,
            created_at: iat.saturating_mul(1000),
            updated_at: iat.saturating_mul(1000),
            seq: 0,
        };
        Ok(Created::SignJwt {
            key,
            header,
            claims: payload,
            response: token.to_json(now, false),
        })
    }

    pub(crate) fn list_tokens(
        &self,
        caller: &Caller,
        q: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, ApiError> {
        let subject = q
            .get("subject")
            .ok_or_else(|| ApiError::missing_param("subject"))?;
        if !ids::is_word_id(subject, "mch_", 27) {
            return Err(ApiError::invalid_param(
                "subject",
                "subject must be a machine id (mch_...).",
            ));
        }
        if let Caller::Machine(me) = caller
            && me != subject
        {
            return Err(ApiError::forbidden(
                "A machine secret key can only list the tokens of its own machine.",
            ));
        }
        self.machine(subject)?;
        let revoked = query_bool(q, "revoked")?.unwrap_or(false);
        let expired = query_bool(q, "expired")?.unwrap_or(false);
        let limit = query_int("limit", q.get("limit").map(String::as_str), 1, 100)?.unwrap_or(10);
        let offset =
            query_int("offset", q.get("offset").map(String::as_str), 0, u64::MAX)?.unwrap_or(0);
        let mut found: Vec<&Token> = self
            .tokens
            .values()
            .filter(|t| {
                &t.subject == subject && t.revoked == revoked && t.is_expired(now) == expired
            })
            .collect();
        found.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.seq)));
        let total = found.len();
        let page: Vec<Value> = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|t| t.to_json(now, false))
            .collect();
        Ok(json!({ "m2m_tokens": page, "total_count": total }))
    }

    pub(crate) fn revoke_token(
        &mut self,
        caller: &Caller,
        id: &str,
        body: RevokeToken,
        now: i64,
    ) -> Result<Value, ApiError> {
        if !ids::is_m2m_token_id(id) {
            return Err(ApiError::invalid_param(
                "m2m_token_id",
                format!("Invalid 'url_parameter.m2m_token_id': Failed regex check ({id})"),
            ));
        }
        closed(&body.extra)?;
        let reason = body.revocation_reason.or_null();
        let t = self.tokens.get_mut(id).ok_or_else(token_not_found)?;
        if let Caller::Machine(me) = caller {
            // A machine manages only its own tokens; others' look absent rather than forbidden.
            if &t.subject != me {
                return Err(token_not_found());
            }
        }
        if !t.revoked {
            t.revoked = true;
            t.revocation_reason = reason;
            t.updated_at = now;
        }
        Ok(t.to_json(now, false))
    }

    pub(crate) fn verify_token(
        &mut self,
        caller: &Caller,
        body: VerifyToken,
        now: i64,
    ) -> Result<Value, ApiError> {
        closed(&body.extra)?;
        let secret = body
            .token
            .or_null()
            .ok_or_else(|| ApiError::missing_param("token"))?;
        let id = self
            .by_secret
            .get(&secret)
            .cloned()
            .ok_or_else(token_not_found)?;
        let t = self.tokens.get_mut(&id).ok_or_else(token_not_found)?;
        if t.revoked || t.is_expired(now) {
            return Err(token_not_found());
        }
        if let Caller::Machine(me) = caller
            && !t.scopes.contains(me)
        {
            return Err(token_not_found());
        }
        t.last_used_at = Some(now);
        Ok(t.to_json(now, false))
    }

    #[cfg(test)]
    pub(crate) fn token_count(&self) -> usize {
        self.tokens.len()
    }

    // ---- sibling machine tokens (API keys, OAuth access tokens) ----

    pub(crate) fn add_api_key(&mut self, subject: &str, now: i64) -> String {
        let secret = ids::base62("ak_", 40);
        let answer = json!({
            "object": "api_key",
            "id": ids::hex("ak_", 32),
            "type": "api_key",
            "name": "emulator",
            "subject": subject,
            "scopes": [],
            "claims": null,
            "created_by": null,
            "description": null,
            "last_used_at": null,
            "created_at": now,
            "updated_at": now,
        });
        self.api_keys.insert(secret.clone(), Sibling::new(answer));
        secret
    }

    pub(crate) fn add_oauth_token(&mut self, subject: &str, client_id: &str, now: i64) -> String {
        let secret = ids::base62("oat_", 40);
        let answer = json!({
            "object": "clerk_idp_oauth_access_token",
            "id": ids::hex("oat_", 32),
            "client_id": client_id,
            "subject": subject,
            "scopes": [],
            "created_at": now,
            "updated_at": now,
        });
        self.oauth_tokens
            .insert(secret.clone(), Sibling::new(answer));
        secret
    }

    /// Revoke or expire an API key or OAuth access token made by the library API; `false` when
    /// the secret is unknown.
    pub(crate) fn change_sibling(&mut self, secret: &str, change: SiblingChange, now: i64) -> bool {
        let Some(t) = self
            .api_keys
            .get_mut(secret)
            .or_else(|| self.oauth_tokens.get_mut(secret))
        else {
            return false;
        };
        match change {
            SiblingChange::Revoke(reason) => {
                t.revoked = true;
                t.revocation_reason = reason;
            }
            SiblingChange::Expire => t.expiration = Some(now),
        }
        t.answer["updated_at"] = json!(now);
        true
    }

    /// Unknown keys are 404; revoked and expired ones answer with `revoked`/`expired` set, as
    /// the spec's answer has those fields (refusing them is the caller's decision).
    pub(crate) fn verify_api_key(&self, body: VerifyApiKey, now: i64) -> Result<Value, ApiError> {
        closed(&body.extra)?;
        let s = body
            .secret
            .or_null()
            .ok_or_else(|| ApiError::missing_param("secret"))?;
        self.api_keys
            .get(&s)
            .map(|t| t.to_json(now))
            .ok_or_else(|| ApiError::not_found("API key not found"))
    }

    /// The spec's answers: the token object (with `revoked`/`expired` set for a revoked or
    /// expired token); `{"active": false}` for a JWT access token that is not active (the spec's
    /// description of that answer; the emulator issues no JWT access tokens, so every JWT-shaped
    /// one is inactive); 404 for an opaque token the instance does not know.
    pub(crate) fn verify_oauth_token(
        &self,
        body: VerifyOAuth,
        now: i64,
    ) -> Result<Value, ApiError> {
        let s = body
            .access_token
            .or_null()
            .or_else(|| body.secret.or_null())
            .ok_or_else(|| ApiError::missing_param("access_token"))?;
        match self.oauth_tokens.get(&s) {
            Some(t) => Ok(t.to_json(now)),
            None if s.split('.').count() == 3 => Ok(json!({ "active": false })),
            None => Err(ApiError::not_found("OAuth access token not found")),
        }
    }
}

/// What the library API does to an API key or OAuth access token.
#[derive(Debug, Clone)]
pub(crate) enum SiblingChange {
    Revoke(Option<String>),
    Expire,
}

/// A machine name within the spec's 1..=255 characters.
fn valid_name(name: Option<String>) -> Result<Option<String>, ApiError> {
    match name {
        Some(s) if !(1..=255).contains(&s.chars().count()) => Err(ApiError::invalid_param(
            "name",
            "name must be a string of 1 to 255 characters.",
        )),
        other => Ok(other),
    }
}

fn query_bool(q: &HashMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("") | Some("null") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_param(
            name,
            format!("{name} must be true or false."),
        )),
    }
}

#[cfg(test)]
use axum::http::StatusCode;

/// The status an error maps to, for tests.
#[cfg(test)]
fn status_of<T>(r: &Result<T, ApiError>) -> Option<StatusCode> {
    r.as_ref().err().map(|e| e.status)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn body<T: RequestBody>(v: Value) -> T {
        crate::extract::parse(v.to_string().as_bytes()).unwrap()
    }

    fn state() -> State {
        State::new(
            "sk_test_x".into(),
            "http://127.0.0.1:1".into(),
            SigningKey::pooled(0),
        )
    }

    #[test]
    fn machine_secret_rotation_grace() {
        let mut s = state();
        let m = s.create_machine(body(json!({"name":"a"})), 0).unwrap();
        let id = m["id"].as_str().unwrap().to_owned();
        let old = m["secret_key"].as_str().unwrap().to_owned();
        let new = s
            .rotate_machine_secret(&id, body(json!({"previous_token_ttl": 10})), 1000)
            .unwrap();
        let new = new["secret"].as_str().unwrap().to_owned();
        assert_eq!(s.caller(&new, 1000), Some(Caller::Machine(id.clone())));
        assert_eq!(s.caller(&old, 10_999), Some(Caller::Machine(id.clone())));
        assert_eq!(s.caller(&old, 11_000), None);
        s.rotate_machine_secret(&id, body(json!({"previous_token_ttl": 0})), 2000)
            .unwrap();
        assert_eq!(s.caller(&new, 2000), None);
        assert_eq!(
            status_of(&s.rotate_machine_secret(&id, body(json!({})), 0)),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            status_of(&s.rotate_machine_secret(
                &id,
                body(json!({"previous_token_ttl": 28_801})),
                0
            )),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn expiry_follows_the_clock() {
        let mut s = state();
        let m = s
            .create_machine(body(json!({"name":"a","default_token_ttl": 60})), 0)
            .unwrap();
        let id = m["id"].as_str().unwrap().to_owned();
        s.add_scope(&id, body(json!({"to_machine_id": id.clone()})), 0)
            .unwrap_err();
        let Created::Done(t) = s.create_token(&id, body(json!({})), 0).unwrap() else {
            panic!()
        };
        assert_eq!(t["expiration"], 60_000);
        let secret = json!({"token": t["token"]});
        s.verify_token(&Caller::Instance, body(secret.clone()), 59_999)
            .unwrap();
        let e = s
            .verify_token(&Caller::Instance, body(secret), 60_000)
            .unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let q: HashMap<String, String> = [
            ("subject".to_owned(), id.clone()),
            ("expired".to_owned(), "true".to_owned()),
        ]
        .into();
        assert_eq!(
            s.list_tokens(&Caller::Instance, &q, 60_000).unwrap()["total_count"],
            1
        );
        assert_eq!(
            s.list_tokens(&Caller::Instance, &q, 59_000).unwrap()["total_count"],
            0
        );
    }

    #[test]
    fn delete_machine_removes_scopes_and_tokens() {
        let mut s = state();
        let a = s.create_machine(body(json!({"name":"a"})), 0).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let b = s
            .create_machine(body(json!({"name":"b","scoped_machines":[a.clone()]})), 0)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        s.create_token(&a, body(json!({})), 0).unwrap();
        assert_eq!(s.token_count(), 1);
        s.delete_machine(&a).unwrap();
        assert_eq!(s.token_count(), 0);
        assert!(s.machine_scopes(&b).unwrap().is_empty());
        assert_eq!(
            status_of(&s.delete_machine(&a)),
            Some(StatusCode::NOT_FOUND)
        );
    }
}
