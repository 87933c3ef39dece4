//! Every rule and message of Clerk's JavaScript SDK (`@clerk/backend`: `verifyJwt`, `verifyM2MJwt`
//! / `verifyOAuthJwt` and `verifyToken`) through the whole pipeline, with the exact text, reason,
//! code, action and token type. The expected texts are written out here, independently of the
//! crate's formatting code, so a drift in either shows up.
//!
//! Codes (as `@clerk/backend`'s machine verifiers give them): on the M2M and OAuth presets decode
//! and category failures are `token-invalid` and everything else is `token-verification-failed`;
//! `@clerk/backend`'s session errors carry only a reason, and our session code follows the reason.

use std::sync::Arc;

use clerk_jwks_cache::{Algorithm, KeyError, KeyResolver, PemKeyResolver, VerifyingKey};
use clerk_token_types::action;
use clerk_token_verify::{ErrorCode, Reason, TokenType, Verifier, VerifyError};
use serde_json::{Value, json};

use crate::common::*;

/// One row of the expectation table.
struct Expect {
    message: String,
    reason: Reason,
    /// The code on the M2M / OAuth presets.
    machine_code: ErrorCode,
    /// The code on the session preset.
    session_code: ErrorCode,
    action: Option<&'static str>,
}

fn expect(
    message: impl Into<String>,
    reason: Reason,
    session_code: ErrorCode,
    action: Option<&'static str>,
) -> Expect {
    Expect {
        message: message.into(),
        reason,
        machine_code: ErrorCode::TokenVerificationFailed,
        session_code,
        action,
    }
}

fn assert_error(e: &VerifyError, x: &Expect, code: ErrorCode, tt: TokenType, label: &str) {
    assert_eq!(e.to_string(), x.message, "{label}: message");
    assert_eq!(e.message(), x.message, "{label}: message()");
    assert_eq!(e.reason(), x.reason, "{label}: reason");
    assert_eq!(e.code(), code, "{label}: code");
    assert_eq!(e.token_type(), Some(tt), "{label}: token type");
    assert_eq!(e.action(), x.action, "{label}: action");
}

/// Runs a (header, payload) pair, signed by the fixture key, through the M2M and the session
/// preset and checks both errors against `x`.
async fn both_presets(label: &str, header: Value, payload: Value, x: &Expect) {
    let (m, _) = m2m();
    let e = m.verify(&sign(&header, &payload)).await.unwrap_err();
    assert_error(&e, x, x.machine_code, TokenType::M2MToken, label);
    let (s, _) = session();
    let mut h = header;
    h["cat"] = json!(CAT_SESSION);
    let e = s.verify(&sign(&h, &payload)).await.unwrap_err();
    assert_error(&e, x, x.session_code, TokenType::SessionToken, label);
}

const NOW_UTC: &str = "Mon, 24 Oct 2022 21:50:50 GMT";

// --- verifyJwt: typ ---

#[tokio::test]
async fn typ_rule_messages() {
    for typ in ["Aloha", "", "jwt", "at+jwt"] {
        let header = with(m2m_header(), &[("typ", Some(json!(typ)))]);
        let x = expect(
            format!("Invalid JWT type \"{typ}\". Expected \"JWT\"."),
            Reason::TokenInvalid,
            ErrorCode::TokenInvalid,
            Some(action::ENSURE_CLERK_JWT),
        );
        both_presets(typ, header, m2m_payload(), &x).await;
    }
    // A typ of another JSON type cannot even be decoded (stricter, see deviations.rs).
    let (v, _) = oauth();
    for (typ, shown) in [
        (Some(json!("JWT")), "\"JWT\""),
        (None, "undefined"),
        (Some(json!("AT+JWT")), "\"AT+JWT\""),
    ] {
        let header = with(oauth_header(), &[("typ", typ)]);
        let e = v
            .verify(&sign(&header, &oauth_payload()))
            .await
            .unwrap_err();
        let x = expect(
            format!("Invalid JWT type {shown}. Expected \"at+jwt, application/at+jwt\"."),
            Reason::TokenInvalid,
            ErrorCode::TokenInvalid,
            Some(action::ENSURE_CLERK_JWT),
        );
        assert_error(&e, &x, x.machine_code, TokenType::OAuthToken, shown);
    }
}

// --- verifyJwt: alg ---

#[tokio::test]
async fn alg_rule_messages() {
    for (alg, shown) in [
        (Some(json!("none")), "\"none\""),
        (Some(json!("")), "\"\""),
        (Some(json!("HS256")), "\"HS256\""),
        (Some(json!("ES256")), "\"ES256\""),
        (Some(json!("PS512")), "\"PS512\""),
        (Some(json!("Aloha")), "\"Aloha\""),
        (Some(json!("rs256")), "\"rs256\""),
        (None, "undefined"),
    ] {
        let header = with(m2m_header(), &[("alg", alg)]);
        let x = expect(
            format!("Invalid JWT algorithm {shown}. Supported: RS256,RS384,RS512."),
            Reason::TokenInvalidAlgorithm,
            ErrorCode::TokenVerificationFailed,
            Some(action::ENSURE_CLERK_JWT),
        );
        both_presets(shown, header, m2m_payload(), &x).await;
    }
}

// --- verifyJwt: signature ---

#[tokio::test]
async fn signature_is_invalid_message() {
    let (m, _) = m2m();
    let x = expect(
        "JWT signature is invalid.",
        Reason::TokenInvalidSignature,
        ErrorCode::TokenVerificationFailed,
        None,
    );
    let e = m
        .verify(&sign_with(OTHER_KEY, &m2m_header(), &m2m_payload()))
        .await
        .unwrap_err();
    assert_error(&e, &x, x.machine_code, TokenType::M2MToken, "m2m");
    let (s, _) = session();
    let e = s
        .verify(&sign_with(OTHER_KEY, &session_header(), &session_payload()))
        .await
        .unwrap_err();
    assert_error(&e, &x, x.session_code, TokenType::SessionToken, "session");
    let (o, _) = oauth();
    let e = o
        .verify(&sign_with(OTHER_KEY, &oauth_header(), &oauth_payload()))
        .await
        .unwrap_err();
    assert_error(&e, &x, x.machine_code, TokenType::OAuthToken, "oauth");
}

/// In `@clerk/backend` a configured PEM key (`jwtKey`) is imported as an RS256 JWK, so an RS384 or
/// RS512 token fails key import, which surfaces as "Error verifying JWT signature. Error: ..."
/// with reason `token-verification-failed` and the EnsureClerkJWT action.
#[tokio::test]
async fn a_pem_key_with_an_rs384_or_rs512_token_is_the_signature_step_failure() {
    let resolver = Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap());
    let m = Verifier::m2m(resolver.clone()).with_clock(clock());
    let s = Verifier::session(resolver).with_clock(clock());
    for alg in ["RS384", "RS512"] {
        let header = with(m2m_header(), &[("alg", Some(json!(alg)))]);
        for (e, tt) in [
            (
                m.verify(&sign(&header, &m2m_payload())).await.unwrap_err(),
                TokenType::M2MToken,
            ),
            (
                s.verify(&sign(
                    &with(header.clone(), &[("cat", None)]),
                    &m2m_payload(),
                ))
                .await
                .unwrap_err(),
                TokenType::SessionToken,
            ),
        ] {
            let text = e.to_string();
            assert!(
                text.starts_with("Error verifying JWT signature. Error: "),
                "{alg} {tt}: {text}"
            );
            assert!(text.contains("RS256") && text.contains(alg), "{text}");
            assert_eq!(e.reason(), Reason::TokenVerificationFailed, "{alg}");
            assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{alg}");
            assert_eq!(e.action(), Some(action::ENSURE_CLERK_JWT), "{alg}");
            assert_eq!(e.token_type(), Some(tt));
        }
    }
}

/// A resolver that hands out a key bound to RS256 whatever the token asks for: the signature step
/// itself refuses to use a key with another algorithm (RFC 8725 §3.1), with `@clerk/backend`'s
/// "Error verifying JWT signature." failure rather than a plain "invalid signature".
#[derive(Debug)]
struct AlwaysRs256(Arc<VerifyingKey>);

#[async_trait::async_trait]
impl KeyResolver for AlwaysRs256 {
    async fn resolve(&self, _: Option<&str>, _: Algorithm) -> Result<Arc<VerifyingKey>, KeyError> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn a_key_bound_to_another_algorithm_is_never_used() {
    let key = PemKeyResolver::new(SIGNING_PUB).unwrap().key().clone();
    let v = Verifier::m2m(Arc::new(AlwaysRs256(key))).with_clock(clock());
    let header = with(m2m_header(), &[("alg", Some(json!("RS512")))]);
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Error verifying JWT signature. Error: the key is bound to RS256, and the token uses RS512."
    );
    assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    assert_eq!(e.action(), Some(action::ENSURE_CLERK_JWT));
    // The same token header relabelled RS256 but signed RS512 is simply a wrong signature.
    let input = format!(
        "{}.{}",
        b64(m2m_header().to_string().as_bytes()),
        b64(m2m_payload().to_string().as_bytes())
    );
    let sig = sign_input(SIGNING_KEY, "RS512", input.as_bytes());
    let e = v
        .verify(&format!("{input}.{}", b64(&sig)))
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
}

// --- verifyJwt: claims (sub, aud, azp, exp, nbf, iat) ---

#[tokio::test]
async fn sub_rule_messages() {
    for (sub, shown) in [
        (None, "undefined"),
        (Some(json!(null)), "null"),
        (Some(json!(42)), "42"),
        (Some(json!(1.5)), "1.5"),
        (Some(json!(true)), "true"),
        (Some(json!(["mch_1"])), "[\"mch_1\"]"),
        (Some(json!({"id": "mch_1"})), "{\"id\":\"mch_1\"}"),
    ] {
        let payload = with(m2m_payload(), &[("sub", sub)]);
        let x = expect(
            format!("Subject claim (sub) is required and must be a string. Received {shown}."),
            Reason::TokenVerificationFailed,
            ErrorCode::TokenVerificationFailed,
            Some(action::ENSURE_CLERK_JWT),
        );
        both_presets(shown, m2m_header(), payload, &x).await;
    }
    // `""` is a string: fine for the rule itself (session preset); the M2M preset wants `mch_`.
    let (s, _) = session();
    let payload = with(session_payload(), &[("sub", Some(json!("")))]);
    assert!(s.verify(&sign(&session_header(), &payload)).await.is_ok());
}

#[tokio::test]
async fn aud_rule_messages() {
    let cases = [
        (
            json!("mch_x"),
            vec!["mch_1xxxxx"],
            "Invalid JWT audience claim (aud) \"mch_x\". Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            json!(["mch_x", "mch_y"]),
            vec!["mch_1xxxxx", "mch_2xxxxx"],
            "Invalid JWT audience claim array (aud) [\"mch_x\",\"mch_y\"]. Is not included in \"[\"mch_1xxxxx\",\"mch_2xxxxx\"]\".",
        ),
        // Exact matching only: neither a prefix nor a substring matches.
        (
            json!("mch_1xxxxx_more"),
            vec!["mch_1xxxxx"],
            "Invalid JWT audience claim (aud) \"mch_1xxxxx_more\". Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            json!(["mch_1"]),
            vec!["mch_1xxxxx"],
            "Invalid JWT audience claim array (aud) [\"mch_1\"]. Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
    ];
    for (aud, audience, text) in cases {
        let payload = with(m2m_payload(), &[("aud", Some(aud.clone()))]);
        let x = expect(
            text,
            Reason::TokenVerificationFailed,
            ErrorCode::TokenVerificationFailed,
            Some(action::ENSURE_CLERK_JWT),
        );
        let (m, _) = m2m();
        let e = m
            .with_audience(audience.clone())
            .verify(&sign(&m2m_header(), &payload))
            .await
            .unwrap_err();
        assert_error(&e, &x, x.machine_code, TokenType::M2MToken, text);
        let (s, _) = session();
        let mut h = m2m_header();
        h["cat"] = json!(CAT_SESSION);
        let e = s
            .with_audience(audience)
            .verify(&sign(&h, &payload))
            .await
            .unwrap_err();
        assert_error(&e, &x, x.session_code, TokenType::SessionToken, text);
    }
    // Accepted: a string in the list; arrays sharing one element; empty configured values dropped.
    let (m, _) = m2m();
    let token = sign(&m2m_header(), &m2m_payload());
    assert!(
        m.clone()
            .with_audience(["", "mch_2xxxxx"])
            .verify(&token)
            .await
            .is_ok()
    );
    // Configured audience made only of empty strings: no audience rule at all.
    assert!(m.clone().with_audience([""]).verify(&token).await.is_ok());
    let token = sign(
        &m2m_header(),
        &with(m2m_payload(), &[("aud", Some(json!("mch_2xxxxx")))]),
    );
    assert!(
        m.with_audience(["mch_1xxxxx", "mch_2xxxxx"])
            .verify(&token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn azp_rule_messages() {
    let cases = [
        (
            None,
            vec!["azp-1"],
            "Invalid JWT Authorized party claim (azp) undefined. Expected \"azp-1\".",
        ),
        (
            Some(json!("")),
            vec!["azp-1", "azp-2"],
            "Invalid JWT Authorized party claim (azp) \"\". Expected \"azp-1,azp-2\".",
        ),
        (
            Some(json!("azp")),
            vec![""],
            "Invalid JWT Authorized party claim (azp) \"azp\". Expected \"\".",
        ),
        (
            Some(json!(7)),
            vec!["a"],
            "Invalid JWT Authorized party claim (azp) 7. Expected \"a\".",
        ),
    ];
    for (azp, parties, text) in cases {
        let payload = with(m2m_payload(), &[("azp", azp)]);
        let x = Expect {
            message: text.into(),
            reason: Reason::TokenInvalidAuthorizedParties,
            machine_code: ErrorCode::TokenVerificationFailed,
            session_code: ErrorCode::TokenVerificationFailed,
            action: None,
        };
        let (m, _) = m2m();
        let e = m
            .with_authorized_parties(parties.clone())
            .verify(&sign(&m2m_header(), &payload))
            .await
            .unwrap_err();
        assert_error(&e, &x, x.machine_code, TokenType::M2MToken, text);
        let (s, _) = session();
        let h = with(m2m_header(), &[("cat", None)]);
        let e = s
            .with_authorized_parties(parties)
            .verify(&sign(&h, &payload))
            .await
            .unwrap_err();
        assert_error(&e, &x, x.session_code, TokenType::SessionToken, text);
    }
    // No parties configured: no rule, even without `azp`.
    let (m, _) = m2m();
    let empty: [&str; 0] = [];
    assert!(
        m.with_authorized_parties(empty)
            .verify(&sign(&m2m_header(), &m2m_payload()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn exp_rule_messages() {
    for (exp, shown) in [
        (None, "undefined"),
        (Some(json!(null)), "null"),
        (Some(json!("1666648550")), "\"1666648550\""),
        (Some(json!(false)), "false"),
        (Some(json!([1])), "[1]"),
    ] {
        let payload = with(m2m_payload(), &[("exp", exp)]);
        let x = expect(
            format!("Invalid JWT expiry date claim (exp) {shown}. Expected number."),
            Reason::TokenVerificationFailed,
            ErrorCode::TokenVerificationFailed,
            Some(action::ENSURE_CLERK_JWT),
        );
        both_presets(shown, m2m_header(), payload, &x).await;
    }
    // Expired: the dates are JS Date.toUTCString() of trunc(exp) * 1000 and of now.
    // exp = now - 4.5 s truncates to now - 5 s: exactly at the boundary `exp_ms <= now - skew`.
    let payload = with(m2m_payload(), &[("exp", Some(json!(IAT as f64 - 4.5)))]);
    let x = expect(
        format!(
            "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:45 GMT, Current date: {NOW_UTC}."
        ),
        Reason::TokenExpired,
        ErrorCode::TokenVerificationFailed,
        None,
    );
    both_presets("expired", m2m_header(), payload, &x).await;
}

#[tokio::test]
async fn nbf_rule_messages() {
    let payload = with(m2m_payload(), &[("nbf", Some(json!("soon")))]);
    let x = Expect {
        message: "Invalid JWT not before date claim (nbf) \"soon\". Expected number.".into(),
        reason: Reason::TokenVerificationFailed,
        machine_code: ErrorCode::TokenVerificationFailed,
        session_code: ErrorCode::TokenVerificationFailed,
        action: None,
    };
    // `@clerk/backend` gives no action for this row; only the text, reason and code are pinned.
    let (m, _) = m2m();
    let e = m.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert_eq!(e.to_string(), x.message);
    assert_eq!((e.reason(), e.code()), (x.reason, x.machine_code));
    let payload = with(m2m_payload(), &[("nbf", Some(json!(null)))]);
    let e = m.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT not before date claim (nbf) null. Expected number."
    );

    let payload = with(m2m_payload(), &[("nbf", Some(json!(IAT + 6)))]);
    let x = expect(
        format!(
            "JWT cannot be used prior to not before date claim (nbf). Not before date: Mon, 24 Oct 2022 21:50:56 GMT; Current date: {NOW_UTC};"
        ),
        Reason::TokenNotActiveYet,
        ErrorCode::TokenVerificationFailed,
        None,
    );
    both_presets("nbf future", m2m_header(), payload, &x).await;
}

#[tokio::test]
async fn iat_rule_messages() {
    let (m, _) = m2m();
    let payload = with(m2m_payload(), &[("iat", Some(json!({"t": 1})))]);
    let e = m.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT issued at date claim (iat) {\"t\":1}. Expected number."
    );
    assert_eq!(
        (e.reason(), e.code()),
        (
            Reason::TokenVerificationFailed,
            ErrorCode::TokenVerificationFailed
        )
    );

    let payload = with(m2m_payload(), &[("iat", Some(json!(IAT + 6)))]);
    let x = expect(
        format!(
            "JWT issued at date claim (iat) is in the future. Issued at date: Mon, 24 Oct 2022 21:50:56 GMT; Current date: {NOW_UTC};"
        ),
        Reason::TokenIatInTheFuture,
        ErrorCode::TokenVerificationFailed,
        None,
    );
    both_presets("iat future", m2m_header(), payload, &x).await;
}

/// Only the first error is returned, in `@clerk/backend`'s order: header (typ, alg), signature,
/// sub, aud, azp, exp, nbf, iat. Each step below fixes one problem and the next one shows.
#[tokio::test]
async fn the_first_failing_rule_is_reported_in_reference_order() {
    let (v, _) = m2m();
    let v = v
        .with_audience(["mch_1xxxxx"])
        .with_authorized_parties(["p"]);
    let mut header = with(
        m2m_header(),
        &[("typ", Some(json!("x"))), ("alg", Some(json!("none")))],
    );
    let mut payload = json!({
        "sub": 1, "aud": "nope", "exp": "x", "nbf": "x", "iat": "x",
    });
    let mut key = OTHER_KEY;
    let mut seen = Vec::new();
    loop {
        let token = sign_with(key, &header, &payload);
        let Err(e) = v.verify(&token).await else {
            break;
        };
        let step = match e {
            VerifyError::InvalidType { .. } => {
                header["typ"] = json!("JWT");
                "typ"
            }
            VerifyError::InvalidAlgorithm { .. } => {
                header["alg"] = json!("RS256");
                "alg"
            }
            VerifyError::InvalidSignature { .. } => {
                key = SIGNING_KEY;
                "signature"
            }
            VerifyError::InvalidSubject { .. } => {
                payload["sub"] = json!("mch_1");
                "sub"
            }
            VerifyError::InvalidAudience { .. } => {
                payload["aud"] = json!("mch_1xxxxx");
                "aud"
            }
            VerifyError::InvalidAuthorizedParty { .. } => {
                payload["azp"] = json!("p");
                "azp"
            }
            VerifyError::InvalidExpiry { .. } => {
                payload["exp"] = json!(IAT + 60);
                "exp"
            }
            VerifyError::InvalidNotBefore { .. } => {
                payload["nbf"] = json!(IAT);
                "nbf"
            }
            VerifyError::InvalidIssuedAt { .. } => {
                payload["iat"] = json!(IAT);
                "iat"
            }
            other => panic!("unexpected {other:?}"),
        };
        seen.push(step);
    }
    assert_eq!(
        seen,
        [
            "typ",
            "alg",
            "signature",
            "sub",
            "aud",
            "azp",
            "exp",
            "nbf",
            "iat"
        ]
    );
}

// --- categories (verifyM2MJwt, verifyToken) ---

#[tokio::test]
async fn category_messages_codes_and_actions() {
    let (m, _) = m2m();
    let header = with(m2m_header(), &[("cat", Some(json!(CAT_SESSION)))]);
    let e = m.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    // MachineTokenVerificationError{code:"token-invalid", message:"Invalid M2M JWT category."}:
    // `@clerk/backend` gives the M2M error no action.
    let x = Expect {
        message: "Invalid M2M JWT category.".into(),
        reason: Reason::TokenInvalid,
        machine_code: ErrorCode::TokenInvalid,
        session_code: ErrorCode::TokenInvalid,
        action: None,
    };
    assert_error(&e, &x, ErrorCode::TokenInvalid, TokenType::M2MToken, "m2m");

    let (s, _) = session();
    let header = with(session_header(), &[("cat", Some(json!(CAT_M2M)))]);
    let e = s
        .verify(&sign(&header, &session_payload()))
        .await
        .unwrap_err();
    // TokenVerificationError{reason:"token-invalid", action: EnsureClerkJWT, ...}.
    let x = Expect {
        message: "Invalid session token category.".into(),
        action: Some(action::ENSURE_CLERK_JWT),
        ..x
    };
    assert_error(
        &e,
        &x,
        ErrorCode::TokenInvalid,
        TokenType::SessionToken,
        "session",
    );
}

// --- decode, through every preset ---

#[tokio::test]
async fn decode_messages_on_every_preset() {
    let three = "Invalid JWT form. A JWT consists of three parts separated by dots.";
    let undecodable = "Invalid JWT form. The header, payload, or signature could not be decoded.";
    let (m, _) = m2m();
    let (o, _) = oauth();
    let (s, _) = session();
    for (token, text) in [
        ("", three),
        ("a.b", three),
        ("a.b.c.d", three),
        ("aaa.bbb.ccc", undecodable),
        ("YWJj.YWJj.YWJj", undecodable),
        ("e30.e30.+/+/", undecodable),
    ] {
        for (e, tt) in [
            (m.verify(token).await.unwrap_err(), TokenType::M2MToken),
            (o.verify(token).await.unwrap_err(), TokenType::OAuthToken),
            (s.verify(token).await.unwrap_err(), TokenType::SessionToken),
        ] {
            assert_eq!(e.to_string(), text, "{token:?} {tt}");
            assert_eq!(e.reason(), Reason::TokenInvalid);
            assert_eq!(e.code(), ErrorCode::TokenInvalid);
            assert_eq!(e.token_type(), Some(tt));
        }
    }
}

// --- key resolution: key errors keep their message and reason ---

/// A resolver that always fails with the given error, and counts its calls.
#[derive(Debug)]
struct Failing(KeyError);

#[async_trait::async_trait]
impl KeyResolver for Failing {
    async fn resolve(&self, _: Option<&str>, _: Algorithm) -> Result<Arc<VerifyingKey>, KeyError> {
        Err(self.0.clone())
    }
}

#[tokio::test]
async fn key_errors_keep_the_reference_message_and_reason() {
    let kid_text = format!(
        "Unable to find a signing key in JWKS that matches the kid='{KID}' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    );
    let cases = [
        (
            KeyError::KidMismatch { kid: KID.into() },
            kid_text.as_str(),
            Reason::JwkKidMismatch,
            ErrorCode::TokenVerificationFailed,
        ),
        (
            KeyError::RemoteFailedToLoad {
                message:
                    "Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503"
                        .into(),
            },
            "Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503",
            Reason::JwkRemoteFailedToLoad,
            ErrorCode::TokenVerificationFailed,
        ),
        (
            KeyError::RemoteFailedToLoad {
                message: clerk_jwks_cache::NO_SIGNING_KEYS_MESSAGE.into(),
            },
            "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.",
            Reason::JwkRemoteFailedToLoad,
            ErrorCode::TokenVerificationFailed,
        ),
        (
            KeyError::SecretKeyInvalid {
                message: "The provided Clerk Secret Key is invalid.".into(),
            },
            "The provided Clerk Secret Key is invalid.",
            Reason::SecretKeyInvalid,
            ErrorCode::SecretKeyInvalid,
        ),
        (
            KeyError::LocalMissing,
            "Missing local JWK.",
            Reason::JwkLocalMissing,
            ErrorCode::TokenVerificationFailed,
        ),
    ];
    for (err, text, reason, session_code) in cases {
        let r = Arc::new(Failing(err));
        let m = Verifier::m2m(r.clone()).with_clock(clock());
        let e = m
            .verify(&sign(&m2m_header(), &m2m_payload()))
            .await
            .unwrap_err();
        assert!(matches!(e, VerifyError::Key { .. }), "{e:?}");
        assert_eq!(e.to_string(), text);
        assert_eq!(e.reason(), reason, "{text}");
        // The key errors carry `@clerk/backend`'s action.
        let expected_action = match reason {
            Reason::JwkKidMismatch => action::VALIDATE_KEYS,
            Reason::JwkLocalMissing => action::SET_CLERK_JWT_KEY,
            _ => action::CONTACT_SUPPORT,
        };
        assert_eq!(e.action(), Some(expected_action), "{text}");
        // As in `verifyM2MJwt`: on the M2M path every key failure is token-verification-failed.
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{text}");
        assert_eq!(e.token_type(), Some(TokenType::M2MToken));
        let o = Verifier::oauth(r.clone()).with_clock(clock());
        let e = o
            .verify(&sign(&oauth_header(), &oauth_payload()))
            .await
            .unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), e.reason(), e.code()),
            (text, reason, ErrorCode::TokenVerificationFailed)
        );
        let s = Verifier::session(r).with_clock(clock());
        let e = s
            .verify(&sign(&session_header(), &session_payload()))
            .await
            .unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), e.reason(), e.code()),
            (text, reason, session_code)
        );
    }
}

/// A token without `kid` reports the kid `undefined`, as `@clerk/backend` prints it (it looks the
/// kid up as the string "undefined").
#[tokio::test]
async fn a_missing_kid_is_reported_as_undefined() {
    let (v, _) = m2m();
    let header = with(m2m_header(), &[("kid", None)]);
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unable to find a signing key in JWKS that matches the kid='undefined' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    );
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
}

/// Signature errors win over claim errors on every preset (as in `@clerk/backend`), including over
/// our own claim rules (issuer, machine) and over mapping errors.
#[tokio::test]
async fn signature_errors_win_over_every_claim_and_mapping_error() {
    let bad_claims = json!({
        "sub": "user_not_a_machine", "exp": IAT - 9999, "nbf": IAT + 9999, "iat": IAT + 9999,
        "aud": ["x"], "azp": "y", "iss": "https://evil", "scopes": ["not a string"],
    });
    let (m, _) = m2m();
    let m = m
        .with_audience(["a"])
        .with_authorized_parties(["b"])
        .with_issuer("https://good")
        .with_expected_machine("mch_me");
    let e = m
        .verify(&sign_with(OTHER_KEY, &m2m_header(), &bad_claims))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
    let (o, _) = oauth();
    let e = o
        .with_audience(["a"])
        .verify(&sign_with(OTHER_KEY, &oauth_header(), &bad_claims))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
    let (s, _) = session();
    let e = s
        .with_authorized_parties(["b"])
        .verify(&sign_with(OTHER_KEY, &session_header(), &bad_claims))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
}
