//! The pipeline's throughput as a fraction of its provider's bare signature check (the target is
//! >= 0.90x), measured so that a shared or throttled machine cannot fake it either way.
//!
//! `verify_m2m_rs256` and `raw_rs256_verify` in the criterion bench run seconds apart, and on a
//! shared VM the same raw check was measured at 16.9 and 22.6 µs minutes apart: more than the
//! whole overhead. Here the two alternate in rounds of a few hundred microseconds on one thread
//! (which goes first alternates too), each round gives a ratio, and the median round is the
//! result, with the quartiles to show the spread. Run it pinned to one core:
//!
//! ```text
//! cargo xtask bench pipeline            # or, by hand:
//! taskset -c 1 cargo bench -p clerk-token-verify --bench ratio --features aws-lc-rs -- --rounds 2000
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// With no provider feature there is nothing to measure; the code stays compiled.
#![cfg_attr(not(any(feature = "josekit", feature = "aws-lc-rs")), allow(unused))]

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use clerk_jwks_cache::{CryptoProvider, PemKeyResolver};
use clerk_token_verify::{FixedClock, Verifier};
use common::{IAT, PUB, block_on, signed_parts, token};

fn main() {
    // `cargo bench` adds `--bench`; anything but `--rounds N` and `--batch N` is ignored.
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u32| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |n| n.parse().expect("a number"))
    };
    let rounds = arg("--rounds", 2000).max(1) as usize;
    // Verifications per half round (16: ~0.3-0.5 ms, short beside the load changes of a VM).
    let batch = arg("--batch", 16).max(1);
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>17}   target",
        "provider", "raw", "pipeline", "overhead", "pipeline/raw"
    );
    #[cfg(feature = "josekit")]
    measure(&clerk_jwks_cache::JosekitProvider::new(), rounds, batch);
    #[cfg(feature = "aws-lc-rs")]
    measure(&clerk_jwks_cache::AwsLcRsProvider::new(), rounds, batch);
}

fn measure(provider: &dyn CryptoProvider, rounds: usize, batch: u32) {
    let token = token();
    let resolver = Arc::new(PemKeyResolver::with_provider(PUB, provider).unwrap());
    let key = resolver.key().clone();
    let verifier = Verifier::m2m(resolver).with_clock(Arc::new(FixedClock(IAT * 1000)));
    let (input, sig) = signed_parts(&token);
    let mut raw = || {
        assert!(
            key.verify(black_box(input.as_bytes()), black_box(&sig))
                .unwrap()
        )
    };
    let mut pipeline = || {
        black_box(block_on(verifier.verify(black_box(&token))).unwrap());
    };
    // Warm-up: caches, the key's Montgomery tables, the allocator's free lists.
    for _ in 0..200 {
        raw();
        pipeline();
    }
    let mut raw_ns = Vec::with_capacity(rounds);
    let mut pipeline_ns = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (r, p) = if round % 2 == 0 {
            let r = time(&mut raw, batch);
            (r, time(&mut pipeline, batch))
        } else {
            let p = time(&mut pipeline, batch);
            (time(&mut raw, batch), p)
        };
        raw_ns.push(r);
        pipeline_ns.push(p);
        // Throughput ratio: raw time over pipeline time.
        ratios.push(r / p);
    }
    for v in [&mut raw_ns, &mut pipeline_ns, &mut ratios] {
        v.sort_by(f64::total_cmp);
    }
    let (raw_med, pipe_med) = (quantile(&raw_ns, 0.5), quantile(&pipeline_ns, 0.5));
    let (q1, med, q3) = (
        quantile(&ratios, 0.25),
        quantile(&ratios, 0.5),
        quantile(&ratios, 0.75),
    );
    println!(
        "{:<10} {:>7.2} µs {:>7.2} µs {:>7.2} µs {med:>6.3}x ({q1:.3}-{q3:.3})   >= 0.90x",
        provider.name(),
        raw_med / 1e3,
        pipe_med / 1e3,
        (pipe_med - raw_med) / 1e3,
    );
}

/// Nanoseconds per call over one batch.
fn time(f: &mut impl FnMut(), batch: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        f();
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
}

/// The `q` quantile of `sorted` (nearest rank); `sorted` is not empty (`--rounds` is at least 1).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}
