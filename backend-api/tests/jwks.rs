#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! `GET /v1/jwks`, the sibling verify endpoints, and the JwksSource implementation.

mod common;

use clerk_backend_api::{ApiError, BackendApi, RetryPolicy};
use clerk_bapi_emulator::{Endpoint, Fault};
use clerk_jwks_cache::{
    Algorithm, JwksSource, KeyError, KeyResolver, NO_SIGNING_KEYS_MESSAGE, RemoteJwksResolver,
};
use clerk_token_types::{ErrorCode, Reason, SecretKey, TokenType};
use common::{Scripted, reply};

#[tokio::test]
async fn jwks_returns_the_instance_keys() {
    let emu = common::emulator().await;
    let api = common::instance_client(&emu);
    let set = api.jwks().await.unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].kid.as_deref(), Some(emu.kid().as_str()));
    assert_eq!(set.keys[0].kty, "RSA");
    let fetched = api.fetch().await.unwrap();
    assert_eq!(fetched, set);
}

#[tokio::test]
async fn the_resolver_fetches_through_the_client() {
    let emu = common::emulator().await;
    let resolver = RemoteJwksResolver::new(common::instance_client(&emu));
    let key = resolver
        .resolve(Some(&emu.kid()), Algorithm::RS256)
        .await
        .unwrap();
    assert_eq!(key.kid(), Some(emu.kid().as_str()));
    assert_eq!(emu.counters().get(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn jwks_is_retried_after_a_503() {
    let emu = common::emulator().await;
    emu.faults()
        .set(Endpoint::Jwks, Fault::status(503).times(1));
    let api = common::instance_client(&emu);
    api.fetch().await.unwrap();
    assert_eq!(emu.counters().get(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn a_refused_key_is_secret_key_invalid() {
    let emu = common::emulator().await;
    let api = BackendApi::builder()
        .api_url(emu.api_url())
        .secret_key(SecretKey::new("sk_test_wrong").unwrap())
        .build()
        .unwrap();
    let err = api.fetch().await.unwrap_err();
    assert!(matches!(err, KeyError::SecretKeyInvalid { .. }), "{err:?}");
    assert_eq!(err.reason(), Reason::SecretKeyInvalid);
    assert!(!err.to_string().contains("sk_test_wrong"));
}

#[tokio::test]
async fn other_failures_are_remote_failed_to_load() {
    let emu = common::emulator().await;
    emu.faults().set(Endpoint::Jwks, Fault::status(500));
    let api = common::builder(&emu.api_url())
        .secret_key(emu.secret_key())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = api.fetch().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Error loading Clerk JWKS from {}/v1/jwks with code=500",
            emu.api_url()
        )
    );
    assert_eq!(err.reason(), Reason::JwkRemoteFailedToLoad);

    let no_key = common::builder(&emu.api_url()).build().unwrap();
    let err = no_key.fetch().await.unwrap_err();
    assert!(matches!(err, KeyError::RemoteFailedToLoad { .. }));
}

#[tokio::test]
async fn an_empty_key_set_has_no_signing_keys() {
    let srv = Scripted::start(vec![reply(200, &[], r#"{"keys":[]}"#)]).await;
    let api = common::builder(&srv.url)
        .secret_key(SecretKey::new("sk_test_x").unwrap())
        .build()
        .unwrap();
    assert!(api.jwks().await.unwrap().keys.is_empty());
    let err = api.fetch().await.unwrap_err();
    assert_eq!(err.to_string(), NO_SIGNING_KEYS_MESSAGE);
    assert_eq!(srv.requests()[0].target, "/v1/jwks");
    assert_eq!(
        srv.requests()[0].header("authorization"),
        Some("Bearer sk_test_x")
    );
}

#[tokio::test]
async fn api_keys_and_oauth_tokens_verify() {
    let emu = common::emulator().await;
    let m = emu.create_machine("worker", &[]);
    let api = common::instance_client(&emu);
    let key = emu.create_api_key(&m.id);
    let v = api.verify_api_key(&key).await.unwrap();
    assert_eq!(v.subject, m.id);
    assert!(!v.revoked && !v.expired);
    let err = api.verify_api_key("ak_unknown").await.unwrap_err();
    assert_eq!(err.machine_token_code(), ErrorCode::TokenInvalid);
    assert_eq!(
        err.machine_token_message(TokenType::ApiKey),
        "API key not found"
    );

    let oat = emu.create_oauth_token("user_1");
    let v = api.verify_oauth_token(&oat).await.unwrap();
    assert_eq!(v.subject, "user_1");
    assert!(matches!(
        api.verify_oauth_token("").await,
        Err(ApiError::InvalidInput {
            field: "access_token",
            ..
        })
    ));
    assert_eq!(emu.counters().get(Endpoint::VerifyApiKey), 2);
    assert_eq!(emu.counters().get(Endpoint::VerifyOAuthToken), 1);
}
