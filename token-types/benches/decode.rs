//! Decode cost of a typical Clerk M2M JWT (the verifier's overhead budget is about 1 µs).
//!
//! The "new header" bench alternates two header segments (two `kid`s), to show that decoding
//! costs the same whether or not consecutive tokens share their header.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use clerk_token_types::{M2MToken, classify, dangerous, encode_segment};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn token() -> String {
    token_with_kid("ins_2GIoQhbUpy0hX7B2cVkuTMinXoD")
}

fn token_with_kid(kid: &str) -> String {
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT","cat":"cl_B7d4PD333AAA"}}"#);
    let payload = r#"{"iss":"https://clerk.m2m.example.test","sub":"mch_2vYVtestTESTtestTESTtestTESTtest","aud":["mch_1xxxxx","mch_2xxxxx"],"exp":1666648550,"iat":1666648250,"nbf":1666648240,"jti":"mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE","scopes":"mch_1xxxxx mch_2xxxxx"}"#;
    format!(
        "{}.{}.{}",
        encode_segment(header.as_bytes()),
        encode_segment(payload.as_bytes()),
        encode_segment(&[7u8; 256]) // an RSA-2048 signature
    )
}

fn bench(c: &mut Criterion) {
    let t = token();
    c.bench_function("Jwt::decode (M2M, RS256-sized)", |b| {
        b.iter(|| dangerous::insecure_decode(black_box(&t)).unwrap())
    });
    let pair = [t.clone(), token_with_kid("ins_2GIoQhbUpy0hX7B2cVkuTMinXoE")];
    let mut i = 0;
    c.bench_function("Jwt::decode (M2M, RS256-sized, new header)", |b| {
        b.iter(|| {
            i ^= 1;
            dangerous::insecure_decode(black_box(&pair[i])).unwrap()
        })
    });
    let owned = dangerous::insecure_decode(&t).unwrap();
    c.bench_function("M2MToken::from_jwt_claims_owned", |b| {
        b.iter_batched(
            || owned.claims().clone(),
            |claims| M2MToken::from_jwt_claims_owned(claims, 1_666_648_250_000, 5000).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let jwt = dangerous::insecure_decode(&t).unwrap();
    c.bench_function("M2MToken::from_jwt_claims", |b| {
        b.iter(|| {
            M2MToken::from_jwt_claims(black_box(jwt.claims()), 1_666_648_250_000, 5000).unwrap()
        })
    });
    c.bench_function("classify (M2M JWT)", |b| b.iter(|| classify(black_box(&t))));
    c.bench_function("classify (mt_ prefix)", |b| {
        b.iter(|| classify(black_box("mt_0123456789abcdef0123456789abcdef")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
