//! `@clerk/backend`'s `jwt/__tests__/verifyJwt.test.ts`, case by case. Its generic `verifyJwt` is
//! our session preset (default `typ` "JWT"), or the OAuth preset where a `headerType` array of
//! OAuth types is given. Fake time is `iat`.

use std::sync::Arc;

use clerk_jwks_cache::{PemKeyResolver, StaticJwksResolver};
use clerk_token_verify::{ErrorCode, FixedClock, Reason, Verifier, VerifyError};
use serde_json::json;

use crate::common::*;

// --- hasValidSignature ---

#[tokio::test]
async fn verifies_the_signature_with_a_jwk_formatted_key() {
    let set = json!({"keys": [public_jwk("RS256")]}).to_string();
    let v = Verifier::session(Arc::new(StaticJwksResolver::from_json(&set).unwrap()))
        .with_clock(clock());
    assert!(
        v.verify(&sign(&session_header(), &session_payload()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn verifies_the_signature_with_a_pem_formatted_key() {
    let v =
        Verifier::session(Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap())).with_clock(clock());
    assert!(
        v.verify(&sign(&session_header(), &session_payload()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn returns_false_if_the_key_is_not_correct() {
    let (v, _) = session();
    let e = v
        .verify(&sign_with(OTHER_KEY, &session_header(), &session_payload()))
        .await
        .unwrap_err();
    // A valid but wrong key is "signature invalid", not a failure to check.
    assert!(matches!(e, VerifyError::InvalidSignature { .. }));
}

// --- decodeJwt ---

#[tokio::test]
async fn decode_errors() {
    let (v, _) = session();
    for (token, msg) in [
        (
            "",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "null",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "undefined",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "whatever",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "42",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "aaa.bbb.ccc",
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
        ),
        (
            "YWJj.YWJj.YWJj",
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
        ),
    ] {
        let e = v.verify(token).await.unwrap_err();
        assert_eq!(e.to_string(), msg, "{token:?}");
        assert_eq!(e.reason(), Reason::TokenInvalid);
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
    }
}

// --- verifyJwt ---

#[tokio::test]
async fn returns_the_valid_payload_if_valid_key_issuer_and_azp_are_given() {
    let (v, _) = session();
    let token = sign(&session_header(), &session_payload());
    // `@clerk/backend` ignores its `issuer` option; ours is opt-in and exact.
    let v = v.with_authorized_parties(["https://accounts.inspired.puma-74.lcl.dev"]);
    assert!(v.verify(&token).await.is_ok());
    assert!(
        v.clone()
            .with_issuer("https://clerk.inspired.puma-74.lcl.dev")
            .verify(&token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn returns_the_valid_payload_with_a_list_of_azp_including_an_empty_string() {
    let (v, _) = session();
    let v = v.with_authorized_parties(["", "https://accounts.inspired.puma-74.lcl.dev"]);
    assert!(
        v.verify(&sign(&session_header(), &session_payload()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn verifies_jwt_with_default_and_explicit_header_type_jwt() {
    let (v, _) = session();
    assert!(
        v.verify(&sign(&session_header(), &session_payload()))
            .await
            .is_ok()
    );
    let header = with(session_header(), &[("typ", None)]);
    assert!(v.verify(&sign(&header, &session_payload())).await.is_ok());
}

#[tokio::test]
async fn verifies_oauth_jwt_with_header_type_array() {
    let (v, _) = oauth();
    for typ in ["at+jwt", "application/at+jwt"] {
        let header = with(oauth_header(), &[("typ", Some(json!(typ)))]);
        assert!(
            v.verify(&sign(&header, &oauth_payload())).await.is_ok(),
            "{typ}"
        );
    }
}

#[tokio::test]
async fn rejects_jwt_when_header_type_does_not_match() {
    let (v, _) = oauth();
    let e = v
        .verify(&sign(&session_header(), &session_payload()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Expected \"at+jwt"), "{e}");
    assert!(
        e.to_string()
            .contains("Expected \"at+jwt, application/at+jwt\""),
        "{e}"
    );
}

#[tokio::test]
async fn rejects_jwt_with_missing_type_when_header_type_is_configured() {
    let (v, _) = oauth();
    let header = with(oauth_header(), &[("typ", None)]);
    let e = v
        .verify(&sign(&header, &oauth_payload()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Invalid JWT type undefined"), "{e}");
}

#[tokio::test]
async fn rejects_oauth_jwt_when_header_type_does_not_match() {
    let (v, _) = session();
    let e = v
        .verify(&sign(&oauth_header(), &session_payload()))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT type \"at+jwt\". Expected \"JWT\"."
    );
}

#[tokio::test]
async fn verifies_jwt_when_array_aud_includes_the_configured_audience() {
    let (v, _) = m2m();
    let v = v.with_audience(["mch_1xxxxx"]);
    assert!(v.verify(&sign(&m2m_header(), &m2m_payload())).await.is_ok());
}

#[tokio::test]
async fn rejects_jwt_when_array_aud_does_not_include_the_configured_audience() {
    let (v, _) = m2m();
    let v = v.with_audience(["mch_other"]);
    let e = v
        .verify(&sign(&m2m_header(), &m2m_payload()))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("Invalid JWT audience claim array"),
        "{e}"
    );
    assert_eq!(e.reason(), Reason::TokenVerificationFailed);
}

async fn verify_at(skew: Option<f64>, now_ms: i64) -> Result<(), VerifyError> {
    let (mut v, _) = m2m();
    if let Some(s) = skew {
        v = v.with_clock_skew_ms(s);
    }
    let v = v.with_clock(Arc::new(FixedClock(now_ms)));
    v.verify(&sign(&m2m_header(), &m2m_payload()))
        .await
        .map(|_| ())
}

const EXP_MS: i64 = (IAT + 300) * 1000;

#[tokio::test]
async fn rejects_an_expired_jwt_when_clock_skew_is_explicitly_0() {
    let e = verify_at(Some(0.0), EXP_MS + 1000).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenExpired);
}

#[tokio::test]
async fn accepts_a_recently_expired_jwt_within_the_default_clock_skew() {
    assert!(verify_at(None, EXP_MS + 1000).await.is_ok());
}

#[tokio::test]
async fn falls_back_to_the_default_clock_skew_when_it_is_nan() {
    assert!(verify_at(Some(f64::NAN), EXP_MS + 1000).await.is_ok());
    assert_eq!(
        verify_at(Some(f64::NAN), EXP_MS + 60_000)
            .await
            .unwrap_err()
            .reason(),
        Reason::TokenExpired
    );
}

#[tokio::test]
async fn falls_back_to_the_default_clock_skew_when_it_is_infinity() {
    assert_eq!(
        verify_at(Some(f64::INFINITY), EXP_MS + 3_600_000)
            .await
            .unwrap_err()
            .reason(),
        Reason::TokenExpired
    );
}
