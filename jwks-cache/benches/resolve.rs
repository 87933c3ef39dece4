//! Warm-cache key resolution: `resolve_cached` (the allocation-free hit path the verifier calls
//! first) and `resolve().await` (boxed by async-trait) for the PEM, static and remote resolvers,
//! plus one RS256 verification per backend for scale.
//!
//! The hit path's cost: PEM and static are an `Arc` clone (plus a kid compare for static); the
//! remote resolver adds a lock-free `ArcSwap` load and one monotonic clock read, compared with
//! a TTL deadline computed once per fetch. The `clock/*` group shows what that read costs here.
//!
//! "No allocation on a hit" is not asserted by a test: counting allocations needs a
//! `#[global_allocator]`, whose `GlobalAlloc` impl is `unsafe`, and the workspace forbids
//! `unsafe_code` in every target. It was checked under callgrind instead, which counts no call
//! to `malloc` inside `warm/*/resolve_cached`:
//!
//! ```text
//! cargo bench -p clerk-jwks-cache --bench resolve --no-run
//! valgrind --tool=callgrind --toggle-collect='criterion::bencher::Bencher*::iter' \
//!     target/release/deps/resolve-<hash> --bench --profile-time 1 warm/remote/resolve_cached
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep -i alloc   # nothing
//! ```
//!
//! `resolve().await` allocates once per call (async-trait boxes the future); the verifier only
//! takes it when `resolve_cached` misses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::single_element_loop,
    missing_docs
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_jwks_cache::{
    Algorithm, CryptoProvider, Jwk, JwkSet, JwksSource, KeyError, KeyResolver, PemKeyResolver,
    RemoteJwksResolver, StaticJwksResolver, VerifyingKey,
};
use criterion::{Criterion, criterion_group, criterion_main};
use josekit::jwk::KeyPair as _;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::JwsSigner as _;
use josekit::jws::alg::rsassa::RsassaJwsAlgorithm;

const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";

/// Polls a future that is expected to be ready at once (a warm cache never awaits).
fn now_or_never<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a warm resolve awaited"),
    }
}

struct Fixed(JwkSet);
#[async_trait::async_trait]
impl JwksSource for Fixed {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        Ok(self.0.clone())
    }
}

fn bench(c: &mut Criterion) {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/test_rsa_2048_1.pem"
    ))
    .unwrap();
    let pair = RsaKeyPair::from_pem(&pem).unwrap();
    let public = pair.to_jwk_public_key();
    let b64 = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(public.parameter(name).unwrap().as_str().unwrap())
            .unwrap()
    };
    let (n, e) = (b64("n"), b64("e"));
    // A Clerk-sized JWKS: the instance key plus a few others.
    let mut keys = vec![Jwk::rsa(KID, Algorithm::RS256, &n, &e)];
    for i in 0..4 {
        keys.push(Jwk::rsa(format!("ins_other_{i}"), Algorithm::RS256, &n, &e));
    }
    let set = JwkSet { keys };

    let pem_r =
        PemKeyResolver::new(std::str::from_utf8(&pair.to_pem_public_key()).unwrap()).unwrap();
    let static_r = StaticJwksResolver::new(&set).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let remote_r = RemoteJwksResolver::new(Fixed(set));
    rt.block_on(remote_r.refresh()).unwrap();
    let resolvers: [(&str, Arc<dyn KeyResolver>); 3] = [
        ("pem", Arc::new(pem_r)),
        ("static", Arc::new(static_r)),
        ("remote", Arc::new(remote_r)),
    ];

    let mut g = c.benchmark_group("clock");
    g.bench_function("std_instant_now", |b| b.iter(std::time::Instant::now));
    g.bench_function("tokio_instant_now", |b| b.iter(tokio::time::Instant::now));
    g.finish();

    let mut g = c.benchmark_group("warm");
    for (name, r) in &resolvers {
        assert!(r.resolve_cached(Some(KID), Algorithm::RS256).is_some());
        g.bench_function(format!("{name}/resolve_cached"), |b| {
            b.iter(|| r.resolve_cached(black_box(Some(KID)), black_box(Algorithm::RS256)))
        });
        g.bench_function(format!("{name}/resolve"), |b| {
            b.iter(|| now_or_never(r.resolve(black_box(Some(KID)), black_box(Algorithm::RS256))))
        });
    }
    g.finish();

    let input = b"eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18xIn0.eyJzdWIiOiJtY2hfMSJ9";
    let sig = RsassaJwsAlgorithm::Rs256
        .signer_from_der(pair.to_der_private_key())
        .unwrap()
        .sign(input)
        .unwrap();
    let mut g = c.benchmark_group("verify_rs256_2048");
    let providers: [&dyn CryptoProvider; _] = [
        #[cfg(feature = "josekit")]
        &clerk_jwks_cache::JosekitProvider::new(),
        #[cfg(feature = "aws-lc-rs")]
        &clerk_jwks_cache::AwsLcRsProvider::new(),
    ];
    for provider in providers {
        let key =
            VerifyingKey::from_rsa_components_with(&n, &e, Algorithm::RS256, provider).unwrap();
        assert!(key.verify(input, &sig).unwrap());
        g.bench_function(provider.name(), |b| {
            b.iter(|| key.verify(black_box(input), black_box(&sig)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
