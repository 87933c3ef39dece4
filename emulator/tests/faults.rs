#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Fault injection and request counters, over real HTTP.

mod common;

use clerk_bapi_emulator::{Endpoint, Fault};
use common::{Api, sk};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test]
async fn status_faults_hit_n_times_then_stop() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    emu.faults()
        .set(Endpoint::Jwks, Fault::status(503).times(2));
    for _ in 0..2 {
        let r = api.get("/v1/jwks", &key).await;
        assert_eq!((r.status, r.code()), (503, "internal_clerk_error"));
        assert!(r.body["clerk_trace_id"].is_string());
    }
    assert_eq!(api.get("/v1/jwks", &key).await.status, 200);
    assert_eq!(emu.counters().get(Endpoint::Jwks), 3);
    assert_eq!(emu.counters().failures(Endpoint::Jwks), 2);
    // Other endpoints are untouched.
    assert_eq!(api.get("/v1/machines", &key).await.status, 200);
}

#[tokio::test]
async fn rate_limit_sends_retry_after() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    emu.faults()
        .set(Endpoint::VerifyM2MToken, Fault::rate_limited(7));
    let r = api
        .post("/m2m_tokens/verify", &sk(&emu), json!({"token": "mt_x"}))
        .await;
    assert_eq!((r.status, r.code()), (429, "too_many_requests"));
    assert_eq!(r.headers["retry-after"], "7");
    // The /v1 path is the same endpoint.
    assert_eq!(
        api.post("/v1/m2m_tokens/verify", &sk(&emu), json!({"token": "mt_x"}))
            .await
            .status,
        429
    );
    emu.faults().clear(Endpoint::VerifyM2MToken);
    assert_eq!(
        api.post("/m2m_tokens/verify", &sk(&emu), json!({"token": "mt_x"}))
            .await
            .status,
        404
    );
    assert_eq!(emu.counters().get(Endpoint::VerifyM2MToken), 3);
}

#[tokio::test]
async fn error_rate_applies_to_a_fraction() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    emu.faults()
        .set(Endpoint::ListMachines, Fault::status(500).at_rate(0.5));
    let mut failed = 0;
    for _ in 0..60 {
        if api.get("/v1/machines", &key).await.status == 500 {
            failed += 1;
        }
    }
    // 60 draws at p = 0.5: outside 10..=50 has probability below 1e-7.
    assert!((10..=50).contains(&failed), "{failed}");
    assert_eq!(emu.counters().failures(Endpoint::ListMachines), failed);
}

// Paused tokio time: the added latency passes on the runtime's clock, not the wall clock, so
// the test is instant and exact.
#[tokio::test(start_paused = true)]
async fn latency_delays_the_answer() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    emu.faults()
        .set(Endpoint::Jwks, Fault::latency(Duration::from_secs(30)));
    let start = Instant::now();
    assert_eq!(api.get("/v1/jwks", &sk(&emu)).await.status, 200);
    assert!(start.elapsed() >= Duration::from_secs(30));
    // With the latency and an error together, the error comes after the wait.
    emu.faults().set(
        Endpoint::Jwks,
        Fault::status(503).with_latency(Duration::from_secs(5)),
    );
    let start = Instant::now();
    assert_eq!(api.get("/v1/jwks", &sk(&emu)).await.status, 503);
    assert!(start.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn hang_never_answers_until_shutdown() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    emu.faults().set(Endpoint::Jwks, Fault::hang());
    let pending = tokio::spawn({
        let api = api.clone();
        async move {
            api.client
                .get(format!("{}/v1/jwks", api.base))
                .bearer_auth(key)
                .send()
                .await
        }
    });
    while emu.counters().get(Endpoint::Jwks) == 0 {
        tokio::task::yield_now().await;
    }
    // The request reached the server; it is still unanswered after other requests complete.
    assert_eq!(api.get("/v1/machines", &sk(&emu)).await.status, 200);
    assert!(!pending.is_finished());
    emu.clone().shutdown().await;
    let released = pending.await.unwrap();
    assert!(released.map(|r| r.status().as_u16() == 503).unwrap_or(true));
}

#[tokio::test]
async fn set_all_and_clear_all() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    emu.faults().set_all(&Fault::status(502));
    assert_eq!(api.get("/v1/jwks", &key).await.status, 502);
    assert_eq!(api.get("/v1/machines", &key).await.status, 502);
    emu.faults().clear_all();
    assert_eq!(api.get("/v1/jwks", &key).await.status, 200);
    let snap = emu.counters().snapshot();
    assert_eq!(snap.get(&Endpoint::Jwks), Some(&2));
    assert_eq!(snap.get(&Endpoint::ListMachines), Some(&1));
    assert_eq!(emu.counters().total(), 3);
    emu.counters().reset();
    assert_eq!(emu.counters().total(), 0);
}

#[tokio::test]
async fn counters_follow_each_endpoint() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let a = emu.create_machine("a", &[]);
    let mk = a.secret_key.expose_secret();
    let t = api.post("/m2m_tokens", mk, json!({})).await.body;
    api.get(&format!("/m2m_tokens?subject={}", a.id), mk).await;
    api.post("/m2m_tokens/verify", &key, json!({"token": t["token"]}))
        .await;
    api.post(
        &format!("/m2m_tokens/{}/revoke", t["id"].as_str().unwrap()),
        &key,
        json!({}),
    )
    .await;
    api.get(&format!("/v1/machines/{}", a.id), &key).await;
    let c = emu.counters();
    for ep in [
        Endpoint::CreateM2MToken,
        Endpoint::ListM2MTokens,
        Endpoint::VerifyM2MToken,
        Endpoint::RevokeM2MToken,
        Endpoint::GetMachine,
    ] {
        assert_eq!(c.get(ep), 1, "{ep:?}");
        assert_eq!(c.failures(ep), 0, "{ep:?}");
    }
    assert_eq!(c.total(), 5);
}
