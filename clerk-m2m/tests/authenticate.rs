//! `authenticate_request`: `@clerk/backend`'s decision table (`tokens/request.ts`) for bearer tokens and the
//! Authorization header edge cases of its header reading.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_bapi_emulator::{Endpoint, MintSpec};
use clerk_m2m::{AcceptsToken, AuthState, ErrorCode, Reason, SignedOutReason, TokenType};
use common::World;
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use serde_json::json;

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}

fn raw(value: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(AUTHORIZATION, HeaderValue::from_static(value));
    h
}

fn signed_out(s: &AuthState) -> (Option<TokenType>, SignedOutReason, String) {
    match s {
        AuthState::SignedOut(o) => (o.token_type, o.reason, o.message.clone()),
        other => panic!("expected signed out, got {other:?}"),
    }
}

#[tokio::test]
async fn default_accepts_m2m_and_signs_in_an_opaque_token() {
    let w = World::new().await;
    let auth = w.verifier();
    assert_eq!(
        auth.accepts_token(),
        &AcceptsToken::One(TokenType::M2MToken)
    );
    let token = w.opaque().await;
    let state = auth.authenticate_request(&bearer(&token)).await;
    let obj = state.auth_object().expect("signed in");
    assert_eq!(obj.token_type(), TokenType::M2MToken);
    assert!(obj.id().starts_with("mt_"));
    assert_eq!(obj.subject(), w.worker.id);
    assert_eq!(obj.machine_id(), Some(w.worker.id.as_str()));
    assert_eq!(obj.scopes(), std::slice::from_ref(&w.api.id));
    assert_eq!(obj.token(), token);
    assert!(
        state.headers().is_empty(),
        "no debug headers when signed in"
    );
    assert!(
        !format!("{state:?}").contains(&token),
        "Debug redacts the token"
    );
}

#[tokio::test]
async fn m2m_jwt_signs_in_with_claims() {
    let w = World::new().await;
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).claim("role", json!("svc")));
    let state = w.verifier().authenticate_request(&bearer(&jwt)).await;
    let obj = state.auth_object().expect("signed in");
    assert_eq!(obj.claims().unwrap()["role"], "svc");
    assert!(obj.has_scope(&w.api.id));
}

#[tokio::test]
async fn no_token_with_a_machine_type_expected_is_no_token_in_header() {
    let w = World::new().await;
    for t in [
        TokenType::M2MToken,
        TokenType::ApiKey,
        TokenType::OAuthToken,
    ] {
        let s = w
            .verifier_accepting(t)
            .authenticate_request(&HeaderMap::new())
            .await;
        assert_eq!(
            signed_out(&s),
            (Some(t), SignedOutReason::NoTokenInHeader, String::new())
        );
        assert_eq!(s.headers()["x-clerk-auth-reason"], "No token in header");
        assert_eq!(s.headers()["x-clerk-auth-status"], "signed-out");
    }
}

#[tokio::test]
async fn single_machine_type_mismatch_is_typed_as_the_expected_type_without_verification() {
    let w = World::new().await;
    let ak = w.emu.create_api_key("user_1");
    let oat = w.emu.create_oauth_token("user_1");
    let m2m = w.opaque().await;
    let cases = [
        (TokenType::OAuthToken, ak.clone()), // API key provided, OAuth expected
        (TokenType::M2MToken, oat.clone()),  // OAuth provided, M2M expected
        (TokenType::ApiKey, m2m.clone()),    // M2M provided, API key expected
        (TokenType::M2MToken, "not_a_machine_token".to_owned()),
    ];
    let before = w.emu.counters().total();
    for (expected, token) in cases {
        let s = w
            .verifier_accepting(expected)
            .authenticate_request(&bearer(&token))
            .await;
        assert_eq!(
            signed_out(&s),
            (
                Some(expected),
                SignedOutReason::TokenTypeMismatch,
                String::new()
            )
        );
    }
    assert_eq!(
        w.emu.counters().total(),
        before,
        "no verification call on a mismatch"
    );
}

#[tokio::test]
async fn session_token_given_where_a_machine_token_is_expected_is_a_mismatch() {
    let w = World::new().await;
    let session = w.emu.mint_jwt(
        MintSpec::new()
            .category("cl_B7d4PD111AAA")
            .claim("sub", json!("user_1")),
    );
    let s = w
        .verifier_accepting(TokenType::M2MToken)
        .authenticate_request(&bearer(&session))
        .await;
    assert_eq!(signed_out(&s).0, Some(TokenType::M2MToken));
    assert_eq!(signed_out(&s).1, SignedOutReason::TokenTypeMismatch);
}

#[tokio::test]
async fn failed_machine_verification_reports_code_and_full_message() {
    let w = World::new().await;
    let s = w
        .verifier()
        .authenticate_request(&bearer("mt_00000000000000000000000000000000"))
        .await;
    assert_eq!(
        signed_out(&s),
        (
            Some(TokenType::M2MToken),
            SignedOutReason::Code(ErrorCode::TokenInvalid),
            "Machine token not found (code=token-invalid, status=404)".to_owned()
        )
    );
    let h = s.headers();
    assert_eq!(h["x-clerk-auth-reason"], "token-invalid");
    assert_eq!(
        h["x-clerk-auth-message"],
        "Machine token not found (code=token-invalid, status=404)"
    );

    let expired = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).expired());
    let s = w.verifier().authenticate_request(&bearer(&expired)).await;
    let (tt, reason, message) = signed_out(&s);
    assert_eq!(tt, Some(TokenType::M2MToken));
    assert_eq!(
        reason,
        SignedOutReason::Code(ErrorCode::TokenVerificationFailed)
    );
    assert!(message.starts_with("JWT is expired."), "{message}");
    assert!(
        message.ends_with("(code=token-verification-failed, status=n/a)"),
        "{message}"
    );
}

#[tokio::test]
async fn any_accepts_every_machine_type() {
    let w = World::new().await;
    let auth = w.verifier_accepting(AcceptsToken::Any);
    let tokens = [
        (TokenType::M2MToken, w.opaque().await),
        (
            TokenType::M2MToken,
            w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id)),
        ),
        (TokenType::ApiKey, w.emu.create_api_key("user_1")),
        (TokenType::OAuthToken, w.emu.create_oauth_token("user_1")),
    ];
    for (tt, token) in tokens {
        let s = auth.authenticate_request(&bearer(&token)).await;
        assert_eq!(s.auth_object().map(|a| a.token_type()), Some(tt), "{s:?}");
    }
}

#[tokio::test]
async fn lists_check_membership_first_with_no_token_type_on_mismatch() {
    let w = World::new().await;
    let machines_only = w.verifier_accepting(vec![TokenType::ApiKey, TokenType::M2MToken]);
    // A machine token in the list signs in.
    let s = machines_only
        .authenticate_request(&bearer(&w.opaque().await))
        .await;
    assert!(s.is_authenticated());
    // A machine type not in the list: token type null, mismatch.
    let s = machines_only
        .authenticate_request(&bearer(&w.emu.create_oauth_token("user_1")))
        .await;
    assert_eq!(
        signed_out(&s),
        (None, SignedOutReason::TokenTypeMismatch, String::new())
    );
    // A session-looking token, and no token at all, count as session_token: not in the list.
    let session = w.emu.mint_jwt(
        MintSpec::new()
            .category("cl_B7d4PD111AAA")
            .claim("sub", json!("user_1")),
    );
    let s = machines_only.authenticate_request(&bearer(&session)).await;
    assert_eq!(
        signed_out(&s),
        (None, SignedOutReason::TokenTypeMismatch, String::new())
    );
    let s = machines_only.authenticate_request(&HeaderMap::new()).await;
    assert_eq!(
        signed_out(&s),
        (None, SignedOutReason::TokenTypeMismatch, String::new())
    );

    // Mixed lists accept machine tokens.
    let mixed = w.verifier_accepting(vec![TokenType::SessionToken, TokenType::M2MToken]);
    assert!(
        mixed
            .authenticate_request(&bearer(&w.opaque().await))
            .await
            .is_authenticated()
    );
}

#[tokio::test]
async fn session_only_rejects_machine_jwts_and_non_session_categories_without_verification() {
    let w = World::new().await;
    let auth = w.verifier_accepting(TokenType::SessionToken);
    let m2m_jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let oauth_jwt = w.emu.mint_jwt(
        MintSpec::new()
            .header("typ", json!("at+jwt"))
            .claim("sub", json!("user_1")),
    );
    let template = w.emu.mint_jwt(
        MintSpec::new()
            .category("cl_B7d4PD222AAA")
            .claim("sub", json!("user_1")),
    );
    for token in [&m2m_jwt, &oauth_jwt, &template] {
        let s = auth.authenticate_request(&bearer(token)).await;
        assert_eq!(
            signed_out(&s),
            (
                Some(TokenType::SessionToken),
                SignedOutReason::TokenTypeMismatch,
                String::new()
            )
        );
    }
    assert_eq!(w.emu.counters().get(Endpoint::Jwks), 0);

    // An opaque mt_ token as a session token fails decoding: token-invalid.
    let s = auth.authenticate_request(&bearer("mt_123")).await;
    assert_eq!(
        signed_out(&s).1,
        SignedOutReason::Reason(Reason::TokenInvalid)
    );

    // A real session-category token verifies as a session.
    let session = w.emu.mint_jwt(
        MintSpec::new()
            .category("cl_B7d4PD111AAA")
            .claim("sub", json!("user_1")),
    );
    let s = auth.authenticate_request(&bearer(&session)).await;
    let obj = s.auth_object().expect("session signs in");
    assert_eq!(obj.token_type(), TokenType::SessionToken);
    assert_eq!(obj.subject(), "user_1");
}

#[tokio::test]
async fn authorization_header_edge_cases() {
    let w = World::new().await;
    let auth = w.verifier();
    let token = w.opaque().await;
    // No scheme: the value is the token.
    let mut h = HeaderMap::new();
    h.insert(AUTHORIZATION, HeaderValue::from_str(&token).unwrap());
    assert!(auth.authenticate_request(&h).await.is_authenticated());
    // Lower-case scheme and other schemes: no token.
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("bearer {token}")).unwrap(),
    );
    assert_eq!(
        signed_out(&auth.authenticate_request(&h).await).1,
        SignedOutReason::NoTokenInHeader
    );
    assert_eq!(
        signed_out(&auth.authenticate_request(&raw("Basic dXNlcjpwYXNz")).await).1,
        SignedOutReason::NoTokenInHeader
    );
    // "Bearer " gives the token "Bearer", which is no machine token.
    assert_eq!(
        signed_out(&auth.authenticate_request(&raw("Bearer ")).await).1,
        SignedOutReason::TokenTypeMismatch
    );
}
