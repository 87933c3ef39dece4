//! A JWKS cache belongs to the `MachineAuth` value that built it: shared by its clones across
//! tasks, shared with another value only when asked (`key_resolver`), never with another secret
//! key or instance; each value's fetches follow its own Backend API settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use clerk_bapi_emulator::{Endpoint, Fault, MintSpec};
use clerk_m2m::{ErrorCode, MachineAuth, Reason, RetryPolicy, SecretKey, TokenType};
use common::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_one_cache_across_tasks() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let auth = w.verifier();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let auth = auth.clone();
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
        "320 verifications from 32 tasks on clones of one value: one JWKS fetch"
    );
}

#[tokio::test]
async fn values_built_separately_have_their_own_cache_unless_they_share_it() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let first = w.verifier();
    let second = w.verifier(); // same API URL and secret key: no hidden sharing
    first.verify_m2m_token(&jwt).await.unwrap();
    second.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 2);

    // Sharing is explicit.
    let third = w
        .verifier_builder()
        .key_resolver(first.key_resolver())
        .build()
        .unwrap();
    third.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(
        w.emu.counters().get(Endpoint::Jwks),
        2,
        "third reads first's keys"
    );
}

#[tokio::test]
async fn two_values_for_one_instance_each_honour_their_own_timeout() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    // Every JWKS answer takes 600 ms.
    w.emu
        .faults()
        .set(Endpoint::Jwks, Fault::latency(Duration::from_millis(600)));
    let impatient = w
        .verifier_builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let patient = w
        .verifier_builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Built first and used first, the impatient value must not lend its client to the other
    // (the old process-wide registry did: the second value fetched with the first's timeout).
    let started = Instant::now();
    let e = impatient.verify_m2m_token(&jwt).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{e}");
    assert!(e.to_string().contains("timed out after 150ms"), "{e}");

    let v = patient.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(v.subject, w.worker.id);
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 2);
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
