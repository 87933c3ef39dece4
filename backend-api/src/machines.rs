//! The machine endpoints (`/v1/machines…`, instance secret key) and their models.

use std::time::Duration;

use clerk_token_types::MachineSecretKey;
use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::num::{count, number, opt_number, opt_seconds, whole_seconds};
use crate::transport::{Call, Retry};
use crate::{ApiError, BackendApi, path};

fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MachineSecretKey>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => MachineSecretKey::new(s)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("the machine secret key is malformed")),
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<MachineSecretKey, D::Error> {
    opt_secret(d)?.ok_or_else(|| serde::de::Error::custom("the machine secret key is missing"))
}

/// A machine a [`Machine`] may call (`MachineWithoutScopedMachines`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ScopedMachine {
    /// `mch_…`
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The instance (`ins_…`).
    #[serde(default)]
    pub instance_id: String,
    /// Creation time.
    #[serde(default, deserialize_with = "number")]
    pub created_at: i64,
    /// Last update.
    #[serde(default, deserialize_with = "number")]
    pub updated_at: i64,
    /// Default lifetime of its tokens (whole seconds on the wire).
    #[serde(default, deserialize_with = "opt_seconds")]
    pub default_token_ttl: Option<Duration>,
}

/// A machine. `secret_key` is only in the create response; its `Debug` shows the prefix only.
/// Unknown fields are ignored.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Machine {
    /// `mch_…`
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The instance (`ins_…`).
    #[serde(default)]
    pub instance_id: String,
    /// Creation time.
    #[serde(default, deserialize_with = "number")]
    pub created_at: i64,
    /// Last update.
    #[serde(default, deserialize_with = "number")]
    pub updated_at: i64,
    /// Default lifetime of its tokens (whole seconds on the wire).
    #[serde(default, deserialize_with = "opt_seconds")]
    pub default_token_ttl: Option<Duration>,
    /// The machines its tokens may call.
    #[serde(default)]
    pub scoped_machines: Vec<ScopedMachine>,
    /// Its secret key, in the create response only.
    #[serde(default, deserialize_with = "opt_secret")]
    pub secret_key: Option<MachineSecretKey>,
}

/// One page of [`Machines::list`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MachineList {
    /// The machines.
    pub data: Vec<Machine>,
    /// How many match in total. The spec requires it: a page without it, or with a negative or
    /// fractional count, is an [`ApiError::Decode`](crate::ApiError::Decode) rather than a
    /// silent 0 (which would end a caller's pagination early).
    #[serde(deserialize_with = "count")]
    pub total_count: u64,
}

/// A machine's secret key (`{"object":"machine_secret_key","secret":…}`); `Debug` shows the
/// prefix only.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MachineSecret {
    /// The secret key, ready for [`BackendApiBuilder::machine_secret_key`](crate::BackendApiBuilder::machine_secret_key).
    #[serde(deserialize_with = "secret")]
    pub secret: MachineSecretKey,
}

/// A scope from one machine to another (`object: "machine_scope"`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MachineScope {
    /// The machine whose tokens gain or lose access.
    pub from_machine_id: String,
    /// The machine they may call.
    pub to_machine_id: String,
    /// Creation time (when added).
    #[serde(default, deserialize_with = "opt_number")]
    pub created_at: Option<i64>,
    /// `Some(true)` when removed.
    #[serde(default)]
    pub deleted: Option<bool>,
}

/// The answer to a delete (`{"object":…, "id":…, "deleted":true}`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DeletedObject {
    /// The object type, e.g. `machine`.
    #[serde(default)]
    pub object: String,
    /// The deleted id.
    pub id: String,
    /// Whether it was deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// The arguments of [`Machines::list`]; all optional.
///
/// ```rust
/// let p = clerk_backend_api::ListMachinesParams::new().limit(50).offset(100).order_by("+name");
/// assert_eq!((p.limit, p.offset, p.order_by.as_deref()), (Some(50), Some(100), Some("+name")));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListMachinesParams {
    /// Page size, 1..=500 (server default 10).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u32>,
    /// A search query: an exact machine id, or part of a name.
    pub query: Option<String>,
    /// Sort order, e.g. `-created_at` (the server's default) or `+name`.
    pub order_by: Option<String>,
}

impl ListMachinesParams {
    /// The server's defaults: the first 10 machines, newest first.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`limit`](Self::limit) (checked to be 1..=500 when sent).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets [`offset`](Self::offset).
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets [`query`](Self::query).
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Sets [`order_by`](Self::order_by).
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }
}

/// The arguments of [`Machines::create`].
///
/// ```rust
/// use std::time::Duration;
/// let p = clerk_backend_api::CreateMachineParams::new("worker")
///     .scoped_machines(["mch_callee"])
///     .default_token_ttl(Duration::from_secs(600));
/// assert_eq!(p.scoped_machines, ["mch_callee"]);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateMachineParams {
    /// The name, 1 to 255 characters.
    pub name: String,
    /// Machines the new one's tokens may call.
    pub scoped_machines: Vec<String>,
    /// Default token lifetime, whole seconds and > 0 (server default one hour).
    pub default_token_ttl: Option<Duration>,
}

impl CreateMachineParams {
    /// A machine with this name and the defaults.
    ///
    /// ```rust
    /// let p = clerk_backend_api::CreateMachineParams::new("worker");
    /// assert!(p.scoped_machines.is_empty());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets [`scoped_machines`](Self::scoped_machines).
    pub fn scoped_machines<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scoped_machines = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`default_token_ttl`](Self::default_token_ttl).
    pub fn default_token_ttl(mut self, ttl: Duration) -> Self {
        self.default_token_ttl = Some(ttl);
        self
    }
}

/// The arguments of [`Machines::update`]; fields left `None` are not changed.
///
/// ```rust
/// use std::time::Duration;
/// let p = clerk_backend_api::UpdateMachineParams::new().name("renamed");
/// assert_eq!((p.name.as_deref(), p.default_token_ttl), (Some("renamed"), None));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateMachineParams {
    /// A new name.
    pub name: Option<String>,
    /// A new default token lifetime (whole seconds, > 0).
    pub default_token_ttl: Option<Duration>,
}

impl UpdateMachineParams {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`name`](Self::name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets [`default_token_ttl`](Self::default_token_ttl).
    pub fn default_token_ttl(mut self, ttl: Duration) -> Self {
        self.default_token_ttl = Some(ttl);
        self
    }
}

/// The longest grace period of a rotated secret key the API accepts (8 hours).
const MAX_PREVIOUS_TOKEN_TTL_SECS: u64 = 28_800;

/// The machine endpoints; get one with [`BackendApi::machines`]. Every call needs the instance
/// secret key and fails with [`ApiError::MissingSecretKey`] before any I/O without it. Ids must
/// be non-empty and path-safe (ASCII letters, digits, `_`, `-`), else
/// [`ApiError::InvalidInput`] and nothing is sent.
#[derive(Clone, Copy, Debug)]
pub struct Machines<'a> {
    api: &'a BackendApi,
}

impl BackendApi {
    /// The machine endpoints.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, CreateMachineParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let m = api.machines().create(CreateMachineParams::new("worker")).await?;
    /// assert!(m.secret_key.is_some());
    /// # Ok(()) }
    /// ```
    pub fn machines(&self) -> Machines<'_> {
        Machines { api: self }
    }

    pub(crate) fn instance_key(&self) -> Result<&str, ApiError> {
        self.inner
            .secret_key
            .as_ref()
            .map(|k| k.expose_secret())
            .ok_or(ApiError::MissingSecretKey)
    }
}

/// A TTL argument in the whole seconds the API takes; zero is refused (the server would).
fn ttl_seconds(field: &'static str, ttl: Option<Duration>) -> Result<Option<u64>, ApiError> {
    match ttl.map(|d| whole_seconds(field, d)).transpose()? {
        Some(0) => Err(ApiError::invalid(field, "it must be greater than 0")),
        secs => Ok(secs),
    }
}

impl Machines<'_> {
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        template: &'static str,
        segments: &[&str],
        query: Vec<(&'static str, String)>,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<T, ApiError> {
        let key = self.api.instance_key()?;
        self.api
            .send(Call {
                method,
                template,
                segments,
                query,
                body,
                key,
                retry,
            })
            .await
    }

    /// Lists machines: `GET /v1/machines`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a limit outside 1..=500; [`ApiError::Api`] on refusal.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::{BackendApi, ListMachinesParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let page = api.machines().list(ListMachinesParams::new()).await?;
    /// assert_eq!(page.total_count, 1);
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, params: ListMachinesParams) -> Result<MachineList, ApiError> {
        if let Some(limit) = params.limit
            && !(1..=500).contains(&limit)
        {
            return Err(ApiError::invalid(
                "limit",
                format!("{limit} is outside 1..=500"),
            ));
        }
        let mut query = Vec::new();
        if let Some(n) = params.limit {
            query.push(("limit", n.to_string()));
        }
        if let Some(n) = params.offset {
            query.push(("offset", n.to_string()));
        }
        if let Some(q) = params.query {
            query.push(("query", q));
        }
        if let Some(o) = params.order_by {
            query.push(("order_by", o));
        }
        self.call(
            Method::GET,
            "/v1/machines",
            &["v1", "machines"],
            query,
            None,
            Retry::Idempotent,
        )
        .await
    }

    /// Creates a machine: `POST /v1/machines`. The response carries its secret key. Not retried
    /// unless [`RetryPolicy::retry_create`](crate::RetryPolicy::retry_create) is set.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for an empty name or a zero TTL; [`ApiError::Api`] on refusal.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use clerk_backend_api::{BackendApi, CreateMachineParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let callee = api.machines().create(CreateMachineParams::new("callee")).await?;
    /// let caller = api.machines().create(
    ///     CreateMachineParams::new("caller")
    ///         .scoped_machines([&callee.id])
    ///         .default_token_ttl(Duration::from_secs(600)),
    /// ).await?;
    /// assert_eq!(caller.scoped_machines[0].id, callee.id);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: CreateMachineParams) -> Result<Machine, ApiError> {
        if params.name.is_empty() {
            return Err(ApiError::invalid("name", "it is empty"));
        }
        let ttl = ttl_seconds("default_token_ttl", params.default_token_ttl)?;
        let mut body = Map::new();
        body.insert("name".into(), Value::String(params.name));
        if !params.scoped_machines.is_empty() {
            body.insert("scoped_machines".into(), json!(params.scoped_machines));
        }
        if let Some(ttl) = ttl {
            body.insert("default_token_ttl".into(), Value::from(ttl));
        }
        self.call(
            Method::POST,
            "/v1/machines",
            &["v1", "machines"],
            Vec::new(),
            Some(Value::Object(body)),
            Retry::Creates,
        )
        .await
    }

    /// Gets a machine: `GET /v1/machines/{id}`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id; [`ApiError::Api`] 404 for an unknown one.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// assert_eq!(api.machines().get(&m.id).await?.name, "worker");
    /// assert!(api.machines().get("a/b").await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id: &str) -> Result<Machine, ApiError> {
        path::check_id("machine_id", id)?;
        self.call(
            Method::GET,
            "/v1/machines/{machine_id}",
            &["v1", "machines", id],
            Vec::new(),
            None,
            Retry::Idempotent,
        )
        .await
    }

    /// Updates a machine's name or default TTL: `PATCH /v1/machines/{id}`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id, an empty name or a zero TTL.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use clerk_backend_api::{BackendApi, UpdateMachineParams};
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let params = UpdateMachineParams::new().name("renamed").default_token_ttl(Duration::from_secs(60));
    /// let updated = api.machines().update(&m.id, params).await?;
    /// assert_eq!(updated.name, "renamed");
    /// assert_eq!(updated.default_token_ttl, Some(Duration::from_secs(60)));
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, id: &str, params: UpdateMachineParams) -> Result<Machine, ApiError> {
        path::check_id("machine_id", id)?;
        if params.name.as_deref() == Some("") {
            return Err(ApiError::invalid("name", "it is empty"));
        }
        let ttl = ttl_seconds("default_token_ttl", params.default_token_ttl)?;
        let mut body = Map::new();
        if let Some(name) = params.name {
            body.insert("name".into(), Value::String(name));
        }
        if let Some(ttl) = ttl {
            body.insert("default_token_ttl".into(), Value::from(ttl));
        }
        self.call(
            Method::PATCH,
            "/v1/machines/{machine_id}",
            &["v1", "machines", id],
            Vec::new(),
            Some(Value::Object(body)),
            Retry::Idempotent,
        )
        .await
    }

    /// Deletes a machine: `DELETE /v1/machines/{id}`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id; [`ApiError::Api`] 404 for an unknown one.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let deleted = api.machines().delete(&m.id).await?;
    /// assert!(deleted.deleted && deleted.id == m.id);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: &str) -> Result<DeletedObject, ApiError> {
        path::check_id("machine_id", id)?;
        self.call(
            Method::DELETE,
            "/v1/machines/{machine_id}",
            &["v1", "machines", id],
            Vec::new(),
            None,
            Retry::Idempotent,
        )
        .await
    }

    /// Gets a machine's secret key: `GET /v1/machines/{id}/secret_key`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id; [`ApiError::Api`] 404 for an unknown one.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// assert_eq!(api.machines().secret_key(&m.id).await?.secret, m.secret_key);
    /// # Ok(()) }
    /// ```
    pub async fn secret_key(&self, id: &str) -> Result<MachineSecret, ApiError> {
        path::check_id("machine_id", id)?;
        self.call(
            Method::GET,
            "/v1/machines/{machine_id}/secret_key",
            &["v1", "machines", id, "secret_key"],
            Vec::new(),
            None,
            Retry::Idempotent,
        )
        .await
    }

    /// Rotates a machine's secret key: `POST /v1/machines/{id}/secret_key/rotate`. The old key
    /// keeps working for `previous_token_ttl` (whole seconds; the server allows up to 8 hours).
    /// Not retried unless [`RetryPolicy::retry_create`](crate::RetryPolicy::retry_create) is set.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id or a grace period that is not whole seconds or is
    /// above 8 hours; [`ApiError::Api`] on refusal.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let rotated = api.machines().rotate_secret_key(&m.id, std::time::Duration::ZERO).await?;
    /// assert_ne!(rotated.secret, m.secret_key);
    /// # Ok(()) }
    /// ```
    pub async fn rotate_secret_key(
        &self,
        id: &str,
        previous_token_ttl: Duration,
    ) -> Result<MachineSecret, ApiError> {
        path::check_id("machine_id", id)?;
        let previous_token_ttl = whole_seconds("previous_token_ttl", previous_token_ttl)?;
        if previous_token_ttl > MAX_PREVIOUS_TOKEN_TTL_SECS {
            return Err(ApiError::invalid(
                "previous_token_ttl",
                format!("{previous_token_ttl}s is above the 28800s (8 hours) the API allows"),
            ));
        }
        self.call(
            Method::POST,
            "/v1/machines/{machine_id}/secret_key/rotate",
            &["v1", "machines", id, "secret_key", "rotate"],
            Vec::new(),
            Some(json!({ "previous_token_ttl": previous_token_ttl })),
            Retry::Creates,
        )
        .await
    }

    /// Lets `id`'s tokens call `to_machine_id`: `POST /v1/machines/{id}/scopes`. Tokens that
    /// already exist keep their scopes. Not retried unless
    /// [`RetryPolicy::retry_create`](crate::RetryPolicy::retry_create) is set (a retry after a
    /// lost success would get a 409).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id; [`ApiError::Api`] 409 if the scope exists.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let (a, b) = (emu.create_machine("a", &[]), emu.create_machine("b", &[]));
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let scope = api.machines().add_scope(&a.id, &b.id).await?;
    /// assert_eq!((scope.from_machine_id, scope.to_machine_id), (a.id, b.id));
    /// # Ok(()) }
    /// ```
    pub async fn add_scope(&self, id: &str, to_machine_id: &str) -> Result<MachineScope, ApiError> {
        path::check_id("machine_id", id)?;
        path::check_id("to_machine_id", to_machine_id)?;
        self.call(
            Method::POST,
            "/v1/machines/{machine_id}/scopes",
            &["v1", "machines", id, "scopes"],
            Vec::new(),
            Some(json!({ "to_machine_id": to_machine_id })),
            Retry::Creates,
        )
        .await
    }

    /// Removes a scope: `DELETE /v1/machines/{id}/scopes/{other_machine_id}`.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad id; [`ApiError::Api`] 404 for an unknown scope.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let b = emu.create_machine("b", &[]);
    /// let a = emu.create_machine("a", &[&b.id]);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let removed = api.machines().remove_scope(&a.id, &b.id).await?;
    /// assert_eq!(removed.deleted, Some(true));
    /// # Ok(()) }
    /// ```
    pub async fn remove_scope(
        &self,
        id: &str,
        other_machine_id: &str,
    ) -> Result<MachineScope, ApiError> {
        path::check_id("machine_id", id)?;
        path::check_id("other_machine_id", other_machine_id)?;
        self.call(
            Method::DELETE,
            "/v1/machines/{machine_id}/scopes/{other_machine_id}",
            &["v1", "machines", id, "scopes", other_machine_id],
            Vec::new(),
            None,
            Retry::Idempotent,
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn machine_models_are_forward_compatible_and_redacted() {
        let m: Machine = serde_json::from_value(json!({
            "object": "machine", "id": "mch_1", "name": "w", "instance_id": "ins_1",
            "created_at": 1.7e12, "updated_at": 1_700_000_000_000_i64, "default_token_ttl": 3600,
            "scoped_machines": [{"object":"machine","id":"mch_2","name":"x","future":true}],
            "secret_key": "ak_topsecret", "a_new_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(m.created_at, 1_700_000_000_000);
        assert_eq!(m.default_token_ttl, Some(Duration::from_secs(3600)));
        assert_eq!(m.scoped_machines[0].id, "mch_2");
        assert_eq!(
            m.secret_key.as_ref().unwrap().expose_secret(),
            "ak_topsecret"
        );
        assert!(!format!("{m:?}").contains("topsecret"));
        let s: MachineSecret =
            serde_json::from_value(json!({"object":"machine_secret_key","secret":"ak_topsecret"}))
                .unwrap();
        assert!(!format!("{s:?}").contains("topsecret"));
        assert!(serde_json::from_value::<MachineSecret>(json!({"secret":"a b"})).is_err());
        let d: DeletedObject =
            serde_json::from_value(json!({"object":"machine","id":"mch_1","deleted":true}))
                .unwrap();
        assert!(d.deleted);
    }

    #[test]
    fn list_total_count_is_required_and_must_be_a_count() {
        let page = |tail: &str| {
            serde_json::from_str::<MachineList>(&format!(r#"{{"data":[]{tail},"future":1}}"#))
        };
        assert_eq!(page(r#","total_count":3.0"#).unwrap().total_count, 3);
        assert_eq!(page(r#","total_count":7"#).unwrap().total_count, 7);
        for bad in [
            "",
            r#","total_count":-1"#,
            r#","total_count":2.5"#,
            r#","total_count":null"#,
        ] {
            assert!(page(bad).is_err(), "{bad}");
        }
    }
}
