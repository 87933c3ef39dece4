//! `RemoteJwksResolver`: a JWKS cache for one instance that survives kid floods and outages.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use crate::key_set::{KeySet, Lookup};
use crate::{
    Algorithm, CryptoProvider, JwkSet, KeyError, KeyResolver, VerifyingKey, default_provider,
};

/// Default time a fetched key set counts as fresh (`@clerk/backend`'s 5 minutes).
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// Default pause after a fetch during which unknown kids fail fast and failed fetches are not
/// retried (30 s, as in panva/jose and jwtk).
pub const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);
/// Default time known keys keep verifying past their TTL while the source keeps failing.
pub const DEFAULT_STALE_GRACE: Duration = Duration::from_secs(60 * 60);

/// Where a [`RemoteJwksResolver`] gets its key set. The cache knows nothing of HTTP:
/// `clerk-backend-api` implements this for `GET /v1/jwks`.
///
/// Implementations should bound the time a fetch may take (a timeout); the resolver shares one
/// fetch between all callers and does not add its own.
#[async_trait::async_trait]
pub trait JwksSource: Send + Sync {
    /// Fetches the current key set. Errors should be [`KeyError::RemoteFailedToLoad`] or
    /// [`KeyError::SecretKeyInvalid`], with `@clerk/backend`'s messages.
    async fn fetch(&self) -> Result<JwkSet, KeyError>;
}

#[async_trait::async_trait]
impl<T: JwksSource + ?Sized> JwksSource for Arc<T> {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        (**self).fetch().await
    }
}

#[derive(Debug, Clone)]
struct Config {
    ttl: Duration,
    cooldown: Duration,
    stale_grace: Duration,
    /// `None` only in a build without provider features when none was passed: every load then
    /// fails with [`KeyError::NoCryptoProvider`], before any fetch.
    provider: Option<Arc<dyn CryptoProvider>>,
}

/// One immutable snapshot of the cache; replaced whole, never mutated.
#[derive(Debug, Default)]
struct State {
    keys: Arc<KeySet>,
    /// When `keys` were fetched; `None` until the first successful fetch.
    fetched_at: Option<Instant>,
    /// `fetched_at + ttl`, computed once per fetch so that every cache hit compares two instants
    /// instead of subtracting them.
    fresh_until: FreshUntil,
    /// When the last fetch (successful or not) finished.
    last_attempt: Option<Instant>,
    /// The error of the last fetch, if it failed.
    last_error: Option<KeyError>,
    /// Bumped by every fetch, so waiters can tell that a fetch happened while they queued.
    generation: u64,
}

fn younger_than(t: Option<Instant>, limit: Duration, now: Instant) -> bool {
    t.is_some_and(|t| now.saturating_duration_since(t) < limit)
}

/// The end of a key set's TTL. `now < fetched_at + ttl` is `now - fetched_at < ttl` because
/// `Instant` never goes backwards, so this is [`younger_than`] for the TTL, without the
/// subtraction (and without its normalisation of seconds and nanoseconds) on every hit.
#[derive(Debug, Clone, Copy, Default)]
enum FreshUntil {
    /// Nothing fetched yet.
    #[default]
    Never,
    /// Fresh strictly before this instant.
    At(Instant),
    /// The TTL reaches past the clock's range.
    Forever,
}

impl FreshUntil {
    fn after(fetched_at: Instant, ttl: Duration) -> Self {
        fetched_at.checked_add(ttl).map_or(Self::Forever, Self::At)
    }

    fn is_fresh(self, now: Instant) -> bool {
        match self {
            Self::Never => false,
            Self::At(end) => now < end,
            Self::Forever => true,
        }
    }
}

/// A JWKS cache for one Clerk instance (one source).
///
/// * The key set is an immutable value swapped atomically; a cache hit takes no lock and never
///   waits on the network ([`KeyResolver::resolve_cached`] is the allocation-free hit path).
/// * A fetched set is fresh for the TTL (default 5 min); hits never extend it.
/// * Single flight: concurrent callers on a cold or expired cache share one fetch and its result
///   or error.
/// * An unknown kid triggers one refetch; for the cooldown after any fetch (default 30 s) further
///   unknown kids fail fast with `jwk-kid-mismatch` and no fetch. A failed fetch is likewise not
///   retried within the cooldown; callers get its error.
/// * Stale-if-error: while fetches fail, keys already known keep verifying for the stale grace
///   (default 1 h) past their TTL; then the resolver fails closed with the fetch error
///   (`jwk-remote-failed-to-load`).
/// * A successful fetch replaces the whole set: a kid removed at the source stops verifying after
///   the next refresh (`@clerk/backend` merges kids until expiry; replacing is stricter).
/// * A key set with no usable key counts as a failed fetch ("did not contain any signing keys"),
///   so a broken response never wipes known keys.
/// * Nothing is shared between resolvers: one resolver serves one instance.
pub struct RemoteJwksResolver<S: JwksSource> {
    source: S,
    config: Config,
    state: ArcSwap<State>,
    refresh: tokio::sync::Mutex<()>,
}

impl<S: JwksSource> fmt::Debug for RemoteJwksResolver<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load();
        f.debug_struct("RemoteJwksResolver")
            .field("ttl", &self.config.ttl)
            .field("unknown_kid_cooldown", &self.config.cooldown)
            .field("stale_grace", &self.config.stale_grace)
            .field("provider", &self.config.provider.as_ref().map(|p| p.name()))
            .field("fetched", &state.fetched_at.is_some())
            .field("generation", &state.generation)
            .finish_non_exhaustive()
    }
}

/// Builder for [`RemoteJwksResolver`].
#[derive(Debug)]
pub struct RemoteJwksResolverBuilder<S> {
    source: S,
    config: Config,
}

impl<S: JwksSource> RemoteJwksResolverBuilder<S> {
    /// How long a fetched key set is fresh. Default 5 minutes.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.config.ttl = ttl;
        self
    }

    /// How long after a fetch unknown kids fail fast without another fetch, and how long a failed
    /// fetch is not retried. Default 30 seconds.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.config.cooldown = cooldown;
        self
    }

    /// How long past the TTL known keys keep verifying while fetches fail. Default 1 hour.
    pub fn stale_grace(mut self, grace: Duration) -> Self {
        self.config.stale_grace = grace;
        self
    }

    /// The [`CryptoProvider`] of the keys this resolver builds. Default:
    /// [`default_provider`](crate::default_provider).
    pub fn crypto_provider(mut self, provider: Arc<dyn CryptoProvider>) -> Self {
        self.config.provider = Some(provider);
        self
    }

    /// Builds the resolver with an empty (cold) cache; the first resolve fetches.
    pub fn build(self) -> RemoteJwksResolver<S> {
        RemoteJwksResolver {
            source: self.source,
            config: self.config,
            state: ArcSwap::from_pointee(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }
}

impl<S: JwksSource> RemoteJwksResolver<S> {
    /// A resolver with the default TTL, cooldown and grace.
    ///
    /// ```rust
    /// use clerk_jwks_cache::{Algorithm, JwkSet, JwksSource, KeyError, KeyResolver, RemoteJwksResolver};
    ///
    /// struct Empty;
    /// #[async_trait::async_trait]
    /// impl JwksSource for Empty {
    ///     async fn fetch(&self) -> Result<JwkSet, KeyError> { Ok(JwkSet::default()) }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let resolver = RemoteJwksResolver::new(Empty);
    /// let err = resolver.resolve(Some("ins_1"), Algorithm::RS256).await.unwrap_err();
    /// assert_eq!(err.to_string(), "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.");
    /// # });
    /// ```
    pub fn new(source: S) -> Self {
        Self::builder(source).build()
    }

    /// A builder to set the TTL, cooldown, grace and crypto provider.
    ///
    /// ```rust
    /// # use clerk_jwks_cache::{JwkSet, JwksSource, KeyError, RemoteJwksResolver};
    /// # struct Src;
    /// # #[async_trait::async_trait]
    /// # impl JwksSource for Src { async fn fetch(&self) -> Result<JwkSet, KeyError> { Ok(JwkSet::default()) } }
    /// use std::time::Duration;
    /// let resolver = RemoteJwksResolver::builder(Src)
    ///     .ttl(Duration::from_secs(60))
    ///     .unknown_kid_cooldown(Duration::from_secs(10))
    ///     .stale_grace(Duration::from_secs(600))
    ///     .build();
    /// # let _ = resolver;
    /// ```
    pub fn builder(source: S) -> RemoteJwksResolverBuilder<S> {
        RemoteJwksResolverBuilder {
            source,
            config: Config {
                ttl: DEFAULT_TTL,
                cooldown: DEFAULT_UNKNOWN_KID_COOLDOWN,
                stale_grace: DEFAULT_STALE_GRACE,
                provider: default_provider().ok(),
            },
        }
    }

    /// The source this resolver fetches from.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Fetches now (sharing a fetch already in flight), e.g. to warm the cache at startup.
    /// Ignores the cooldown. On failure, known keys stay as they were.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let observed = self.state.load().generation;
        let _guard = self.refresh.lock().await;
        let current = self.state.load_full();
        let state = if current.generation == observed {
            self.fetch_once(&current).await
        } else {
            current
        };
        state.last_error.clone().map_or(Ok(()), Err)
    }

    async fn fetch_once(&self, current: &State) -> Arc<State> {
        let result = match &self.config.provider {
            None => Err(KeyError::NoCryptoProvider),
            Some(provider) => self.source.fetch().await.and_then(|set| {
                let keys = KeySet::build(&set, &**provider);
                if keys.is_empty() {
                    Err(KeyError::no_signing_keys())
                } else {
                    Ok(keys)
                }
            }),
        };
        let now = Instant::now();
        let generation = current.generation.wrapping_add(1);
        let next = match result {
            Ok(keys) => State {
                keys: Arc::new(keys),
                fetched_at: Some(now),
                fresh_until: FreshUntil::after(now, self.config.ttl),
                last_attempt: Some(now),
                last_error: None,
                generation,
            },
            Err(err) => {
                tracing::warn!(error = %err, "JWKS fetch failed; keeping known keys");
                State {
                    keys: Arc::clone(&current.keys),
                    fetched_at: current.fetched_at,
                    fresh_until: current.fresh_until,
                    last_attempt: Some(now),
                    last_error: Some(err),
                    generation,
                }
            }
        };
        let next = Arc::new(next);
        self.state.store(Arc::clone(&next));
        next
    }

    /// Answers from `state` without fetching. `after_fetch`: the state comes from a fetch this
    /// caller waited for, so a successful set counts as fresh whatever the TTL.
    fn settle(
        &self,
        state: &State,
        kid: &str,
        alg: Algorithm,
        now: Instant,
        after_fetch: bool,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        let c = &self.config;
        let servable = if state.last_error.is_some() {
            younger_than(state.fetched_at, c.ttl.saturating_add(c.stale_grace), now)
        } else {
            state.fetched_at.is_some() && (after_fetch || state.fresh_until.is_fresh(now))
        };
        if !servable {
            return Err(state
                .last_error
                .clone()
                .unwrap_or_else(|| KeyError::RemoteFailedToLoad {
                    message: "Failed to load JWKS from Clerk Backend or Frontend API.".to_owned(),
                }));
        }
        match state.keys.lookup(kid, alg) {
            Lookup::Found(k) => Ok(Arc::clone(k)),
            Lookup::Ambiguous => Err(KeyError::AmbiguousKid {
                kid: kid.to_owned(),
            }),
            // If the last fetch failed, the kid may exist at the source: say the load failed.
            Lookup::Missing => Err(state
                .last_error
                .clone()
                .unwrap_or_else(|| KeyError::kid_mismatch(Some(kid)))),
        }
    }
}

#[async_trait::async_trait]
impl<S: JwksSource> KeyResolver for RemoteJwksResolver<S> {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        // A missing kid can never match, before or after a fetch: fail without I/O.
        let Some(kid) = kid else {
            return Err(KeyError::kid_mismatch(None));
        };
        let c = &self.config;
        let now = Instant::now();
        let state = self.state.load_full();
        let fresh = state.fresh_until.is_fresh(now);
        let cooling = younger_than(state.last_attempt, c.cooldown, now);
        let must_fetch = if fresh {
            // Known kids (and known-ambiguous ones) never fetch; unknown ones only off cooldown.
            matches!(state.keys.lookup(kid, alg), Lookup::Missing) && !cooling
        } else {
            // Expired or cold: fetch, unless a fetch just failed (then answer from what we have).
            !(cooling && state.last_error.is_some())
        };
        if !must_fetch {
            return self.settle(&state, kid, alg, now, false);
        }

        let observed = state.generation;
        drop(state);
        let _guard = self.refresh.lock().await;
        let current = self.state.load_full();
        if current.generation != observed {
            // Someone fetched while we queued: share that result or error.
            return self.settle(&current, kid, alg, Instant::now(), true);
        }
        let next = self.fetch_once(&current).await;
        self.settle(&next, kid, alg, Instant::now(), true)
    }

    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        let kid = kid?;
        let state = self.state.load();
        let Lookup::Found(key) = state.keys.lookup(kid, alg) else {
            return None;
        };
        // The one clock read of a hit; a miss (or a cold cache, whose set is empty) needs none.
        state
            .fresh_until
            .is_fresh(Instant::now())
            .then(|| Arc::clone(key))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fresh_until_agrees_with_the_elapsed_time_rule() {
        let t = Instant::now();
        for ttl in [
            Duration::ZERO,
            Duration::from_nanos(1),
            DEFAULT_TTL,
            Duration::MAX,
        ] {
            let until = FreshUntil::after(t, ttl);
            for later in [
                Duration::ZERO,
                Duration::from_nanos(1),
                DEFAULT_TTL - Duration::from_nanos(1),
                DEFAULT_TTL,
                DEFAULT_TTL + Duration::from_nanos(1),
            ] {
                let now = t + later;
                assert_eq!(
                    until.is_fresh(now),
                    younger_than(Some(t), ttl, now),
                    "ttl {ttl:?}, {later:?} later"
                );
            }
        }
        assert!(!FreshUntil::Never.is_fresh(t));
    }
}
