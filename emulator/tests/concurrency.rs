#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! 2,000 create-then-verify round trips from 64 tasks: every token verifies, nothing fails,
//! and the counters add up.

mod common;

use clerk_bapi_emulator::Endpoint;
use common::Api;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_round_trips_from_64_tasks() {
    const TASKS: usize = 64;
    const TOTAL: usize = 2000;
    let emu = common::start().await;
    let verifier = emu.create_machine("verifier", &[]);
    let callers: Vec<_> = (0..4)
        .map(|i| emu.create_machine(&format!("caller-{i}"), &[&verifier.id]))
        .collect();
    let api = Api::new(&emu);
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let api = api.clone();
        let caller = callers[task % callers.len()].clone();
        let verifier_key = verifier.secret_key.clone();
        let rounds = TOTAL / TASKS + usize::from(task < TOTAL % TASKS);
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let created = api
                    .post("/m2m_tokens", caller.secret_key.expose_secret(), json!({}))
                    .await;
                assert_eq!(created.status, 201, "{}", created.body);
                let verified = api
                    .post(
                        "/m2m_tokens/verify",
                        verifier_key.expose_secret(),
                        json!({"token": created.body["token"]}),
                    )
                    .await;
                assert_eq!(verified.status, 200, "{}", verified.body);
                assert_eq!(verified.body["id"], created.body["id"]);
                assert_eq!(verified.body["subject"], caller.id.as_str());
                ids.push(created.body["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut all = std::collections::HashSet::new();
    for h in handles {
        for id in h.await.unwrap() {
            assert!(all.insert(id), "duplicate token id");
        }
    }
    assert_eq!(all.len(), TOTAL);
    let c = emu.counters();
    assert_eq!(c.get(Endpoint::CreateM2MToken), TOTAL as u64);
    assert_eq!(c.get(Endpoint::VerifyM2MToken), TOTAL as u64);
    assert_eq!(
        c.failures(Endpoint::CreateM2MToken) + c.failures(Endpoint::VerifyM2MToken),
        0
    );
    assert_eq!(c.total(), 2 * TOTAL as u64);
    // Every token is listed for its subject.
    let key = emu.secret_key();
    let mut listed = 0;
    for m in &callers {
        let r = api
            .get(
                &format!("/m2m_tokens?subject={}&limit=1", m.id),
                key.expose_secret(),
            )
            .await;
        listed += r.body["total_count"].as_u64().unwrap();
    }
    assert_eq!(listed, TOTAL as u64);
}
