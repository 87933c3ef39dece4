#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! 2,000 create-then-verify round trips from 64 tasks through one shared client: every token
//! verifies, no request fails, and the emulator's counters add up.

mod common;

use std::collections::HashSet;

use clerk_backend_api::CreateM2MTokenParams;
use clerk_bapi_emulator::Endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_round_trips_from_64_tasks() {
    const TASKS: usize = 64;
    const TOTAL: usize = 2000;
    let emu = common::emulator().await;
    let verifier = emu.create_machine("verifier", &[]);
    let callers: Vec<_> = (0..4)
        .map(|i| emu.create_machine(&format!("caller-{i}"), &[&verifier.id]))
        .collect();
    let api = common::builder(&emu.api_url())
        .machine_secret_key(verifier.secret_key.clone())
        .build()
        .unwrap();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let api = api.clone();
        let caller_key = callers[task % callers.len()].secret_key.clone();
        let rounds = TOTAL / TASKS + usize::from(task < TOTAL % TASKS);
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let created = api
                    .m2m_tokens()
                    .create(CreateM2MTokenParams::new().machine_secret_key(caller_key.clone()))
                    .await
                    .unwrap();
                let verified = api
                    .m2m_tokens()
                    .verify(created.token.as_deref().unwrap(), None)
                    .await
                    .unwrap();
                assert_eq!(verified.id, created.id);
                ids.push(created.id);
            }
            ids
        }));
    }
    let mut all = HashSet::new();
    for h in handles {
        for id in h.await.unwrap() {
            assert!(all.insert(id), "duplicate token id");
        }
    }
    assert_eq!(all.len(), TOTAL);
    let c = emu.counters();
    assert_eq!(c.get(Endpoint::CreateM2MToken), TOTAL as u64);
    assert_eq!(c.get(Endpoint::VerifyM2MToken), TOTAL as u64);
    assert_eq!(c.failures(Endpoint::CreateM2MToken), 0);
    assert_eq!(c.failures(Endpoint::VerifyM2MToken), 0);
    assert_eq!(c.total(), 2 * TOTAL as u64);
}
