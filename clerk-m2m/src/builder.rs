//! [`MachineAuthBuilder`]: every option of a [`MachineAuth`], validated once at `build()`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};
use std::time::Duration;

use clerk_backend_api::{BackendApi, RetryPolicy};
use clerk_jwks_cache::{KeyResolver, PemKeyResolver, RemoteJwksResolver};
use clerk_token_types::{AcceptsToken, MachineSecretKey, SecretKey, TokenType};
use clerk_token_verify::{Clock, DEFAULT_CLOCK_SKEW_MS, Verifier};

use crate::error::{MACHINE_AUTH_REQUIRES_KEY, MISSING_SECRET_KEY};
use crate::machine_auth::{Inner, KeySource, NoKeyResolver};
use crate::opaque::{OpaqueGuard, OpaqueGuardConfig};
use crate::{Error, MachineAuth};

/// Builds a [`MachineAuth`]. Start with [`MachineAuth::builder`].
///
/// At least one credential is needed: a secret key (`sk_…`, for JWKS and every Backend API
/// call), a machine secret key (`ak_…`, for creating tokens and verifying opaque ones) or a PEM
/// public key (networkless JWT verification).
#[derive(Clone, Default)]
#[must_use]
pub struct MachineAuthBuilder {
    secret_key: Option<SecretKey>,
    machine_secret_key: Option<MachineSecretKey>,
    jwt_key: Option<String>,
    api_url: Option<String>,
    clock_skew_ms: Option<f64>,
    audience: Vec<String>,
    authorized_parties: Vec<String>,
    expected_machine: Option<String>,
    accepts_token: Option<AcceptsToken>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    clock: Option<Arc<dyn Clock>>,
    key_resolver: Option<Arc<dyn KeyResolver>>,
    opaque_guard: Option<OpaqueGuardConfig>,
}

impl std::fmt::Debug for MachineAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineAuthBuilder")
            .field("secret_key", &self.secret_key)
            .field("machine_secret_key", &self.machine_secret_key)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "<pem>"))
            .field("api_url", &self.api_url)
            .field("accepts_token", &self.accepts_token)
            .finish_non_exhaustive()
    }
}

impl MachineAuthBuilder {
    /// The instance secret key (`sk_…`): fetches the JWKS and authenticates Backend API calls.
    pub fn secret_key(mut self, key: SecretKey) -> Self {
        self.secret_key = Some(key);
        self
    }

    /// The machine secret key (`ak_…`): authenticates as a machine. Needed to create tokens;
    /// used (before the secret key) to verify opaque M2M tokens, so that the Backend API checks
    /// the token is scoped to this machine.
    pub fn machine_secret_key(mut self, key: MachineSecretKey) -> Self {
        self.machine_secret_key = Some(key);
        self
    }

    /// The instance's PEM public key (`CLERK_JWT_KEY`): JWTs verify with it and no network at
    /// all. It takes precedence over the JWKS (reference §6.1 step 2).
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// The Backend API URL (default `https://api.clerk.com`).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Allowed clock skew for `exp`/`nbf`/`iat`, in ms (default 5000; a non-finite value falls
    /// back to 5000, a negative one narrows the window as in the reference).
    pub fn clock_skew_ms(mut self, ms: f64) -> Self {
        self.clock_skew_ms = Some(ms);
        self
    }

    /// Accepted `aud` values for JWTs (any one must match when both sides are set).
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.audience = aud.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted `azp` values for JWTs (when set, `azp` is required).
    pub fn authorized_parties<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        azp: I,
    ) -> Self {
        self.authorized_parties = azp.into_iter().map(Into::into).collect();
        self
    }

    /// This machine's id (`mch_…`): an M2M token must be scoped to it (in `aud` or `scopes` of a
    /// JWT, in `scopes` of an opaque token), so a token minted for another machine is refused.
    pub fn expected_machine(mut self, machine_id: impl Into<String>) -> Self {
        self.expected_machine = Some(machine_id.into());
        self
    }

    /// Which token types [`MachineAuth::authenticate_request`] accepts. Default: `m2m_token` only
    /// (the reference defaults to `session_token`; this crate is about machine tokens).
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts_token = Some(accepts.into());
        self
    }

    /// Timeout of each Backend API request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retry policy of Backend API requests.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The clock JWTs are checked against (default: the system clock). A fixed clock verifies
    /// "as of" a point in time.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Replaces the key resolution (PEM / JWKS) with your own [`KeyResolver`].
    pub fn key_resolver(mut self, resolver: Arc<dyn KeyResolver>) -> Self {
        self.key_resolver = Some(resolver);
        self
    }

    /// Reads `CLERK_SECRET_KEY`, `CLERK_MACHINE_SECRET_KEY`, `CLERK_JWT_KEY` and `CLERK_API_URL`
    /// from the environment (the ones that are set and non-empty).
    ///
    /// # Errors
    /// A key that is set but malformed.
    pub fn from_env(mut self) -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = var("CLERK_SECRET_KEY") {
            self.secret_key = Some(SecretKey::new(v).map_err(|e| Error::Config {
                message: format!("CLERK_SECRET_KEY: {e}"),
            })?);
        }
        if let Some(v) = var("CLERK_MACHINE_SECRET_KEY") {
            self.machine_secret_key =
                Some(MachineSecretKey::new(v).map_err(|e| Error::Config {
                    message: format!("CLERK_MACHINE_SECRET_KEY: {e}"),
                })?);
        }
        if let Some(v) = var("CLERK_JWT_KEY") {
            self.jwt_key = Some(v);
        }
        if let Some(v) = var("CLERK_API_URL") {
            self.api_url = Some(v);
        }
        Ok(self)
    }

    /// Validates the options and builds the [`MachineAuth`]: parses the PEM key, builds the
    /// Backend API client and finds the JWKS cache.
    ///
    /// There is one JWKS cache per (API URL, secret key) in the process: every `MachineAuth`
    /// built with the same pair (and no PEM key or custom resolver) shares the keys fetched by
    /// the first one still alive, and a different secret key or URL never sees them (the
    /// reference scopes its cache the same way). Fetches of a shared cache use the Backend API
    /// client (timeout, retries) of the `MachineAuth` that created it.
    ///
    /// # Errors
    /// No credential at all; a secret key missing for the accepted token types; a PEM key that
    /// cannot be used; a Backend API client that cannot be built (bad URL, ...).
    pub fn build(self) -> Result<MachineAuth, Error> {
        let accepts = self
            .accepts_token
            .unwrap_or(AcceptsToken::One(TokenType::M2MToken));
        let has_local_keys = self.jwt_key.is_some() || self.key_resolver.is_some();
        if self.secret_key.is_none() && self.machine_secret_key.is_none() && !has_local_keys {
            return Err(Error::MissingSecretKey {
                message: MACHINE_AUTH_REQUIRES_KEY,
            });
        }
        // The reference requires the instance secret key unless exactly `m2m_token` is accepted;
        // we also accept a local key (PEM or custom resolver), which verifies JWTs on its own.
        let only_m2m = accepts == AcceptsToken::One(TokenType::M2MToken);
        if !only_m2m && self.secret_key.is_none() && !has_local_keys {
            return Err(Error::MissingSecretKey {
                message: MISSING_SECRET_KEY,
            });
        }

        let mut api = BackendApi::builder();
        if let Some(url) = &self.api_url {
            api = api.api_url(url.clone());
        }
        if let Some(k) = &self.secret_key {
            api = api.secret_key(k.clone());
        }
        if let Some(k) = &self.machine_secret_key {
            api = api.machine_secret_key(k.clone());
        }
        // The opaque-token guard builds its request-path client from the same settings.
        let guard_base = api.clone();
        if let Some(t) = self.timeout {
            api = api.timeout(t);
        }
        if let Some(r) = self.retry {
            api = api.retry(r);
        }
        let api = api.build().map_err(|e| Error::Config {
            message: format!("Backend API client: {e}"),
        })?;
        let opaque = OpaqueGuard::new(
            self.opaque_guard.unwrap_or_default(),
            &api,
            guard_base,
            self.timeout,
            &[
                api.api_url(),
                self.machine_secret_key
                    .as_ref()
                    .map_or("", |k| k.expose_secret()),
                self.secret_key.as_ref().map_or("", |k| k.expose_secret()),
            ],
        )?;

        let (resolver, key_source): (Arc<dyn KeyResolver>, KeySource) =
            if let Some(r) = self.key_resolver {
                (r, KeySource::Custom)
            } else if let Some(pem) = self.jwt_key.as_deref() {
                (Arc::new(PemKeyResolver::new(pem)?), KeySource::Pem)
            } else if let Some(sk) = &self.secret_key {
                (shared_jwks_cache(&api, sk), KeySource::Jwks)
            } else {
                (Arc::new(NoKeyResolver), KeySource::None)
            };

        let skew = self.clock_skew_ms.unwrap_or(DEFAULT_CLOCK_SKEW_MS as f64);
        macro_rules! configure {
            ($v:expr) => {{
                let mut v = $v
                    .with_clock_skew_ms(skew)
                    .with_audience(self.audience.clone())
                    .with_authorized_parties(self.authorized_parties.clone());
                if let Some(c) = &self.clock {
                    v = v.with_clock(Arc::clone(c));
                }
                v
            }};
        }
        let mut m2m = configure!(Verifier::m2m(Arc::clone(&resolver)));
        if let Some(mch) = &self.expected_machine {
            m2m = m2m.with_expected_machine(mch.clone());
        }
        let oauth = configure!(Verifier::oauth(Arc::clone(&resolver)));
        let session = configure!(Verifier::session(Arc::clone(&resolver)));

        Ok(MachineAuth {
            inner: Arc::new(Inner {
                api,
                m2m,
                oauth,
                session,
                accepts,
                key_source,
                expected_machine: self.expected_machine,
                opaque,
            }),
        })
    }
}

impl MachineAuthBuilder {
    /// Hook for [`crate::opaque`]: sets the guard's configuration.
    pub(crate) fn with_opaque_guard(mut self, config: OpaqueGuardConfig) -> Self {
        self.opaque_guard = Some(config);
        self
    }
}

/// The live JWKS caches of the process, by (API URL as configured, secret key). Weak: a cache
/// lives as long as some `MachineAuth` uses it.
type JwksCache = RemoteJwksResolver<BackendApi>;
type JwksCaches = HashMap<(String, SecretKey), Weak<JwksCache>>;
static JWKS_CACHES: LazyLock<Mutex<JwksCaches>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The JWKS cache of (`api.api_url()`, `secret_key`): the live one if there is one, else a new
/// one fetching through `api`.
fn shared_jwks_cache(api: &BackendApi, secret_key: &SecretKey) -> Arc<dyn KeyResolver> {
    let mut caches = JWKS_CACHES.lock().unwrap_or_else(PoisonError::into_inner);
    let key = (api.api_url().to_owned(), secret_key.clone());
    if let Some(live) = caches.get(&key).and_then(Weak::upgrade) {
        return live;
    }
    // Forget the caches nobody uses any more, then register the new one.
    caches.retain(|_, weak| weak.strong_count() > 0);
    let cache = Arc::new(RemoteJwksResolver::new(api.clone()));
    caches.insert(key, Arc::downgrade(&cache));
    cache
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn cache(url: &str, sk: &str) -> Arc<dyn KeyResolver> {
        let sk = SecretKey::new(sk).unwrap();
        let api = BackendApi::builder()
            .api_url(url)
            .secret_key(sk.clone())
            .build()
            .unwrap();
        shared_jwks_cache(&api, &sk)
    }

    #[test]
    fn one_jwks_cache_per_api_url_and_secret_key() {
        let a = cache("http://127.0.0.1:9/one", "sk_test_registry_a");
        let a2 = cache("http://127.0.0.1:9/one", "sk_test_registry_a");
        let other_key = cache("http://127.0.0.1:9/one", "sk_test_registry_b");
        let other_url = cache("http://127.0.0.1:9/two", "sk_test_registry_a");
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &other_key));
        assert!(!Arc::ptr_eq(&a, &other_url));
        // Once nobody uses it, it is forgotten: the next build starts a new cache.
        let weak = Arc::downgrade(&a);
        drop((a, a2));
        assert!(weak.upgrade().is_none());
        let fresh = cache("http://127.0.0.1:9/one", "sk_test_registry_a");
        let again = cache("http://127.0.0.1:9/one", "sk_test_registry_a");
        assert!(Arc::ptr_eq(&fresh, &again));
    }

    #[test]
    fn machine_auth_values_built_alike_use_the_registry() {
        let sk = SecretKey::new("sk_test_registry_c").unwrap();
        let build = || {
            MachineAuth::builder()
                .api_url("http://127.0.0.1:9/three")
                .secret_key(sk.clone())
                .build()
                .unwrap()
        };
        let (a, b) = (build(), build());
        let api = BackendApi::builder()
            .api_url("http://127.0.0.1:9/three")
            .build()
            .unwrap();
        // While the values are alive, the registry hands out the cache they use...
        let c = shared_jwks_cache(&api, &sk);
        assert!(Arc::strong_count(&c) > 1);
        drop((a, b));
        // ...and only that one holds it afterwards.
        assert_eq!(Arc::strong_count(&c), 1);
    }
}
