//! The `cat` table (reference §2.4) for the M2M and session presets. Every rejection happens
//! before any key lookup: the counting resolver proves it.

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

/// Reference §14.1 "rejects a JWT tagged with the M2M category before key resolution (AISEC-91)":
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

/// Reference §14.1 "rejects M2M JWT masquerading with a non-M2M cat": even a bad signature and an
/// unknown kid are never reached.
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
