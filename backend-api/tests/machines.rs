#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The machine endpoints against the emulator over loopback HTTP.

mod common;

use std::time::Duration;

use clerk_backend_api::{
    ApiError, BackendApi, CreateM2MTokenParams, CreateMachineParams, ListMachinesParams,
    UpdateMachineParams,
};
use clerk_bapi_emulator::Endpoint;

#[tokio::test]
async fn machine_lifecycle() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let machines = api.machines();

    let callee = machines
        .create(CreateMachineParams::new("callee"))
        .await
        .unwrap();
    let caller = machines
        .create(
            CreateMachineParams::new("caller")
                .scoped_machines([&callee.id])
                .default_token_ttl(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    assert!(caller.id.starts_with("mch_"));
    assert_eq!(caller.default_token_ttl, Some(Duration::from_secs(120)));
    assert_eq!(caller.scoped_machines.len(), 1);
    assert_eq!(caller.scoped_machines[0].id, callee.id);
    assert_eq!(caller.instance_id, emu.instance_id());
    let caller_key = caller
        .secret_key
        .clone()
        .expect("create returns the secret key");
    assert!(!format!("{caller:?}").contains(caller_key.expose_secret()));

    let got = machines.get(&caller.id).await.unwrap();
    assert_eq!(got.name, "caller");
    assert!(got.secret_key.is_none());

    let page = machines.list(ListMachinesParams::default()).await.unwrap();
    assert_eq!(page.total_count, 2);
    let page = machines
        .list(ListMachinesParams::new().limit(1).offset(1))
        .await
        .unwrap();
    assert_eq!((page.data.len(), page.total_count), (1, 2));

    let updated = machines
        .update(
            &caller.id,
            UpdateMachineParams::new()
                .name("caller-2")
                .default_token_ttl(Duration::from_secs(300)),
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.default_token_ttl),
        ("caller-2", Some(Duration::from_secs(300)))
    );

    let secret = machines.secret_key(&caller.id).await.unwrap();
    assert_eq!(secret.secret, caller_key);

    // The key from the API works for M2M calls.
    let worker = common::builder(&emu.api_url())
        .machine_secret_key(secret.secret.clone())
        .build()
        .unwrap();
    let t = worker
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    assert_eq!(t.subject, caller.id);
    assert_eq!(t.expiration.unwrap() - t.created_at, 300_000);

    let rotated = machines
        .rotate_secret_key(&caller.id, Duration::ZERO)
        .await
        .unwrap();
    assert_ne!(rotated.secret, caller_key);
    assert!(
        worker
            .m2m_tokens()
            .create(CreateM2MTokenParams::default())
            .await
            .is_err(),
        "the old key stops working without a grace period"
    );

    let removed = machines.remove_scope(&caller.id, &callee.id).await.unwrap();
    assert_eq!(removed.deleted, Some(true));
    assert_eq!(
        (
            removed.from_machine_id.as_str(),
            removed.to_machine_id.as_str()
        ),
        (caller.id.as_str(), callee.id.as_str())
    );
    assert!(
        machines
            .get(&caller.id)
            .await
            .unwrap()
            .scoped_machines
            .is_empty()
    );

    let added = machines.add_scope(&caller.id, &callee.id).await.unwrap();
    assert_eq!(added.to_machine_id, callee.id);
    assert!(added.created_at.is_some());
    let err = machines
        .add_scope(&caller.id, &callee.id)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(emu.counters().get(Endpoint::CreateMachineScope), 2);

    let deleted = machines.delete(&caller.id).await.unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.id, caller.id);
    let err = machines.get(&caller.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn machine_inputs_are_checked_before_io() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let m = api.machines();
    assert!(matches!(
        m.create(CreateMachineParams::new("")).await,
        Err(ApiError::InvalidInput { field: "name", .. })
    ));
    let zero_ttl = CreateMachineParams::new("x").default_token_ttl(Duration::ZERO);
    assert!(m.create(zero_ttl).await.is_err());
    let sub_second = CreateMachineParams::new("x").default_token_ttl(Duration::from_millis(10));
    assert!(matches!(
        m.create(sub_second).await,
        Err(ApiError::InvalidInput {
            field: "default_token_ttl",
            ..
        })
    ));
    let bad_update = UpdateMachineParams::new().default_token_ttl(Duration::ZERO);
    assert!(m.update("mch_1", bad_update).await.is_err());
    assert!(m.list(ListMachinesParams::new().limit(501)).await.is_err());
    for grace in [Duration::from_secs(28_801), Duration::from_millis(500)] {
        assert!(matches!(
            m.rotate_secret_key("mch_1", grace).await,
            Err(ApiError::InvalidInput {
                field: "previous_token_ttl",
                ..
            })
        ));
    }
    for bad in ["", "..", "mch_1/secret_key", "mch_1%2F"] {
        assert!(m.get(bad).await.is_err());
        assert!(m.delete(bad).await.is_err());
        assert!(m.secret_key(bad).await.is_err());
        assert!(m.rotate_secret_key(bad, Duration::ZERO).await.is_err());
        assert!(m.add_scope("mch_1", bad).await.is_err());
    }
    assert_eq!(emu.counters().total(), 0, "nothing was sent");
}

#[tokio::test]
async fn machines_need_the_instance_key() {
    let emu = common::emulator().await;
    let machine = emu.create_machine("worker", &[]);
    // A machine key alone: refused locally, nothing sent.
    let api = common::builder(&emu.api_url())
        .machine_secret_key(machine.secret_key.clone())
        .build()
        .unwrap();
    assert!(matches!(
        api.machines().list(ListMachinesParams::default()).await,
        Err(ApiError::MissingSecretKey)
    ));
    assert_eq!(emu.counters().total(), 0);
    // A wrong instance key: the server's 401.
    let wrong = BackendApi::builder()
        .api_url(emu.api_url())
        .secret_key(clerk_token_types::SecretKey::new("sk_test_wrong").unwrap())
        .build()
        .unwrap();
    let err = wrong.machines().get(&machine.id).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.has_code("clerk_key_invalid"));
}

#[tokio::test]
async fn a_rotated_secret_key_keeps_working_for_the_grace_period() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let m = emu.create_machine("worker", &[]);
    let rotated = api
        .machines()
        .rotate_secret_key(&m.id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_ne!(rotated.secret, m.secret_key);
    assert!(!format!("{rotated:?}").contains(rotated.secret.expose_secret()));
    let old = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let new = common::builder(&emu.api_url())
        .machine_secret_key(rotated.secret.clone())
        .build()
        .unwrap();
    // Both keys work during the grace period...
    old.m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    new.m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    // ...then only the new one.
    emu.advance_time(Duration::from_secs(60));
    let err = old
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.has_code("machine_secret_key_invalid"));
    new.m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    assert_eq!(
        api.machines().secret_key(&m.id).await.unwrap().secret,
        rotated.secret
    );
}
