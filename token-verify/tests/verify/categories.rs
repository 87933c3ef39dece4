//! The `cat` header table for the M2M and session presets. Every rejection happens before any key
//! lookup: the counting resolver proves it.

use clerk_token_verify::{ErrorCode, Reason, TokenType, VerifyError};
use serde_json::{Value, json};

use crate::common::*;

/// (label, `cat` member: `None` = absent, accepted by M2M, accepted by session)
fn table() -> Vec<(&'static str, Option<Value>, bool, bool)> {
    vec![
        ("absent", None, true, true),
        ("M2M", Some(json!(CAT_M2M)), true, false),
        ("session", Some(json!(CAT_SESSION)), false, true),
        ("template", Some(json!(CAT_TEMPLATE)), false, false),
        ("ignore", Some(json!(CAT_IGNORE)), false, true),
        (
            "unknown string",
            Some(json!("cl_some_future_unknown_cat")),
            false,
            false,
        ),
        ("empty string", Some(json!("")), false, false),
        ("null", Some(Value::Null), false, false),
        ("number", Some(json!(333)), false, false),
    ]
}

fn header_with_cat(base: Value, cat: &Option<Value>) -> Value {
    with(base, &[("cat", cat.clone())])
}

#[tokio::test]
async fn m2m_category_table() {
    for (label, cat, m2m_ok, _) in table() {
        let (v, resolver) = m2m();
        let token = sign(&header_with_cat(m2m_header(), &cat), &m2m_payload());
        let result = v.verify(&token).await;
        if m2m_ok {
            let t = result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(t.subject, "mch_2vYVtestTESTtestTESTtestTESTtest");
            assert!(resolver.calls() > 0);
        } else {
            let e = result.err().unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(
                matches!(e, VerifyError::InvalidCategory { .. }),
                "{label}: {e:?}"
            );
            assert_eq!(e.to_string(), "Invalid M2M JWT category.", "{label}");
            assert_eq!(e.code(), ErrorCode::TokenInvalid, "{label}");
            assert_eq!(e.reason(), Reason::TokenInvalid, "{label}");
            assert_eq!(e.token_type(), Some(TokenType::M2MToken), "{label}");
            assert_eq!(resolver.calls(), 0, "{label}: the key was looked up");
        }
    }
}

#[tokio::test]
async fn session_category_table() {
    for (label, cat, _, session_ok) in table() {
        let (v, resolver) = session();
        let token = sign(&header_with_cat(session_header(), &cat), &session_payload());
        let result = v.verify(&token).await;
        if session_ok {
            let c = result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(c.subject(), "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
            assert!(resolver.calls() > 0);
        } else {
            let e = result.err().unwrap_or_else(|| panic!("{label}: accepted"));
            assert_eq!(e.to_string(), "Invalid session token category.", "{label}");
            assert_eq!(e.code(), ErrorCode::TokenInvalid, "{label}");
            assert_eq!(e.reason(), Reason::TokenInvalid, "{label}");
            assert_eq!(e.token_type(), Some(TokenType::SessionToken), "{label}");
            assert_eq!(resolver.calls(), 0, "{label}: the key was looked up");
        }
    }
}

/// `@clerk/backend`'s `tokens/__tests__/verify.test.ts` "rejects a JWT tagged with the M2M category
/// before key resolution (AISEC-91)":
/// an M2M `cat` on a `user_` token, no key available at all.
#[tokio::test]
async fn session_rejects_m2m_category_before_key_resolution() {
    let (v, resolver) = session();
    let mut header = session_header();
    header["cat"] = json!(CAT_M2M);
    header["kid"] = json!("ins_unknown_kid_nobody_has");
    let e = v
        .verify(&sign(&header, &session_payload()))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Invalid session token category.");
    assert_eq!(e.reason(), Reason::TokenInvalid);
    assert_eq!(resolver.calls(), 0);
}

/// `@clerk/backend`'s `tokens/__tests__/verify.test.ts` "rejects M2M JWT masquerading with a
/// non-M2M cat": even a bad signature and an unknown kid are never reached.
#[tokio::test]
async fn m2m_category_rejection_precedes_signature_and_key() {
    for cat in [CAT_SESSION, CAT_TEMPLATE, "cl_some_future_unknown_cat"] {
        let (v, resolver) = m2m();
        let header = json!({"alg": "RS256", "kid": "ins_nobody", "typ": "JWT", "cat": cat});
        let token = sign_with(OTHER_KEY, &header, &m2m_payload());
        let e = v.verify(&token).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
        assert_eq!(e.token_type(), Some(TokenType::M2MToken));
        assert_eq!(resolver.calls(), 0);
    }
}

/// What `@clerk/backend` does with each row: its M2M verifier accepts absent and M2M only (as we
/// do); its session verifier (`verifyToken`) rejects only the M2M category. Our session preset is
/// stricter: the rows below are the complete list of deviations, each rejected by us and accepted
/// by `@clerk/backend`'s session verifier.
#[test]
fn category_table_deviations_from_the_reference_are_exactly_the_stricter_session_rows() {
    let reference_m2m = |cat: &Option<Value>| cat.is_none() || cat == &Some(json!(CAT_M2M));
    let reference_session = |cat: &Option<Value>| cat != &Some(json!(CAT_M2M));
    let mut m2m_deviations = Vec::new();
    let mut session_deviations = Vec::new();
    for (label, cat, m2m_ok, session_ok) in table() {
        if m2m_ok != reference_m2m(&cat) {
            m2m_deviations.push(label);
        }
        if session_ok != reference_session(&cat) {
            // Every deviation is a rejection of something `@clerk/backend` lets through.
            assert!(!session_ok, "{label}");
            session_deviations.push(label);
        }
    }
    assert!(m2m_deviations.is_empty(), "{m2m_deviations:?}");
    assert_eq!(
        session_deviations,
        [
            "template",
            "unknown string",
            "empty string",
            "null",
            "number"
        ]
    );
}

/// The `typ` rule, like `cat`, is a header rule: it rejects before any key lookup, on both
/// presets, even when the `cat` is fine.
#[tokio::test]
async fn typ_rejection_also_precedes_key_lookup() {
    for typ in [json!("at+jwt"), json!("Aloha")] {
        let (v, resolver) = m2m();
        let header = with(m2m_header(), &[("typ", Some(typ.clone()))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert!(matches!(e, VerifyError::InvalidType { .. }), "{e:?}");
        assert_eq!(resolver.calls(), 0);
        let (v, resolver) = session();
        let header = with(session_header(), &[("typ", Some(typ.clone()))]);
        let e = v
            .verify(&sign(&header, &session_payload()))
            .await
            .unwrap_err();
        assert!(matches!(e, VerifyError::InvalidType { .. }), "{e:?}");
        assert_eq!(resolver.calls(), 0);
    }
}

/// The category rule runs first of all header rules: a wrong `cat` is reported even when `typ`
/// and `alg` are also wrong (`verifyM2MJwt` checks `cat` before everything else).
#[tokio::test]
async fn category_is_the_first_header_rule() {
    let (v, resolver) = m2m();
    let header =
        json!({"alg": "none", "typ": "Aloha", "cat": CAT_SESSION, "crit": ["x"], "jku": "u"});
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert_eq!(e.to_string(), "Invalid M2M JWT category.");
    let (s, _) = session();
    let header = json!({"alg": "none", "typ": "Aloha", "cat": CAT_M2M});
    let e = s
        .verify(&sign(&header, &session_payload()))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Invalid session token category.");
    assert_eq!(resolver.calls(), 0);
}
