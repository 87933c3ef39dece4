//! The opaque-token result cache: [`TokenKey`] (a keyed hash, never the token), the
//! [`CachedVerdict`] it maps to, the [`OpaqueTokenCache`] trait a fleet can implement over a
//! shared store, and the in-process implementation, [`InProcessOpaqueCache`] (moka).

use std::hash::Hasher as _;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use clerk_backend_api::{ApiKey, IdPOAuthAccessToken};
use clerk_token_types::M2MToken;
use serde::{Deserialize, Serialize};
use siphasher::sip128::{Hasher128 as _, SipHasher24};

/// The cache key of a token: SipHash-2-4 (128-bit output) of the verifier's namespace and the
/// token under a secret key.
///
/// Why this hash: the key must not reveal the token (a cache, local or shared, holds no bearer
/// credential), and nobody without the hash key may find a second token with the key of a cached
/// valid one (that would be accepted as it). SipHash is a keyed pseudo-random function built for
/// exactly this (it is what std uses against hash flooding); with 128 bits of output and a
/// 128-bit secret key an online forgery needs about 2^128 / (cached entries) tries. It costs
/// ~60 ns for a 40-byte token, nothing beside a network call. SHA-256 would need a larger crate
/// and its extra strength buys nothing for a short-lived in-memory key.
///
/// The hash key is random per process unless the configuration sets one
/// ([`OpaqueGuardConfig::with_cache_hash_key`](crate::OpaqueGuardConfig::with_cache_hash_key)):
/// processes that share a store must share it.
///
/// ```rust
/// use clerk_m2m::TokenKey;
/// let k = TokenKey::from_u128(0xabc);
/// assert_eq!(k.as_u128(), 0xabc);
/// assert_eq!(k.to_hex().len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenKey(u128);

impl TokenKey {
    /// A key from its 128 bits (for stores that keep keys as numbers).
    pub const fn from_u128(bits: u128) -> Self {
        Self(bits)
    }

    /// The 128 bits.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// 32 lowercase hex digits, e.g. for a Redis key `clerk:opaque:<hex>`.
    pub fn to_hex(self) -> String {
        format!("{:032x}", self.0)
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({:032x})", self.0)
    }
}

/// The process's random hash key, drawn once.
static PROCESS_HASH_KEY: LazyLock<[u8; 16]> = LazyLock::new(rand::random);

/// Computes [`TokenKey`]s for one verifier: the hash key plus a namespace (the Backend API URL
/// and the credentials the verify calls use), so two verifiers that would get different answers
/// for one token (another instance, another machine's scope) never share an entry, even in a
/// shared store.
#[derive(Clone)]
pub(crate) struct Keyer {
    key: [u8; 16],
    namespace: u128,
}

impl Keyer {
    pub(crate) fn new(key: Option<[u8; 16]>, namespace_parts: &[&str]) -> Self {
        let key = key.unwrap_or(*PROCESS_HASH_KEY);
        let mut h = SipHasher24::new_with_key(&key);
        h.write(b"clerk-m2m opaque namespace v1");
        for part in namespace_parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            h.write(&(part.len() as u64).to_le_bytes());
            h.write(part.as_bytes());
        }
        Self {
            key,
            namespace: h.finish128().as_u128(),
        }
    }

    pub(crate) fn key(&self, token: &str) -> TokenKey {
        let mut h = SipHasher24::new_with_key(&self.key);
        h.write(&self.namespace.to_le_bytes());
        h.write(token.as_bytes());
        TokenKey(h.finish128().as_u128())
    }
}

/// What the Backend API said about a token, as remembered by an [`OpaqueTokenCache`].
///
/// Serialisable (JSON: `{"kind": "...", "body": ...}`) so a shared store can keep it. An M2M
/// token is stored without its secret `token` field.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum CachedVerdict {
    /// `POST /m2m_tokens/verify` answered 200 with this token (possibly revoked or expired: the
    /// facade's checks run again on every hit).
    M2MToken(M2MToken),
    /// `POST /oauth_applications/access_tokens/verify` answered 200 with this token.
    OAuthToken(IdPOAuthAccessToken),
    /// `POST /api_keys/verify` answered 200 with this key.
    ApiKey(ApiKey),
    /// The Backend API answered 404: no such token (the negative cache).
    NotFound,
}

/// Where verified (and unknown) opaque tokens are remembered, by [`TokenKey`].
///
/// The guard ships [`InProcessOpaqueCache`]. To share results across a fleet, implement this
/// over a shared store and pass it to
/// [`OpaqueGuardConfig::with_cache`](crate::OpaqueGuardConfig::with_cache). For Redis, e.g.:
/// `get` is `GET clerk:opaque:<key.to_hex()>` and `serde_json::from_slice` of the value;
/// `insert` is `SET clerk:opaque:<hex> <serde_json of the verdict> PX <ttl ms>` (the guard
/// never asks to store with a zero TTL). Give every process the same
/// [`with_cache_hash_key`](crate::OpaqueGuardConfig::with_cache_hash_key) (a secret, like the
/// Clerk key). Single flight stays per process: a fleet of N processes makes at most N
/// concurrent calls for one token.
///
/// The store is trusted like the Backend API itself: whoever can write to it can make a token
/// verify, so give it the access controls of a secret store.
///
/// A store must fail soft: answer `None` (a miss) when it cannot be read and drop a write it
/// cannot make; the guard then calls the Backend API. The guard bounds a `get` by the request
/// budget.
#[async_trait::async_trait]
pub trait OpaqueTokenCache: Send + Sync + 'static {
    /// The verdict stored under `key` and not yet expired.
    async fn get(&self, key: TokenKey) -> Option<CachedVerdict>;
    /// Remember `verdict` under `key` for `ttl` (never zero).
    async fn insert(&self, key: TokenKey, verdict: CachedVerdict, ttl: Duration);
}

/// The in-process [`OpaqueTokenCache`]: a moka cache bounded in entries, each entry expiring
/// after the TTL it was stored with.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use clerk_m2m::{CachedVerdict, InProcessOpaqueCache, OpaqueTokenCache, TokenKey};
///
/// let cache = InProcessOpaqueCache::new(1_000);
/// let key = TokenKey::from_u128(7);
/// cache.insert(key, CachedVerdict::NotFound, Duration::from_secs(5)).await;
/// assert_eq!(cache.get(key).await, Some(CachedVerdict::NotFound));
/// # }
/// ```
#[derive(Clone)]
pub struct InProcessOpaqueCache {
    inner: moka::future::Cache<TokenKey, Entry>,
}

#[derive(Clone)]
struct Entry {
    verdict: CachedVerdict,
    ttl: Duration,
}

/// Each entry lives for the TTL it was inserted with.
struct PerEntryTtl;

impl moka::Expiry<TokenKey, Entry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &TokenKey,
        value: &Entry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &TokenKey,
        value: &Entry,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

impl InProcessOpaqueCache {
    /// A cache holding at most `max_entries` verdicts (least recently used go first).
    pub fn new(max_entries: u64) -> Self {
        Self {
            inner: moka::future::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }

    /// How many entries it holds (approximate, as moka's count).
    pub fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }
}

impl std::fmt::Debug for InProcessOpaqueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessOpaqueCache")
            .field("entries", &self.inner.entry_count())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl OpaqueTokenCache for InProcessOpaqueCache {
    async fn get(&self, key: TokenKey) -> Option<CachedVerdict> {
        self.inner.get(&key).await.map(|e| e.verdict)
    }

    async fn insert(&self, key: TokenKey, verdict: CachedVerdict, ttl: Duration) {
        if !ttl.is_zero() {
            self.inner.insert(key, Entry { verdict, ttl }).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_token_namespace_and_hash_key() {
        let a = Keyer::new(Some([1; 16]), &["http://x", "ak_1"]);
        let t = "mt_0123456789abcdef0123456789abcdef";
        assert_eq!(a.key(t), a.key(t));
        assert_ne!(a.key(t), a.key("mt_0123456789abcdef0123456789abcdee"));
        assert_ne!(
            a.key(t),
            Keyer::new(Some([1; 16]), &["http://x", "ak_2"]).key(t)
        );
        assert_ne!(
            a.key(t),
            Keyer::new(Some([1; 16]), &["http://x", "ak_", "1"]).key(t)
        );
        assert_ne!(
            a.key(t),
            Keyer::new(Some([2; 16]), &["http://x", "ak_1"]).key(t)
        );
        // The key is not the token and does not contain it.
        assert!(!format!("{:?}", a.key(t)).contains("0123456789abcdef0123"));
    }

    #[test]
    fn verdicts_round_trip_as_json() {
        let mut t = M2MToken::new("mt_1", "mch_1");
        t.scopes = vec!["mch_2".into()];
        for v in [
            CachedVerdict::M2MToken(t),
            CachedVerdict::ApiKey(ApiKey::new("ak_1", "user_1")),
            CachedVerdict::OAuthToken(IdPOAuthAccessToken::new("oat_1", "user_1")),
            CachedVerdict::NotFound,
        ] {
            let s = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<CachedVerdict>(&s).unwrap(), v, "{s}");
        }
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl_and_zero_is_not_stored() {
        let c = InProcessOpaqueCache::new(10);
        let (k1, k2) = (TokenKey(1), TokenKey(2));
        c.insert(k1, CachedVerdict::NotFound, Duration::from_millis(50))
            .await;
        c.insert(k2, CachedVerdict::NotFound, Duration::ZERO).await;
        assert_eq!(c.get(k1).await, Some(CachedVerdict::NotFound));
        assert_eq!(c.get(k2).await, None);
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(c.get(k1).await, None);
    }
}
