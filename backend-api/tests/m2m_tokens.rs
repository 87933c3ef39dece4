#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The M2M token endpoints against the emulator over loopback HTTP.

mod common;

use std::time::Duration;

use clerk_backend_api::{
    ApiError, CreateM2MTokenParams, ListM2MTokensParams, RevokeM2MTokenParams,
};
use clerk_bapi_emulator::Endpoint;
use clerk_token_types::{ErrorCode, TokenType, dangerous, is_jwt_format};
use serde_json::json;

fn with_key(key: &clerk_token_types::MachineSecretKey) -> CreateM2MTokenParams {
    CreateM2MTokenParams::new().machine_secret_key(key.clone())
}

#[tokio::test]
async fn create_opaque_with_the_machine_default_ttl() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let t = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    assert!(t.token.as_deref().unwrap().starts_with("mt_"));
    assert_eq!(t.subject, m.id);
    assert!(!t.revoked && !t.expired);
    let exp = t
        .expiration
        .expect("the machine default applies when the field is absent");
    assert_eq!(exp - t.created_at, 3600 * 1000);
    assert!(!format!("{t:?}").contains(t.token.as_deref().unwrap()));
}

#[tokio::test]
async fn create_never_and_seconds_and_claims() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url()).build().unwrap();
    let never = api
        .m2m_tokens()
        .create(
            with_key(&m.secret_key)
                .never_expires()
                .claims(json!({"role": "reader"})),
        )
        .await
        .unwrap();
    assert_eq!(never.expiration, None);
    assert_eq!(never.claims, Some(json!({"role": "reader"})));
    let short = api
        .m2m_tokens()
        .create(
            CreateM2MTokenParams::opaque()
                .expires_in(Duration::from_secs(60))
                .machine_secret_key(m.secret_key.clone()),
        )
        .await
        .unwrap();
    assert_eq!(short.expiration.unwrap() - short.created_at, 60_000);
}

#[tokio::test]
async fn create_jwt_format() {
    let emu = common::emulator().await;
    let callee = emu.create_machine("callee", &[]);
    let m = emu.create_machine("worker", &[&callee.id]);
    let api = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let t = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::jwt().claims(json!({"permissions": ["read"]})))
        .await
        .unwrap();
    let jwt = t.token.as_deref().unwrap();
    assert!(is_jwt_format(jwt));
    let decoded = dangerous::insecure_decode(jwt).unwrap();
    assert_eq!(
        decoded
            .claims()
            .sub
            .as_ref()
            .and_then(|s| s.valid())
            .map(String::as_str),
        Some(m.id.as_str())
    );
    assert_eq!(t.scopes, vec![callee.id.clone()]);
}

#[tokio::test]
async fn min_remaining_ttl_reuses_a_live_token() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let p = CreateM2MTokenParams::new().min_remaining_ttl(Duration::from_secs(240));
    let a = api.m2m_tokens().create(p.clone()).await.unwrap();
    let b = api.m2m_tokens().create(p).await.unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(a.token, b.token);
}

#[tokio::test]
async fn create_with_the_instance_key_is_refused() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let err = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.errors()[0].code, "machine_secret_key_invalid");
    assert_eq!(err.code(), ErrorCode::SecretKeyInvalid);
    assert_eq!(
        emu.counters().get(Endpoint::CreateM2MToken),
        1,
        "a 401 is not retried"
    );
}

#[tokio::test]
async fn verify_with_machine_and_instance_keys() {
    let emu = common::emulator().await;
    let callee = emu.create_machine("callee", &[]);
    let caller = emu.create_machine("caller", &[&callee.id]);
    let outsider = emu.create_machine("outsider", &[]);
    let api = common::instance_client(&emu);
    let created = api
        .m2m_tokens()
        .create(with_key(&caller.secret_key))
        .await
        .unwrap();
    let secret = created.token.clone().unwrap();

    let by_instance = api.m2m_tokens().verify(&secret, None).await.unwrap();
    assert_eq!(by_instance.id, created.id);
    assert!(by_instance.token.is_none());

    let by_callee = api
        .m2m_tokens()
        .verify(&secret, Some(&callee.secret_key))
        .await
        .unwrap();
    assert_eq!(by_callee.subject, caller.id);

    let err = api
        .m2m_tokens()
        .verify(&secret, Some(&outsider.secret_key))
        .await
        .unwrap_err();
    assert_eq!(err.machine_token_code(), ErrorCode::TokenInvalid);
    assert_eq!(
        err.machine_token_message(TokenType::M2MToken),
        "Machine token not found"
    );

    let bad_key = clerk_token_types::MachineSecretKey::new("ak_not_a_key").unwrap();
    let err = api
        .m2m_tokens()
        .verify(&secret, Some(&bad_key))
        .await
        .unwrap_err();
    assert_eq!(err.machine_token_code(), ErrorCode::SecretKeyInvalid);
    assert!(!err.machine_token_message(TokenType::M2MToken).is_empty());
}

#[tokio::test]
async fn revoke_then_verify_fails_and_list_filters() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url())
        .secret_key(emu.secret_key())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            api.m2m_tokens()
                .create(CreateM2MTokenParams::default())
                .await
                .unwrap(),
        );
    }
    let revoked = api
        .m2m_tokens()
        .revoke(
            &ids[0].id,
            RevokeM2MTokenParams::new().reason("compromised"),
        )
        .await
        .unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revocation_reason.as_deref(), Some("compromised"));
    assert!(revoked.token.is_none());
    let err = api
        .m2m_tokens()
        .verify(ids[0].token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));

    let live = api
        .m2m_tokens()
        .list(ListM2MTokensParams::new(&m.id))
        .await
        .unwrap();
    assert_eq!(live.total_count, 2);
    assert!(
        live.m2m_tokens
            .iter()
            .all(|t| !t.revoked && t.token.is_none())
    );

    let mut p = ListM2MTokensParams::new(&m.id);
    p.revoked = Some(true);
    let gone = api.m2m_tokens().list(p).await.unwrap();
    assert_eq!(gone.total_count, 1);
    assert_eq!(gone.m2m_tokens[0].id, ids[0].id);

    let mut p = ListM2MTokensParams::new(&m.id);
    p.limit = Some(1);
    p.offset = Some(1);
    let page = api.m2m_tokens().list(p).await.unwrap();
    assert_eq!((page.m2m_tokens.len(), page.total_count), (1, 2));

    // The instance key lists any machine's tokens too.
    let instance = common::instance_client(&emu);
    let all = instance
        .m2m_tokens()
        .list(ListM2MTokensParams::new(&m.id))
        .await
        .unwrap();
    assert_eq!(all.total_count, 2);

    let err = api
        .m2m_tokens()
        .revoke(
            "mt_0123456789abcdef0123456789abcdef",
            RevokeM2MTokenParams::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn a_500_from_the_emulator_is_retried() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let t = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    emu.faults().set(
        Endpoint::VerifyM2MToken,
        clerk_bapi_emulator::Fault::status(500).times(1),
    );
    emu.faults().set(
        Endpoint::ListM2MTokens,
        clerk_bapi_emulator::Fault::rate_limited(1).times(2),
    );
    api.m2m_tokens()
        .verify(t.token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    // The caller is not in its own token's scopes: verify answers 404 after the retried 500.
    assert_eq!(emu.counters().get(Endpoint::VerifyM2MToken), 2);
    let list = api
        .m2m_tokens()
        .list(ListM2MTokensParams::new(&m.id))
        .await
        .unwrap();
    assert_eq!(list.total_count, 1);
    assert_eq!(emu.counters().get(Endpoint::ListM2MTokens), 3);
    emu.faults().set(
        Endpoint::CreateM2MToken,
        clerk_bapi_emulator::Fault::status(503).times(1),
    );
    let err = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Api { status: 503, .. }));
    assert_eq!(
        emu.counters().get(Endpoint::CreateM2MToken),
        2,
        "create is not retried"
    );
}

#[tokio::test]
async fn list_selects_expired_tokens_and_revoked_ones_separately() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::builder(&emu.api_url())
        .machine_secret_key(m.secret_key.clone())
        .build()
        .unwrap();
    let short = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::new().expires_in(Duration::from_secs(30)))
        .await
        .unwrap();
    let long = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    emu.advance_time(Duration::from_secs(31));
    let mut p = ListM2MTokensParams::new(&m.id);
    p.expired = Some(true);
    let expired = api.m2m_tokens().list(p).await.unwrap();
    assert_eq!(expired.total_count, 1);
    assert_eq!(expired.m2m_tokens[0].id, short.id);
    assert!(expired.m2m_tokens[0].expired);
    let mut p = ListM2MTokensParams::new(&m.id);
    p.expired = Some(false);
    p.revoked = Some(false);
    let live = api.m2m_tokens().list(p).await.unwrap();
    assert_eq!(live.total_count, 1);
    assert_eq!(live.m2m_tokens[0].id, long.id);
    // An expired opaque token no longer verifies (404, token-invalid).
    let err = common::instance_client(&emu)
        .m2m_tokens()
        .verify(short.token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(err.machine_token_code(), ErrorCode::TokenInvalid);
}

#[tokio::test]
async fn an_emulator_that_never_answers_times_out_and_is_retried() {
    let emu = common::emulator().await;
    emu.faults()
        .set(Endpoint::VerifyM2MToken, clerk_bapi_emulator::Fault::hang());
    let api = common::builder(&emu.api_url())
        .secret_key(emu.secret_key())
        .timeout(Duration::from_millis(100))
        .retry(common::fast_retry().with_max_attempts(2))
        .build()
        .unwrap();
    let err = api
        .m2m_tokens()
        .verify("mt_00000000000000000000000000000000", None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Timeout { .. }), "{err:?}");
    assert_eq!(err.machine_token_code(), ErrorCode::UnexpectedError);
    assert_eq!(emu.counters().get(Endpoint::VerifyM2MToken), 2);
    // Once the fault is gone the same client works.
    emu.faults().clear_all();
    let err = api
        .m2m_tokens()
        .verify("mt_00000000000000000000000000000000", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}
