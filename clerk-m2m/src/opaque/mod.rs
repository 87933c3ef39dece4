//! The opaque-token guard: what stands between inbound requests and the Backend API (see
//! [`OpaqueGuardConfig`] for the behaviour).

mod cache;
mod guard;
mod shape;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_backend_api::{ApiError, BackendApi, BackendApiBuilder, ClerkApiError, RetryPolicy};
use clerk_token_types::{M2MToken, TokenType};
use tracing::Instrument;

pub use cache::{CachedVerdict, InProcessOpaqueCache, OpaqueTokenCache, TokenKey};

use crate::{Error, MachineAuth, VerifiedToken};

/// Default positive TTL: short, since a revoked token keeps verifying from the cache this long.
const DEFAULT_POSITIVE_TTL: Duration = Duration::from_secs(10);
/// Default negative TTL: an unknown token stays unknown; a few seconds absorb a flood of it.
const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(5);
/// Default cap on outstanding verify calls per `MachineAuth`.
const DEFAULT_MAX_CONCURRENT: usize = 32;
/// Default bound of the wait queue behind the cap.
const DEFAULT_MAX_QUEUED: usize = 256;
/// Default latency budget of one verification on the request path.
const DEFAULT_BUDGET: Duration = Duration::from_secs(2);
/// Default bound of the in-process cache, in entries (~1 KiB each at most).
const DEFAULT_CACHE_ENTRIES: u64 = 100_000;

/// The opaque-token guard's configuration, given to [`MachineAuthBuilder::opaque_guard`](crate::MachineAuthBuilder::opaque_guard).
///
/// A JWT verifies locally; an opaque token (`mt_…`, `oat_…`, `ak_…`) costs one Backend API call,
/// made with the instance's credentials. Unguarded, a flood of random tokens spends the
/// instance's rate limit, one token presented 1,000 times at once makes 1,000 calls, and a slow
/// or rate-limiting Backend API holds every inbound request for the whole retry schedule. The
/// guard, on by default in every [`MachineAuth`], does in order:
///
/// 1. **Shape check**: a token that cannot be one Clerk issues (prefix, then 16 to 256 characters
///    of `A-Z a-z 0-9 _ -`) is `token-invalid` ([`Error::MalformedToken`]) with no call.
/// 2. **Cache**: a verdict remembered under a keyed hash of the token ([`TokenKey`], never the
///    token) answers without a call: a found token for the
///    [positive TTL](Self::with_positive_ttl) (never past the token's own expiration), a 404, a
///    revoked or an expired token for the [negative TTL](Self::with_negative_ttl).
/// 3. **Single flight**: concurrent verifications of one token share one call.
/// 4. **Concurrency cap**: at most [`max_concurrent_calls`](Self::with_max_concurrent_calls)
///    calls outstanding and [`max_queued_calls`](Self::with_max_queued_calls) waiting; past
///    that [`Error::Saturated`] (`unexpected-error`) at once.
/// 5. **Latency budget**: the call (queueing included) ends within the
///    [request budget](Self::with_request_budget) ([`Error::BudgetExceeded`],
///    `unexpected-error`), and its retries never wait for a `Retry-After` that does not fit in
///    the budget.
///
/// **Revocation** takes effect within the positive TTL (default 10 s): a token revoked at the
/// Backend API may still verify from the cache until its entry expires. A TTL of zero turns the
/// positive cache off (revocation is then seen at once; callers arriving while a call is in
/// flight still share it).
///
/// **A fleet** can share verdicts through its own [`OpaqueTokenCache`] (e.g. over Redis, see
/// the trait) given to [`with_cache`](Self::with_cache), with one
/// [`with_cache_hash_key`](Self::with_cache_hash_key) for all processes.
///
/// Background and administrative calls (create, list, revoke, JWKS) do not go through the guard
/// and keep the configured [`RetryPolicy`].
///
/// ```rust
/// use std::time::Duration;
/// use clerk_m2m::{MachineAuth, MachineSecretKey, OpaqueGuardConfig};
///
/// let auth = MachineAuth::builder()
///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
///     .opaque_guard(
///         OpaqueGuardConfig::default()
///             .with_positive_ttl(Duration::from_secs(5))
///             .with_max_concurrent_calls(16)
///             .with_request_budget(Duration::from_millis(1500)),
///     )
///     .build()?;
/// assert_eq!(auth.opaque_guard_stats().calls, 0);
/// # Ok::<(), clerk_m2m::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub struct OpaqueGuardConfig {
    enabled: bool,
    shape_check: bool,
    positive_ttl: Duration,
    negative_ttl: Duration,
    max_concurrent_calls: usize,
    max_queued_calls: usize,
    request_budget: Duration,
    cache_entries: u64,
    cache: Option<Arc<dyn OpaqueTokenCache>>,
    cache_hash_key: Option<[u8; 16]>,
}

impl Default for OpaqueGuardConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            shape_check: true,
            positive_ttl: DEFAULT_POSITIVE_TTL,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT,
            max_queued_calls: DEFAULT_MAX_QUEUED,
            request_budget: DEFAULT_BUDGET,
            cache_entries: DEFAULT_CACHE_ENTRIES,
            cache: None,
            cache_hash_key: None,
        }
    }
}

impl std::fmt::Debug for OpaqueGuardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpaqueGuardConfig")
            .field("enabled", &self.enabled)
            .field("shape_check", &self.shape_check)
            .field("positive_ttl", &self.positive_ttl)
            .field("negative_ttl", &self.negative_ttl)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("max_queued_calls", &self.max_queued_calls)
            .field("request_budget", &self.request_budget)
            .field("cache_entries", &self.cache_entries)
            .field("shared_cache", &self.cache.is_some())
            .field("cache_hash_key", &self.cache_hash_key.map(|_| "<set>"))
            .finish()
    }
}

impl OpaqueGuardConfig {
    /// No guard: every opaque token is one Backend API call with the client's retry policy, as
    /// before the guard existed (and as Clerk's other SDKs do).
    ///
    /// ```rust
    /// assert!(!clerk_m2m::OpaqueGuardConfig::disabled().is_enabled());
    /// ```
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether the guard is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Turns the shape check off (default on): only for a token format Clerk introduces before
    /// this crate knows it.
    pub fn with_shape_check(mut self, on: bool) -> Self {
        self.shape_check = on;
        self
    }

    /// How long a verified token is remembered (default 10 s), never past its expiration.
    /// Revocation takes effect within this time; zero disables the positive cache.
    pub fn with_positive_ttl(mut self, ttl: Duration) -> Self {
        self.positive_ttl = ttl;
        self
    }

    /// How long a token the Backend API does not know (404), or knows as revoked or expired, is
    /// remembered (default 5 s); zero disables the negative cache.
    pub fn with_negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// Most verify calls outstanding at once per `MachineAuth` (default 32; 0 counts as 1).
    pub fn with_max_concurrent_calls(mut self, n: usize) -> Self {
        self.max_concurrent_calls = n;
        self
    }

    /// Most verify calls waiting for a slot (default 256); one more is refused with
    /// [`Error::Saturated`].
    pub fn with_max_queued_calls(mut self, n: usize) -> Self {
        self.max_queued_calls = n;
        self
    }

    /// The latency budget of one verification on the request path (default 2 s): queueing,
    /// the call and its retries; a `Retry-After` that does not fit is not waited for.
    pub fn with_request_budget(mut self, budget: Duration) -> Self {
        self.request_budget = budget;
        self
    }

    /// Bound of the in-process cache, in entries (default 100,000).
    pub fn with_cache_entries(mut self, n: u64) -> Self {
        self.cache_entries = n;
        self
    }

    /// Use `cache` (e.g. a store shared by a fleet) instead of the in-process cache.
    pub fn with_cache(mut self, cache: Arc<dyn OpaqueTokenCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The secret key of the cache-key hash (default: random per process). Processes sharing a
    /// store through [`with_cache`](Self::with_cache) must use the same one; keep it secret.
    pub fn with_cache_hash_key(mut self, key: [u8; 16]) -> Self {
        self.cache_hash_key = Some(key);
        self
    }
}

/// A snapshot of a guard's counters ([`MachineAuth::opaque_guard_stats`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpaqueGuardStats {
    /// Backend API verify calls made (each retry inside a call not counted apart).
    pub calls: u64,
    /// Verifications answered from the cache.
    pub cache_hits: u64,
    /// Verifications that shared another caller's in-flight call.
    pub coalesced: u64,
    /// Tokens refused by the shape check.
    pub shape_rejections: u64,
    /// Calls refused because the cap and its queue were full.
    pub cap_rejections: u64,
    /// Calls that ran out of the request budget.
    pub budget_exceeded: u64,
    /// Calls outstanding now.
    pub in_flight: u64,
    /// The most calls ever outstanding at once.
    pub peak_in_flight: u64,
}

/// Why a guarded call failed; cloneable, so every caller sharing the call gets it.
#[derive(Clone, Debug)]
enum Failure {
    Malformed,
    Api(ApiError),
    Saturated,
    Budget,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    cache_hits: AtomicU64,
    coalesced: AtomicU64,
    shape_rejections: AtomicU64,
    cap_rejections: AtomicU64,
    budget_exceeded: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// The guard of one `MachineAuth` (see [`OpaqueGuardConfig`]).
pub(crate) struct OpaqueGuard {
    enabled: bool,
    shape_check: bool,
    positive_ttl: Duration,
    negative_ttl: Duration,
    budget: Duration,
    max_concurrent: usize,
    max_queued: usize,
    /// The request-path client (budgeted retries), or the main client when disabled.
    api: BackendApi,
    store: Arc<dyn OpaqueTokenCache>,
    /// Single flight only: entries expire as soon as they are written, so a load is shared by
    /// the callers waiting for it and never served afterwards (that is `store`'s job).
    flights: moka::future::Cache<TokenKey, CachedVerdict>,
    cap: guard::Cap,
    keyer: cache::Keyer,
    counters: Counters,
}

/// Expires every single-flight entry at once.
struct Immediately;

impl moka::Expiry<TokenKey, CachedVerdict> for Immediately {
    fn expire_after_create(
        &self,
        _key: &TokenKey,
        _value: &CachedVerdict,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(Duration::ZERO)
    }
}

/// The retry policy of request-path calls: `base` cut to the budget. A retry is only started
/// when it can begin within the budget, so a `Retry-After` as long as the budget (or longer)
/// ends the call at once instead of being waited for.
fn request_path_policy(base: &RetryPolicy, budget: Duration) -> RetryPolicy {
    base.clone()
        .with_max_elapsed(base.max_elapsed.min(budget))
        .with_max_retry_after(base.max_retry_after.min(budget))
}

impl OpaqueGuard {
    /// `base` is the Backend API client's builder before its timeout and retry policy are set;
    /// `namespace` the URL and credentials the verify calls use (hashed into every cache key).
    pub(crate) fn new(
        cfg: OpaqueGuardConfig,
        main_api: &BackendApi,
        base: BackendApiBuilder,
        timeout: Option<Duration>,
        namespace: &[&str],
    ) -> Result<Self, Error> {
        let api = if cfg.enabled {
            let policy = request_path_policy(main_api.retry_policy(), cfg.request_budget);
            // The per-attempt timeout stays as configured: the budget's own timeout is the hard
            // bound (and its error, `BudgetExceeded`, says so), a shorter one still retries.
            let mut base = base;
            if let Some(t) = timeout {
                base = base.timeout(t);
            }
            base.retry(policy).build().map_err(|e| Error::Config {
                message: format!("Backend API client: {e}"),
            })?
        } else {
            main_api.clone()
        };
        let store = cfg.cache.clone().unwrap_or_else(|| {
            Arc::new(InProcessOpaqueCache::new(cfg.cache_entries)) as Arc<dyn OpaqueTokenCache>
        });
        let max_concurrent = cfg.max_concurrent_calls.max(1);
        Ok(Self {
            enabled: cfg.enabled,
            shape_check: cfg.shape_check,
            positive_ttl: cfg.positive_ttl,
            negative_ttl: cfg.negative_ttl,
            budget: cfg.request_budget,
            max_concurrent,
            max_queued: cfg.max_queued_calls,
            api,
            store,
            flights: moka::future::Cache::builder()
                // Live flights are bounded by the cap and its queue; the rest are expired
                // entries waiting for moka's housekeeping.
                .max_capacity(
                    u64::try_from(max_concurrent.saturating_add(cfg.max_queued_calls))
                        .unwrap_or(u64::MAX)
                        .max(1024),
                )
                .expire_after(Immediately)
                .build(),
            cap: guard::Cap::new(max_concurrent, cfg.max_queued_calls),
            keyer: cache::Keyer::new(cfg.cache_hash_key, namespace),
            counters: Counters::default(),
        })
    }

    pub(crate) fn stats(&self) -> OpaqueGuardStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        OpaqueGuardStats {
            calls: get(&c.calls),
            cache_hits: get(&c.cache_hits),
            coalesced: get(&c.coalesced),
            shape_rejections: get(&c.shape_rejections),
            cap_rejections: get(&c.cap_rejections),
            budget_exceeded: get(&c.budget_exceeded),
            in_flight: self.cap.in_flight(),
            peak_in_flight: self.cap.peak(),
        }
    }

    /// Verifies an opaque M2M token (`POST /m2m_tokens/verify`); the caller checks revocation,
    /// expiry and scope.
    pub(crate) async fn verify_m2m(&self, token: &str) -> Result<M2MToken, Error> {
        match self.verify(TokenType::M2MToken, token).await? {
            // Stored and returned without the secret `token` field: a verified bearer's own
            // secret never travels further than the request that presented it.
            CachedVerdict::M2MToken(t) => Ok(t),
            _ => Err(Error::UnknownTokenType),
        }
    }

    /// Verifies an opaque OAuth access token or API key; the Backend API's JSON.
    pub(crate) async fn verify_sibling(
        &self,
        tt: TokenType,
        token: &str,
    ) -> Result<VerifiedToken, Error> {
        match self.verify(tt, token).await? {
            CachedVerdict::OAuthToken(t) => Ok(VerifiedToken::OAuth(t)),
            CachedVerdict::ApiKey(k) => Ok(VerifiedToken::ApiKey(k)),
            _ => Err(Error::UnknownTokenType),
        }
    }

    /// The guarded path; `Ok` is never [`CachedVerdict::NotFound`].
    async fn verify(&self, tt: TokenType, token: &str) -> Result<CachedVerdict, Error> {
        let span = tracing::info_span!(
            "clerk_m2m.opaque_guard",
            token_type = tt.as_str(),
            outcome = tracing::field::Empty,
            in_flight = tracing::field::Empty,
        );
        async {
            let (outcome, r) = self.verify_inner(tt, token).await;
            let span = tracing::Span::current();
            span.record("outcome", outcome);
            span.record("in_flight", self.cap.in_flight());
            let verdict = r.map_err(|f| self.failure_error(tt, f))?;
            if verdict == CachedVerdict::NotFound {
                return Err(Error::from_backend_verify(tt, not_found()));
            }
            Ok(verdict)
        }
        .instrument(span)
        .await
    }

    async fn verify_inner(
        &self,
        tt: TokenType,
        token: &str,
    ) -> (&'static str, Result<CachedVerdict, Failure>) {
        if !self.enabled {
            bump(&self.counters.calls);
            return ("unguarded", self.call_api(tt, token).await);
        }
        if self.shape_check && !shape::plausible(tt, token) {
            bump(&self.counters.shape_rejections);
            return ("shape_rejected", Err(Failure::Malformed));
        }
        // One budget for the whole verification: the store lookup, the queue and the call.
        let deadline = tokio::time::Instant::now() + self.budget;
        let key = self.keyer.key(token);
        if let Ok(Some(v)) = tokio::time::timeout_at(deadline, self.store.get(key)).await {
            bump(&self.counters.cache_hits);
            return ("cache_hit", Ok(v));
        }
        let ran = AtomicBool::new(false);
        let r = self
            .flights
            .try_get_with(key, async {
                ran.store(true, Ordering::Relaxed);
                let v = self.budgeted_call(tt, token, deadline).await?;
                let ttl = self.ttl_for(&v);
                if !ttl.is_zero() {
                    self.store.insert(key, v.clone(), ttl).await;
                }
                Ok::<_, Failure>(v)
            })
            .await
            .map_err(|f| (*f).clone());
        let shared = !ran.load(Ordering::Relaxed);
        if shared {
            bump(&self.counters.coalesced);
        }
        let outcome = match (&r, shared) {
            (_, true) => "coalesced",
            (Ok(_), false) => "called",
            (Err(Failure::Saturated), _) => "saturated",
            (Err(Failure::Budget), _) => "budget_exceeded",
            (Err(_), _) => "call_failed",
        };
        (outcome, r)
    }

    /// One call through the cap, all of it (queueing included) done by `deadline`.
    async fn budgeted_call(
        &self,
        tt: TokenType,
        token: &str,
        deadline: tokio::time::Instant,
    ) -> Result<CachedVerdict, Failure> {
        let call = async {
            let Some(_slot) = self.cap.acquire().await else {
                bump(&self.counters.cap_rejections);
                return Err(Failure::Saturated);
            };
            bump(&self.counters.calls);
            self.call_api(tt, token).await
        };
        match tokio::time::timeout_at(deadline, call).await {
            Ok(r) => r,
            Err(_) => {
                bump(&self.counters.budget_exceeded);
                Err(Failure::Budget)
            }
        }
    }

    async fn call_api(&self, tt: TokenType, token: &str) -> Result<CachedVerdict, Failure> {
        let api = &self.api;
        let r = match tt {
            TokenType::M2MToken => {
                let span = tracing::info_span!("clerk_m2m.bapi.verify_m2m_token");
                api.m2m_tokens()
                    .verify(token, None)
                    .instrument(span)
                    .await
                    .map(|mut t| {
                        t.token = None;
                        CachedVerdict::M2MToken(t)
                    })
            }
            TokenType::OAuthToken => {
                let span = tracing::info_span!("clerk_m2m.bapi.verify_oauth_token");
                api.verify_oauth_token(token)
                    .instrument(span)
                    .await
                    .map(CachedVerdict::OAuthToken)
            }
            _ => {
                let span = tracing::info_span!("clerk_m2m.bapi.verify_api_key");
                api.verify_api_key(token)
                    .instrument(span)
                    .await
                    .map(CachedVerdict::ApiKey)
            }
        };
        match r {
            Ok(v) => Ok(v),
            Err(e) if e.status() == Some(404) => Ok(CachedVerdict::NotFound),
            Err(e) => Err(Failure::Api(e)),
        }
    }

    /// How long to remember `v`: a dead token (404, revoked, expired) for the negative TTL, a
    /// live one for the positive TTL but never past its expiration.
    fn ttl_for(&self, v: &CachedVerdict) -> Duration {
        let (dead, expiration) = match v {
            CachedVerdict::NotFound => (true, None),
            CachedVerdict::M2MToken(t) => (t.revoked || t.expired, t.expiration),
            CachedVerdict::OAuthToken(t) => (t.revoked || t.expired, t.expiration),
            CachedVerdict::ApiKey(k) => (k.revoked || k.expired, k.expiration),
        };
        if dead {
            return self.negative_ttl;
        }
        let Some(exp_ms) = expiration else {
            return self.positive_ttl;
        };
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let left = u64::try_from(exp_ms.saturating_sub(now_ms)).unwrap_or(0);
        self.positive_ttl.min(Duration::from_millis(left))
    }

    fn failure_error(&self, tt: TokenType, f: Failure) -> Error {
        match f {
            Failure::Malformed => Error::MalformedToken { token_type: tt },
            Failure::Api(e) => Error::from_backend_verify(tt, e),
            Failure::Saturated => Error::Saturated {
                token_type: tt,
                max_concurrent: self.max_concurrent,
                max_queued: self.max_queued,
            },
            Failure::Budget => Error::BudgetExceeded {
                token_type: tt,
                budget: self.budget,
            },
        }
    }
}

/// The Backend API's 404 for an unknown token, as remembered by the negative cache.
fn not_found() -> ApiError {
    ApiError::Api {
        status: 404,
        errors: vec![ClerkApiError::new(
            "resource_not_found",
            "The token was not found (remembered by the opaque-token guard).",
        )],
        clerk_trace_id: None,
        retry_after: None,
    }
}

impl MachineAuth {
    /// The opaque-token guard's counters: calls made, cache hits, shape and cap rejections, ...
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clerk_m2m::Error> {
    /// use clerk_m2m::{MachineAuth, MachineSecretKey};
    ///
    /// let auth = MachineAuth::builder()
    ///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
    ///     .build()?;
    /// // Not a token Clerk issues: refused without a Backend API call.
    /// assert!(auth.verify_machine_token("mt_123").await.is_err());
    /// let stats = auth.opaque_guard_stats();
    /// assert_eq!((stats.shape_rejections, stats.calls), (1, 0));
    /// # Ok(()) }
    /// ```
    pub fn opaque_guard_stats(&self) -> OpaqueGuardStats {
        self.inner.opaque.stats()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn guard(cfg: OpaqueGuardConfig) -> OpaqueGuard {
        let base = BackendApi::builder().api_url("http://127.0.0.1:9");
        let api = base.clone().build().unwrap();
        OpaqueGuard::new(cfg, &api, base, None, &["http://127.0.0.1:9"]).unwrap()
    }

    fn now_ms() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    }

    #[test]
    fn request_path_retries_fit_in_the_budget() {
        let p = request_path_policy(&RetryPolicy::default(), Duration::from_secs(2));
        assert_eq!(p.max_elapsed, Duration::from_secs(2));
        assert_eq!(p.max_retry_after, Duration::from_secs(2));
        assert_eq!(p.max_attempts, RetryPolicy::default().max_attempts);
        // A stricter configured policy stays stricter.
        let strict = RetryPolicy::none().with_max_elapsed(Duration::from_millis(500));
        let p = request_path_policy(&strict, Duration::from_secs(2));
        assert_eq!(
            (p.max_attempts, p.max_elapsed),
            (1, Duration::from_millis(500))
        );
    }

    #[test]
    fn ttl_never_outlives_the_token_and_dead_tokens_use_the_negative_ttl() {
        let g = guard(
            OpaqueGuardConfig::default()
                .with_positive_ttl(Duration::from_secs(10))
                .with_negative_ttl(Duration::from_secs(3)),
        );
        let mut live = M2MToken::new("mt_1", "mch_1");
        assert_eq!(
            g.ttl_for(&CachedVerdict::M2MToken(live.clone())),
            Duration::from_secs(10),
            "no expiration"
        );
        live.expiration = Some(now_ms() + 1_000);
        let ttl = g.ttl_for(&CachedVerdict::M2MToken(live.clone()));
        assert!(
            ttl <= Duration::from_secs(1) && ttl > Duration::ZERO,
            "{ttl:?}"
        );
        live.expiration = Some(now_ms() - 1_000);
        assert_eq!(
            g.ttl_for(&CachedVerdict::M2MToken(live.clone())),
            Duration::ZERO
        );
        live.revoked = true;
        assert_eq!(
            g.ttl_for(&CachedVerdict::M2MToken(live)),
            Duration::from_secs(3)
        );
        assert_eq!(g.ttl_for(&CachedVerdict::NotFound), Duration::from_secs(3));
        let mut oauth = clerk_backend_api::IdPOAuthAccessToken::new("oat_1", "user_1");
        oauth.expiration = Some(now_ms() + 500);
        assert!(g.ttl_for(&CachedVerdict::OAuthToken(oauth)) <= Duration::from_millis(500));
        let mut key = clerk_backend_api::ApiKey::new("ak_1", "user_1");
        key.expired = true;
        assert_eq!(
            g.ttl_for(&CachedVerdict::ApiKey(key)),
            Duration::from_secs(3)
        );
    }

    #[tokio::test]
    async fn a_disabled_guard_has_no_shape_check() {
        // Off: the junk goes to the (unreachable) Backend API, so the error is a network one.
        let g = guard(OpaqueGuardConfig::disabled());
        let e = g.verify(TokenType::M2MToken, "mt_1").await.unwrap_err();
        assert!(!matches!(e, Error::MalformedToken { .. }), "{e:?}");
        assert_eq!(g.stats().calls, 1);
        let g = guard(OpaqueGuardConfig::default());
        let e = g.verify(TokenType::M2MToken, "mt_1").await.unwrap_err();
        assert!(matches!(e, Error::MalformedToken { .. }), "{e:?}");
        assert_eq!((g.stats().calls, g.stats().shape_rejections), (0, 1));
    }
}
