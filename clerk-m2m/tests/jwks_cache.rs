//! One JWKS cache per (API URL, secret key): shared by clones and by values built alike, across
//! tasks; never shared with another secret key or another instance.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_bapi_emulator::{Endpoint, MintSpec};
use clerk_m2m::{ErrorCode, MachineAuth, Reason, RetryPolicy, SecretKey, TokenType};
use common::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_and_values_built_alike_share_one_cache_across_tasks() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let first = w.verifier();
    let second = w.verifier(); // built separately, same API URL and secret key
    let mut tasks = Vec::new();
    for i in 0..32 {
        let auth = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let jwt = jwt.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let v = auth.verify_m2m_token(&jwt).await.unwrap();
                assert_eq!(v.scopes.len(), 1);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        w.emu.counters().get(Endpoint::Jwks),
        1,
        "320 verifications from 32 tasks and two values: one JWKS fetch"
    );
}

#[tokio::test]
async fn another_secret_key_or_instance_never_uses_the_cache() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let good = w.verifier();
    good.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 1);

    // Same URL, a secret key the instance refuses: its own fetch, refused, token rejected.
    let wrong = MachineAuth::builder()
        .api_url(w.emu.api_url())
        .secret_key(SecretKey::new("sk_test_not_this_instance").unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = wrong.verify_m2m_token(&jwt).await.unwrap_err();
    assert_eq!(e.reason(), Reason::SecretKeyInvalid, "{e}");
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 2);

    // Another instance (which even shares the emulators' key material): its own cache, and the
    // first instance's token is not in its JWKS.
    let other = World::new().await;
    let e = other.verifier().verify_m2m_token(&jwt).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch, "{e}");
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    assert_eq!(other.emu.counters().get(Endpoint::Jwks), 1);
    // And the first instance's cache still answers without a new fetch.
    good.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 2);
}
