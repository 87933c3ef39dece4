#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! What the verify endpoints answer with a 200, over loopback HTTP: spec-shaped bodies (from
//! Clerk's OpenAPI spec, 2026-05-12) served by the scripted server, so every field can be set,
//! and the same states produced by the emulator end to end. A revoked, expired or inactive token
//! is refused with `token-invalid`; a live one decodes into its typed model.

mod common;

use clerk_backend_api::{ApiError, BackendApi, InactiveState, ListM2MTokensParams};
use clerk_token_types::{ErrorCode, MachineSecretKey, Reason, SecretKey, TokenType};
use common::{Scripted, builder, reply};
use serde_json::{Value, json};

fn api_key_json(revoked: bool, expired: bool) -> String {
    json!({
        "object": "api_key",
        "id": "ak_3beecc9c60adb5f9b850e91a8ee1e992",
        "type": "api_key",
        "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
        "name": "MY_SERVICE_API_KEY",
        "description": null,
        "claims": {"foo": "bar"},
        "scopes": ["read", "write"],
        "revoked": revoked,
        "revocation_reason": if revoked { json!("Revoked by user") } else { Value::Null },
        "expired": expired,
        "expiration": 1_716_883_200_000_i64,
        "created_by": null,
        "last_used_at": 1_716_883_100_000.0,
        "created_at": 1_716_883_000_000_i64,
        "updated_at": 1_716_883_000_000_i64
    })
    .to_string()
}

fn oauth_json(revoked: bool, expired: bool) -> String {
    json!({
        "object": "clerk_idp_oauth_access_token",
        "id": "oat_0ef5a7a33d87ed87ee7954c845d80450",
        "client_id": "client_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
        "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
        "scopes": ["read"],
        "revoked": revoked,
        "revocation_reason": null,
        "expired": expired,
        "expiration": null,
        "created_at": 1_716_883_200_000_i64,
        "updated_at": 1_716_883_200_000_i64
    })
    .to_string()
}

fn m2m_json(revoked: bool, expired: bool) -> String {
    json!({
        "object": "machine_to_machine_token",
        "id": "mt_0123456789abcdef0123456789abcdef",
        "subject": "mch_2vYVtestTESTtestTESTtestTEST",
        "scopes": [], "claims": null, "revoked": revoked, "revocation_reason": null,
        "expired": expired, "expiration": null, "last_used_at": null,
        "created_at": 1, "updated_at": 1
    })
    .to_string()
}

async fn client_for(body: String) -> (Scripted, BackendApi) {
    let srv = Scripted::start(vec![reply(200, &[], &body)]).await;
    let api = builder(&srv.url)
        .secret_key(SecretKey::new("sk_test_instance").unwrap())
        .machine_secret_key(MachineSecretKey::new("ak_machine").unwrap())
        .build()
        .unwrap();
    (srv, api)
}

fn assert_refused(err: &ApiError, token_type: TokenType, state: InactiveState, message: &str) {
    assert!(
        matches!(err, ApiError::Inactive { token_type: t, state: s } if *t == token_type && *s == state),
        "{err:?}"
    );
    assert_eq!(err.machine_token_code(), ErrorCode::TokenInvalid);
    assert_eq!(err.machine_token_message(token_type), message);
    assert_eq!(err.to_string(), message);
    let reason = if state == InactiveState::Expired {
        Reason::TokenExpired
    } else {
        Reason::TokenInvalid
    };
    assert_eq!(err.machine_token_reason(), reason);
}

#[tokio::test]
async fn a_live_api_key_decodes_into_its_model() {
    let (srv, api) = client_for(api_key_json(false, false)).await;
    let key = api.verify_api_key("ak_secret").await.unwrap();
    assert_eq!(key.id, "ak_3beecc9c60adb5f9b850e91a8ee1e992");
    assert_eq!(key.key_type, "api_key");
    assert_eq!(key.subject, "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    assert_eq!(key.scopes, ["read", "write"]);
    assert_eq!(key.claims, Some(json!({"foo": "bar"})));
    assert_eq!(key.last_used_at, Some(1_716_883_100_000));
    assert_eq!(key.description, None);
    let seen = &srv.requests()[0];
    assert_eq!(seen.target, "/api_keys/verify");
    assert_eq!(seen.body, r#"{"secret":"ak_secret"}"#);
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer sk_test_instance")
    );
}

#[tokio::test]
async fn a_revoked_or_expired_api_key_is_refused() {
    for (revoked, expired, state, message) in [
        (true, false, InactiveState::Revoked, "API key is revoked."),
        (false, true, InactiveState::Expired, "API key is expired."),
        (true, true, InactiveState::Revoked, "API key is revoked."),
    ] {
        let (_srv, api) = client_for(api_key_json(revoked, expired)).await;
        let err = api.verify_api_key("ak_secret").await.unwrap_err();
        assert_refused(&err, TokenType::ApiKey, state, message);
    }
}

#[tokio::test]
async fn a_live_oauth_token_decodes_into_its_model() {
    let (srv, api) = client_for(oauth_json(false, false)).await;
    let t = api.verify_oauth_token("oat_secret").await.unwrap();
    assert_eq!(t.id, "oat_0ef5a7a33d87ed87ee7954c845d80450");
    assert_eq!(t.client_id, "client_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    assert_eq!(t.scopes, ["read"]);
    assert_eq!((t.expiration, t.created_at), (None, 1_716_883_200_000));
    assert_eq!(srv.requests()[0].body, r#"{"access_token":"oat_secret"}"#);
}

#[tokio::test]
async fn an_inactive_revoked_or_expired_oauth_token_is_refused() {
    let cases = [
        (
            json!({"active": false}).to_string(),
            InactiveState::NotActive,
            "OAuth token is not active.",
        ),
        (
            oauth_json(true, false),
            InactiveState::Revoked,
            "OAuth token is revoked.",
        ),
        (
            oauth_json(false, true),
            InactiveState::Expired,
            "OAuth token is expired.",
        ),
    ];
    for (body, state, message) in cases {
        let (_srv, api) = client_for(body).await;
        let err = api.verify_oauth_token("oat_secret").await.unwrap_err();
        assert_refused(&err, TokenType::OAuthToken, state, message);
    }
}

#[tokio::test]
async fn a_revoked_or_expired_m2m_answer_is_refused() {
    for (revoked, expired, state, message) in [
        (
            true,
            false,
            InactiveState::Revoked,
            "Machine token is revoked.",
        ),
        (
            false,
            true,
            InactiveState::Expired,
            "Machine token is expired.",
        ),
    ] {
        let (_srv, api) = client_for(m2m_json(revoked, expired)).await;
        let err = api
            .m2m_tokens()
            .verify("mt_secret", None)
            .await
            .unwrap_err();
        assert_refused(&err, TokenType::M2MToken, state, message);
    }
    let (_srv, api) = client_for(m2m_json(false, false)).await;
    assert!(api.m2m_tokens().verify("mt_secret", None).await.is_ok());
}

#[tokio::test]
async fn a_verify_answer_that_is_not_a_token_is_a_decode_error() {
    for body in [
        json!({"active": true}).to_string(),
        json!({"id": "oat_1"}).to_string(),
        "[]".to_owned(),
    ] {
        let (_srv, api) = client_for(body.clone()).await;
        let err = api.verify_oauth_token("oat_secret").await.unwrap_err();
        assert!(
            matches!(err, ApiError::Decode { status: 200, .. }),
            "{body}: {err:?}"
        );
        assert_eq!(err.machine_token_code(), ErrorCode::UnexpectedError);
    }
}

#[tokio::test]
async fn list_total_count_is_read_as_the_spec_number() {
    let page = |n: &str| format!(r#"{{"m2m_tokens":[],"total_count":{n}}}"#);
    let (_srv, api) = client_for(page("3.0")).await;
    let list = api
        .m2m_tokens()
        .list(ListM2MTokensParams::new("mch_1"))
        .await
        .unwrap();
    assert_eq!(list.total_count, 3);
    for (bad, why) in [("-1", "negative"), ("2.5", "whole number")] {
        let (_srv, api) = client_for(page(bad)).await;
        let err = api
            .m2m_tokens()
            .list(ListM2MTokensParams::new("mch_1"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Decode { status: 200, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(why), "{err}");
    }
}

/// The same refusals end to end: the emulator's revoked and expired API keys and OAuth tokens,
/// and its `{"active": false}` for a JWT access token.
#[tokio::test]
async fn the_emulators_revoked_expired_and_inactive_tokens_are_refused() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let m = emu.create_machine("owner", &[]);
    let user = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk";

    let revoked = emu.create_api_key(&m.id);
    assert!(emu.revoke_machine_token(&revoked, Some("leaked")));
    let expired = emu.create_api_key(&m.id);
    assert!(emu.expire_machine_token(&expired));
    let err = api.verify_api_key(&revoked).await.unwrap_err();
    assert_refused(
        &err,
        TokenType::ApiKey,
        InactiveState::Revoked,
        "API key is revoked.",
    );
    let err = api.verify_api_key(&expired).await.unwrap_err();
    assert_refused(
        &err,
        TokenType::ApiKey,
        InactiveState::Expired,
        "API key is expired.",
    );

    let revoked = emu.create_oauth_token(user);
    assert!(emu.revoke_machine_token(&revoked, None));
    let expired = emu.create_oauth_token(user);
    assert!(emu.expire_machine_token(&expired));
    let err = api.verify_oauth_token(&revoked).await.unwrap_err();
    assert_refused(
        &err,
        TokenType::OAuthToken,
        InactiveState::Revoked,
        "OAuth token is revoked.",
    );
    let err = api.verify_oauth_token(&expired).await.unwrap_err();
    assert_refused(
        &err,
        TokenType::OAuthToken,
        InactiveState::Expired,
        "OAuth token is expired.",
    );
    let err = api
        .verify_oauth_token("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        .await
        .unwrap_err();
    assert_refused(
        &err,
        TokenType::OAuthToken,
        InactiveState::NotActive,
        "OAuth token is not active.",
    );

    // Live ones still verify, so the refusals above are about the state alone.
    assert_eq!(
        api.verify_api_key(&emu.create_api_key(&m.id))
            .await
            .unwrap()
            .subject,
        m.id
    );
    assert_eq!(
        api.verify_oauth_token(&emu.create_oauth_token(user))
            .await
            .unwrap()
            .subject,
        user
    );
}
