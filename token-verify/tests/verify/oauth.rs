//! The OAuth preset (`@clerk/backend`'s `verifyOAuthJwt` and
//! `IdPOAuthAccessToken.fromJwtPayload`, and the "verifyOAuthToken with JWT" cases of its
//! `tokens/__tests__/verify.test.ts`).

use clerk_token_types::TokenType;
use clerk_token_verify::{ErrorCode, Reason, VerifyError};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn verifies_a_valid_oauth_jwt() {
    let (v, _) = oauth();
    let t = v
        .verify(&sign(&oauth_header(), &oauth_payload()))
        .await
        .unwrap();
    assert_eq!(t.id, "oat_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
    assert_eq!(t.client_id, "client_2VTWUzvGC5UhdJCNx6xG1D98edc");
    assert_eq!(t.token_type, TokenType::OAuthToken);
    assert_eq!(t.subject, "user_2vYVtestTESTtestTESTtestTESTtest");
    assert_eq!(t.scopes, ["read:foo", "write:bar"]);
    assert_eq!(t.expiration, Some((IAT + 300) * 1000));
    assert_eq!((t.created_at, t.updated_at), (NOW_MS, NOW_MS));
    assert!(!t.expired && !t.revoked && t.revocation_reason.is_none());
    let j = serde_json::to_value(&t).unwrap();
    assert_eq!(j["type"], "oauth_token");
    assert_eq!(j["client_id"], "client_2VTWUzvGC5UhdJCNx6xG1D98edc");
    assert_eq!(
        j["claims"],
        json!({"client_id": "client_2VTWUzvGC5UhdJCNx6xG1D98edc", "scope": "read:foo write:bar"})
    );
}

#[tokio::test]
async fn scp_wins_over_scope_and_missing_ids_are_empty() {
    let (v, _) = oauth();
    let payload = with(
        oauth_payload(),
        &[
            ("scp", Some(json!(["a", "b"]))),
            ("jti", None),
            ("client_id", None),
        ],
    );
    let t = v.verify(&sign(&oauth_header(), &payload)).await.unwrap();
    assert_eq!(t.scopes, ["a", "b"]);
    assert_eq!((t.id.as_str(), t.client_id.as_str()), ("", ""));
    let payload = with(oauth_payload(), &[("scope", None)]);
    assert!(
        v.verify(&sign(&oauth_header(), &payload))
            .await
            .unwrap()
            .scopes
            .is_empty()
    );
    let payload = with(oauth_payload(), &[("scp", Some(json!("a b")))]);
    let e = v
        .verify(&sign(&oauth_header(), &payload))
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::Mapping { .. }));
}

#[tokio::test]
async fn verifies_jwt_with_typ_application_at_jwt() {
    let (v, _) = oauth();
    let header = with(
        oauth_header(),
        &[("typ", Some(json!("application/at+jwt")))],
    );
    assert!(v.verify(&sign(&header, &oauth_payload())).await.is_ok());
}

#[tokio::test]
async fn fails_if_jwt_type_is_not_at_jwt() {
    let (v, resolver) = oauth();
    let header = with(oauth_header(), &[("typ", Some(json!("JWT")))]);
    let e = v
        .verify(&sign(&header, &oauth_payload()))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT type \"JWT\". Expected \"at+jwt, application/at+jwt\"."
    );
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(e.reason(), Reason::TokenInvalid);
    let header = with(oauth_header(), &[("typ", None)]);
    let e = v
        .verify(&sign(&header, &oauth_payload()))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT type undefined. Expected \"at+jwt, application/at+jwt\"."
    );
    assert_eq!(resolver.calls(), 0);
}

#[tokio::test]
async fn handles_invalid_jwt_format() {
    let (v, _) = oauth();
    let e = v.verify("invalid.jwt.token").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    assert_eq!(e.token_type(), Some(TokenType::OAuthToken));
}

#[tokio::test]
async fn rejects_jwt_with_alg_none() {
    let (v, _) = oauth();
    let header = with(oauth_header(), &[("alg", Some(json!("none")))]);
    let e = v
        .verify(&sign(&header, &oauth_payload()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Invalid JWT algorithm"));
}

#[tokio::test]
async fn rejects_expired_jwt() {
    let (v, _) = oauth();
    let payload = with(oauth_payload(), &[("exp", Some(json!(IAT - 3600)))]);
    let e = v
        .verify(&sign(&oauth_header(), &payload))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("expired"));
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
}

/// "classifies an at+jwt token with %s sub as OAuth instead of throwing".
#[tokio::test]
async fn missing_null_numeric_or_object_sub_is_a_typed_error() {
    let (v, _) = oauth();
    for (sub, shown) in [
        (None, "undefined"),
        (Some(json!(null)), "null"),
        (Some(json!(12345)), "12345"),
        (Some(json!({"id": "x"})), "{\"id\":\"x\"}"),
    ] {
        let e = v
            .verify(&sign(
                &oauth_header(),
                &with(oauth_payload(), &[("sub", sub)]),
            ))
            .await
            .unwrap_err();
        assert_eq!(e.token_type(), Some(TokenType::OAuthToken));
        assert_eq!(
            e.to_string(),
            format!("Subject claim (sub) is required and must be a string. Received {shown}.")
        );
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
}

#[tokio::test]
async fn oauth_audience_rule() {
    let (v, _) = oauth();
    let token = sign(
        &oauth_header(),
        &with(
            oauth_payload(),
            &[("aud", Some(json!("https://api.example")))],
        ),
    );
    assert!(
        v.clone()
            .with_audience(["https://api.example"])
            .verify(&token)
            .await
            .is_ok()
    );
    let e = v
        .clone()
        .with_audience(["https://other.example"])
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT audience claim (aud) \"https://api.example\". Is not included in \"[\"https://other.example\"]\"."
    );
    // Without a configured audience the claim is not checked.
    assert!(v.verify(&token).await.is_ok());
}
