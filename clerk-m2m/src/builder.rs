//! [`MachineAuthBuilder`]: every option of a [`MachineAuth`], validated once at `build()`.

use std::sync::Arc;
use std::time::Duration;

use clerk_backend_api::{BackendApi, RetryPolicy};
use clerk_jwks_cache::{
    CryptoProvider, KeyResolver, PemKeyResolver, RemoteJwksResolver, default_provider,
};
use clerk_token_types::{AcceptsToken, MachineSecretKey, SecretKey, TokenType};
use clerk_token_verify::{
    Clock, DEFAULT_CLOCK_SKEW_MS, VerifiedTokenCache, VerifiedTokenCacheConfig, Verifier,
};

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
    verified_token_cache: CacheChoice,
    crypto_provider: Option<Arc<dyn CryptoProvider>>,
    opaque_guard: Option<OpaqueGuardConfig>,
}

/// The verified-token cache option: on with the defaults unless the user says otherwise.
#[derive(Clone, Debug, Default)]
enum CacheChoice {
    #[default]
    Default,
    With(VerifiedTokenCacheConfig),
    Off,
}

impl std::fmt::Debug for MachineAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineAuthBuilder")
            .field("secret_key", &self.secret_key)
            .field("machine_secret_key", &self.machine_secret_key)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "<pem>"))
            .field("api_url", &self.api_url)
            .field("accepts_token", &self.accepts_token)
            .field("verified_token_cache", &self.verified_token_cache)
            .field(
                "crypto_provider",
                &self.crypto_provider.as_ref().map(|p| p.name()),
            )
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
    /// all. It takes precedence over the JWKS (as `jwtKey` does in Clerk's JavaScript SDK).
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// The Backend API URL (default `https://api.clerk.com`).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Allowed clock skew for `exp`/`nbf`/`iat` (default 5 s).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let builder = clerk_m2m::MachineAuth::builder().clock_skew(Duration::from_secs(2));
    /// # let _ = builder;
    /// ```
    pub fn clock_skew(self, skew: Duration) -> Self {
        self.clock_skew_ms(skew.as_secs_f64() * 1000.0)
    }

    /// Allowed clock skew in milliseconds, as `@clerk/backend`'s `clockSkewInMs` (default 5000; a
    /// non-finite value falls back to 5000, a negative one narrows the window as in
    /// `@clerk/backend`). [`clock_skew`](Self::clock_skew) takes a `Duration`.
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
    /// (`@clerk/backend` defaults to `session_token`; this crate is about machine tokens).
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

    /// Replaces the key resolution (PEM / JWKS) with your own [`KeyResolver`]. This is also how
    /// two values share one JWKS cache: `.key_resolver(other.key_resolver())`.
    pub fn key_resolver(mut self, resolver: Arc<dyn KeyResolver>) -> Self {
        self.key_resolver = Some(resolver);
        self
    }

    // --- verified-token cache (issue 17) ---

    /// Limits of the verified-token cache, which is on by default with
    /// [`VerifiedTokenCacheConfig::default`] (1024 tokens of at most 4 KiB, each reused for at
    /// most 60 s). A JWT presented again skips the decode and the RSA signature check; the
    /// header, time and claim rules still run on every presentation, and a token stops hitting
    /// as soon as the key that verified it leaves the key set. One cache serves the M2M, OAuth
    /// and session verifiers of the built value. See
    /// [`VerifiedTokenCache`](clerk_token_verify::VerifiedTokenCache).
    pub fn verified_token_cache(mut self, config: VerifiedTokenCacheConfig) -> Self {
        self.verified_token_cache = CacheChoice::With(config);
        self
    }

    /// Configures the opaque-token guard (default: [`OpaqueGuardConfig::default`], on).
    /// [`OpaqueGuardConfig::disabled`] turns it off.
    pub fn opaque_guard(mut self, config: OpaqueGuardConfig) -> Self {
        self.opaque_guard = Some(config);
        self
    }

    /// Turns the verified-token cache off: every presentation is verified in full.
    pub fn no_verified_token_cache(mut self) -> Self {
        self.verified_token_cache = CacheChoice::Off;
        self
    }

    /// The [`CryptoProvider`] that checks JWT signatures with the PEM key or the JWKS (default:
    /// josekit with the `josekit` feature, else aws-lc-rs with `aws-lc-rs`; see the crate docs).
    /// Unused with [`key_resolver`](Self::key_resolver), whose keys carry their own provider.
    ///
    /// ```rust
    /// # fn main() -> Result<(), clerk_m2m::Error> {
    /// use std::sync::Arc;
    /// use clerk_m2m::{MachineAuth, SecretKey};
    ///
    /// let auth = MachineAuth::builder()
    ///     .secret_key(SecretKey::new("sk_test_example").expect("well-formed"))
    ///     .crypto_provider(clerk_m2m::default_provider()?)
    ///     .build()?;
    /// # let _ = auth; Ok(()) }
    /// ```
    pub fn crypto_provider(mut self, provider: Arc<dyn CryptoProvider>) -> Self {
        self.crypto_provider = Some(provider);
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
    /// Backend API client and, with a secret key and no local key, a JWKS cache of its own.
    ///
    /// The JWKS cache belongs to the value built here: its clones share it (clone the value, as
    /// you would a `reqwest::Client`), and it fetches with this value's Backend API client
    /// (timeout, retries). Another `build()` gets a cache of its own; to share one explicitly,
    /// pass [`MachineAuth::key_resolver`] of the first value to
    /// [`key_resolver`](Self::key_resolver) of the second.
    ///
    /// # Errors
    /// No credential at all; a secret key missing for the accepted token types; a PEM key that
    /// cannot be used; a Backend API client that cannot be built (bad URL, ...); JWTs to verify
    /// (a PEM key or a secret key) but no crypto provider: neither the `josekit` nor the
    /// `aws-lc-rs` feature and no [`crypto_provider`](Self::crypto_provider)
    /// ([`KeyError::NoCryptoProvider`](clerk_jwks_cache::KeyError::NoCryptoProvider)).
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
        // `@clerk/backend` requires the instance secret key unless exactly `m2m_token` is accepted;
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
                let resolver = match &self.crypto_provider {
                    Some(p) => PemKeyResolver::with_provider(pem, &**p)?,
                    None => PemKeyResolver::new(pem)?,
                };
                (Arc::new(resolver), KeySource::Pem)
            } else if self.secret_key.is_some() {
                // The client carries the secret key; the cache fetches through it.
                let provider = match &self.crypto_provider {
                    Some(p) => Arc::clone(p),
                    // Fail now, not at the first JWT, when the build has no provider.
                    None => default_provider()?,
                };
                (
                    Arc::new(
                        RemoteJwksResolver::builder(api.clone())
                            .crypto_provider(provider)
                            .build(),
                    ),
                    KeySource::Jwks,
                )
            } else {
                (Arc::new(NoKeyResolver), KeySource::None)
            };

        let skew = self.clock_skew_ms.unwrap_or(DEFAULT_CLOCK_SKEW_MS as f64);
        let cache = match &self.verified_token_cache {
            CacheChoice::Default => Some(VerifiedTokenCache::new(Default::default())),
            CacheChoice::With(config) => Some(VerifiedTokenCache::new(config.clone())),
            CacheChoice::Off => None,
        };
        macro_rules! configure {
            ($v:expr) => {{
                let mut v = $v
                    .with_clock_skew_ms(skew)
                    .with_audience(self.audience.clone())
                    .with_authorized_parties(self.authorized_parties.clone());
                if let Some(c) = &self.clock {
                    v = v.with_clock(Arc::clone(c));
                }
                if let Some(c) = &cache {
                    v = v.with_shared_cache(c.clone());
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
                resolver,
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
