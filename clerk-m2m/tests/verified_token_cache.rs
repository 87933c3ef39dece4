//! The verified-token cache through the facade, against the emulator's JWKS over loopback: on by
//! default, configurable, and off on request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_bapi_emulator::{Endpoint, MintSpec};
use clerk_m2m::{Reason, VerifiedToken, VerifiedTokenCacheConfig};
use common::World;

#[tokio::test]
async fn on_by_default_a_repeated_jwt_is_a_hit_with_the_same_result() {
    let w = World::new().await;
    let auth = w.verifier();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let first = auth.verify_m2m_token(&jwt).await.unwrap();
    let again = auth.verify_m2m_token(&jwt).await.unwrap();
    let routed = auth.verify_machine_token(&jwt).await.unwrap();
    assert_eq!(first, again);
    assert!(matches!(routed, VerifiedToken::M2M(t) if t == first));
    let s = auth.verified_token_cache_stats().expect("on by default");
    assert_eq!((s.hits, s.misses, s.entries), (2, 1, 1));
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 1);

    // A token differing in its last byte is checked, and refused.
    let mut forged = jwt.clone();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    let e = auth.verify_m2m_token(&forged).await.unwrap_err();
    assert_ne!(e.reason(), Reason::TokenTypeMismatch);
    assert_eq!(auth.verified_token_cache_stats().unwrap().hits, 2);
}

#[tokio::test]
async fn limits_are_configurable_and_the_cache_can_be_turned_off() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));

    let tiny = w
        .verifier_builder()
        .verified_token_cache(VerifiedTokenCacheConfig::default().with_max_token_bytes(16))
        .build()
        .unwrap();
    for _ in 0..2 {
        tiny.verify_m2m_token(&jwt).await.unwrap();
    }
    let s = tiny.verified_token_cache_stats().unwrap();
    assert_eq!((s.hits, s.misses), (0, 0), "too large to cache");

    let off = w
        .verifier_builder()
        .no_verified_token_cache()
        .build()
        .unwrap();
    for _ in 0..2 {
        off.verify_m2m_token(&jwt).await.unwrap();
    }
    assert!(off.verified_token_cache_stats().is_none());
}
