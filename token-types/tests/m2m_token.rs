#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_token_types::{
    Audience, ClaimValue, Error, ErrorCode, JwtClaims, M2MToken, NumericDate, Reason, dangerous,
};
use common::{IAT, M2M_HEADER, mock_m2m_payload, token};
use serde_json::{Value, json};

const EXAMPLE: &str = r#"{"object":"machine_to_machine_token","id":"mt_1xxxxxxxxxxxxx","subject":"mch_1xxxxxxxxxxxxx","scopes":["mch_1xxxxxxxxxxxxx","mch_2xxxxxxxxxxxxx"],"claims":{"foo":"bar"},"token":"mt_secret_1xxxxxxxxxxxxx","revoked":false,"revocation_reason":null,"expired":false,"expiration":1753746916590,"last_used_at":null,"created_at":1753743316590,"updated_at":1753743316590}"#;

const NOW: i64 = IAT * 1000;
const SKEW: i64 = 5000;

fn claims(payload: &str) -> JwtClaims {
    dangerous::insecure_decode(&token(M2M_HEADER, payload, b"sig"))
        .unwrap()
        .claims()
        .clone()
}

fn from(payload: &str) -> Result<M2MToken, Error> {
    M2MToken::from_jwt_claims(&claims(payload), NOW, SKEW)
}

fn payload_with(extra: Value) -> String {
    let mut p: Value = serde_json::from_str(&mock_m2m_payload()).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            p.as_object_mut().unwrap().remove(k);
        } else {
            p[k] = v.clone();
        }
    }
    p.to_string()
}

#[test]
fn wire_json_round_trips_exactly() {
    let t: M2MToken = serde_json::from_str(EXAMPLE).unwrap();
    assert_eq!(t.id, "mt_1xxxxxxxxxxxxx");
    assert_eq!(t.subject, "mch_1xxxxxxxxxxxxx");
    assert_eq!(t.scopes, ["mch_1xxxxxxxxxxxxx", "mch_2xxxxxxxxxxxxx"]);
    assert_eq!(t.claims, Some(json!({"foo": "bar"})));
    assert_eq!(t.token.as_deref(), Some("mt_secret_1xxxxxxxxxxxxx"));
    assert!(!t.revoked && !t.expired);
    assert_eq!(t.revocation_reason, None);
    assert_eq!(t.expiration, Some(1_753_746_916_590));
    assert_eq!(t.last_used_at, None);
    assert_eq!(
        (t.created_at, t.updated_at),
        (1_753_743_316_590, 1_753_743_316_590)
    );
    assert_eq!(serde_json::to_string(&t).unwrap(), EXAMPLE);
}

#[test]
fn token_is_omitted_when_none_and_nulls_are_written() {
    let mut t = M2MToken::new("mt_1", "mch_1");
    t.revoked = true;
    t.revocation_reason = Some("rotated".into());
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(
        v,
        json!({"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","scopes":[],
               "claims":null,"revoked":true,"revocation_reason":"rotated","expired":false,
               "expiration":null,"last_used_at":null,"created_at":0,"updated_at":0})
    );
    assert_eq!(serde_json::from_value::<M2MToken>(v).unwrap(), t);
}

#[test]
fn lenient_input() {
    // Float-encoded timestamps, unknown fields, no `object`, optional fields missing.
    let t: M2MToken = serde_json::from_str(
        r#"{"id":"mt_1","subject":"mch_1","revoked":false,"expired":true,"expiration":1753746916590.0,
            "last_used_at":1753746916591.9,"created_at":1.7537433165e12,"updated_at":1753743316590,
            "new_field":{"x":1}}"#,
    )
    .unwrap();
    assert_eq!(t.expiration, Some(1_753_746_916_590));
    assert_eq!(t.last_used_at, Some(1_753_746_916_591));
    assert_eq!(t.created_at, 1_753_743_316_500);
    assert!(t.scopes.is_empty() && t.claims.is_none() && t.token.is_none() && t.expired);
}

#[test]
fn strict_where_it_matters() {
    let base: Value = serde_json::from_str(EXAMPLE).unwrap();
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        serde_json::from_value::<M2MToken>(b)
    };
    assert!(with("object", json!("machine")).is_err());
    assert!(with("created_at", json!("1753743316590")).is_err());
    assert!(with("created_at", json!(1e300)).is_err());
    assert!(with("expiration", json!(true)).is_err());
    assert!(with("revoked", json!(null)).is_err());
    assert!(with("scopes", json!([1])).is_err());
    for field in [
        "id",
        "subject",
        "revoked",
        "expired",
        "created_at",
        "updated_at",
    ] {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(field);
        assert!(serde_json::from_value::<M2MToken>(b).is_err(), "{field}");
    }
}

#[test]
fn debug_redacts_the_token() {
    let t: M2MToken = serde_json::from_str(EXAMPLE).unwrap();
    let dbg = format!("{t:?}");
    assert!(!dbg.contains("mt_secret"), "{dbg}");
    assert!(dbg.contains("[redacted]") && dbg.contains("mt_1xxxxxxxxxxxxx"));
}

// The `fromJwtPayload` cases of `@clerk/backend`'s `api/resources/__tests__/M2MToken.test.ts`,
// with time = iat.

#[test]
fn creates_m2m_token_from_jwt_payload() {
    let t = from(&payload_with(json!({"scopes": null}))).unwrap();
    assert_eq!(t.id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
    assert_eq!(t.subject, "mch_2vYVtestTESTtestTESTtestTESTtest");
    assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
    assert_eq!(t.claims, Some(json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"]})));
    assert!(!t.revoked);
    assert_eq!(t.revocation_reason, None);
    assert!(!t.expired);
    assert_eq!(t.expiration, Some((IAT + 300) * 1000));
    assert_eq!(t.created_at, IAT * 1000);
    assert_eq!(t.updated_at, IAT * 1000);
    assert_eq!((t.token, t.last_used_at), (None, None));
}

#[test]
fn preserves_custom_claims_and_strips_only_structural_ones() {
    let t = from(&payload_with(json!({
        "scopes": "scope1 scope2", "permissions": ["read", "write"], "role": "service"
    })))
    .unwrap();
    assert_eq!(t.scopes, ["scope1", "scope2"]);
    let claims = t.claims.unwrap();
    assert_eq!(
        claims,
        json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"], "scopes": "scope1 scope2",
               "permissions": ["read", "write"], "role": "service"})
    );
    let keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["aud", "scopes", "permissions", "role"]);
    for gone in ["iss", "sub", "exp", "nbf", "iat", "jti"] {
        assert!(claims.get(gone).is_none(), "{gone}");
    }
}

#[test]
fn azp_is_a_custom_claim() {
    let t = from(&payload_with(
        json!({"azp": "https://app", "scopes": null, "aud": null}),
    ))
    .unwrap();
    assert_eq!(t.claims, Some(json!({"azp": "https://app"})));
}

#[test]
fn prefers_scopes_over_aud() {
    let t = from(&payload_with(json!({"scopes": "mch_9"}))).unwrap();
    assert_eq!(t.scopes, ["mch_9"]);
}

#[test]
fn parses_scopes_when_aud_is_missing() {
    let t = from(&payload_with(
        json!({"aud": null, "scopes": "mch_a mch_b mch_c"}),
    ))
    .unwrap();
    assert_eq!(t.scopes, ["mch_a", "mch_b", "mch_c"]);
    assert_eq!(t.claims, Some(json!({"scopes": "mch_a mch_b mch_c"})));
}

#[test]
fn empty_scopes_and_no_claims_when_neither_is_present() {
    let t = from(&payload_with(json!({"aud": null, "scopes": null}))).unwrap();
    assert!(t.scopes.is_empty());
    assert_eq!(t.claims, None);
}

#[test]
fn marks_token_expired_when_exp_is_in_the_past() {
    let c = claims(&mock_m2m_payload());
    let exp_ms = (IAT + 300) * 1000;
    let t = M2MToken::from_jwt_claims(&c, exp_ms + 50_000, SKEW).unwrap();
    assert!(t.expired);
    // The boundary: expired iff exp_ms <= now - skew.
    assert!(
        M2MToken::from_jwt_claims(&c, exp_ms + SKEW, SKEW)
            .unwrap()
            .expired
    );
    assert!(
        !M2MToken::from_jwt_claims(&c, exp_ms + SKEW - 1, SKEW)
            .unwrap()
            .expired
    );
    assert!(M2MToken::from_jwt_claims(&c, exp_ms, 0).unwrap().expired);
    assert!(
        !M2MToken::from_jwt_claims(&c, exp_ms - 1, 0)
            .unwrap()
            .expired
    );
    // Extreme inputs saturate instead of overflowing.
    assert!(
        !M2MToken::from_jwt_claims(&c, i64::MIN, i64::MAX)
            .unwrap()
            .expired
    );
    assert!(
        M2MToken::from_jwt_claims(&c, i64::MAX, i64::MIN)
            .unwrap()
            .expired
    );
}

#[test]
fn handles_missing_jti() {
    assert_eq!(from(&payload_with(json!({"jti": null}))).unwrap().id, "");
}

#[test]
fn fractional_times_keep_their_milliseconds_as_the_js_sdk_does() {
    // JS: `expiration: payload.exp * 1000`, so `1790003600.5` gives `1790003600500`.
    let t = from(&payload_with(
        json!({"exp": 1790003600.5, "iat": 1666648250.5}),
    ))
    .unwrap();
    assert_eq!(t.expiration, Some(1_790_003_600_500));
    assert_eq!(
        (t.created_at, t.updated_at),
        (1_666_648_250_500, 1_666_648_250_500)
    );
    let t = from(&payload_with(json!({"exp": 1666648550.999}))).unwrap();
    assert_eq!(t.expiration, Some(1_666_648_550_999));
    // Below a millisecond: truncated toward zero, as a JS `Date` of that value.
    let t = from(&payload_with(json!({"exp": 1.0005, "iat": -1.0005}))).unwrap();
    assert_eq!((t.expiration, t.created_at), (Some(1000), -1000));
    // Beyond i64 milliseconds: saturated.
    let t = from(&payload_with(json!({"exp": 1e300, "iat": -1e300}))).unwrap();
    assert_eq!((t.expiration, t.created_at), (Some(i64::MAX), i64::MIN));
}

#[test]
fn a_fractional_exp_expires_at_its_exact_millisecond() {
    // exp * 1000 = 1000.5: not expired at 1000 ms (JS: 1000.5 <= 1000 is false), expired at 1001.
    let c = claims(&payload_with(json!({"exp": 1.0005})));
    assert!(!M2MToken::from_jwt_claims(&c, 1000, 0).unwrap().expired);
    assert!(M2MToken::from_jwt_claims(&c, 1001, 0).unwrap().expired);
    let c = claims(&payload_with(json!({"exp": 1790003600.5})));
    assert!(
        !M2MToken::from_jwt_claims(&c, 1_790_003_600_499, 0)
            .unwrap()
            .expired
    );
    assert!(
        M2MToken::from_jwt_claims(&c, 1_790_003_600_500, 0)
            .unwrap()
            .expired
    );
    assert!(
        M2MToken::from_jwt_claims(&c, 1_790_003_605_500, 5000)
            .unwrap()
            .expired
    );
    assert!(
        !M2MToken::from_jwt_claims(&c, 1_790_003_605_499, 5000)
            .unwrap()
            .expired
    );
}

// Where `@clerk/backend` is unsound, documented decisions.

#[test]
fn scopes_split_on_spaces_without_empty_entries() {
    for (scopes, want) in [
        ("", vec![]),
        (" ", vec![]),
        ("a  b ", vec!["a", "b"]),
        ("a\tb", vec!["a\tb"]),
    ] {
        let t = from(&payload_with(json!({"scopes": scopes}))).unwrap();
        assert_eq!(t.scopes, want, "{scopes:?}");
    }
}

#[test]
fn string_aud_becomes_a_one_element_list() {
    let t = from(&payload_with(json!({"aud": "mch_1", "scopes": null}))).unwrap();
    assert_eq!(t.scopes, ["mch_1"]);
    let t = from(&payload_with(json!({"aud": "", "scopes": null}))).unwrap();
    assert!(t.scopes.is_empty());
}

#[test]
fn missing_exp_means_never_expires() {
    let t = from(&payload_with(json!({"exp": null}))).unwrap();
    assert_eq!(t.expiration, None);
    assert!(!t.expired);
}

fn claim_error(payload: &str) -> (&'static str, String) {
    match from(payload) {
        Err(e @ Error::InvalidClaim { claim, .. }) => {
            assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
            assert_eq!(e.reason(), Reason::TokenVerificationFailed);
            (claim, e.to_string())
        }
        other => panic!("{payload}: {other:?}"),
    }
}

#[test]
fn typed_errors_where_the_reference_crashes() {
    let cases = [
        (
            json!({"scopes": ["a", "b"]}),
            "scopes",
            r#"Invalid M2M token scopes claim (scopes) ["a","b"]. Expected a space-separated string."#,
        ),
        (
            json!({"scopes": 5}),
            "scopes",
            "Invalid M2M token scopes claim (scopes) 5. Expected a space-separated string.",
        ),
        (
            json!({"iat": null}),
            "iat",
            "Invalid JWT issued at date claim (iat) undefined. Expected number.",
        ),
        (
            json!({"iat": "1666648250"}),
            "iat",
            r#"Invalid JWT issued at date claim (iat) "1666648250". Expected number."#,
        ),
        (
            json!({"exp": "soon"}),
            "exp",
            r#"Invalid JWT expiry date claim (exp) "soon". Expected number."#,
        ),
        (
            json!({"sub": null}),
            "sub",
            "Subject claim (sub) is required and must be a string. Received undefined.",
        ),
        (
            json!({"sub": 7}),
            "sub",
            "Subject claim (sub) is required and must be a string. Received 7.",
        ),
        (
            json!({"jti": 7}),
            "jti",
            "Invalid JWT ID claim (jti) 7. Expected string.",
        ),
        (
            json!({"scopes": null, "aud": ["a", 1]}),
            "aud",
            r#"Invalid JWT audience claim (aud) ["a",1]. Expected a string or an array of strings."#,
        ),
    ];
    for (patch, claim, msg) in cases {
        let (c, m) = claim_error(&payload_with(patch.clone()));
        assert_eq!((c, m.as_str()), (claim, msg), "{patch}");
    }
    // A JSON null `sub` (present) is reported as null, not undefined.
    let mut p: Value = serde_json::from_str(&mock_m2m_payload()).unwrap();
    p["sub"] = Value::Null;
    let (_, m) = claim_error(&p.to_string());
    assert!(m.ends_with("Received null."), "{m}");
    // A mistyped `aud` is fine when `scopes` is what gives the scopes.
    assert!(from(&payload_with(json!({"aud": {"x": 1}}))).is_ok());
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "x".repeat(5000);
    let (_, m) = claim_error(&payload_with(json!({"jti": [long]})));
    assert!(m.len() < 400, "{}", m.len());
}

#[test]
fn works_on_hand_built_claims() {
    let c = JwtClaims {
        sub: Some(ClaimValue::Valid("mch_1".into())),
        iat: Some(ClaimValue::Valid(NumericDate(10.0))),
        aud: Some(ClaimValue::Valid(Audience::Many(vec![
            "mch_2".into(),
            String::new(),
        ]))),
        ..Default::default()
    };
    let t = M2MToken::from_jwt_claims(&c, 0, 0).unwrap();
    assert_eq!(t.scopes, ["mch_2"]);
    assert_eq!(t.claims, Some(json!({"aud": ["mch_2", ""]})));
    assert_eq!(t.created_at, 10_000);
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Custom {
    role: String,
    #[serde(default)]
    permissions: Vec<String>,
    aud: Option<Vec<String>>,
}

#[test]
fn claims_as_reads_the_custom_claims_into_a_type() {
    let t = from(&payload_with(
        json!({"role": "service", "permissions": ["read", "write"]}),
    ))
    .unwrap();
    let c: Custom = t.claims_as().unwrap();
    assert_eq!(
        c,
        Custom {
            role: "service".into(),
            permissions: vec!["read".into(), "write".into()],
            aud: Some(vec!["mch_1xxxxx".into(), "mch_2xxxxx".into()]),
        }
    );
    // Reserved claims are not custom claims.
    #[derive(Debug, serde::Deserialize)]
    struct WantsSub {
        #[allow(dead_code)]
        sub: String,
    }
    let e = t.claims_as::<WantsSub>().unwrap_err();
    assert!(matches!(e, Error::CustomClaims { .. }), "{e:?}");
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert!(e.to_string().contains("missing field `sub`"), "{e}");
}

#[test]
fn claims_as_on_a_token_without_custom_claims_reads_an_empty_object() {
    let t = M2MToken::new("mt_1", "mch_1");
    assert_eq!(t.claims, None);
    let m: std::collections::BTreeMap<String, Value> = t.claims_as().unwrap();
    assert!(m.is_empty());
    assert!(t.claims_as::<Custom>().is_err());
    // A long mistyped value is cut in the message.
    let mut t = t;
    t.claims = Some(json!({"role": "x".repeat(1000)}));
    let e = t
        .claims_as::<std::collections::BTreeMap<String, u8>>()
        .unwrap_err();
    assert!(e.to_string().chars().count() < 300, "{e}");
}
