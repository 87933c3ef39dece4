//! The M2M preset end to end (`@clerk/backend`'s `verifyM2MJwt`, and the "verifyM2MToken with JWT"
//! cases of its `tokens/__tests__/verify.test.ts`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clerk_jwks_cache::{PemKeyResolver, StaticJwksResolver};
use clerk_token_types::{DecodeOptions, Jwt};
use clerk_token_verify::{
    ErrorCode, FixedClock, M2m, Reason, Stage, TokenType, Verifier, VerifyError,
};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn verifies_a_valid_m2m_jwt() {
    let (v, resolver) = m2m();
    let t = v
        .verify(&sign(&m2m_header(), &m2m_payload()))
        .await
        .unwrap();
    assert_eq!(t.id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
    assert_eq!(t.subject, "mch_2vYVtestTESTtestTESTtestTESTtest");
    assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
    assert_eq!(
        t.claims,
        Some(json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"], "scopes": "mch_1xxxxx mch_2xxxxx"}))
    );
    assert_eq!(t.expiration, Some((IAT + 300) * 1000));
    assert_eq!((t.created_at, t.updated_at), (NOW_MS, NOW_MS));
    assert!(!t.expired && !t.revoked);
    assert_eq!(t.token, None);
    // The warm path: one lock-free cache lookup, no asynchronous resolve.
    assert_eq!(resolver.calls(), 1);
}

#[tokio::test]
async fn verifies_a_valid_m2m_jwt_with_no_cat_header_rollout_window() {
    let (v, _) = m2m();
    let header = with(m2m_header(), &[("cat", None)]);
    assert!(v.verify(&sign(&header, &m2m_payload())).await.is_ok());
    let header = with(m2m_header(), &[("cat", None), ("typ", None)]);
    assert!(v.verify(&sign(&header, &m2m_payload())).await.is_ok());
}

#[tokio::test]
async fn rejects_m2m_jwt_with_alg_none() {
    let (v, resolver) = m2m();
    let header = json!({"alg": "none", "kid": KID, "typ": "JWT", "cat": CAT_M2M});
    let unsigned = format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(m2m_payload().to_string().as_bytes())
    );
    for token in [unsigned.clone(), format!("{unsigned}c2ln")] {
        let e = v.verify(&token).await.unwrap_err();
        assert!(
            e.to_string().contains("Invalid JWT") || e.reason() == Reason::TokenInvalid,
            "{e}"
        );
        assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    }
    let e = v.verify(&format!("{unsigned}c2ln")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT algorithm \"none\". Supported: RS256,RS384,RS512."
    );
    assert_eq!(e.reason(), Reason::TokenInvalidAlgorithm);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(resolver.calls(), 0);
}

#[tokio::test]
async fn rejects_expired_m2m_jwt() {
    let (v, _) = m2m();
    let payload = with(m2m_payload(), &[("exp", Some(json!(IAT - 60)))]);
    let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert!(e.to_string().contains("expired"));
    assert_eq!(
        e.to_string(),
        "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:49:50 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
    );
    assert_eq!(e.reason(), Reason::TokenExpired);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
}

#[tokio::test]
async fn m2m_requires_a_machine_subject() {
    let (v, _) = m2m();
    let payload = with(m2m_payload(), &[("sub", Some(json!("user_123")))]);
    let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid M2M JWT subject claim (sub) \"user_123\". Expected a machine ID starting with \"mch_\"."
    );
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    let payload = with(m2m_payload(), &[("sub", Some(json!(42)))]);
    let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Subject claim (sub) is required and must be a string. Received 42."
    );
}

#[tokio::test]
async fn m2m_type_rule() {
    let (v, _) = m2m();
    for typ in ["at+jwt", "application/at+jwt", "jwt", ""] {
        let header = with(m2m_header(), &[("typ", Some(json!(typ)))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Invalid JWT type \"{typ}\". Expected \"JWT\".")
        );
        assert_eq!(e.reason(), Reason::TokenInvalid);
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
}

#[tokio::test]
async fn unknown_kid_is_a_key_error_with_its_reason() {
    let (v, _) = m2m();
    let header = with(m2m_header(), &[("kid", Some(json!("ins_someone_else")))]);
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert!(matches!(e, VerifyError::Key { .. }), "{e:?}");
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert!(e.to_string().contains("kid='ins_someone_else'"), "{e}");
}

#[tokio::test]
async fn pem_resolver_ignores_kid_and_verifies_rs256() {
    let v = Verifier::m2m(Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap())).with_clock(clock());
    for kid in [Some(json!("anything")), None] {
        let header = with(m2m_header(), &[("kid", kid)]);
        assert!(v.verify(&sign(&header, &m2m_payload())).await.is_ok());
    }
    // A PEM key is RS256-only (as in `@clerk/backend`): an RS384 token cannot verify with it.
    let header = with(m2m_header(), &[("alg", Some(json!("RS384")))]);
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_ne!(e.reason(), Reason::TokenInvalidSignature);
}

#[tokio::test]
async fn rs384_and_rs512_with_matching_keys() {
    for alg in ["RS384", "RS512"] {
        let set = json!({"keys": [public_jwk(alg)]}).to_string();
        let v = Verifier::m2m(Arc::new(StaticJwksResolver::from_json(&set).unwrap()))
            .with_clock(clock());
        let header = with(m2m_header(), &[("alg", Some(json!(alg)))]);
        assert!(
            v.verify(&sign(&header, &m2m_payload())).await.is_ok(),
            "{alg}"
        );
        // The RS256-signed token is refused by a key bound to another algorithm.
        assert!(
            v.verify(&sign(&m2m_header(), &m2m_payload()))
                .await
                .is_err(),
            "{alg}"
        );
    }
}

/// `@clerk/backend`'s `tokens/__tests__/verify.test.ts` "returns signature error before claims
/// error when both are invalid".
#[tokio::test]
async fn signature_error_wins_over_claim_errors() {
    let (v, _) = m2m();
    let payload = json!({"sub": 5, "exp": "later", "nbf": IAT + 9999, "iat": IAT + 9999, "aud": 1});
    let token = sign_with(OTHER_KEY, &m2m_header(), &payload);
    let e = v
        .clone()
        .with_audience(["x"])
        .with_authorized_parties(["y"])
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
    assert!(e.to_string().contains("signature"));
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
}

#[tokio::test]
async fn audience_authorized_parties_issuer_and_machine_options() {
    let (v, _) = m2m();
    let token = sign(
        &m2m_header(),
        &with(
            m2m_payload(),
            &[("azp", Some(json!("https://app.example")))],
        ),
    );
    assert!(
        v.clone()
            .with_audience(["mch_2xxxxx"])
            .verify(&token)
            .await
            .is_ok()
    );
    let e = v
        .clone()
        .with_audience(["mch_me"])
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT audience claim array (aud) [\"mch_1xxxxx\",\"mch_2xxxxx\"]. Is not included in \"[\"mch_me\"]\"."
    );
    assert!(
        v.clone()
            .with_authorized_parties(["https://app.example"])
            .verify(&token)
            .await
            .is_ok()
    );
    let e = v
        .clone()
        .with_authorized_parties(["https://other.example"])
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidAuthorizedParties);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);

    assert!(
        v.clone()
            .with_issuer("https://clerk.m2m.example.test")
            .verify(&token)
            .await
            .is_ok()
    );
    let e = v
        .clone()
        .with_issuer("https://evil.example")
        .verify(&token)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::InvalidIssuer { .. }));

    assert!(
        v.clone()
            .with_expected_machine("mch_1xxxxx")
            .verify(&token)
            .await
            .is_ok()
    );
    let e = v
        .clone()
        .with_expected_machine("mch_3xxxxx")
        .verify(&token)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::MachineNotInScope { .. }));
    // Scopes alone (no aud) also scope a token to a machine.
    let token = sign(&m2m_header(), &with(m2m_payload(), &[("aud", None)]));
    assert!(
        v.clone()
            .with_expected_machine("mch_2xxxxx")
            .verify(&token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn clock_skew_option() {
    let (v, _) = m2m();
    let token = sign(&m2m_header(), &m2m_payload());
    let at = |ms: i64| Arc::new(FixedClock(ms));
    let exp_ms = (IAT + 300) * 1000;
    // Default 5000 ms.
    assert!(
        v.clone()
            .with_clock(at(exp_ms + 4000))
            .verify(&token)
            .await
            .is_ok()
    );
    assert!(
        v.clone()
            .with_clock(at(exp_ms + 5000))
            .verify(&token)
            .await
            .is_err()
    );
    // 0 is allowed: exp == now is expired.
    assert!(
        v.clone()
            .with_clock_skew_ms(0.0)
            .with_clock(at(exp_ms - 1))
            .verify(&token)
            .await
            .is_ok()
    );
    assert!(
        v.clone()
            .with_clock_skew_ms(0.0)
            .with_clock(at(exp_ms))
            .verify(&token)
            .await
            .is_err()
    );
    // Non-finite falls back to 5000 (a negative skew is used as given: deviations.rs).
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let v = v.clone().with_clock_skew_ms(bad);
        assert_eq!(v.claim_rules().clock_skew.as_ms(), 5000.0);
        assert!(
            v.clone()
                .with_clock(at(exp_ms + 4000))
                .verify(&token)
                .await
                .is_ok()
        );
        assert!(
            v.with_clock(at(exp_ms + 60_000))
                .verify(&token)
                .await
                .is_err()
        );
    }
    // The M2MToken's `expired` uses the verifier's skew, so a token that passed is not "expired".
    let t = v
        .clone()
        .with_clock_skew_ms(120_000.0)
        .with_clock(at(exp_ms + 1000))
        .verify(&token)
        .await
        .unwrap();
    assert!(!t.expired);
}

#[tokio::test]
async fn checks_run_after_the_signature_before_or_after_the_claim_rules() {
    let (v, _) = m2m();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let require_role = Arc::new(move |jwt: &Jwt, _now: i64| {
        counter.fetch_add(1, Ordering::SeqCst);
        match jwt.claims().extra.get("role").and_then(|r| r.as_str()) {
            Some("service") => Ok(()),
            _ => Err(VerifyError::custom(
                Reason::TokenVerificationFailed,
                "A service role is required.",
            )),
        }
    });
    let expired = sign(
        &m2m_header(),
        &with(m2m_payload(), &[("exp", Some(json!(IAT - 600)))]),
    );

    let before = v
        .clone()
        .with_check(Stage::BeforeClaims, require_role.clone());
    let e = before.verify(&expired).await.unwrap_err();
    assert_eq!(e.to_string(), "A service role is required.");
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);

    let after = v
        .clone()
        .with_check(Stage::AfterClaims, require_role.clone());
    assert_eq!(
        after.verify(&expired).await.unwrap_err().reason(),
        Reason::TokenExpired
    );

    let good = sign(
        &m2m_header(),
        &with(m2m_payload(), &[("role", Some(json!("service")))]),
    );
    assert!(after.verify(&good).await.is_ok());
    let seen = calls.load(Ordering::SeqCst);
    // A forged token never reaches a check.
    let forged = sign_with(OTHER_KEY, &m2m_header(), &m2m_payload());
    assert_eq!(
        before.verify(&forged).await.unwrap_err().reason(),
        Reason::TokenInvalidSignature
    );
    assert_eq!(calls.load(Ordering::SeqCst), seen);
}

#[tokio::test]
async fn mapping_errors_are_typed() {
    let (v, _) = m2m();
    let token = sign(
        &m2m_header(),
        &with(m2m_payload(), &[("scopes", Some(json!(["mch_1"])))]),
    );
    let e = v.verify(&token).await.unwrap_err();
    assert!(matches!(e, VerifyError::Mapping { .. }), "{e:?}");
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
}

#[tokio::test]
async fn decode_errors_and_size_cap() {
    let (v, resolver) = m2m();
    for bad in ["", "null", "whatever", "42", "a.b", "a.b.c.d"] {
        let e = v.verify(bad).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
            "{bad}"
        );
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
        assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    }
    for bad in ["aaa.bbb.ccc", "YWJj.YWJj.YWJj", "invalid.jwt.token"] {
        let e = v.verify(bad).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
            "{bad}"
        );
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
    }
    let token = sign(&m2m_header(), &m2m_payload());
    let capped = v
        .clone()
        .with_decode_options(DecodeOptions::new().with_max_token_bytes(64));
    let e = capped.verify(&token).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    let huge = "a".repeat(1 << 20);
    assert_eq!(
        v.verify(&huge).await.unwrap_err().code(),
        ErrorCode::TokenInvalid
    );
    assert_eq!(resolver.calls(), 0);
}

#[tokio::test]
async fn verify_jwt_takes_a_decoded_token() {
    let (v, _) = m2m();
    let jwt = clerk_token_types::dangerous::insecure_decode(&sign(&m2m_header(), &m2m_payload()))
        .unwrap();
    assert_eq!(
        v.verify_jwt(&jwt).await.unwrap().subject,
        "mch_2vYVtestTESTtestTESTtestTESTtest"
    );
}

#[test]
fn verifier_and_its_future_are_send_and_sync() {
    fn send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let (v, _) = m2m();
    send_sync(&v);
    send(v.verify("a.b.c"));
    let dbg = format!("{v:?}");
    assert!(dbg.contains("M2MToken"), "{dbg}");
    let _: Verifier<M2m> = v;
}
