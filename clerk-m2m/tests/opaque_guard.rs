//! The opaque-token guard under floods and outages, over loopback against the emulator, counted
//! by the emulator's request counters and (for calls in flight) by a counting proxy in front of it.
#![cfg(feature = "axum")] // the counting proxy is an axum server
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clerk_bapi_emulator::{Endpoint, Fault};
use clerk_m2m::{
    CachedVerdict, CreateM2MTokenParams, Error, ErrorCode, InProcessOpaqueCache, MachineAuth,
    OpaqueGuardConfig, OpaqueTokenCache, RevokeM2MTokenParams, TokenKey,
};
use common::World;

const CALLERS: usize = 64;
const FLOOD: usize = 10_000;

/// Runs `f(i)` for `i` in `0..n` from [`CALLERS`] concurrent tasks; the results in order.
async fn flood<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (f, next) = (Arc::clone(&f), Arc::clone(&next));
            tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return out;
                    }
                    out.push((i, f(i).await));
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// A well-shaped opaque M2M token the emulator does not know.
fn unknown(i: usize) -> String {
    format!("mt_{i:032x}")
}

/// A `mt_…` string no Clerk token can be: too short, too long, or with a foreign character.
fn junk(i: usize) -> String {
    match i % 4 {
        0 => format!("mt_{i}"),
        1 => format!("mt_{}{i}", "a".repeat(300)),
        2 => format!("mt_{i:032x}!"),
        _ => format!("mt_{i:016x} {i:016x}"),
    }
}

fn verifier(w: &World, cfg: OpaqueGuardConfig) -> MachineAuth {
    w.verifier_builder().opaque_guard(cfg).build().unwrap()
}

/// A loopback HTTP proxy in front of the emulator that measures requests in flight.
struct CountingProxy {
    url: String,
    in_flight: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
}

async fn counting_proxy(upstream: String) -> CountingProxy {
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;

    #[derive(Clone)]
    struct S {
        upstream: String,
        http: reqwest::Client,
        in_flight: Arc<AtomicU64>,
        peak: Arc<AtomicU64>,
    }
    async fn forward(State(s): State<S>, req: Request) -> Response {
        let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        s.peak.fetch_max(now, Ordering::SeqCst);
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut out = s
            .http
            .request(parts.method, format!("{}{path}", s.upstream))
            .body(body);
        for (k, v) in &parts.headers {
            if k != http::header::HOST {
                out = out.header(k, v);
            }
        }
        let resp = out.send().await;
        s.in_flight.fetch_sub(1, Ordering::SeqCst);
        let resp = resp.unwrap();
        let mut b = Response::builder().status(resp.status());
        for (k, v) in resp.headers() {
            b = b.header(k, v);
        }
        b.body(Body::from(resp.bytes().await.unwrap())).unwrap()
    }
    let in_flight = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let state = S {
        upstream: upstream.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
        in_flight: Arc::clone(&in_flight),
        peak: Arc::clone(&peak),
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    CountingProxy {
        url,
        in_flight,
        peak,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_tokens_never_reach_the_backend_api() {
    let w = World::new().await;
    let auth = verifier(&w, OpaqueGuardConfig::default());
    let a = auth.clone();
    let errors = flood(FLOOD, move |i| {
        let a = a.clone();
        async move { a.verify_machine_token(&junk(i)).await.unwrap_err() }
    })
    .await;
    assert!(errors.iter().all(|e| e.code() == ErrorCode::TokenInvalid
        && matches!(e, Error::MalformedToken { .. })
        && e.to_string() == "Machine token not found"));
    assert_eq!(w.emu.counters().total(), 0, "no Backend API call at all");
    let s = auth.opaque_guard_stats();
    println!(
        "{FLOOD} junk mt_ tokens, {CALLERS} callers: {} Backend API call(s); {s:?}",
        w.emu.counters().total()
    );
    assert_eq!((s.shape_rejections, s.calls), (FLOOD as u64, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unknown_token_presented_ten_thousand_times_is_one_call() {
    let w = World::new().await;
    // Latency, so that callers really overlap the first call.
    w.emu.faults().set(
        Endpoint::VerifyM2MToken,
        Fault::latency(Duration::from_millis(50)),
    );
    let auth = verifier(&w, OpaqueGuardConfig::default());
    let a = auth.clone();
    let errors = flood(FLOOD, move |_| {
        let a = a.clone();
        async move { a.verify_machine_token(&unknown(7)).await.unwrap_err() }
    })
    .await;
    assert!(
        errors
            .iter()
            .all(|e| e.code() == ErrorCode::TokenInvalid && e.status() == Some(404))
    );
    let calls = w.emu.counters().get(Endpoint::VerifyM2MToken);
    let s = auth.opaque_guard_stats();
    println!("one token x {FLOOD}: {calls} Backend API call(s); {s:?}");
    assert!(calls <= 2, "{calls} calls");
    assert_eq!(s.calls, calls);
    assert_eq!(s.calls + s.coalesced + s.cache_hits, FLOOD as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_distinct_tokens_stays_under_the_cap_and_a_valid_token_still_verifies() {
    const CAP: usize = 16;
    let w = World::new().await;
    let valid = w.opaque().await;
    let proxy = counting_proxy(w.emu.api_url()).await;
    let auth = w
        .verifier_builder()
        .api_url(proxy.url.clone())
        .opaque_guard(
            OpaqueGuardConfig::default()
                .with_max_concurrent_calls(CAP)
                .with_max_queued_calls(256),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    // The valid token arrives when the flood is in full swing.
    let probe = {
        let auth = auth.clone();
        tokio::spawn(async move {
            while auth.opaque_guard_stats().calls < (FLOOD / 2) as u64 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let t = Instant::now();
            let r = auth.verify_m2m_token(&valid).await;
            (r, t.elapsed(), auth.opaque_guard_stats())
        })
    };
    let a = auth.clone();
    let results = flood(FLOOD, move |i| {
        let a = a.clone();
        async move { a.verify_machine_token(&unknown(1_000_000 + i)).await }
    })
    .await;
    let elapsed = started.elapsed();
    let (valid_result, valid_elapsed, during) = probe.await.unwrap();
    let s = auth.opaque_guard_stats();
    println!(
        "{FLOOD} distinct unknown tokens, {CALLERS} callers, cap {CAP}: {} calls in {elapsed:?}, \
         peak in flight {} (proxy) / {} (guard); valid token during the flood: {} in \
         {valid_elapsed:?} (in flight {}, cap rejections {}); {s:?}",
        w.emu.counters().get(Endpoint::VerifyM2MToken),
        proxy.peak.load(Ordering::SeqCst),
        s.peak_in_flight,
        if valid_result.is_ok() {
            "verified"
        } else {
            "failed"
        },
        during.in_flight,
        during.cap_rejections,
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(e) if e.status() == Some(404)))
    );
    assert_eq!(
        w.emu.counters().get(Endpoint::VerifyM2MToken),
        FLOOD as u64 + 1
    );
    assert!(proxy.peak.load(Ordering::SeqCst) <= CAP as u64);
    assert!(s.peak_in_flight <= CAP as u64);
    assert_eq!(proxy.in_flight.load(Ordering::SeqCst), 0);
    // 64 callers never fill a queue of 256, so the valid token waits its turn and verifies.
    assert_eq!(s.cap_rejections, 0);
    valid_result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_refused_at_once_with_the_saturation_error() {
    let w = World::new().await;
    w.emu.faults().set(
        Endpoint::VerifyM2MToken,
        Fault::latency(Duration::from_millis(300)),
    );
    let auth = verifier(
        &w,
        OpaqueGuardConfig::default()
            .with_max_concurrent_calls(2)
            .with_max_queued_calls(2),
    );
    let a = auth.clone();
    let results = flood(CALLERS, move |i| {
        let a = a.clone();
        async move {
            let t = Instant::now();
            (a.verify_machine_token(&unknown(i)).await, t.elapsed())
        }
    })
    .await;
    let saturated: Vec<_> = results
        .iter()
        .filter_map(|(r, t)| match r {
            Err(e @ Error::Saturated { .. }) => Some((e, *t)),
            _ => None,
        })
        .collect();
    let s = auth.opaque_guard_stats();
    println!(
        "{CALLERS} callers, cap 2 + queue 2: {} saturated, {} calls; {s:?}",
        saturated.len(),
        w.emu.counters().get(Endpoint::VerifyM2MToken)
    );
    // Only what the cap and its queue hold went out; everyone else was refused at once.
    assert_eq!(s.calls, w.emu.counters().get(Endpoint::VerifyM2MToken));
    assert_eq!(saturated.len() as u64, s.cap_rejections);
    assert_eq!(s.calls + s.cap_rejections, CALLERS as u64);
    assert!(s.peak_in_flight <= 2);
    let (e, t) = saturated.first().expect("some were refused");
    assert_eq!(e.code(), ErrorCode::UnexpectedError);
    assert!(e.to_string().contains("Backend API is saturated"), "{e}");
    assert!(
        *t < Duration::from_millis(300),
        "refused at once, not after waiting: {t:?}"
    );
}

/// The budget: the verifier's client keeps the default retry policy (3 attempts, honouring
/// `Retry-After` up to 10 s), the guard's request path gives up within 2 s.
fn default_retry_verifier(w: &World, cfg: OpaqueGuardConfig) -> MachineAuth {
    MachineAuth::builder()
        .api_url(w.emu.api_url())
        .machine_secret_key(w.api.secret_key.clone())
        .opaque_guard(cfg)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiting_or_hanging_backend_api_answers_within_the_budget() {
    let w = World::new().await;
    let budget = Duration::from_secs(2);
    let auth = default_retry_verifier(&w, OpaqueGuardConfig::default());
    for (name, fault) in [
        ("429 Retry-After 3600", Fault::rate_limited(3600)),
        ("429 Retry-After 2", Fault::rate_limited(2)),
        ("hang", Fault::hang()),
    ] {
        w.emu.faults().set(Endpoint::VerifyM2MToken, fault);
        let t = Instant::now();
        let e = auth
            .verify_machine_token(&unknown(name.len()))
            .await
            .unwrap_err();
        let elapsed = t.elapsed();
        println!("{name}: {e} after {elapsed:?}");
        assert_eq!(e.code(), ErrorCode::UnexpectedError, "{name}: {e}");
        assert!(
            elapsed < budget + Duration::from_secs(1),
            "{name}: {elapsed:?}"
        );
        if name == "hang" {
            assert!(matches!(e, Error::BudgetExceeded { .. }), "{e:?}");
        } else {
            assert_eq!(e.status(), Some(429));
        }
    }
    w.emu.faults().clear_all();
    // Failures are not cached: the Backend API is asked again once it recovers.
    let e = auth.verify_machine_token(&unknown(5)).await.unwrap_err();
    assert_eq!(e.status(), Some(404));
}

#[tokio::test]
async fn revocation_is_seen_within_the_ttl_and_at_once_with_ttl_zero() {
    let w = World::new().await;
    let worker = w.worker_auth();
    let mint = || async {
        worker
            .create_m2m_token(CreateM2MTokenParams::default())
            .await
            .unwrap()
    };
    let ttl = Duration::from_millis(400);

    let created = mint().await;
    let token = created.token.clone().unwrap();
    let auth = verifier(&w, OpaqueGuardConfig::default().with_positive_ttl(ttl));
    assert_eq!(auth.verify_m2m_token(&token).await.unwrap().id, created.id);
    worker
        .revoke_m2m_token(&created.id, RevokeM2MTokenParams::new())
        .await
        .unwrap();
    // Still cached (that is the documented window)...
    let cached = auth.verify_m2m_token(&token).await.unwrap();
    assert_eq!(cached.id, created.id);
    assert_eq!(
        cached.token, None,
        "a verified bearer's secret is not handed back"
    );
    assert_eq!(auth.opaque_guard_stats().cache_hits, 1);
    // ...and refused once the TTL is over.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let e = auth.verify_m2m_token(&token).await.unwrap_err();
    println!(
        "positive TTL {ttl:?}: after revocation still verified from the cache; {:?} later: {e}",
        ttl + Duration::from_millis(100)
    );
    assert_eq!(e.code(), ErrorCode::TokenInvalid, "{e:?}");

    let created = mint().await;
    let token = created.token.clone().unwrap();
    let auth = verifier(
        &w,
        OpaqueGuardConfig::default().with_positive_ttl(Duration::ZERO),
    );
    auth.verify_m2m_token(&token).await.unwrap();
    auth.verify_m2m_token(&token).await.unwrap();
    assert_eq!(auth.opaque_guard_stats().calls, 2, "nothing cached");
    worker
        .revoke_m2m_token(&created.id, RevokeM2MTokenParams::new())
        .await
        .unwrap();
    let e = auth.verify_m2m_token(&token).await.unwrap_err();
    println!(
        "positive TTL 0: the first verification after revocation: {e} ({} Backend API calls)",
        auth.opaque_guard_stats().calls
    );
    assert_eq!(e.code(), ErrorCode::TokenInvalid, "{e:?}");
}

#[tokio::test]
async fn a_shared_store_serves_every_process_that_shares_the_hash_key() {
    /// A "shared store" (here one in-process cache behind the trait) that counts its hits.
    struct Shared(InProcessOpaqueCache, AtomicU64);
    #[async_trait::async_trait]
    impl OpaqueTokenCache for Shared {
        async fn get(&self, key: TokenKey) -> Option<CachedVerdict> {
            let v = self.0.get(key).await;
            if v.is_some() {
                self.1.fetch_add(1, Ordering::Relaxed);
            }
            v
        }
        async fn insert(&self, key: TokenKey, verdict: CachedVerdict, ttl: Duration) {
            self.0.insert(key, verdict, ttl).await;
        }
    }
    let w = World::new().await;
    let store = Arc::new(Shared(InProcessOpaqueCache::new(100), AtomicU64::new(0)));
    let cfg = OpaqueGuardConfig::default()
        .with_cache(store.clone())
        .with_cache_hash_key([42; 16]);
    let (a, b) = (verifier(&w, cfg.clone()), verifier(&w, cfg));
    let token = w.opaque().await;
    a.verify_m2m_token(&token).await.unwrap();
    b.verify_m2m_token(&token).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::VerifyM2MToken), 1);
    assert_eq!(store.1.load(Ordering::Relaxed), 1);
    // Another hash key (a process not configured for the fleet) shares nothing.
    let c = verifier(&w, OpaqueGuardConfig::default().with_cache(store.clone()));
    c.verify_m2m_token(&token).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::VerifyM2MToken), 2);
}

/// The same floods with the guard on and off, side by side:
/// `cargo test -p clerk-m2m --test opaque_guard -- --ignored --nocapture guard_on_versus_off`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a comparison report, run by hand"]
async fn guard_on_versus_off() {
    println!(
        "{:<44} {:>10} {:>12} {:>10} {:>12}",
        "scenario", "on: calls", "on: time", "off: calls", "off: time"
    );
    for scenario in [
        "10,000 junk mt_ tokens",
        "1 unknown token x 10,000",
        "10,000 distinct unknown tokens",
        "50 requests, 429 Retry-After: 2",
        "50 requests, hanging Backend API",
    ] {
        let mut row = Vec::new();
        for on in [true, false] {
            let w = World::new().await;
            let cfg = if on {
                OpaqueGuardConfig::default()
            } else {
                OpaqueGuardConfig::disabled()
            };
            let auth = default_retry_verifier(&w, cfg);
            let n = match scenario.chars().next() {
                Some('5') => 50,
                _ => FLOOD,
            };
            if scenario.contains("429") {
                w.emu
                    .faults()
                    .set(Endpoint::VerifyM2MToken, Fault::rate_limited(2));
            } else if scenario.contains("hanging") {
                w.emu.faults().set(Endpoint::VerifyM2MToken, Fault::hang());
            }
            let a = auth.clone();
            let sc = scenario.to_owned();
            let t = Instant::now();
            let times = flood(n, move |i| {
                let a = a.clone();
                let token = if sc.contains("junk") {
                    junk(i)
                } else if sc.starts_with("1 ") {
                    unknown(7)
                } else {
                    unknown(i)
                };
                async move {
                    let t = Instant::now();
                    let _ = a.verify_machine_token(&token).await;
                    t.elapsed()
                }
            })
            .await;
            let total = t.elapsed();
            let worst = times.iter().max().copied().unwrap_or_default();
            row.push((
                w.emu.counters().get(Endpoint::VerifyM2MToken),
                format!("{total:.2?} (max {worst:.2?})"),
            ));
        }
        println!(
            "{scenario:<44} {:>10} {:>12} {:>10} {:>12}",
            row[0].0, row[0].1, row[1].0, row[1].1
        );
    }
}
