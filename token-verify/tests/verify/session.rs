//! The session preset (`@clerk/backend`'s `verifyToken`).

use clerk_token_verify::{ErrorCode, Reason};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn verifies_the_provided_session_jwt() {
    let (v, _) = session();
    let c = v
        .verify(&sign(&session_header(), &session_payload()))
        .await
        .unwrap();
    assert_eq!(c.subject(), "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(
        c.claims.extra.get("sid"),
        Some(&json!("sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9"))
    );
}

#[tokio::test]
async fn returns_signature_error_before_claims_error_when_both_are_invalid() {
    let (v, _) = session();
    let payload = with(session_payload(), &[("exp", Some(json!(IAT - 3600)))]);
    let e = v
        .verify(&sign_with(OTHER_KEY, &session_header(), &payload))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("signature"));
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
}

#[tokio::test]
async fn session_codes_follow_the_reason() {
    let (v, _) = session();
    let header = with(session_header(), &[("typ", Some(json!("at+jwt")))]);
    let e = v
        .verify(&sign(&header, &session_payload()))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT type \"at+jwt\". Expected \"JWT\"."
    );
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    let payload = with(session_payload(), &[("iat", Some(json!(IAT + 60)))]);
    let e = v
        .verify(&sign(&session_header(), &payload))
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenIatInTheFuture);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    // A subject of any prefix is fine for sessions.
    assert!(
        v.verify(&sign(
            &session_header(),
            &with(session_payload(), &[("sub", Some(json!("")))])
        ))
        .await
        .is_ok()
    );
}
