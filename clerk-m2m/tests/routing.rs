//! The routing table of Clerk's JavaScript SDK (`verifyMachineAuthToken`), every row, against the
//! emulator over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_bapi_emulator::{Endpoint, Fault, MintSpec};
use clerk_m2m::{
    CreateM2MTokenParams, Error, ErrorCode, MachineAuth, MachineSecretKey, PemKeyResolver, Reason,
    RetryPolicy, SecretKey, TokenType, VerifiedToken,
};
use common::World;
use serde_json::json;

fn err(r: Result<VerifiedToken, Error>) -> Error {
    match r {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn jwt_shaped_but_undecodable_is_token_invalid_typed_m2m_without_network() {
    let w = World::new().await;
    let auth = w.verifier();
    for token in ["aaa.bbb.ccc", "mt_abc.def.ghi", "oat_a.b.c"] {
        let e = err(auth.verify_machine_token(token).await);
        assert_eq!(e.token_type(), Some(TokenType::M2MToken), "{token}");
        assert_eq!(e.code(), ErrorCode::TokenInvalid, "{token}");
        assert!(e.to_string().starts_with("Invalid JWT form."), "{e}");
    }
    assert_eq!(
        w.emu.counters().total(),
        0,
        "no Backend API call for JWT-shaped tokens"
    );
}

#[tokio::test]
async fn m2m_jwt_verifies_locally_with_the_jwks_fetched_once() {
    let w = World::new().await;
    let auth = w.verifier();
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).claim("role", json!("svc")));
    for _ in 0..5 {
        let v = auth.verify_machine_token(&jwt).await.unwrap();
        assert_eq!(v.token_type(), TokenType::M2MToken);
        let t = v.as_m2m().unwrap();
        assert_eq!(t.subject, w.worker.id);
        assert_eq!(t.scopes, vec![w.api.id.clone()]);
        assert_eq!(t.claims.as_ref().unwrap()["role"], "svc");
    }
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 1);
    assert_eq!(w.emu.counters().get(Endpoint::VerifyM2MToken), 0);
}

#[tokio::test]
async fn m2m_jwt_with_a_foreign_category_is_rejected_before_key_resolution() {
    let w = World::new().await;
    let auth = w.verifier();
    for cat in [
        "cl_B7d4PD111AAA",
        "cl_B7d4PD222AAA",
        "cl_I7d4PD111III",
        "cl_some_future_unknown_cat",
    ] {
        let jwt = w
            .emu
            .mint_jwt(MintSpec::for_machine(&w.worker.id).category(cat));
        let e = err(auth.verify_machine_token(&jwt).await);
        assert_eq!(e.token_type(), Some(TokenType::M2MToken));
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
        assert_eq!(e.to_string(), "Invalid M2M JWT category.");
    }
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 0, "no key resolution");
}

#[tokio::test]
async fn m2m_jwt_without_category_is_accepted_during_the_rollout_window() {
    let w = World::new().await;
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).no_category());
    let v = w.verifier().verify_machine_token(&jwt).await.unwrap();
    assert_eq!(v.token_type(), TokenType::M2MToken);
}

#[tokio::test]
async fn mch_subject_wins_over_oauth_typ() {
    let w = World::new().await;
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).header("typ", json!("at+jwt")));
    let e = err(w.verifier().verify_machine_token(&jwt).await);
    // Routed as M2M, whose verifier wants typ absent or "JWT".
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert!(e.to_string().contains("Invalid JWT type"), "{e}");
}

#[tokio::test]
async fn oauth_jwt_routes_to_the_oauth_verifier() {
    let w = World::new().await;
    for typ in ["at+jwt", "application/at+jwt"] {
        let jwt = w.emu.mint_jwt(
            MintSpec::new()
                .no_category()
                .header("typ", json!(typ))
                .claim("sub", json!("user_123"))
                .claim("client_id", json!("client_1")),
        );
        let v = w.verifier().verify_machine_token(&jwt).await.unwrap();
        assert_eq!(v.token_type(), TokenType::OAuthToken, "{typ}");
        assert!(matches!(v, VerifiedToken::OAuthJwt(_)));
    }
    // A failing OAuth JWT is still typed oauth_token.
    let expired = w.emu.mint_jwt(
        MintSpec::new()
            .no_category()
            .header("typ", json!("at+jwt"))
            .claim("sub", json!("user_1"))
            .expired(),
    );
    let e = err(w.verifier().verify_machine_token(&expired).await);
    assert_eq!(e.token_type(), Some(TokenType::OAuthToken));
    assert!(e.to_string().contains("expired"), "{e}");
}

#[tokio::test]
async fn other_jwts_get_the_invalid_jwt_type_message() {
    let w = World::new().await;
    let auth = w.verifier();
    let typed = w.emu.mint_jwt(
        MintSpec::new()
            .header("typ", json!("JWT"))
            .claim("sub", json!("user_1")),
    );
    let e = err(auth.verify_machine_token(&typed).await);
    assert_eq!(e.token_type(), Some(TokenType::OAuthToken));
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(
        e.to_string(),
        "Invalid JWT type: JWT. Expected one of: at+jwt, application/at+jwt for OAuth, or sub starting with 'mch_' for M2M"
    );
    let untyped = w.emu.mint_jwt(
        MintSpec::new()
            .without_header("typ")
            .claim("sub", json!("user_1")),
    );
    let e = err(auth.verify_machine_token(&untyped).await);
    assert!(
        e.to_string().starts_with("Invalid JWT type: missing."),
        "{e}"
    );
}

#[tokio::test]
async fn opaque_m2m_token_goes_to_the_backend_api() {
    let w = World::new().await;
    let created = w
        .worker_auth()
        .create_m2m_token(CreateM2MTokenParams::default())
        .await
        .unwrap();
    let token = created.token.clone().unwrap();
    let v = w.verifier().verify_machine_token(&token).await.unwrap();
    assert_eq!(v.token_type(), TokenType::M2MToken);
    assert_eq!(v.as_m2m().unwrap().id, created.id);
    assert_eq!(w.emu.counters().get(Endpoint::VerifyM2MToken), 1);

    let e = err(w
        .verifier()
        .verify_machine_token("mt_00000000000000000000000000000000")
        .await);
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    assert_eq!(e.status(), Some(404));
    assert_eq!(
        e.full_message(),
        "Machine token not found (code=token-invalid, status=404)"
    );
}

#[tokio::test]
async fn opaque_oauth_token_and_api_key_go_to_their_endpoints() {
    let w = World::new().await;
    let auth = w.verifier();
    let oat = w.emu.create_oauth_token("user_1");
    let v = auth.verify_machine_token(&oat).await.unwrap();
    assert_eq!(v.token_type(), TokenType::OAuthToken);
    let ak = w.emu.create_api_key("user_1");
    let v = auth.verify_machine_token(&ak).await.unwrap();
    assert_eq!(v.token_type(), TokenType::ApiKey);
    assert_eq!(w.emu.counters().get(Endpoint::VerifyOAuthToken), 1);
    assert_eq!(w.emu.counters().get(Endpoint::VerifyApiKey), 1);

    let e = err(auth.verify_machine_token("oat_unknown").await);
    assert_eq!(
        (e.token_type(), e.code()),
        (Some(TokenType::OAuthToken), ErrorCode::TokenInvalid)
    );
    assert_eq!(e.to_string(), "OAuth token not found");
    let e = err(auth.verify_machine_token("ak_unknown").await);
    assert_eq!(
        (e.token_type(), e.code()),
        (Some(TokenType::ApiKey), ErrorCode::TokenInvalid)
    );
    assert_eq!(e.to_string(), "API key not found");
}

#[tokio::test]
async fn backend_failures_map_to_unexpected_error_and_bad_keys_to_secret_key_invalid() {
    let w = World::new().await;
    w.emu
        .faults()
        .set(Endpoint::VerifyM2MToken, Fault::status(500));
    let e = err(w
        .verifier()
        .verify_machine_token("mt_00000000000000000000000000000000")
        .await);
    assert_eq!(e.code(), ErrorCode::UnexpectedError);
    assert_eq!(e.to_string(), "Unexpected error");
    assert_eq!(e.status(), Some(500));
    w.emu.faults().clear_all();

    let wrong = MachineAuth::builder()
        .api_url(w.emu.api_url())
        .machine_secret_key(MachineSecretKey::new("ak_wrong").unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = err(wrong
        .verify_machine_token("mt_00000000000000000000000000000000")
        .await);
    assert_eq!(e.code(), ErrorCode::SecretKeyInvalid);
    assert_eq!(e.reason(), Reason::SecretKeyInvalid);
    assert_eq!(e.status(), Some(401));
}

#[tokio::test]
async fn unknown_shapes_are_a_typed_error() {
    let w = World::new().await;
    let auth = w.verifier();
    for token in [
        "",
        "M2M_abc",
        "OAUTH_abc",
        "API_KEY_abc",
        "Bearer",
        "a.b",
        "a.b.c.d",
        "🦀",
    ] {
        let e = err(auth.verify_machine_token(token).await);
        assert!(matches!(e, Error::UnknownTokenType), "{token:?}: {e:?}");
        assert_eq!(e.token_type(), None);
    }
    assert_eq!(w.emu.counters().total(), 0);
}

#[tokio::test]
async fn pem_key_takes_precedence_over_the_jwks() {
    let w = World::new().await;
    let auth = w
        .verifier_builder()
        .jwt_key(w.emu.jwt_public_key_pem())
        .build()
        .unwrap();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    auth.verify_machine_token(&jwt).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 0, "networkless");
}

#[tokio::test]
async fn without_any_jwt_key_source_jwts_fail_to_resolve_a_key() {
    let w = World::new().await;
    let auth = MachineAuth::builder()
        .api_url(w.emu.api_url())
        .machine_secret_key(w.api.secret_key.clone())
        .build()
        .unwrap();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let e = err(auth.verify_machine_token(&jwt).await);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert!(
        e.to_string()
            .contains("Failed to resolve JWK during verification."),
        "{e}"
    );
}

#[tokio::test]
async fn verify_m2m_token_refuses_other_types_without_a_network_call() {
    let w = World::new().await;
    let auth = w.verifier();
    for token in ["ak_x", "oat_x", "whatever"] {
        let e = auth.verify_m2m_token(token).await.unwrap_err();
        assert_eq!(e.reason(), Reason::TokenTypeMismatch, "{token}");
    }
    let oauth = w.emu.mint_jwt(
        MintSpec::new()
            .header("typ", json!("at+jwt"))
            .claim("sub", json!("user_1")),
    );
    let e = auth.verify_m2m_token(&oauth).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenTypeMismatch);
    assert_eq!(w.emu.counters().total(), 0);
}

#[tokio::test]
async fn expected_machine_refuses_tokens_scoped_elsewhere() {
    let w = World::new().await;
    let other = w.emu.create_machine("other", &[]);
    let auth = w
        .verifier_builder()
        .expected_machine(other.id.clone())
        .build()
        .unwrap();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let e = auth.verify_m2m_token(&jwt).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    // Opaque: checked on the Backend API's answer (with the instance key it does not scope-check).
    let opaque = w.opaque().await;
    let by_instance = MachineAuth::builder()
        .api_url(w.emu.api_url())
        .secret_key(w.emu.secret_key())
        .expected_machine(other.id.clone())
        .build()
        .unwrap();
    assert!(by_instance.verify_m2m_token(&opaque).await.is_err());
    let ok = MachineAuth::builder()
        .api_url(w.emu.api_url())
        .secret_key(w.emu.secret_key())
        .expected_machine(w.api.id.clone())
        .build()
        .unwrap();
    ok.verify_m2m_token(&opaque).await.unwrap();
}

#[tokio::test]
async fn jwt_tokens_minted_through_the_api_verify_and_tampered_ones_do_not() {
    let w = World::new().await;
    let params = CreateM2MTokenParams::jwt();
    let jwt = w
        .worker_auth()
        .create_m2m_token(params)
        .await
        .unwrap()
        .token
        .unwrap();
    let auth = w
        .verifier_builder()
        .expected_machine(w.api.id.clone())
        .build()
        .unwrap();
    auth.verify_m2m_token(&jwt).await.unwrap();
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value = serde_json::from_slice(
        &clerk_m2m::dangerous::insecure_decode(&jwt)
            .map(|j| serde_json::to_vec(&j.claims().to_json()).unwrap())
            .unwrap(),
    )
    .unwrap();
    claims["sub"] = json!(w.api.id);
    parts[1] = clerk_token_types::encode_segment(&serde_json::to_vec(&claims).unwrap());
    let e = auth.verify_m2m_token(&parts.join(".")).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
}

#[tokio::test]
async fn a_custom_key_resolver_replaces_pem_and_jwks() {
    let w = World::new().await;
    let resolver = std::sync::Arc::new(PemKeyResolver::new(&w.emu.jwt_public_key_pem()).unwrap());
    let auth = MachineAuth::builder()
        .secret_key(SecretKey::new("sk_test_unused").unwrap())
        .api_url(w.emu.api_url())
        .key_resolver(resolver)
        .build()
        .unwrap();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    auth.verify_m2m_token(&jwt).await.unwrap();
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 0);
}
