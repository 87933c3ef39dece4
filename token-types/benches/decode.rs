//! Decode cost of a typical Clerk M2M JWT (the verifier's overhead budget is about 1 µs).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use clerk_token_types::{Jwt, M2MToken, classify, encode_segment};
use criterion::{Criterion, criterion_group, criterion_main};

fn token() -> String {
    let header = r#"{"alg":"RS256","kid":"ins_2GIoQhbUpy0hX7B2cVkuTMinXoD","typ":"JWT","cat":"cl_B7d4PD333AAA"}"#;
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
        b.iter(|| Jwt::decode(black_box(&t)).unwrap())
    });
    let jwt = Jwt::decode(&t).unwrap();
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
