//! The pipeline against the bare signature check it wraps, per crypto provider (both with
//! `--all-features`).
//!
//! `verify_m2m_rs256/<provider>`: `Verifier<M2m>::verify` on a warm resolver (decode, header
//! rules, cached key, signature, claim rules, mapping to `M2MToken`). `raw_rs256_verify/<provider>`:
//! `VerifyingKey::verify` alone on the same token. The target is pipeline >= 0.9x raw throughput.
//!
//! On a shared or loaded machine the two drift apart by more than the overhead itself: the `ratio`
//! bench (`cargo xtask bench pipeline`) runs them interleaved and reports the ratio. Or compare
//! `pipeline_overhead_without_signature` with `raw_rs256_verify`, or count instructions, which load
//! does not change:
//!
//! ```text
//! cargo bench -p clerk-token-verify --bench verify --no-run
//! valgrind --tool=callgrind --toggle-collect='criterion::bencher::Bencher*::iter' \
//!     target/release/deps/verify-<hash> --bench --profile-time 1 pipeline_overhead
//! callgrind_annotate callgrind.out.<pid>   # total / iterations = instructions per token
//! ```
//!
//! `verify_m2m_rs256/<backend>/cached_hit`: the same token presented again to a verifier with the
//! verified-token cache on (the default in `clerk-m2m`): a cache hit, which still runs the header
//! rules, the key lookup, the claim rules and the mapping. `verify_m2m_rs256/<backend>/cached_jwt_hit`:
//! the same through `verify_jwt`, as the facade calls it. The target is >= 20x faster than
//! `verify_m2m_rs256/<backend>` and well under 1 µs.
//!
//! (Under valgrind OpenSSL takes a generic code path, so the RSA check itself is not comparable
//! there.) The overhead bench decodes the same token over and over; the decoder keeps nothing
//! between calls (the per-thread header cache went with the hand-written decoder), so every
//! iteration decodes the header, the claims and the signature in full.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// With no provider feature only the overhead bench runs; the per-provider code stays compiled.
#![cfg_attr(not(any(feature = "josekit", feature = "aws-lc-rs")), allow(unused))]

mod common;

use std::hint::black_box;
use std::sync::Arc;

use clerk_jwks_cache::{CryptoProvider, PemKeyResolver};
use clerk_token_verify::steps::{self, header::HeaderRules};
use clerk_token_verify::{
    ClockSkew, FixedClock, M2m, Preset as _, VerifiedTokenCacheConfig, Verifier,
};
use common::{IAT, PUB, block_on, signed_parts, token};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_provider(c: &mut Criterion, provider: &dyn CryptoProvider) {
    let name = provider.name();
    let token = token();
    let resolver = Arc::new(PemKeyResolver::with_provider(PUB, provider).unwrap());
    let key = resolver.key().clone();
    let verifier = Verifier::m2m(resolver).with_clock(Arc::new(FixedClock(IAT * 1000)));
    assert!(block_on(verifier.verify(&token)).is_ok());

    let (input, sig) = signed_parts(&token);
    assert!(key.verify(input.as_bytes(), &sig).unwrap());

    c.bench_function(&format!("verify_m2m_rs256/{name}"), |b| {
        b.iter(|| block_on(verifier.verify(black_box(&token))).unwrap())
    });
    let cached = verifier
        .clone()
        .with_cache(VerifiedTokenCacheConfig::default());
    assert!(block_on(cached.verify(&token)).is_ok());
    c.bench_function(&format!("verify_m2m_rs256/{name}/cached_hit"), |b| {
        b.iter(|| block_on(cached.verify(black_box(&token))).unwrap())
    });
    let jwt = clerk_token_types::dangerous::insecure_decode(&token).unwrap();
    c.bench_function(&format!("verify_m2m_rs256/{name}/cached_jwt_hit"), |b| {
        b.iter(|| block_on(cached.verify_jwt(black_box(&jwt))).unwrap())
    });
    let stats = cached.cache().unwrap().stats();
    assert_eq!(stats.misses, 1, "every other call was a hit: {stats:?}");
    c.bench_function(&format!("raw_rs256_verify/{name}"), |b| {
        b.iter(|| {
            key.verify(black_box(input.as_bytes()), black_box(&sig))
                .unwrap()
        })
    });
}

/// Everything the pipeline adds around the signature check (decode, header and claim rules,
/// mapping), measured alone: robust to a loaded machine, where the two benches above drift.
fn bench_overhead(c: &mut Criterion) {
    let token = token();
    let verifier = Verifier::m2m(Arc::new(PemKeyResolver::new(PUB).unwrap()));
    let rules = verifier.claim_rules().clone();
    let now = IAT * 1000;
    c.bench_function("pipeline_overhead_without_signature", |b| {
        b.iter(|| {
            let jwt = steps::decode(black_box(&token), &Default::default()).unwrap();
            steps::header::check(jwt.header(), &HeaderRules::M2M).unwrap();
            steps::claims::check(jwt.claims(), &rules, now).unwrap();
            // As `Verifier::verify` does: the decoded token is dropped, so its claims move.
            M2m::map_owned(jwt, now, ClockSkew::default()).unwrap()
        })
    });
}

fn benches(c: &mut Criterion) {
    bench_overhead(c);
    #[cfg(feature = "josekit")]
    bench_provider(c, &clerk_jwks_cache::JosekitProvider::new());
    #[cfg(feature = "aws-lc-rs")]
    bench_provider(c, &clerk_jwks_cache::AwsLcRsProvider::new());
}

criterion_group!(verify, benches);
criterion_main!(verify);
