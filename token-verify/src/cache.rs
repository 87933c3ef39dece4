//! [`VerifiedTokenCache`]: remembers which presented tokens already passed the two expensive,
//! pure steps of the pipeline (decode and the RSA signature check), so a machine presenting the
//! same JWT on every call pays one signature check per entry lifetime instead of one per call.
//!
//! What is cached, and why it cannot change an answer:
//!
//! * The key is the token itself, every byte of it (a `Box<str>`): lookups hash it with a
//!   randomly seeded hash and then compare the stored bytes, so only a byte-identical token can
//!   hit. Never a prefix, a `jti` or a hash collision.
//! * The value is the decoded token and the [`VerifyingKey`] that checked its signature. Decoding
//!   is a function of the bytes; the signature check is a function of the bytes and the key. On a
//!   hit the verifier asks its [`KeyResolver`](clerk_jwks_cache::KeyResolver) for the key again
//!   and uses the entry only if it gets the very same key object back (`Arc::ptr_eq`); the entry
//!   holds a strong reference, so the address cannot be reused by another key meanwhile.
//! * Everything else runs on every hit exactly as on a miss: the size cap, the header rules, the
//!   clock read, the claim rules (`exp`, `nbf`, `iat` with the skew, `aud`, ...), the user
//!   [`Check`](crate::Check)s and the mapping. So a hit returns what a miss would.
//!
//! Revocation bounds. A key that leaves the JWKS stops verifying cached tokens as soon as the
//! resolver stops returning that key object, which is exactly when it stops verifying uncached
//! ones: for `RemoteJwksResolver` the first successful refresh after the removal, at most its TTL
//! after the previous fetch (default 5 minutes, `RemoteJwksResolverBuilder::ttl`). Every refresh
//! builds new key objects, so it also ends every entry's hits. Independently, an entry is reused
//! for at most [`VerifiedTokenCacheConfig::max_lifetime`] (default 60 s) after its signature was
//! checked, and never once its token has expired. So a token keeps passing after its key leaves
//! the JWKS for at most the JWKS TTL, and no cached decision is older than the entry lifetime.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clerk_jwks_cache::VerifyingKey;
use clerk_token_types::Jwt;
use moka::notification::RemovalCause;
use moka::sync::Cache;

/// Default [`VerifiedTokenCacheConfig::max_entries`].
pub const DEFAULT_CACHE_MAX_ENTRIES: u64 = 1024;
/// Default [`VerifiedTokenCacheConfig::max_token_bytes`].
pub const DEFAULT_CACHE_MAX_TOKEN_BYTES: usize = 4096;
/// Default [`VerifiedTokenCacheConfig::max_lifetime`].
pub const DEFAULT_CACHE_MAX_LIFETIME: Duration = Duration::from_secs(60);
/// Default [`VerifiedTokenCacheConfig::negative_max_entries`].
pub const DEFAULT_NEGATIVE_CACHE_MAX_ENTRIES: u64 = 256;
/// Default [`VerifiedTokenCacheConfig::negative_lifetime`].
pub const DEFAULT_NEGATIVE_CACHE_LIFETIME: Duration = Duration::from_secs(10);

/// Limits of a [`VerifiedTokenCache`]. `Default` gives the conservative defaults below.
///
/// | field | default | why |
/// | --- | --- | --- |
/// | `max_entries` | 1024 | one live token per calling machine (two while it rotates) for hundreds of callers; at most about 10 MiB with 4 KiB tokens, about 3 MiB with Clerk's ~1 KiB ones |
/// | `max_token_bytes` | 4096 | Clerk M2M JWTs are under 1 KiB; larger tokens verify normally and take no memory |
/// | `max_lifetime` | 60 s | bounds how old a reused signature decision can be |
/// | `negative_max_entries` | 256 | a replayed forged token costs one signature check per `negative_lifetime` |
/// | `negative_lifetime` | 10 s | short: only a replay storm needs it |
///
/// ```rust
/// use std::time::Duration;
/// use clerk_token_verify::VerifiedTokenCacheConfig;
/// let config = VerifiedTokenCacheConfig::default()
///     .with_max_entries(10_000)
///     .with_max_lifetime(Duration::from_secs(30))
///     .without_negative_cache();
/// assert_eq!((config.max_entries, config.negative_max_entries), (10_000, 0));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTokenCacheConfig {
    /// How many verified tokens are kept. When full, the cache's admission policy (TinyLFU)
    /// decides between a new token and the least valuable entry; a token not kept verifies
    /// normally. `0` turns the positive cache off.
    pub max_entries: u64,
    /// Tokens longer than this (in bytes) are never cached: they verify normally.
    pub max_token_bytes: usize,
    /// How long after its signature check an entry may be reused, whatever the token's `exp`.
    pub max_lifetime: Duration,
    /// How many tokens whose signature was wrong are remembered (`0`: none).
    pub negative_max_entries: u64,
    /// How long a wrong signature is remembered.
    pub negative_lifetime: Duration,
}

impl Default for VerifiedTokenCacheConfig {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_CACHE_MAX_ENTRIES,
            max_token_bytes: DEFAULT_CACHE_MAX_TOKEN_BYTES,
            max_lifetime: DEFAULT_CACHE_MAX_LIFETIME,
            negative_max_entries: DEFAULT_NEGATIVE_CACHE_MAX_ENTRIES,
            negative_lifetime: DEFAULT_NEGATIVE_CACHE_LIFETIME,
        }
    }
}

impl VerifiedTokenCacheConfig {
    /// Sets [`max_entries`](Self::max_entries).
    #[must_use]
    pub fn with_max_entries(mut self, n: u64) -> Self {
        self.max_entries = n;
        self
    }

    /// Sets [`max_token_bytes`](Self::max_token_bytes).
    #[must_use]
    pub fn with_max_token_bytes(mut self, n: usize) -> Self {
        self.max_token_bytes = n;
        self
    }

    /// Sets [`max_lifetime`](Self::max_lifetime).
    #[must_use]
    pub fn with_max_lifetime(mut self, d: Duration) -> Self {
        self.max_lifetime = d;
        self
    }

    /// Sets the negative cache's size and lifetime.
    #[must_use]
    pub fn with_negative_cache(mut self, max_entries: u64, lifetime: Duration) -> Self {
        self.negative_max_entries = max_entries;
        self.negative_lifetime = lifetime;
        self
    }

    /// Remembers no wrong signatures.
    #[must_use]
    pub fn without_negative_cache(self) -> Self {
        self.with_negative_cache(0, Duration::ZERO)
    }
}

/// Counters of a [`VerifiedTokenCache`], since it was created.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifiedTokenCacheStats {
    /// Presentations answered from an entry (signature check skipped).
    pub hits: u64,
    /// Presentations of a token whose wrong signature was remembered.
    pub negative_hits: u64,
    /// Cacheable presentations that ran the signature check (new token, changed key, old entry).
    pub misses: u64,
    /// Entries dropped to make room (capacity pressure: consider a larger `max_entries`).
    pub evictions: u64,
    /// Entries dropped because their token expired or their lifetime ended.
    pub expirations: u64,
    /// Entries held now (both caches).
    pub entries: u64,
}

/// What the verifier did with one presentation, for logs and span fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hit,
    NegativeHit,
    Miss,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::NegativeHit => "negative_hit",
            Self::Miss => "miss",
        }
    }
}

/// One remembered signature check.
pub(crate) struct Entry {
    /// The decoded token; its text is the cache key.
    pub(crate) jwt: Jwt,
    /// The key that checked the signature.
    pub(crate) key: Arc<VerifyingKey>,
    /// The verifier clock's time of the check (ms): the entry lifetime counts from it.
    pub(crate) checked_at_ms: i64,
    /// How long the cache keeps the entry (the lifetime, cut at the token's expiry).
    keep_for: Duration,
}

impl Entry {
    /// Whether the entry may still be used at `now_ms` (verifier clock) for `lifetime`.
    pub(crate) fn is_young(&self, now_ms: i64, lifetime: Duration) -> bool {
        let lifetime_ms = i128::try_from(lifetime.as_millis()).unwrap_or(i128::MAX);
        i128::from(now_ms) - i128::from(self.checked_at_ms) < lifetime_ms
    }
}

/// The hash: foldhash with a random per-process and per-cache seed. SipHash (std's default) was
/// a quarter of a hit's instructions for a 700-byte token (callgrind on
/// `verify_m2m_rs256/josekit/cached_hit`: 20.2 M of 79.5 M). foldhash resists only simple
/// hash flooding, and that suffices here: a collision costs a byte comparison, not a wrong
/// answer; only tokens with a valid signature enter the positive cache; and attacker-chosen
/// tokens (the negative cache) are at most `negative_max_entries`, so even a lookup colliding
/// with all of them costs less than the signature check it stands in for.
type Hasher = foldhash::quality::RandomState;

type Map = Cache<Box<str>, Arc<Entry>, Hasher>;

/// Each entry's time in the cache: its own `keep_for` (moka's clock; the verifier's clock decides
/// on each hit, this only reclaims memory).
struct KeepFor;

impl moka::Expiry<Box<str>, Arc<Entry>> for KeepFor {
    fn expire_after_create(
        &self,
        _key: &Box<str>,
        value: &Arc<Entry>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.keep_for)
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    negative_hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
}

/// A bounded cache of verified tokens for [`Verifier`](crate::Verifier)s (see
/// [`Verifier::with_cache`](crate::Verifier::with_cache)). Cheap to clone: clones share the
/// entries and counters. One cache may serve several verifiers, of any preset: an entry only
/// saves the decode and the signature check, and each verifier runs its own rules on every hit.
///
/// ```rust
/// use std::sync::Arc;
/// use clerk_jwks_cache::PemKeyResolver;
/// use clerk_token_verify::{VerifiedTokenCache, VerifiedTokenCacheConfig, Verifier};
///
/// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
/// let resolver = Arc::new(PemKeyResolver::new(pem)?);
/// let cache = VerifiedTokenCache::new(VerifiedTokenCacheConfig::default());
/// let m2m = Verifier::m2m(resolver.clone()).with_shared_cache(cache.clone());
/// let oauth = Verifier::oauth(resolver).with_shared_cache(cache.clone());
/// assert_eq!(cache.stats().hits, 0);
/// # let _ = (m2m, oauth);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct VerifiedTokenCache {
    inner: Arc<Shared>,
}

struct Shared {
    config: VerifiedTokenCacheConfig,
    positive: Option<Map>,
    negative: Option<Map>,
    counters: Arc<Counters>,
}

impl fmt::Debug for VerifiedTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the entries: they are bearer tokens.
        f.debug_struct("VerifiedTokenCache")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl VerifiedTokenCache {
    /// An empty cache with these limits.
    pub fn new(config: VerifiedTokenCacheConfig) -> Self {
        let counters = Arc::new(Counters::default());
        let build = |max: u64| {
            (max > 0).then(|| {
                let c = Arc::clone(&counters);
                Cache::builder()
                    .max_capacity(max)
                    .expire_after(KeepFor)
                    .eviction_listener(move |_k, _v, cause| {
                        let counter = match cause {
                            RemovalCause::Size => &c.evictions,
                            RemovalCause::Expired => &c.expirations,
                            RemovalCause::Explicit | RemovalCause::Replaced => return,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                    .build_with_hasher(Hasher::default())
            })
        };
        let positive = build(config.max_entries);
        let negative = build(config.negative_max_entries);
        Self {
            inner: Arc::new(Shared {
                config,
                positive,
                negative,
                counters,
            }),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &VerifiedTokenCacheConfig {
        &self.inner.config
    }

    /// The counters, after the cache's pending housekeeping (evictions, expirations) has run.
    pub fn stats(&self) -> VerifiedTokenCacheStats {
        let s = &*self.inner;
        let mut entries = 0;
        for map in [&s.positive, &s.negative].into_iter().flatten() {
            map.run_pending_tasks();
            entries += map.entry_count();
        }
        let c = &s.counters;
        VerifiedTokenCacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            negative_hits: c.negative_hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            expirations: c.expirations.load(Ordering::Relaxed),
            entries,
        }
    }

    /// Forgets every entry: the next presentation of each token is checked in full.
    pub fn invalidate_all(&self) {
        for map in [&self.inner.positive, &self.inner.negative]
            .into_iter()
            .flatten()
        {
            map.invalidate_all();
        }
    }

    /// Whether a token of this length may be cached at all.
    pub(crate) fn accepts(&self, token: &str) -> bool {
        token.len() <= self.inner.config.max_token_bytes
    }

    /// The entry for exactly `token`, and whether it remembers a wrong signature.
    pub(crate) fn get(&self, token: &str) -> Option<(Arc<Entry>, bool)> {
        let s = &*self.inner;
        if let Some(e) = s.positive.as_ref().and_then(|m| m.get(token)) {
            return Some((e, true));
        }
        s.negative
            .as_ref()
            .and_then(|m| m.get(token))
            .map(|e| (e, false))
    }

    /// The positive entry lifetime.
    pub(crate) fn lifetime(&self, valid: bool) -> Duration {
        if valid {
            self.inner.config.max_lifetime
        } else {
            self.inner.config.negative_lifetime
        }
    }

    /// Remembers a signature check of `jwt` with `key` at `now_ms`, for at most `until_ms`
    /// (the token's expiry with the skew; `None` for a wrong signature).
    pub(crate) fn insert(
        &self,
        jwt: Jwt,
        key: Arc<VerifyingKey>,
        now_ms: i64,
        valid: bool,
        until_ms: Option<i64>,
    ) {
        let s = &*self.inner;
        let (map, mut keep_for) = if valid {
            (&s.positive, s.config.max_lifetime)
        } else {
            (&s.negative, s.config.negative_lifetime)
        };
        let Some(map) = map else { return };
        if let Some(until) = until_ms {
            let left = u64::try_from(i128::from(until) - i128::from(now_ms)).unwrap_or(0);
            keep_for = keep_for.min(Duration::from_millis(left));
        }
        if keep_for.is_zero() {
            return;
        }
        let key_text: Box<str> = jwt.as_str().into();
        map.insert(
            key_text,
            Arc::new(Entry {
                jwt,
                key,
                checked_at_ms: now_ms,
                keep_for,
            }),
        );
    }

    /// Counts one presentation.
    pub(crate) fn count(&self, outcome: Outcome) {
        let c = &self.inner.counters;
        let counter = match outcome {
            Outcome::Hit => &c.hits,
            Outcome::NegativeHit => &c.negative_hits,
            Outcome::Miss => &c.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
