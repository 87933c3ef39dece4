//! [`VerifiedTokenCache`]: remembers which presented tokens already passed the two expensive,
//! pure steps of the pipeline (decode and the RSA signature check), so a machine presenting the
//! same JWT on every call pays one signature check per entry lifetime instead of one per call.
//!
//! What is cached, and why it cannot change an answer:
//!
//! * The key is the token itself, every byte of it (the decoded token's own text): lookups hash
//!   it with a randomly seeded hash and then compare the stored bytes, so only a byte-identical
//!   token can hit. Never a prefix, a `jti` or a hash collision.
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
/// | `max_entries` | 1024 | one live token per calling machine (two while it rotates) for hundreds of callers; an entry is the decoded token (~1.7 KiB for Clerk's ~700-byte M2M JWTs, about 5 KiB at the 4 KiB cap), so under 2 MiB, at most about 5 MiB |
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
    /// How many verified tokens are kept. When full, the cache's eviction policy (quick_cache's
    /// S3-FIFO-like CLOCK: a token seen once leaves before one seen again) makes room; a token
    /// not kept verifies normally. `0` turns the positive cache off.
    pub max_entries: u64,
    /// Tokens longer than this (in bytes) are never cached: they verify normally.
    pub max_token_bytes: usize,
    /// How long after its signature check an entry may be reused, whatever the token's `exp`.
    pub max_lifetime: Duration,
    /// How many tokens whose signature was wrong are remembered (`0`: none).
    pub negative_max_entries: u64,
    /// How long a wrong signature is remembered.
    pub negative_lifetime: Duration,
    /// When a checked token takes a place in the cache.
    pub admission: CacheAdmission,
}

/// When a token whose signature was checked takes a place in a [`VerifiedTokenCache`].
///
/// ```rust
/// use clerk_token_verify::{CacheAdmission, VerifiedTokenCacheConfig};
/// // A batch verifier that sees mostly distinct tokens: only repeated ones take memory.
/// let config = VerifiedTokenCacheConfig::default()
///     .with_max_entries(32_768)
///     .with_admission(CacheAdmission::SecondCheck);
/// assert_eq!(config.admission, CacheAdmission::SecondCheck);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheAdmission {
    /// After its first check: the second presentation of a token is a hit. For a service, whose
    /// callers present each token many times.
    #[default]
    FirstCheck,
    /// At its second check, when a small table of recently checked tokens (8 bytes a slot,
    /// four slots per entry, at most 1 Mi slots) remembers the first: a token seen once costs
    /// neither an insert nor memory, and a repeated one pays one more signature check. For a
    /// stream of mostly distinct tokens (`clerk-m2m verify -` over a log), where inserting every
    /// token would cost time and memory for tokens never seen again. The table is lossy: under a
    /// flood of distinct tokens a repeated one may need a few more checks to get in.
    ///
    /// Measured with `cargo xtask bench cli` (one core, `--cache-entries 24576`): 50,000
    /// distinct tokens ran at 0.90x `openssl speed` with it and 0.73-0.81x when every token was
    /// admitted while the cache had room (the inserts and the memory they fault in), while
    /// 20,000 tokens repeated over 1,000,000 lines still ran at 4.8x.
    SecondCheck,
}

impl Default for VerifiedTokenCacheConfig {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_CACHE_MAX_ENTRIES,
            max_token_bytes: DEFAULT_CACHE_MAX_TOKEN_BYTES,
            max_lifetime: DEFAULT_CACHE_MAX_LIFETIME,
            negative_max_entries: DEFAULT_NEGATIVE_CACHE_MAX_ENTRIES,
            negative_lifetime: DEFAULT_NEGATIVE_CACHE_LIFETIME,
            admission: CacheAdmission::FirstCheck,
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

    /// Sets [`admission`](Self::admission).
    #[must_use]
    pub fn with_admission(mut self, admission: CacheAdmission) -> Self {
        self.admission = admission;
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
    /// Entries dropped because a presentation found their lifetime over (an old entry nobody
    /// presents again stays until evicted: the bound on entries bounds memory either way).
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
    /// The decoded token; its text is the cache key (see [`Key`]).
    pub(crate) jwt: Jwt,
    /// The key that checked the signature.
    pub(crate) key: Arc<VerifyingKey>,
    /// The verifier clock's time (ms) from which the entry may no longer be used: the entry
    /// lifetime after the check.
    use_until_ms: i64,
}

impl Entry {
    /// Whether the entry may still be used at `now_ms` (verifier clock).
    pub(crate) fn is_young(&self, now_ms: i64) -> bool {
        now_ms < self.use_until_ms
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

/// The key of an entry: the entry itself (the value is the same `Arc`), hashed and compared as
/// its token's text. The text is stored once (in the decoded token), not a second time as a
/// separate key: ~800 bytes less per entry for Clerk's tokens. `Borrow<str>` lets a lookup take
/// the presented `&str`.
struct Key(Arc<Entry>);

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.0.jwt.as_str()
    }
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.jwt.as_str().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.jwt.as_str() == other.0.jwt.as_str()
    }
}

impl Eq for Key {}

/// The map: quick_cache, bounded in entries. It replaced moka here because a miss (every new
/// token) and a hit both cost several times less, on one core and more so on two: in a
/// micro-benchmark of ~800-byte keys on one core of the dev machine, a lookup-then-insert of a
/// new key into a full 1,024-entry cache took 2.8 us with moka (with per-entry expiry and a
/// listener, as used here) and 0.47 us with quick_cache; a hit on one of 20,000 entries in
/// random order 2.5 us and 0.75 us. `clerk-m2m verify -` of distinct tokens with the default
/// cache spent ~20% of its time in moka's insert and housekeeping, and did not scale to two
/// cores (1.5x, against 1.8x without the cache). Entries are not expired by the map: the
/// verifier's clock decides on every hit ([`Entry::is_young`]), an old entry is dropped when it
/// is found, and the bound on entries bounds the memory either way.
type Map = quick_cache::sync::Cache<Key, Arc<Entry>, quick_cache::UnitWeighter, Hasher, Evictions>;

/// Counts evictions, and drops evicted entries after the shard's lock is released.
#[derive(Clone)]
struct Evictions(Arc<Counters>);

impl quick_cache::Lifecycle<Key, Arc<Entry>> for Evictions {
    type RequestState = Option<Key>;

    fn on_evict(&self, state: &mut Self::RequestState, key: Key, _val: Arc<Entry>) {
        self.0.evictions.fetch_add(1, Ordering::Relaxed);
        // One insert evicts about one entry of equal weight; a second is dropped here.
        *state = Some(key);
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
    /// With [`CacheAdmission::SecondCheck`]: the tokens checked once.
    doorkeeper: Option<Doorkeeper>,
    counters: Arc<Counters>,
}

/// The tokens checked once, for [`CacheAdmission::SecondCheck`]: a direct-mapped table of their
/// hashes (a slot holds the last token that hashed to it). Lossy by design, like the doorkeeper
/// of TinyLFU: a collision or an overwritten slot only delays (or, for another token of the same
/// 64-bit hash, hastens) an admission, and admission never changes an answer. Neither quick_cache
/// nor moka can admit on a second sighting without storing the first; this costs one hash and
/// one atomic per miss.
struct Doorkeeper {
    slots: Box<[AtomicU64]>,
    hasher: Hasher,
}

impl Doorkeeper {
    /// At most 1 Mi slots (8 MiB).
    const MAX_SLOTS: u64 = 1 << 20;

    fn new(max_entries: u64) -> Self {
        let n = max_entries
            .saturating_mul(4)
            .clamp(64, Self::MAX_SLOTS)
            .next_power_of_two();
        Self {
            slots: (0..n).map(|_| AtomicU64::new(0)).collect(),
            hasher: Hasher::default(),
        }
    }

    /// Whether `token` was checked before (and it now takes its place); if not, remembers it.
    fn second_check(&self, token: &str) -> bool {
        use std::hash::BuildHasher;
        // 0 marks an empty slot.
        let h = self.hasher.hash_one(token) | 1;
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)] // the low bits pick the slot
        let slot = &self.slots[(h as usize) & mask];
        if slot.load(Ordering::Relaxed) == h {
            slot.store(0, Ordering::Relaxed);
            true
        } else {
            slot.store(h, Ordering::Relaxed);
            false
        }
    }
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
                let items = usize::try_from(max).unwrap_or(usize::MAX);
                Map::with(
                    items,
                    max,
                    quick_cache::UnitWeighter,
                    Hasher::default(),
                    Evictions(Arc::clone(&counters)),
                )
            })
        };
        let positive = build(config.max_entries);
        let negative = build(config.negative_max_entries);
        let doorkeeper = (config.admission == CacheAdmission::SecondCheck
            && (positive.is_some() || negative.is_some()))
        .then(|| {
            Doorkeeper::new(
                config
                    .max_entries
                    .saturating_add(config.negative_max_entries),
            )
        });
        Self {
            inner: Arc::new(Shared {
                config,
                positive,
                negative,
                doorkeeper,
                counters,
            }),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &VerifiedTokenCacheConfig {
        &self.inner.config
    }

    /// The counters.
    pub fn stats(&self) -> VerifiedTokenCacheStats {
        let s = &*self.inner;
        let entries = [&s.positive, &s.negative]
            .into_iter()
            .flatten()
            .map(|m| u64::try_from(m.len()).unwrap_or(u64::MAX))
            .sum();
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
            map.clear();
        }
    }

    /// Whether a token of this length may be cached at all.
    pub(crate) fn accepts(&self, token: &str) -> bool {
        token.len() <= self.inner.config.max_token_bytes
    }

    /// The entry for exactly `token`, and whether it remembers a wrong signature.
    pub(crate) fn get(&self, token: &str) -> Option<(Arc<Entry>, bool)> {
        let s = &*self.inner;
        let find = |map: &Option<Map>| map.as_ref()?.get(token);
        if let Some(e) = find(&s.positive) {
            return Some((e, true));
        }
        find(&s.negative).map(|e| (e, false))
    }

    /// Drops `entry`, found too old at a presentation (unless a newer one replaced it).
    pub(crate) fn expire(&self, entry: &Arc<Entry>, valid: bool) {
        let s = &*self.inner;
        let map = if valid { &s.positive } else { &s.negative };
        if let Some(map) = map
            && map
                .remove_if(entry.jwt.as_str(), |e| Arc::ptr_eq(e, entry))
                .is_some()
        {
            s.counters.expirations.fetch_add(1, Ordering::Relaxed);
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
        let (map, lifetime) = if valid {
            (&s.positive, s.config.max_lifetime)
        } else {
            (&s.negative, s.config.negative_lifetime)
        };
        let Some(map) = map else { return };
        // A token already past its expiry is not worth a place; one that expires later stays
        // until its lifetime ends (or it is evicted), its hits refused by the claim rules.
        if lifetime.is_zero() || until_ms.is_some_and(|until| until <= now_ms) {
            return;
        }
        if let Some(d) = &s.doorkeeper
            && !d.second_check(jwt.as_str())
        {
            return;
        }
        let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
        let use_until_ms = now_ms.saturating_add(lifetime_ms);
        let entry = Arc::new(Entry {
            jwt,
            key,
            use_until_ms,
        });
        map.insert(Key(Arc::clone(&entry)), entry);
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_doorkeeper_admits_at_the_second_check_and_forgets_then() {
        let d = Doorkeeper::new(16);
        assert_eq!(d.slots.len(), 64);
        assert!(!d.second_check("a.b.c"));
        assert!(d.second_check("a.b.c"));
        assert!(
            !d.second_check("a.b.c"),
            "admitted once: the slot is free again"
        );
        assert!(d.second_check("a.b.c"));
        assert_eq!(Doorkeeper::new(u64::MAX).slots.len(), 1 << 20, "bounded");
    }

    #[test]
    fn an_enormous_max_entries_allocates_nothing_up_front() {
        // quick_cache sizes its tables lazily; the doorkeeper is clamped (test above). A config
        // typo or `--cache-entries 18446744073709551615` must neither panic nor reserve memory.
        for admission in [CacheAdmission::FirstCheck, CacheAdmission::SecondCheck] {
            let cache = VerifiedTokenCache::new(
                VerifiedTokenCacheConfig::default()
                    .with_max_entries(u64::MAX)
                    .with_negative_cache(u64::MAX, Duration::from_secs(1))
                    .with_admission(admission),
            );
            assert!(cache.get("a.b.c").is_none());
            assert_eq!(cache.stats().entries, 0);
        }
    }
}
