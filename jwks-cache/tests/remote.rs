//! RemoteJwksResolver: every cache property of issue 3, with a counting in-memory source and a
//! paused tokio clock (no sleeps, no timing assumptions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Verifying needs a provider; tests/no_provider.rs covers the build without one.
#![cfg(any(feature = "josekit", feature = "aws-lc-rs"))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_jwks_cache::{
    Algorithm, DEFAULT_STALE_GRACE, DEFAULT_TTL, DEFAULT_UNKNOWN_KID_COOLDOWN, JwkSet, JwksSource,
    KeyError, KeyResolver, NO_SIGNING_KEYS_MESSAGE, Reason, RemoteJwksResolver,
};
use common::{keys, set};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::advance;

const RS256: Algorithm = Algorithm::RS256;
const INPUT: &[u8] = b"h.p";
const TTL: Duration = Duration::from_secs(300);
const COOLDOWN: Duration = Duration::from_secs(30);
const GRACE: Duration = Duration::from_secs(3600);

/// An in-memory JWKS source that counts fetches; each fetch takes one (virtual) second so that
/// concurrent callers really overlap, and can be held open with a gate.
struct CountingSource {
    answer: Mutex<Result<JwkSet, KeyError>>,
    fetches: AtomicUsize,
    gated: AtomicBool,
    gate: Notify,
}

impl CountingSource {
    fn new(answer: Result<JwkSet, KeyError>) -> Arc<Self> {
        Arc::new(Self {
            answer: Mutex::new(answer),
            fetches: AtomicUsize::new(0),
            gated: AtomicBool::new(false),
            gate: Notify::new(),
        })
    }
    fn set(&self, answer: Result<JwkSet, KeyError>) {
        *self.answer.lock().unwrap() = answer;
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl JwksSource for CountingSource {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.gated.load(Ordering::SeqCst) {
            self.gate.notified().await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.answer.lock().unwrap().clone()
    }
}

fn outage() -> KeyError {
    KeyError::RemoteFailedToLoad {
        message: "Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503".into(),
    }
}

/// `@clerk/backend`'s kid-mismatch message, written out here independently of the crate.
fn kid_mismatch_text(kid: &str) -> String {
    format!(
        "Unable to find a signing key in JWKS that matches the kid='{kid}' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    )
}

fn one_key(kid: &str) -> JwkSet {
    set(vec![keys()[0].jwk(kid, RS256)])
}

fn resolver(src: &Arc<CountingSource>) -> Arc<RemoteJwksResolver<Arc<CountingSource>>> {
    Arc::new(RemoteJwksResolver::new(Arc::clone(src)))
}

/// A tiny deterministic PRNG for "random" kids (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[tokio::test(start_paused = true)]
async fn cold_cache_1000_concurrent_resolves_make_exactly_one_fetch() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    assert!(r.resolve_cached(Some("ins_1"), RS256).is_none());
    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let r = Arc::clone(&r);
        tasks.spawn(async move { r.resolve(Some("ins_1"), RS256).await });
    }
    let first = r.resolve(Some("ins_1"), RS256).await.unwrap();
    while let Some(res) = tasks.join_next().await {
        assert!(Arc::ptr_eq(&res.unwrap().unwrap(), &first));
    }
    assert_eq!(src.fetches(), 1);
    assert!(first.verify(INPUT, &keys()[0].sign(RS256, INPUT)).unwrap());
    assert!(Arc::ptr_eq(
        &r.resolve_cached(Some("ins_1"), RS256).unwrap(),
        &first
    ));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_failed_fetch_and_its_error() {
    let src = CountingSource::new(Err(outage()));
    let r = resolver(&src);
    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let r = Arc::clone(&r);
        tasks.spawn(async move { r.resolve(Some("ins_1"), RS256).await });
    }
    while let Some(res) = tasks.join_next().await {
        assert_eq!(res.unwrap().unwrap_err(), outage());
    }
    assert_eq!(src.fetches(), 1);
    // Within the cooldown a failed fetch is not retried: same error, no fetch.
    assert_eq!(r.resolve(Some("ins_1"), RS256).await.unwrap_err(), outage());
    assert_eq!(src.fetches(), 1);
    // After it, the next caller retries.
    src.set(Ok(one_key("ins_1")));
    advance(COOLDOWN).await;
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_random_kids_in_one_cooldown_make_at_most_one_fetch() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    assert_eq!(src.fetches(), 1);
    // Leave the cooldown of the first fetch, so the flood gets its one refetch.
    advance(COOLDOWN + Duration::from_secs(1)).await;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut tasks = JoinSet::new();
    for _ in 0..10_000 {
        let kid = format!("ins_{:016x}", rng.next());
        let r = Arc::clone(&r);
        tasks.spawn(async move { (r.resolve(Some(&kid), RS256).await, kid) });
    }
    while let Some(res) = tasks.join_next().await {
        let (res, kid) = res.unwrap();
        let err = res.unwrap_err();
        assert_eq!(err.reason(), Reason::JwkKidMismatch);
        assert!(err.to_string().contains(&format!("kid='{kid}'")));
        assert!(
            !err.to_string().contains("ins_1'"),
            "never lists known kids"
        );
        // The whole message is `@clerk/backend`'s text around this one kid: nothing else is listed.
        assert_eq!(err, KeyError::KidMismatch { kid: kid.clone() });
        assert_eq!(err.to_string(), kid_mismatch_text(&kid));
    }
    assert_eq!(src.fetches(), 2, "exactly one refetch for the whole flood");
    // Sequential misses inside the same cooldown fail fast without fetching either.
    for _ in 0..100 {
        let kid = format!("ins_{:x}", rng.next());
        assert!(r.resolve(Some(&kid), RS256).await.is_err());
    }
    assert_eq!(src.fetches(), 2);
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn ttl_is_never_extended_by_hits() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    // The fetch took one virtual second; fetched_at is its end.
    advance(TTL - Duration::from_secs(60)).await;
    for _ in 0..100 {
        assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
        assert!(r.resolve_cached(Some("ins_1"), RS256).is_some());
    }
    assert_eq!(src.fetches(), 1);
    advance(Duration::from_secs(60)).await;
    assert!(
        r.resolve_cached(Some("ins_1"), RS256).is_none(),
        "expired despite the hits"
    );
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failing_source_keeps_known_keys_for_the_grace_then_fails_closed() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    let key = r.resolve(Some("ins_1"), RS256).await.unwrap();
    src.set(Err(outage()));

    advance(TTL).await;
    // Expired: one refresh is attempted, fails, and the known key keeps verifying.
    let stale = r.resolve(Some("ins_1"), RS256).await.unwrap();
    assert!(Arc::ptr_eq(&stale, &key));
    assert!(stale.verify(INPUT, &keys()[0].sign(RS256, INPUT)).unwrap());
    assert_eq!(src.fetches(), 2);
    assert!(
        r.resolve_cached(Some("ins_1"), RS256).is_none(),
        "stale keys are not a fast hit"
    );
    // Inside the cooldown nobody retries.
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 2);
    // An unknown kid reports the load failure, not a kid mismatch.
    assert_eq!(
        r.resolve(Some("ins_new"), RS256).await.unwrap_err(),
        outage()
    );

    // Later in the grace: retried once per cooldown, still verifying.
    advance(GRACE - Duration::from_secs(120)).await;
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 3);

    // Past TTL + grace: fail closed.
    advance(Duration::from_secs(120)).await;
    let err = r.resolve(Some("ins_1"), RS256).await.unwrap_err();
    assert_eq!(err.reason(), Reason::JwkRemoteFailedToLoad);
    assert_eq!(err, outage());
    assert_eq!(src.fetches(), 4);
    // And stays closed without hammering the source.
    assert!(r.resolve(Some("ins_1"), RS256).await.is_err());
    assert_eq!(src.fetches(), 4);

    // Recovery after the cooldown.
    src.set(Ok(one_key("ins_1")));
    advance(COOLDOWN).await;
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 5);
}

#[tokio::test(start_paused = true)]
async fn rotation_new_kid_after_one_refetch_removed_kid_after_next_refresh() {
    let [a, b, _] = keys();
    let src = CountingSource::new(Ok(set(vec![a.jwk("ins_old", RS256)])));
    let r = resolver(&src);
    r.resolve(Some("ins_old"), RS256).await.unwrap();
    src.set(Ok(set(vec![
        a.jwk("ins_old", RS256),
        b.jwk("ins_new", RS256),
    ])));

    // Right after a fetch the new kid is inside the cooldown.
    assert_eq!(
        r.resolve(Some("ins_new"), RS256).await.unwrap_err(),
        KeyError::KidMismatch {
            kid: "ins_new".into()
        }
    );
    assert_eq!(src.fetches(), 1);
    advance(COOLDOWN).await;
    let new = r.resolve(Some("ins_new"), RS256).await.unwrap();
    assert!(new.verify(INPUT, &b.sign(RS256, INPUT)).unwrap());
    assert_eq!(src.fetches(), 2);

    // The old key is removed at the source: it verifies until the next refresh, then not.
    src.set(Ok(set(vec![b.jwk("ins_new", RS256)])));
    assert!(r.resolve(Some("ins_old"), RS256).await.is_ok());
    advance(TTL).await;
    assert_eq!(
        r.resolve(Some("ins_old"), RS256).await.unwrap_err(),
        KeyError::KidMismatch {
            kid: "ins_old".into()
        }
    );
    assert_eq!(src.fetches(), 3);
    assert!(r.resolve(Some("ins_new"), RS256).await.is_ok());
    assert_eq!(src.fetches(), 3);
}

#[tokio::test(start_paused = true)]
async fn two_resolvers_never_share_keys() {
    let [a, b, c] = keys();
    let src_a = CountingSource::new(Ok(set(vec![a.jwk("ins_a", RS256), a.jwk("same", RS256)])));
    let src_b = CountingSource::new(Ok(set(vec![b.jwk("ins_b", RS256), c.jwk("same", RS256)])));
    let ra = resolver(&src_a);
    let rb = resolver(&src_b);
    ra.resolve(Some("ins_a"), RS256).await.unwrap();
    rb.resolve(Some("ins_b"), RS256).await.unwrap();
    // Instance B's kid is unknown to instance A, even though B has it cached.
    assert_eq!(
        ra.resolve(Some("ins_b"), RS256).await.unwrap_err(),
        KeyError::KidMismatch {
            kid: "ins_b".into()
        }
    );
    assert!(ra.resolve_cached(Some("ins_b"), RS256).is_none());
    // The same kid maps to each instance's own key.
    let ka = ra.resolve(Some("same"), RS256).await.unwrap();
    let kb = rb.resolve(Some("same"), RS256).await.unwrap();
    assert!(ka.verify(INPUT, &a.sign(RS256, INPUT)).unwrap());
    assert!(!ka.verify(INPUT, &c.sign(RS256, INPUT)).unwrap());
    assert!(kb.verify(INPUT, &c.sign(RS256, INPUT)).unwrap());
    assert!(!kb.verify(INPUT, &a.sign(RS256, INPUT)).unwrap());
    assert_eq!((src_a.fetches(), src_b.fetches()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_cache_hit_never_waits_on_a_fetch_in_flight() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    advance(COOLDOWN).await;
    src.gated.store(true, Ordering::SeqCst);
    let pending = {
        let r = Arc::clone(&r);
        tokio::spawn(async move { r.resolve(Some("ins_unknown"), RS256).await })
    };
    while src.fetches() < 2 {
        tokio::task::yield_now().await;
    }
    // The refetch holds the refresh lock and waits on the "network"; a hit must not queue behind
    // it. With the clock paused, a blocked hit would let the timeout fire at once.
    let hit = tokio::time::timeout(Duration::from_secs(1), r.resolve(Some("ins_1"), RS256)).await;
    assert!(hit.expect("a cache hit waited on the network").is_ok());
    assert!(r.resolve_cached(Some("ins_1"), RS256).is_some());
    src.gate.notify_one();
    assert!(pending.await.unwrap().is_err());
    assert_eq!(src.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_without_kid_fails_fast_without_fetching() {
    let src = CountingSource::new(Ok(one_key("undefined")));
    let r = resolver(&src);
    let err = r.resolve(None, RS256).await.unwrap_err();
    assert_eq!(
        err,
        KeyError::KidMismatch {
            kid: "undefined".into()
        }
    );
    assert_eq!(src.fetches(), 0);
    assert!(r.resolve_cached(None, RS256).is_none());
}

#[tokio::test(start_paused = true)]
async fn an_empty_or_unusable_set_is_a_load_failure_that_keeps_known_keys() {
    let src = CountingSource::new(Ok(JwkSet::default()));
    let r = resolver(&src);
    let err = r.resolve(Some("ins_1"), RS256).await.unwrap_err();
    assert_eq!(err.to_string(), NO_SIGNING_KEYS_MESSAGE);
    assert_eq!(err.reason(), Reason::JwkRemoteFailedToLoad);

    src.set(Ok(one_key("ins_1")));
    advance(COOLDOWN).await;
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    let mut enc = keys()[1].jwk("ins_1", RS256);
    enc.use_ = Some("enc".into());
    src.set(Ok(set(vec![enc])));
    advance(TTL).await;
    // The broken set is not installed: the known key keeps verifying in the grace.
    let k = r.resolve(Some("ins_1"), RS256).await.unwrap();
    assert!(k.verify(INPUT, &keys()[0].sign(RS256, INPUT)).unwrap());
}

#[tokio::test(start_paused = true)]
async fn source_errors_keep_their_reason() {
    let src = CountingSource::new(Err(KeyError::SecretKeyInvalid {
        message: "The provided Clerk Secret Key is invalid.".into(),
    }));
    let r = resolver(&src);
    let err = r.resolve(Some("ins_1"), RS256).await.unwrap_err();
    assert_eq!(err.reason(), Reason::SecretKeyInvalid);
    assert_eq!(err.to_string(), "The provided Clerk Secret Key is invalid.");
}

#[tokio::test(start_paused = true)]
async fn builder_settings_apply() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = RemoteJwksResolver::builder(Arc::clone(&src))
        .ttl(Duration::from_secs(10))
        .unknown_kid_cooldown(Duration::from_secs(2))
        .stale_grace(Duration::from_secs(20))
        .build();
    r.refresh().await.unwrap();
    assert_eq!(src.fetches(), 1);
    assert!(r.resolve_cached(Some("ins_1"), RS256).is_some());
    advance(Duration::from_secs(2)).await;
    assert!(r.resolve(Some("other"), RS256).await.is_err());
    assert_eq!(src.fetches(), 2, "short cooldown allows the refetch");
    advance(Duration::from_secs(10)).await;
    assert!(
        r.resolve_cached(Some("ins_1"), RS256).is_none(),
        "short TTL"
    );
    src.set(Err(outage()));
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    advance(Duration::from_secs(21)).await;
    assert!(
        r.resolve(Some("ins_1"), RS256).await.is_err(),
        "short grace"
    );
    assert!(r.refresh().await.is_err());
    assert!(format!("{r:?}").contains("RemoteJwksResolver"));
}

#[tokio::test(start_paused = true)]
async fn huge_durations_do_not_overflow() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = RemoteJwksResolver::builder(Arc::clone(&src))
        .ttl(Duration::MAX)
        .unknown_kid_cooldown(Duration::MAX)
        .stale_grace(Duration::MAX)
        .build();
    assert!(r.resolve(Some("ins_1"), RS256).await.is_ok());
    advance(Duration::from_secs(365 * 24 * 3600)).await;
    assert!(r.resolve_cached(Some("ins_1"), RS256).is_some());
    assert!(r.resolve(Some("x"), RS256).await.is_err());
    assert_eq!(src.fetches(), 1);
}

#[test]
fn defaults_are_the_documented_ones() {
    // Clerk's JavaScript SDK caches a JWKS for 300 s. Cooldown and grace are ours (issue 3).
    assert_eq!(DEFAULT_TTL, TTL);
    assert_eq!(DEFAULT_UNKNOWN_KID_COOLDOWN, COOLDOWN);
    assert_eq!(DEFAULT_STALE_GRACE, GRACE);
}

/// The default cooldown, observed: an unknown kid 29 s after a fetch makes no fetch, at 30 s it
/// makes exactly one, and that refetch starts a new cooldown.
#[tokio::test(start_paused = true)]
async fn the_default_unknown_kid_cooldown_is_thirty_seconds() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    advance(COOLDOWN - Duration::from_secs(1)).await;
    let err = r.resolve(Some("ins_x"), RS256).await.unwrap_err();
    assert_eq!(
        err,
        KeyError::KidMismatch {
            kid: "ins_x".into()
        }
    );
    assert_eq!(src.fetches(), 1, "inside the cooldown: no fetch");
    advance(Duration::from_secs(1)).await;
    assert!(r.resolve(Some("ins_x"), RS256).await.is_err());
    assert_eq!(src.fetches(), 2, "cooldown over: one refetch");
    assert!(r.resolve(Some("ins_y"), RS256).await.is_err());
    assert_eq!(src.fetches(), 2, "the refetch started a new cooldown");
}

/// Single flight also holds for an expired (not only a cold) cache: 1,000 concurrent resolves
/// after the TTL make exactly one refetch, and all of them get the refetched key.
#[tokio::test(start_paused = true)]
async fn expired_cache_1000_concurrent_resolves_make_exactly_one_refetch() {
    let [a, b, _] = keys();
    let src = CountingSource::new(Ok(set(vec![a.jwk("ins_1", RS256)])));
    let r = resolver(&src);
    let old = r.resolve(Some("ins_1"), RS256).await.unwrap();
    // The instance re-keys under the same kid; the cache only sees it after the refetch.
    src.set(Ok(set(vec![b.jwk("ins_1", RS256)])));
    advance(TTL).await;
    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let r = Arc::clone(&r);
        tasks.spawn(async move { r.resolve(Some("ins_1"), RS256).await });
    }
    let mut first: Option<Arc<clerk_jwks_cache::VerifyingKey>> = None;
    while let Some(res) = tasks.join_next().await {
        let k = res.unwrap().unwrap();
        assert!(!Arc::ptr_eq(&k, &old), "an expired key was served");
        match &first {
            None => first = Some(k),
            Some(f) => assert!(Arc::ptr_eq(f, &k), "callers got different fetches"),
        }
    }
    assert_eq!(src.fetches(), 2);
    let k = first.unwrap();
    assert!(k.verify(INPUT, &b.sign(RS256, INPUT)).unwrap());
    assert!(!k.verify(INPUT, &a.sign(RS256, INPUT)).unwrap());
}

/// While the source is down, a flood of unknown kids costs at most one fetch per cooldown, the
/// known key keeps verifying, and the unknown kids get the load failure (not a kid mismatch that
/// would wrongly say the kid does not exist).
#[tokio::test(start_paused = true)]
async fn a_kid_flood_during_an_outage_makes_at_most_one_fetch_per_cooldown() {
    let src = CountingSource::new(Ok(one_key("ins_1")));
    let r = resolver(&src);
    r.resolve(Some("ins_1"), RS256).await.unwrap();
    src.set(Err(outage()));
    advance(TTL).await;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for round in 0..3u32 {
        let mut tasks = JoinSet::new();
        for _ in 0..2_000 {
            let kid = format!("ins_{:016x}", rng.next());
            let r = Arc::clone(&r);
            tasks.spawn(async move { r.resolve(Some(&kid), RS256).await });
        }
        while let Some(res) = tasks.join_next().await {
            assert_eq!(res.unwrap().unwrap_err(), outage());
        }
        assert!(
            r.resolve(Some("ins_1"), RS256).await.is_ok(),
            "round {round}"
        );
        assert_eq!(src.fetches(), 2 + round as usize, "round {round}");
        advance(COOLDOWN).await;
    }
}

/// Two usable keys with one kid in a fetched set: the kid is an error (never a guess), and being
/// a known kid it causes no refetch; the other kids of the set keep working.
#[tokio::test(start_paused = true)]
async fn a_duplicate_kid_in_a_fetched_set_is_an_error_without_refetch() {
    let [a, b, c] = keys();
    let src = CountingSource::new(Ok(set(vec![
        a.jwk("dup", RS256),
        b.jwk("dup", RS256),
        c.jwk("ins_ok", RS256),
    ])));
    let r = resolver(&src);
    assert!(r.resolve(Some("ins_ok"), RS256).await.is_ok());
    advance(COOLDOWN).await;
    for _ in 0..10 {
        let err = r.resolve(Some("dup"), RS256).await.unwrap_err();
        assert_eq!(err, KeyError::AmbiguousKid { kid: "dup".into() });
        assert_eq!(err.reason(), Reason::JwkFailedToResolve);
    }
    assert!(r.resolve_cached(Some("dup"), RS256).is_none());
    assert_eq!(src.fetches(), 1);
}

/// One resolver per instance: a resolver fetches only from its own source, and a key fetched by
/// one resolver never becomes visible to another, even under the same kid and concurrently.
#[tokio::test(start_paused = true)]
async fn concurrent_instances_fetch_only_their_own_source() {
    let [a, b, _] = keys();
    let src_a = CountingSource::new(Ok(set(vec![a.jwk("ins_same", RS256)])));
    let src_b = CountingSource::new(Ok(set(vec![b.jwk("ins_same", RS256)])));
    let (ra, rb) = (resolver(&src_a), resolver(&src_b));
    let mut tasks = JoinSet::new();
    for i in 0..200 {
        let r = if i % 2 == 0 {
            Arc::clone(&ra)
        } else {
            Arc::clone(&rb)
        };
        tasks.spawn(async move { (i % 2, r.resolve(Some("ins_same"), RS256).await.unwrap()) });
    }
    while let Some(res) = tasks.join_next().await {
        let (which, key) = res.unwrap();
        let signer = if which == 0 { a } else { b };
        assert!(key.verify(INPUT, &signer.sign(RS256, INPUT)).unwrap());
    }
    assert_eq!((src_a.fetches(), src_b.fetches()), (1, 1));
}
