//! The verified-token cache: a hit answers exactly what a miss would, for the same bytes and the
//! same key object only, with every time rule and user check run again.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_jwks_cache::{
    Algorithm, JwkSet, JwksSource, KeyError, KeyResolver, PemKeyResolver, RemoteJwksResolver,
    VerifyingKey,
};
use clerk_token_types::Jwt;
use clerk_token_verify::{
    CacheAdmission, Clock, M2m, Preset, Reason, Stage, VerifiedTokenCache,
    VerifiedTokenCacheConfig, VerifiedTokenCacheStats, Verifier, VerifyError,
};
use josekit::jwk::KeyPair as _;
use josekit::jws::RS256;
use serde_json::{Value, json};

use crate::common::*;

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(AtomicI64);

impl TestClock {
    fn at(ms: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(ms)))
    }
    fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn stats<P: Preset>(v: &Verifier<P>) -> VerifiedTokenCacheStats {
    v.cache().unwrap().stats()
}

/// Everything a result says, errors included (an error's every field shows in its Debug).
fn same<T: PartialEq + std::fmt::Debug>(
    a: &Result<T, VerifyError>,
    b: &Result<T, VerifyError>,
) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => {
            format!("{a:?}") == format!("{b:?}")
                && a.to_string() == b.to_string()
                && a.code() == b.code()
                && a.reason() == b.reason()
        }
        _ => false,
    }
}

/// A cached M2M verifier and an uncached twin on the same resolver and clock.
fn pair(
    resolver: Arc<dyn KeyResolver>,
    clock: Arc<dyn Clock>,
    config: VerifiedTokenCacheConfig,
) -> (Verifier<M2m>, Verifier<M2m>) {
    let plain = Verifier::m2m(resolver).with_clock(clock);
    (plain.clone().with_cache(config), plain)
}

/// `n` valid M2M tokens that differ only in their `jti`.
fn distinct_tokens(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let p = with(m2m_payload(), &[("jti", Some(json!(format!("mt_{i}"))))]);
            sign(&m2m_header(), &p)
        })
        .collect()
}

fn pem() -> Arc<PemKeyResolver> {
    Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap())
}

#[tokio::test]
async fn a_hit_returns_exactly_what_a_miss_returns() {
    let (cached, plain) = pair(pem(), clock(), VerifiedTokenCacheConfig::default());
    let payload = with(
        m2m_payload(),
        &[("custom", Some(json!({"tier": "gold", "n": [1, 2.5]})))],
    );
    let token = sign(&m2m_header(), &payload);
    let expected = plain.verify(&token).await.unwrap();
    let miss = cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).misses, 1);
    let hit = cached.verify(&token).await.unwrap();
    let jwt = clerk_token_types::dangerous::insecure_decode(&token).unwrap();
    let hit_jwt = cached.verify_jwt(&jwt).await.unwrap();
    let hit_local = cached.try_verify_local(&token).unwrap().unwrap();
    let s = stats(&cached);
    assert_eq!((s.hits, s.misses, s.entries), (3, 1, 1));
    for got in [&miss, &hit, &hit_jwt, &hit_local] {
        // Every field: PartialEq covers them all, Debug shows them all.
        assert_eq!(got, &expected);
        assert_eq!(format!("{got:?}"), format!("{expected:?}"));
    }
    assert_eq!(hit.claims.as_ref().unwrap()["custom"]["n"], json!([1, 2.5]));

    // The other presets too.
    let (o_plain, _) = oauth();
    let o_cached = o_plain
        .clone()
        .with_cache(VerifiedTokenCacheConfig::default());
    let ot = sign(&oauth_header(), &oauth_payload());
    let o_expected = o_plain.verify(&ot).await.unwrap();
    for _ in 0..3 {
        assert_eq!(o_cached.verify(&ot).await.unwrap(), o_expected);
    }
    assert_eq!(stats(&o_cached).hits, 2);
    let (s_plain, _) = session();
    let s_cached = s_plain
        .clone()
        .with_cache(VerifiedTokenCacheConfig::default());
    let st = sign(&session_header(), &session_payload());
    let s_expected = s_plain.verify(&st).await.unwrap();
    for _ in 0..3 {
        assert_eq!(s_cached.verify(&st).await.unwrap(), s_expected);
    }
    assert_eq!(stats(&s_cached).hits, 2);
}

#[tokio::test]
async fn a_cached_token_stops_verifying_the_moment_it_expires() {
    let t = TestClock::at(NOW_MS);
    let (cached, plain) = pair(pem(), t.clone(), VerifiedTokenCacheConfig::default());
    // exp 30 s after NOW (inside the 60 s entry lifetime), nbf 20 s after NOW.
    let exp_ms = NOW_MS + 30_000;
    let payload = with(
        m2m_payload(),
        &[
            ("exp", Some(json!(exp_ms / 1000))),
            ("nbf", Some(json!((NOW_MS + 20_000) / 1000))),
        ],
    );
    let token = sign(&m2m_header(), &payload);
    let skew = 5_000;

    // Not active yet: refused on the miss and on the hit, exactly as without the cache.
    for _ in 0..2 {
        let got = cached.verify(&token).await;
        assert_eq!(
            got.as_ref().unwrap_err().reason(),
            Reason::TokenNotActiveYet
        );
        assert!(same(&got, &plain.verify(&token).await));
    }
    t.set(NOW_MS + 20_000 - skew);
    assert!(cached.verify(&token).await.is_ok());
    // The last ms before the expiry rule trips, then the first one after.
    t.set(exp_ms + skew - 1);
    assert!(cached.verify(&token).await.is_ok());
    t.set(exp_ms + skew);
    let got = cached.verify(&token).await;
    assert_eq!(got.as_ref().unwrap_err().reason(), Reason::TokenExpired);
    assert!(same(&got, &plain.verify(&token).await));
    let s = stats(&cached);
    assert_eq!(
        (s.hits, s.misses),
        (4, 1),
        "every answer after the first was a hit"
    );
}

#[tokio::test]
async fn an_entry_is_reused_for_at_most_its_lifetime() {
    let t = TestClock::at(NOW_MS);
    let config = VerifiedTokenCacheConfig::default().with_max_lifetime(Duration::from_secs(60));
    let (cached, _) = pair(pem(), t.clone(), config);
    let token = sign(&m2m_header(), &m2m_payload());
    cached.verify(&token).await.unwrap();
    t.set(NOW_MS + 59_999);
    cached.verify(&token).await.unwrap();
    assert_eq!((stats(&cached).hits, stats(&cached).misses), (1, 1));
    t.set(NOW_MS + 60_000);
    cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).misses, 2, "checked again after the lifetime");
    cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).hits, 2, "and cached again");
}

#[tokio::test]
async fn a_token_differing_in_one_byte_never_hits() {
    let (cached, plain) = pair(pem(), clock(), VerifiedTokenCacheConfig::default());
    let token = sign(&m2m_header(), &m2m_payload());
    cached.verify(&token).await.unwrap();
    cached.verify(&token).await.unwrap();
    let before = stats(&cached);
    assert_eq!(before.hits, 1);

    let mut variants = Vec::new();
    // Every position (header, payload, signature, the dots) changed to another character.
    for (i, c) in token.char_indices() {
        for other in ['A', 'B', '_'] {
            if other != c {
                let mut v = token.clone();
                v.replace_range(i..=i, &other.to_string());
                variants.push(v);
                break;
            }
        }
    }
    // Prefixes and extensions.
    variants.push(token[..token.len() - 1].to_owned());
    variants.push(format!("{token}A"));
    variants.push(format!(" {token}"));
    for v in &variants {
        let got = cached.verify(v).await;
        assert!(got.is_err(), "a changed token verified: {v}");
        assert!(same(&got, &plain.verify(v).await));
    }
    let after = stats(&cached);
    assert_eq!((after.hits, after.negative_hits), (before.hits, 0));
    // The original still hits.
    cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).hits, before.hits + 1);
}

#[tokio::test]
async fn a_replayed_forged_token_costs_one_signature_check() {
    let (cached, plain) = pair(pem(), clock(), VerifiedTokenCacheConfig::default());
    let forged = sign_with(OTHER_KEY, &m2m_header(), &m2m_payload());
    let expected = plain.verify(&forged).await;
    assert_eq!(
        expected.as_ref().unwrap_err().reason(),
        Reason::TokenInvalidSignature
    );
    for _ in 0..3 {
        assert!(same(&cached.verify(&forged).await, &expected));
    }
    let s = stats(&cached);
    assert_eq!((s.misses, s.negative_hits, s.hits), (1, 2, 0));

    // Without a negative cache, each replay is checked.
    let (no_neg, _) = pair(
        pem(),
        clock(),
        VerifiedTokenCacheConfig::default().without_negative_cache(),
    );
    for _ in 0..3 {
        assert!(same(&no_neg.verify(&forged).await, &expected));
    }
    assert_eq!(
        (stats(&no_neg).misses, stats(&no_neg).negative_hits),
        (3, 0)
    );
}

#[tokio::test]
async fn a_check_that_starts_rejecting_rejects_on_the_next_hit() {
    let allow = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&allow);
    let cached = Verifier::m2m(pem())
        .with_clock(clock())
        .with_cache(VerifiedTokenCacheConfig::default())
        .with_check(
            Stage::AfterClaims,
            Arc::new(move |_: &Jwt, _: i64| {
                if flag.load(Ordering::SeqCst) {
                    Ok(())
                } else {
                    Err(VerifyError::custom(
                        Reason::TokenVerificationFailed,
                        "The tenant is suspended.",
                    ))
                }
            }),
        );
    let token = sign(&m2m_header(), &m2m_payload());
    cached.verify(&token).await.unwrap();
    cached.verify(&token).await.unwrap();
    allow.store(false, Ordering::SeqCst);
    let e = cached.verify(&token).await.unwrap_err();
    assert_eq!(e.to_string(), "The tenant is suspended.");
    assert_eq!(stats(&cached).hits, 2, "the refusal came from a hit");
    allow.store(true, Ordering::SeqCst);
    cached.verify(&token).await.unwrap();
}

#[tokio::test]
async fn a_full_cache_still_verifies_every_token_correctly() {
    let (cached, plain) = pair(
        pem(),
        clock(),
        VerifiedTokenCacheConfig::default().with_max_entries(2),
    );
    let tokens = distinct_tokens(24);
    let forged = sign_with(OTHER_KEY, &m2m_header(), &m2m_payload());
    for _round in 0..3 {
        for t in tokens.iter().chain([&forged]) {
            assert!(same(&cached.verify(t).await, &plain.verify(t).await));
        }
    }
    let s = stats(&cached);
    assert!(s.entries <= 3, "bounded: {s:?}");
    assert!(s.evictions > 0, "capacity pressure is visible: {s:?}");
    assert_eq!(s.hits + s.misses + s.negative_hits, 3 * 25);
}

#[tokio::test]
async fn with_second_check_admission_a_token_takes_a_place_at_its_second_check() {
    let config = VerifiedTokenCacheConfig::default()
        .with_max_entries(2)
        .without_negative_cache()
        .with_admission(CacheAdmission::SecondCheck);
    let (cached, plain) = pair(pem(), clock(), config);
    let tokens = distinct_tokens(8);
    let check = |t: &String| {
        let (cached, plain, t) = (&cached, &plain, t.clone());
        async move {
            let got = cached.verify(&t).await;
            assert!(same(&got, &plain.verify(&t).await));
            got.unwrap();
            stats(cached)
        }
    };
    // Seen once: checked, and nothing kept.
    for t in &tokens[..5] {
        check(t).await;
    }
    let s = stats(&cached);
    assert_eq!((s.entries, s.misses, s.hits), (0, 5, 0), "{s:?}");
    // A new token checked twice in a row (so no other token took its slot in the table
    // meanwhile) is kept at the second check, then hits.
    for (i, t) in tokens[5..].iter().enumerate() {
        let before = check(t).await;
        check(t).await;
        let after = check(t).await;
        assert_eq!(after.misses - before.misses, 1, "one more check, then kept");
        assert_eq!(after.hits - before.hits, 1, "then a hit");
        assert_eq!(after.entries, (i as u64 + 1).min(2), "bounded: {after:?}");
    }
    assert_eq!(
        stats(&cached).evictions,
        1,
        "the third kept token made room"
    );
}

#[tokio::test]
async fn oversized_tokens_verify_normally_and_are_not_cached() {
    let (cached, _) = pair(
        pem(),
        clock(),
        VerifiedTokenCacheConfig::default().with_max_token_bytes(100),
    );
    let token = sign(&m2m_header(), &m2m_payload());
    for _ in 0..3 {
        cached.verify(&token).await.unwrap();
    }
    assert_eq!(stats(&cached), VerifiedTokenCacheStats::default());
}

/// A resolver whose key the test replaces, as an application rotating its PEM key would.
#[derive(Debug)]
struct Swappable(Mutex<Arc<VerifyingKey>>);

#[async_trait::async_trait]
impl KeyResolver for Swappable {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        let _ = (kid, alg);
        Ok(Arc::clone(&self.0.lock().unwrap()))
    }
    fn resolve_cached(&self, _kid: Option<&str>, _alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        Some(Arc::clone(&self.0.lock().unwrap()))
    }
}

fn other_pub_pem() -> String {
    String::from_utf8(
        RS256
            .key_pair_from_pem(OTHER_KEY)
            .unwrap()
            .to_pem_public_key(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_replaced_key_ends_the_hits_of_the_tokens_it_verified() {
    let key = |pem: &str| Arc::new(VerifyingKey::from_pem(pem).unwrap());
    let resolver = Arc::new(Swappable(Mutex::new(key(SIGNING_PUB))));
    let (cached, _) = pair(
        resolver.clone(),
        clock(),
        VerifiedTokenCacheConfig::default(),
    );
    let token = sign(&m2m_header(), &m2m_payload());
    cached.verify(&token).await.unwrap();
    cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).hits, 1);

    // Another key: the token no longer verifies, on the very next presentation.
    *resolver.0.lock().unwrap() = key(&other_pub_pem());
    let e = cached.verify(&token).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    assert_eq!(stats(&cached).hits, 1);

    // The same key material in a new key object: checked again (a miss), then cached again.
    *resolver.0.lock().unwrap() = key(SIGNING_PUB);
    cached.verify(&token).await.unwrap();
    cached.verify(&token).await.unwrap();
    let s = stats(&cached);
    assert_eq!((s.hits, s.misses), (2, 3));
}

/// A JWKS endpoint whose document the test edits.
struct Editable(Mutex<Value>);

#[async_trait::async_trait]
impl JwksSource for Editable {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        JwkSet::from_json(&self.0.lock().unwrap().to_string())
    }
}

fn other_jwk(kid: &str) -> Value {
    let pair = RS256.key_pair_from_pem(OTHER_KEY).unwrap();
    let mut jwk: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    jwk.insert("kid".into(), json!(kid));
    jwk.insert("alg".into(), json!("RS256"));
    jwk.insert("use".into(), json!("sig"));
    Value::Object(jwk)
}

/// The documented bound: a token whose key left the JWKS keeps passing until the resolver's next
/// refresh, at most its TTL after the previous fetch, never longer because of the cache.
#[tokio::test(start_paused = true)]
async fn a_key_removed_from_the_jwks_ends_its_tokens_hits_within_the_jwks_ttl() {
    let ttl = Duration::from_secs(300);
    let source = Arc::new(Editable(Mutex::new(json!({"keys": [public_jwk("RS256")]}))));
    let resolver = Arc::new(
        RemoteJwksResolver::builder(Arc::clone(&source))
            .ttl(ttl)
            .build(),
    );
    let lifetime = Duration::from_secs(600);
    let t = TestClock::at(NOW_MS);
    let (cached, _) = pair(
        resolver.clone(),
        t.clone(),
        VerifiedTokenCacheConfig::default().with_max_lifetime(lifetime),
    );
    let payload = with(m2m_payload(), &[("exp", Some(json!(IAT + 3600)))]);
    let token = sign(&m2m_header(), &payload);
    cached.verify(&token).await.unwrap();

    // The key leaves the JWKS: until the TTL runs out, the resolver still serves it, and the
    // token passes as it would without the cache.
    *source.0.lock().unwrap() = json!({"keys": [other_jwk("ins_new")]});
    tokio::time::advance(ttl - Duration::from_millis(1)).await;
    t.set(NOW_MS + 299_999);
    cached.verify(&token).await.unwrap();
    assert_eq!(stats(&cached).hits, 1);
    // At the TTL the resolver refetches, and the token fails at once (the entry lifetime, 600 s,
    // is not reached: the key's identity ends the hits).
    tokio::time::advance(Duration::from_millis(1)).await;
    t.set(NOW_MS + 300_000);
    let e = cached.verify(&token).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
    assert_eq!(stats(&cached).hits, 1);

    // A refresh with the key back builds a new key object: checked again, then cached again.
    *source.0.lock().unwrap() = json!({"keys": [public_jwk("RS256")]});
    resolver.refresh().await.unwrap();
    cached.verify(&token).await.unwrap();
    cached.verify(&token).await.unwrap();
    let s = stats(&cached);
    assert_eq!((s.hits, s.misses), (2, 2));

    // Same kid, new key material (a rotation under the same kid): refused on the next call.
    *source.0.lock().unwrap() = json!({"keys": [other_jwk(KID)]});
    resolver.refresh().await.unwrap();
    let e = cached.verify(&token).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
}

#[tokio::test]
async fn one_cache_serves_several_verifiers_and_each_keeps_its_own_rules() {
    let cache = VerifiedTokenCache::new(VerifiedTokenCacheConfig::default());
    let (session_plain, _) = session();
    let (m2m_plain, _) = m2m();
    let session = session_plain.clone().with_shared_cache(cache.clone());
    let m2m = m2m_plain.clone().with_shared_cache(cache.clone());
    let st = sign(&session_header(), &session_payload());
    session.verify(&st).await.unwrap();
    session.verify(&st).await.unwrap();
    // The M2M verifier finds the session token's entry but its header rules refuse it.
    let got = m2m.verify(&st).await;
    assert_eq!(got.as_ref().unwrap_err().reason(), Reason::TokenInvalid);
    assert!(same(&got, &m2m_plain.verify(&st).await));

    // A copy with its own rules shares the entries and applies its rules.
    let token = sign(&m2m_header(), &m2m_payload());
    m2m.verify(&token).await.unwrap();
    let strict = m2m.clone().with_audience(["someone_else"]);
    let got = strict.verify(&token).await;
    assert!(got.is_err());
    assert!(same(
        &got,
        &m2m_plain
            .clone()
            .with_audience(["someone_else"])
            .verify(&token)
            .await
    ));
    // Its own size cap too: an entry never bypasses the decode's limits.
    let small = m2m
        .clone()
        .with_decode_options(clerk_token_verify::DecodeOptions::new().with_max_token_bytes(64));
    let got = small.verify(&token).await;
    assert_eq!(got.as_ref().unwrap_err().reason(), Reason::TokenInvalid);
    let s = cache.stats();
    assert_eq!((s.hits, s.misses), (2, 2));
    cache.invalidate_all();
    assert_eq!(cache.stats().entries, 0);
}

/// The synchronous path, on a plain thread with no async runtime anywhere.
#[test]
fn try_verify_local_answers_without_a_runtime_when_no_io_is_needed() {
    let (cached, _) = pair(pem(), clock(), VerifiedTokenCacheConfig::default());
    let token = sign(&m2m_header(), &m2m_payload());
    let first = cached.try_verify_local(&token).unwrap().unwrap();
    assert_eq!(
        (first.id.as_str(), first.subject.as_str()),
        (
            "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
            "mch_2vYVtestTESTtestTESTtestTESTtest"
        )
    );
    let jwt = clerk_token_types::dangerous::insecure_decode(&token).unwrap();
    assert_eq!(cached.try_verify_jwt_local(&jwt).unwrap().unwrap(), first);
    assert_eq!((stats(&cached).hits, stats(&cached).misses), (1, 1));
    // Errors that need no key are answers too.
    let e = cached.try_verify_local("x.y.z").unwrap().unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalid);

    // A cold JWKS cache: the key needs a fetch, so no answer (the caller awaits `verify`)...
    let cold = Verifier::m2m(Arc::new(RemoteJwksResolver::new(Editable(Mutex::new(
        json!({"keys": [public_jwk("RS256")]}),
    )))))
    .with_clock(clock())
    .with_cache(VerifiedTokenCacheConfig::default());
    assert!(cold.try_verify_local(&token).is_none());
    assert!(cold.try_verify_jwt_local(&jwt).is_none());
    // ...unless the header rules already refuse the token.
    let hs = sign(
        &with(m2m_header(), &[("alg", Some(json!("HS256")))]),
        &m2m_payload(),
    );
    let e = cold.try_verify_local(&hs).unwrap().unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidAlgorithm);

    // A static JWKS: a known kid is answered, an unknown one is left to `verify`.
    let (jwks, _) = m2m();
    assert_eq!(jwks.try_verify_local(&token).unwrap().unwrap(), first);
    let unknown = sign(
        &with(m2m_header(), &[("kid", Some(json!("ins_other")))]),
        &m2m_payload(),
    );
    assert!(jwks.try_verify_local(&unknown).is_none());
}

/// `try_verify_cached` answers only from a valid entry, and then as `try_verify_local` does.
#[test]
fn try_verify_cached_answers_only_for_tokens_cached_as_verified() {
    let clock = TestClock::at(NOW_MS);
    let (cached, plain) = pair(pem(), clock.clone(), VerifiedTokenCacheConfig::default());
    let token = sign(&m2m_header(), &m2m_payload());
    assert!(plain.try_verify_cached(&token).is_none(), "no cache");
    assert!(cached.try_verify_cached(&token).is_none(), "not seen yet");
    assert_eq!(stats(&cached).misses, 0, "a lookup is not a presentation");
    let first = cached.try_verify_local(&token).unwrap();
    let hit = cached
        .try_verify_cached(&token)
        .expect("cached as verified");
    assert!(same(&hit, &first));
    assert!(same(&hit, &plain.try_verify_local(&token).unwrap()));

    // Every claim rule still runs on the entry: once expired, the answer is the expiry error.
    clock.set((IAT + 300) * 1000 + 60_000);
    let late = cached.try_verify_cached(&token).expect("still an entry");
    assert_eq!(late.as_ref().unwrap_err().reason(), Reason::TokenExpired);
    assert!(same(&late, &plain.try_verify_local(&token).unwrap()));

    // A forged token is cached as a wrong signature: never answered from here.
    let forged = sign_with(OTHER_KEY, &m2m_header(), &m2m_payload());
    assert!(cached.try_verify_local(&forged).unwrap().is_err());
    assert!(cached.try_verify_cached(&forged).is_none());
    assert!(cached.try_verify_cached("not a token").is_none());
}
