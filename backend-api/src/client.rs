//! [`BackendApi`] and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use clerk_token_types::{MachineSecretKey, SecretKey};
use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::{ApiError, RetryPolicy, path};

/// The Backend API URL used when none is configured.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The header that selects the Backend API version.
pub const API_VERSION_HEADER: &str = "Clerk-API-Version";
/// The Backend API version this client speaks, sent on every request.
pub const API_VERSION: &str = "2026-05-12";
/// The default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The default `User-Agent`: `clerk-m2m-rust/<crate version>`.
pub(crate) fn default_user_agent() -> String {
    format!("clerk-m2m-rust/{}", env!("CARGO_PKG_VERSION"))
}

/// A typed client for Clerk's Backend API: M2M tokens, machines, JWKS and the sibling verify
/// endpoints. Cheap to clone (an `Arc` inside); share one per process and secret key.
///
/// Every request sends `Clerk-API-Version: 2026-05-12`, the configured `User-Agent` and a
/// bearer secret key (see [`m2m_tokens`](Self::m2m_tokens) for which one). `Debug` shows key
/// prefixes only.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use clerk_backend_api::BackendApi;
/// let emu = clerk_bapi_emulator::Emulator::start().await?;
/// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
/// assert!(!api.jwks().await?.keys.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BackendApi {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) api_url: String,
    pub(crate) base: Url,
    pub(crate) secret_key: Option<SecretKey>,
    pub(crate) machine_secret_key: Option<MachineSecretKey>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    pub(crate) http: reqwest::Client,
    pub(crate) max_response_bytes: usize,
}

impl fmt::Debug for BackendApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("BackendApi")
            .field("api_url", &i.api_url)
            .field("secret_key", &i.secret_key)
            .field("machine_secret_key", &i.machine_secret_key)
            .field("timeout", &i.timeout)
            .field("retry", &i.retry)
            .field("user_agent", &i.user_agent)
            .field("max_response_bytes", &i.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl BackendApi {
    /// Starts configuring a client.
    ///
    /// ```rust
    /// use clerk_backend_api::{BackendApi, DEFAULT_API_URL};
    /// let api = BackendApi::builder().build()?;
    /// assert_eq!(api.api_url(), DEFAULT_API_URL);
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn builder() -> BackendApiBuilder {
        BackendApiBuilder::default()
    }

    /// The configured Backend API URL, as given (default `https://api.clerk.com`).
    ///
    /// ```rust
    /// let api = clerk_backend_api::BackendApi::builder().api_url("http://127.0.0.1:1/prefix").build()?;
    /// assert_eq!(api.api_url(), "http://127.0.0.1:1/prefix");
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    /// Whether an instance secret key is configured (machines, JWKS and the sibling verify
    /// endpoints need one).
    ///
    /// ```rust
    /// assert!(!clerk_backend_api::BackendApi::builder().build()?.has_secret_key());
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn has_secret_key(&self) -> bool {
        self.inner.secret_key.is_some()
    }

    /// The retry policy in use.
    ///
    /// ```rust
    /// use clerk_backend_api::{BackendApi, RetryPolicy};
    /// let api = BackendApi::builder().retry(RetryPolicy::none()).build()?;
    /// assert_eq!(api.retry_policy().max_attempts, 1);
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }
}

/// Configures a [`BackendApi`]; see [`BackendApi::builder`].
#[derive(Clone, Debug, Default)]
pub struct BackendApiBuilder {
    api_url: Option<String>,
    secret_key: Option<SecretKey>,
    machine_secret_key: Option<MachineSecretKey>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    max_response_bytes: Option<usize>,
}

impl BackendApiBuilder {
    /// The Backend API URL (default `https://api.clerk.com`). A path prefix is kept:
    /// `https://proxy.example/clerk` sends `https://proxy.example/clerk/v1/jwks`.
    ///
    /// ```rust
    /// let api = clerk_backend_api::BackendApi::builder().api_url("https://api.clerk.com").build()?;
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The instance secret key (`sk_...`): required for machines, JWKS and the API-key and
    /// OAuth verify endpoints; the last fallback for M2M endpoints.
    ///
    /// ```rust
    /// use clerk_token_types::SecretKey;
    /// let api = clerk_backend_api::BackendApi::builder().secret_key(SecretKey::new("sk_test_x")?).build()?;
    /// assert!(api.has_secret_key());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn secret_key(mut self, key: SecretKey) -> Self {
        self.secret_key = Some(key);
        self
    }

    /// The machine secret key (`ak_...`) used for M2M endpoints when a call passes none.
    ///
    /// ```rust
    /// use clerk_token_types::MachineSecretKey;
    /// let api = clerk_backend_api::BackendApi::builder()
    ///     .machine_secret_key(MachineSecretKey::new("ak_x")?)
    ///     .build()?;
    /// assert!(format!("{api:?}").contains("ak_***"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn machine_secret_key(mut self, key: MachineSecretKey) -> Self {
        self.machine_secret_key = Some(key);
        self
    }

    /// The timeout of one attempt, from sending to the end of the body (default 10 s; must be
    /// non-zero).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let b = clerk_backend_api::BackendApi::builder();
    /// assert!(b.clone().timeout(Duration::from_secs(2)).build().is_ok());
    /// assert!(b.timeout(Duration::ZERO).build().is_err());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    ///
    /// ```rust
    /// use clerk_backend_api::{BackendApi, RetryPolicy};
    /// let api = BackendApi::builder().retry(RetryPolicy::none()).build()?;
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The `User-Agent` (default `clerk-m2m-rust/<version>`); must be a valid header value.
    ///
    /// ```rust
    /// let b = clerk_backend_api::BackendApi::builder();
    /// assert!(b.clone().user_agent("my-service/1.0").build().is_ok());
    /// assert!(b.user_agent("bad\nagent").build().is_err());
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// A caller-supplied `reqwest::Client` (connection pool, proxy, TLS roots...). The client's
    /// own settings apply as they are; the per-attempt timeout of this builder still bounds
    /// every attempt. Without one, a client is built that follows no redirects (a redirect
    /// would carry the secret key elsewhere).
    ///
    /// ```rust
    /// let api = clerk_backend_api::BackendApi::builder().http_client(reqwest::Client::new()).build()?;
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The largest response body read, in bytes (default 1 MiB; must be non-zero). A larger
    /// body fails with [`ApiError::BodyTooLarge`] without being read to the end.
    ///
    /// ```rust
    /// let api = clerk_backend_api::BackendApi::builder().max_response_bytes(64 * 1024).build()?;
    /// # Ok::<(), clerk_backend_api::ApiError>(())
    /// ```
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Builds the client. No request is made.
    ///
    /// # Errors
    /// [`ApiError::Config`] for an `api_url` that is not an http(s) URL with a host (or carries
    /// credentials, a query or a fragment), a zero timeout or body cap, an invalid user agent, or
    /// an HTTP client that cannot be initialised.
    ///
    /// ```rust
    /// let err = clerk_backend_api::BackendApi::builder().api_url("not a url").build().unwrap_err();
    /// assert!(matches!(err, clerk_backend_api::ApiError::Config { .. }));
    /// ```
    pub fn build(self) -> Result<BackendApi, ApiError> {
        let config = |message: &str| ApiError::Config {
            message: message.to_owned(),
        };
        let api_url = self
            .api_url
            .map_or_else(|| DEFAULT_API_URL.to_owned(), |u| u.trim().to_owned());
        let base = path::parse_base(&api_url)?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(config("timeout must be greater than zero"));
        }
        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(config("max_response_bytes must be greater than zero"));
        }
        let user_agent = HeaderValue::from_str(&self.user_agent.unwrap_or_else(default_user_agent))
            .map_err(|_| config("user_agent is not a valid HTTP header value"))?;
        let http = match self.http_client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(timeout)
                .build()
                .map_err(|e| ApiError::Config {
                    message: format!("the HTTP client could not be built: {e}"),
                })?,
        };
        Ok(BackendApi {
            inner: Arc::new(Inner {
                api_url,
                base,
                secret_key: self.secret_key,
                machine_secret_key: self.machine_secret_key,
                timeout,
                retry: self.retry.unwrap_or_default(),
                user_agent,
                http,
                max_response_bytes,
            }),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let api = BackendApi::builder()
            .secret_key(SecretKey::new("sk_test_topsecret").unwrap())
            .machine_secret_key(MachineSecretKey::new("ak_topsecret").unwrap())
            .build()
            .unwrap();
        let dbg = format!("{api:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
        assert!(
            dbg.contains("sk_test_***") && dbg.contains("ak_***"),
            "{dbg}"
        );
    }

    #[test]
    fn build_checks_its_inputs() {
        assert!(BackendApi::builder().max_response_bytes(0).build().is_err());
        assert!(
            BackendApi::builder()
                .timeout(Duration::ZERO)
                .build()
                .is_err()
        );
        assert_eq!(
            BackendApi::builder().build().unwrap().api_url(),
            DEFAULT_API_URL
        );
        assert!(default_user_agent().starts_with("clerk-m2m-rust/"));
    }
}
