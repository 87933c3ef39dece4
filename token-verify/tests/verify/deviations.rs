//! Where we deliberately differ from Clerk's JavaScript SDK (`@clerk/backend`), one test per
//! deviation. Each test states what `@clerk/backend` does (naming the function where it helps) and
//! asserts ours, so a change in either direction is a visible, reviewed decision. The README's
//! list of deviations mirrors this file and the jwks-cache tests named in it.

use std::sync::Arc;

use clerk_jwks_cache::{Algorithm, StaticJwksResolver};
use clerk_token_verify::{ErrorCode, FixedClock, Reason, VerifyError};
use serde_json::{Value, json};

use crate::common::*;

/// `@clerk/backend`: `verifyM2MJwt` resolves the key (a JWKS fetch for an unknown kid) *before*
/// `verifyJwt` checks `typ` and `alg`. Ours: every header rule runs before any key lookup, so a
/// token with a bad `typ` or `alg` and an unknown kid reports the header error and causes no
/// lookup (in `@clerk/backend` it would report the kid mismatch after a fetch).
#[tokio::test]
async fn header_rules_run_before_any_key_lookup() {
    let (v, resolver) = m2m();
    for (member, value, reason) in [
        ("alg", json!("none"), Reason::TokenInvalidAlgorithm),
        ("alg", json!("HS256"), Reason::TokenInvalidAlgorithm),
        ("typ", json!("at+jwt"), Reason::TokenInvalid),
        ("crit", json!(["b64"]), Reason::TokenInvalid),
        (
            "jku",
            json!("https://attacker.example/jwks"),
            Reason::TokenInvalid,
        ),
        ("cty", json!("JWT"), Reason::TokenInvalid),
    ] {
        let header = with(
            m2m_header(),
            &[
                ("kid", Some(json!("ins_unknown_to_everyone"))),
                (member, Some(value.clone())),
            ],
        );
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(e.reason(), reason, "{member}={value}");
        assert!(!matches!(e, VerifyError::Key { .. }), "{member}: {e:?}");
    }
    let (s, session_resolver) = session();
    let header = with(
        session_header(),
        &[
            ("kid", Some(json!("ins_unknown"))),
            ("typ", Some(json!("x"))),
        ],
    );
    assert_eq!(
        s.verify(&sign(&header, &session_payload()))
            .await
            .unwrap_err()
            .reason(),
        Reason::TokenInvalid
    );
    assert_eq!((resolver.calls(), session_resolver.calls()), (0, 0));
}

/// `@clerk/backend`: `verifyJwt` ignores `crit`. Ours: any `crit` is rejected (we understand no JWS
/// extension; RFC 7515 §4.1.11), so e.g. `b64: false` can never take effect.
#[tokio::test]
async fn any_crit_is_rejected() {
    let (v, _) = m2m();
    for (crit, shown) in [
        (json!(["b64"]), "[\"b64\"]"),
        (json!(["exp", "x"]), "[\"exp\",\"x\"]"),
        (json!([]), "[]"),
    ] {
        let header = with(
            m2m_header(),
            &[("crit", Some(crit.clone())), ("b64", Some(json!(false)))],
        );
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Invalid JWT header. It names critical extensions (crit) {shown}, and none is supported."
            )
        );
        assert_eq!(e.reason(), Reason::TokenInvalid);
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
}

/// `@clerk/backend`: `jku`, `x5u`, `x5c`, `jwk` are ignored (never read). Ours: rejected outright
/// (RFC 8725 §3.10), since Clerk never sets them and a token carrying one is an attack or a
/// misconfiguration.
#[tokio::test]
async fn embedded_keys_and_key_urls_are_rejected() {
    let (v, _) = m2m();
    for name in ["jku", "x5u", "x5c", "jwk"] {
        let header = with(m2m_header(), &[(name, Some(json!(null)))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Invalid JWT header. It carries \"{name}\", and keys or key locations inside a token are never trusted."
            )
        );
        assert_eq!(e.reason(), Reason::TokenInvalid);
    }
    // Other unknown members (x5t, a thumbprint, or anything else) are harmless and ignored.
    let header = with(
        m2m_header(),
        &[("x5t", Some(json!("abc"))), ("foo", Some(json!(1)))],
    );
    assert!(v.verify(&sign(&header, &m2m_payload())).await.is_ok());
}

/// `@clerk/backend`: `cty` is ignored. Ours: `cty: JWT` (any case) is a nested JWT (RFC 8725 §3.3)
/// and is rejected; other content types are ignored.
#[tokio::test]
async fn nested_jwt_content_type_is_rejected() {
    let (v, _) = m2m();
    for cty in ["JWT", "jwt", "jWt"] {
        let header = with(m2m_header(), &[("cty", Some(json!(cty)))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Invalid JWT content type (cty) \"{cty}\". Nested JWTs are not supported.")
        );
        assert_eq!(e.reason(), Reason::TokenInvalid);
    }
    let header = with(m2m_header(), &[("cty", Some(json!("json")))]);
    assert!(v.verify(&sign(&header, &m2m_payload())).await.is_ok());
}

/// `@clerk/backend`'s audience rule (`assertAudienceClaim`): if the token has no `aud` (or only
/// empty values), or `aud` is an array mixing types, there is no check. Ours (RFC 8725 §3.9): once
/// an audience is configured, such tokens fail. Without a configured audience nothing changes.
#[tokio::test]
async fn a_configured_audience_requires_a_usable_aud() {
    let (v, _) = m2m();
    let v = v.with_audience(["mch_1xxxxx"]);
    for (aud, text) in [
        (
            None,
            "Invalid JWT audience claim (aud) undefined. Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            Some(json!("")),
            "Invalid JWT audience claim (aud) \"\". Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            Some(json!([])),
            "Invalid JWT audience claim array (aud) []. Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            Some(json!(["mch_1xxxxx", 1])),
            "Invalid JWT audience claim array (aud) [\"mch_1xxxxx\",1]. Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
        (
            Some(json!(7)),
            "Invalid JWT audience claim (aud) 7. Is not included in \"[\"mch_1xxxxx\"]\".",
        ),
    ] {
        let payload = with(
            m2m_payload(),
            &[("aud", aud.clone()), ("scopes", Some(json!("mch_1xxxxx")))],
        );
        let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
        assert_eq!(e.to_string(), text, "{aud:?}");
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    }
    let (plain, _) = m2m();
    let payload = with(m2m_payload(), &[("aud", None)]);
    assert!(plain.verify(&sign(&m2m_header(), &payload)).await.is_ok());
}

/// `@clerk/backend`: the session verifier (`verifyToken`) rejects only the M2M category; JWT
/// templates, unknown strings, `""`, `null` and non-strings pass it (only the request level catches
/// some of them, and only when a session token alone is accepted or the token is a cookie). Ours:
/// the session preset accepts only absent, session and IGNORE. The full table is in categories.rs;
/// this is the deviation alone.
#[tokio::test]
async fn the_session_preset_rejects_every_non_session_category() {
    for cat in [
        json!(CAT_TEMPLATE),
        json!("cl_some_future_unknown_cat"),
        json!(""),
        json!(null),
        json!(111),
        json!({"v": CAT_SESSION}),
    ] {
        let (v, resolver) = session();
        let header = with(session_header(), &[("cat", Some(cat.clone()))]);
        let e = v
            .verify(&sign(&header, &session_payload()))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "Invalid session token category.", "{cat}");
        assert_eq!(resolver.calls(), 0, "{cat}");
    }
}

/// `@clerk/backend`: `verifyM2MJwt` itself has no subject rule (only the router,
/// `verifyMachineAuthToken`, sends it tokens whose `sub` starts with `mch_`). Ours: the M2M preset
/// requires a `mch_` subject, since it can be called directly.
#[tokio::test]
async fn the_m2m_preset_requires_a_machine_subject() {
    let (v, _) = m2m();
    for sub in ["user_123", "", "MCH_1", "mch"] {
        let payload = with(m2m_payload(), &[("sub", Some(json!(sub)))]);
        let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Invalid M2M JWT subject claim (sub) \"{sub}\". Expected a machine ID starting with \"mch_\"."
            )
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
}

/// `@clerk/backend`: a JWKS key is found by kid, then WebCrypto refuses to import it when its `alg`
/// does not fit the token's (or its `use` is not `sig`): "Error verifying JWT signature. ...",
/// reason `token-verification-failed`. Ours: such a key is filtered out of the set when it is
/// built, so the kid has no usable key for that algorithm: `jwk-kid-mismatch`. The code is
/// `token-verification-failed` either way.
#[tokio::test]
async fn a_jwk_unusable_for_the_token_is_a_kid_mismatch() {
    let mut enc = public_jwk("RS256");
    enc["kid"] = json!("ins_enc");
    enc["use"] = json!("enc");
    let set = json!({"keys": [public_jwk("RS256"), enc]}).to_string();
    let v =
        clerk_token_verify::Verifier::m2m(Arc::new(StaticJwksResolver::from_json(&set).unwrap()))
            .with_clock(clock());
    for (kid, alg) in [(KID, "RS384"), (KID, "RS512"), ("ins_enc", "RS256")] {
        let header = with(
            m2m_header(),
            &[("kid", Some(json!(kid))), ("alg", Some(json!(alg)))],
        );
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(e.reason(), Reason::JwkKidMismatch, "{kid} {alg}");
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
        assert!(e.to_string().contains(&format!("kid='{kid}'")), "{e}");
    }
}

/// `@clerk/backend`: a token without `kid` is looked up as the string "undefined" and would match
/// a JWKS key whose kid is literally "undefined". Ours: a missing kid never selects a JWKS key.
/// (A PEM key ignores the kid entirely, as in `@clerk/backend`.)
#[tokio::test]
async fn a_missing_kid_never_selects_a_jwks_key() {
    let mut jwk = public_jwk("RS256");
    jwk["kid"] = json!("undefined");
    let set = json!({"keys": [jwk]}).to_string();
    let v =
        clerk_token_verify::Verifier::m2m(Arc::new(StaticJwksResolver::from_json(&set).unwrap()))
            .with_clock(clock());
    let no_kid = with(m2m_header(), &[("kid", None)]);
    let e = v.verify(&sign(&no_kid, &m2m_payload())).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
    assert!(e.to_string().contains("kid='undefined'"));
    let literal = with(m2m_header(), &[("kid", Some(json!("undefined")))]);
    assert!(v.verify(&sign(&literal, &m2m_payload())).await.is_ok());
}

/// `@clerk/backend`: a finite clock skew is used as given, negative ones included (parity, not a
/// deviation: a negative skew only narrows the window).
#[tokio::test]
async fn a_negative_clock_skew_is_used_as_given() {
    let (v, _) = m2m();
    let token = sign(&m2m_header(), &m2m_payload());
    let exp_ms = (IAT + 300) * 1000;
    let at = |ms: i64| Arc::new(FixedClock(ms));
    let strict = v.clone().with_clock_skew_ms(-5000.0);
    assert_eq!(strict.claim_rules().clock_skew.as_ms(), -5000.0);
    // 4 s before exp: valid with no skew, already expired with -5 s.
    assert!(
        v.clone()
            .with_clock_skew_ms(0.0)
            .with_clock(at(exp_ms - 4000))
            .verify(&token)
            .await
            .is_ok()
    );
    let e = strict
        .clone()
        .with_clock(at(exp_ms - 4000))
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenExpired, "{e}");
    assert!(
        strict
            .with_clock(at(exp_ms - 6000))
            .verify(&token)
            .await
            .is_ok()
    );
    // The default skew admits a token 4 s past exp; a negative skew never admits more.
    assert!(v.with_clock(at(exp_ms + 4000)).verify(&token).await.is_ok());
}

/// `@clerk/backend`: `M2MToken.fromJwtPayload` throws an uncaught TypeError for a non-string
/// `scopes`, keeps `""` scopes, and takes a missing `iat` as NaN. Ours: typed errors
/// (`token-verification-failed`, after the signature), empty scopes dropped, `iat` required for
/// the M2M output.
#[tokio::test]
async fn m2m_mapping_is_typed_and_strict() {
    let (v, _) = m2m();
    let cases = [
        (
            "scopes",
            Some(json!(["mch_1"])),
            "Invalid M2M token scopes claim (scopes) [\"mch_1\"]. Expected a space-separated string.",
        ),
        (
            "jti",
            Some(json!(5)),
            "Invalid JWT ID claim (jti) 5. Expected string.",
        ),
        (
            "iat",
            None,
            "Invalid JWT issued at date claim (iat) undefined. Expected number.",
        ),
    ];
    for (claim, value, text) in cases {
        let payload = with(m2m_payload(), &[(claim, value)]);
        let e = v.verify(&sign(&m2m_header(), &payload)).await.unwrap_err();
        assert!(matches!(e, VerifyError::Mapping { .. }), "{claim}: {e:?}");
        assert_eq!(e.to_string(), text, "{claim}");
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
    let payload = with(m2m_payload(), &[("scopes", Some(json!(" mch_1  mch_2 ")))]);
    let t = v.verify(&sign(&m2m_header(), &payload)).await.unwrap();
    assert_eq!(t.scopes, ["mch_1", "mch_2"]);
    let payload = with(m2m_payload(), &[("scopes", Some(json!("")))]);
    assert!(
        v.verify(&sign(&m2m_header(), &payload))
            .await
            .unwrap()
            .scopes
            .is_empty()
    );
}

/// `@clerk/backend`: `IdPOAuthAccessToken.fromJwtPayload` passes `jti`, `client_id`, `scp` and
/// `scope` through whatever their type. Ours: a wrongly typed one is a typed error.
#[tokio::test]
async fn oauth_mapping_is_typed_and_strict() {
    let (v, _) = oauth();
    for (claim, value) in [
        ("jti", json!(1)),
        ("client_id", json!(["c"])),
        ("scp", json!("a b")),
        ("scp", json!(["a", 1])),
        ("scope", json!(["a"])),
    ] {
        let payload = with(oauth_payload(), &[(claim, Some(value.clone()))]);
        let e = v
            .verify(&sign(&oauth_header(), &payload))
            .await
            .unwrap_err();
        assert!(matches!(e, VerifyError::Mapping { .. }), "{claim}={value}");
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    }
}

/// `@clerk/backend`: the header is read loosely (`JSON.parse`, last duplicate wins, any JSON type
/// for `alg`/`kid`/`typ`/`cty`). Ours: duplicate members, and `alg`, `kid`, `typ`, `cty` that are
/// not strings or a `crit` that is not an array of strings, fail decoding (`token-invalid`), and
/// tokens above 16 KiB are refused before any decoding.
#[tokio::test]
async fn decoding_is_strict_about_types_duplicates_and_size() {
    let (v, resolver) = m2m();
    for header in [
        json!({"alg": 256, "kid": KID}),
        json!({"alg": "RS256", "kid": 7}),
        json!({"alg": "RS256", "kid": KID, "typ": ["JWT"]}),
        json!({"alg": "RS256", "kid": KID, "cty": null}),
        json!({"alg": "RS256", "kid": KID, "crit": "b64"}),
        json!({"alg": "RS256", "kid": KID, "crit": [1]}),
    ] {
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
            "{header}"
        );
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
    }
    let raw = format!(r#"{{"alg":"RS256","kid":"{KID}","kid":"ins_other"}}"#);
    let input = format!(
        "{}.{}",
        b64(raw.as_bytes()),
        b64(m2m_payload().to_string().as_bytes())
    );
    let sig = sign_input(SIGNING_KEY, "RS256", input.as_bytes());
    let e = v
        .verify(&format!("{input}.{}", b64(&sig)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalid);

    let big = with(
        m2m_payload(),
        &[("pad", Some(json!("x".repeat(17 * 1024))))],
    );
    let token = sign(&m2m_header(), &big);
    let e = v.verify(&token).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "Invalid JWT form. The token is {} bytes long, more than the limit of 16384 bytes.",
            token.len()
        )
    );
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    assert_eq!(resolver.calls(), 0);
}

/// Our additions, both off by default as `@clerk/backend` has neither: an exact `iss` check and
/// machine scoping (`expected_machine` in `aud` or `scopes`, a Clerk proposal only).
#[tokio::test]
async fn issuer_and_machine_rules_are_opt_in_additions() {
    let (v, _) = m2m();
    let payload = with(
        m2m_payload(),
        &[("iss", Some(json!(7))), ("aud", None), ("scopes", None)],
    );
    let token = sign(&m2m_header(), &payload);
    // Off by default: a numeric iss and a token scoped to nobody verify, as in `@clerk/backend`.
    assert!(v.verify(&token).await.is_ok());
    let e = v
        .clone()
        .with_issuer("https://clerk.m2m.example.test")
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT issuer claim (iss) 7. Expected \"https://clerk.m2m.example.test\"."
    );
    assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    let e = v
        .clone()
        .with_expected_machine("mch_1xxxxx")
        .verify(&token)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "The JWT is not scoped to machine \"mch_1xxxxx\": it is in neither the audience claim (aud) nor the scopes claim (scopes)."
    );
    assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
}

/// `expected_machine` matches whole machine ids in `aud` (a string or an array) or in the
/// space-separated `scopes`; never a prefix or substring, and a wrongly typed claim never matches.
#[tokio::test]
async fn expected_machine_matches_whole_ids_in_aud_or_scopes() {
    let (v, _) = m2m();
    let v = v.with_expected_machine("mch_me");
    let cases: [(Option<Value>, Option<Value>, bool); 9] = [
        (Some(json!("mch_me")), None, true),
        (Some(json!(["mch_a", "mch_me"])), None, true),
        (None, Some(json!("mch_a mch_me")), true),
        (Some(json!(["mch_a"])), Some(json!("mch_me")), true),
        (Some(json!("mch_me2")), Some(json!("xmch_me mch_m")), false),
        (Some(json!(["mch_mex"])), None, false),
        (None, Some(json!("mch_me_too")), false),
        (Some(json!(["mch_me", 1])), None, false),
        (None, None, false),
    ];
    for (aud, scopes, ok) in cases {
        let payload = with(
            m2m_payload(),
            &[("aud", aud.clone()), ("scopes", scopes.clone())],
        );
        let got = v.verify(&sign(&m2m_header(), &payload)).await;
        if ok {
            assert!(got.is_ok(), "{aud:?} {scopes:?}: {got:?}");
        } else {
            let e = got
                .err()
                .unwrap_or_else(|| panic!("{aud:?} {scopes:?} accepted"));
            assert!(
                matches!(
                    e,
                    VerifyError::MachineNotInScope { .. } | VerifyError::Mapping { .. }
                ),
                "{aud:?} {scopes:?}: {e:?}"
            );
        }
    }
}

/// The JWKS filter and key sizes (jwks-cache): a JWK of 1024 bits, which WebCrypto would import,
/// is never usable here; nor is one carrying private members. The set's other keys still work.
#[tokio::test]
async fn weak_or_private_jwks_are_never_used() {
    let mut small = public_jwk("RS256");
    small["kid"] = json!("ins_small");
    small["n"] = json!(b64(&[0xC3u8; 128]));
    let mut private = public_jwk("RS256");
    private["kid"] = json!("ins_private");
    private["d"] = json!("AQAB");
    let set = json!({"keys": [small, private, public_jwk("RS256")]}).to_string();
    let r = StaticJwksResolver::from_json(&set).unwrap();
    for kid in ["ins_small", "ins_private"] {
        let e = clerk_jwks_cache::KeyResolver::resolve(&r, Some(kid), Algorithm::RS256)
            .await
            .unwrap_err();
        assert_eq!(e.reason(), Reason::JwkKidMismatch, "{kid}");
    }
    let v = clerk_token_verify::Verifier::m2m(Arc::new(r)).with_clock(clock());
    assert!(v.verify(&sign(&m2m_header(), &m2m_payload())).await.is_ok());
}
