#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_token_types::{
    Audience, ClaimValue, DecodeOptions, Error, Jwt, JwtCategory, JwtClaims, JwtHeader, M2MToken,
    NumericDate, classify, dangerous, encode_segment, format_utc, is_jwt_format,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn extra_members() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x_[a-z0-9]{1,6}", json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn string_claim() -> impl Strategy<Value = Option<ClaimValue<String>>> {
    prop::option::of(prop_oneof![
        "\\PC{0,16}".prop_map(ClaimValue::Valid),
        json_value()
            .prop_filter("not a string", |v| !v.is_string())
            .prop_map(|v| ClaimValue::Invalid(Box::new(v))),
    ])
}

fn date_claim() -> impl Strategy<Value = Option<ClaimValue<NumericDate>>> {
    prop::option::of(prop_oneof![
        any::<i64>().prop_map(|i| ClaimValue::Valid(NumericDate(i as f64))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| ClaimValue::Valid(NumericDate(f))),
        json_value()
            .prop_filter("not a number", |v| !v.is_number())
            .prop_map(|v| ClaimValue::Invalid(Box::new(v))),
    ])
}

fn aud_claim() -> impl Strategy<Value = Option<ClaimValue<Audience>>> {
    let all_strings =
        |v: &Value| v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    prop::option::of(prop_oneof![
        "\\PC{0,8}".prop_map(|s| ClaimValue::Valid(Audience::One(s))),
        prop::collection::vec("\\PC{0,8}", 0..4).prop_map(|v| ClaimValue::Valid(Audience::Many(v))),
        json_value()
            .prop_filter("not an audience", move |v| !all_strings(v))
            .prop_map(|v| ClaimValue::Invalid(Box::new(v))),
    ])
}

fn claims() -> impl Strategy<Value = JwtClaims> {
    (
        (
            string_claim(),
            string_claim(),
            aud_claim(),
            date_claim(),
            date_claim(),
        ),
        (
            date_claim(),
            string_claim(),
            string_claim(),
            string_claim(),
            extra_members(),
        ),
    )
        .prop_map(
            |((iss, sub, aud, exp, nbf), (iat, jti, scopes, azp, extra))| JwtClaims {
                iss,
                sub,
                aud,
                exp,
                nbf,
                iat,
                jti,
                scopes,
                azp,
                extra,
            },
        )
}

fn category() -> impl Strategy<Value = JwtCategory> {
    prop_oneof![
        Just(JwtCategory::Absent),
        Just(JwtCategory::Null),
        Just(JwtCategory::Session),
        Just(JwtCategory::JwtTemplate),
        Just(JwtCategory::M2M),
        Just(JwtCategory::Ignore),
        "[a-z_0-9]{0,12}".prop_map(JwtCategory::Other),
        json_value()
            .prop_filter("not null or string", |v| !v.is_null() && !v.is_string())
            .prop_map(JwtCategory::NotAString),
    ]
}

fn header() -> impl Strategy<Value = JwtHeader> {
    let s = || prop::option::of("\\PC{0,12}");
    (
        (s(), s(), s(), s()),
        category(),
        prop::option::of(prop::collection::vec("\\PC{0,6}", 0..3)),
        extra_members(),
    )
        .prop_map(|((alg, kid, typ, cty), cat, crit, other)| JwtHeader {
            alg,
            kid,
            typ,
            cty,
            cat,
            crit,
            other,
        })
}

fn compact(h: &JwtHeader, c: &JwtClaims, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        encode_segment(&serde_json::to_vec(h).unwrap()),
        encode_segment(&serde_json::to_vec(c).unwrap()),
        encode_segment(sig)
    )
}

/// Every property holds for a decoded token.
fn check_decoded(input: &str, jwt: &Jwt) {
    assert_eq!(jwt.as_str(), input);
    let (signed, sig) = input.rsplit_once('.').unwrap();
    assert_eq!(jwt.signing_input(), signed.as_bytes());
    assert_eq!(jwt.raw_signature(), sig);
    // Decodable implies JWT-shaped, except that an empty signature is allowed.
    assert!(is_jwt_format(input) || (sig.is_empty() && is_jwt_format(&format!("{input}A"))));
}

fn unlimited() -> DecodeOptions {
    DecodeOptions::new().with_max_token_bytes(usize::MAX)
}

#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, char),
    Delete(usize),
    Insert(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        prop::sample::select(vec![
            '.', '=', '+', '/', ' ', 'A', 'a', '_', '-', '0', 'é', '\0'
        ]),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), ch).prop_map(|(i, c)| Edit::Insert(i, c)),
    ]
}

fn apply(token: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    for e in edits {
        let n = chars.len();
        match *e {
            Edit::Replace(i, c) if n > 0 => chars[i % n] = c,
            Edit::Delete(i) if n > 0 => {
                chars.remove(i % n);
            }
            Edit::Insert(i, c) => chars.insert(i % (n + 1), c),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn decode_never_panics_on_arbitrary_strings(s in any::<String>()) {
        match dangerous::insecure_decode_with(&s, &unlimited()) {
            Ok(jwt) => check_decoded(&s, &jwt),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = classify(&s);
    }

    #[test]
    fn decode_never_panics_on_jwt_shaped_strings(
        s in "[A-Za-z0-9_=+/-]{0,40}\\.[A-Za-z0-9_=+/-]{0,40}\\.[A-Za-z0-9_=+/-]{0,40}"
    ) {
        if let Ok(jwt) = dangerous::insecure_decode(&s) {
            check_decoded(&s, &jwt);
        }
        let _ = classify(&s);
    }

    #[test]
    fn decode_never_panics_on_random_segments(
        h in prop::collection::vec(any::<u8>(), 0..64),
        p in prop::collection::vec(any::<u8>(), 0..64),
        s in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let t = format!("{}.{}.{}", encode_segment(&h), encode_segment(&p), encode_segment(&s));
        match dangerous::insecure_decode(&t) {
            Ok(jwt) => {
                check_decoded(&t, &jwt);
                prop_assert_eq!(jwt.signature(), &s[..]);
            }
            Err(e) => prop_assert!(matches!(e, Error::Undecodable { .. }), "{:?}", e),
        }
    }

}

proptest! {
    // Generating nested JSON dominates these two; fewer cases keep the suite fast.
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn decode_never_panics_on_mutated_valid_tokens(
        h in header(),
        c in claims(),
        sig in prop::collection::vec(any::<u8>(), 0..32),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let mutated = apply(&compact(&h, &c, &sig), &edits);
        if let Ok(jwt) = dangerous::insecure_decode_with(&mutated, &unlimited()) {
            check_decoded(&mutated, &jwt);
        }
        let _ = classify(&mutated);
    }

    #[test]
    fn encode_then_decode_round_trips(
        h in header(),
        c in claims(),
        sig in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let t = compact(&h, &c, &sig);
        let jwt = dangerous::insecure_decode_with(&t, &unlimited()).unwrap();
        prop_assert_eq!(jwt.header(), &h);
        prop_assert_eq!(jwt.claims(), &c);
        prop_assert_eq!(jwt.signature(), &sig[..]);
        check_decoded(&t, &jwt);
        // The JSON views agree with what was encoded.
        prop_assert_eq!(Value::Object(jwt.claims().to_json()), serde_json::to_value(&c).unwrap());
        prop_assert_eq!(Value::Object(jwt.header().to_json()), serde_json::to_value(&h).unwrap());
    }

}

proptest! {
    #[test]
    fn expired_iff_exp_ms_at_or_before_now_minus_skew(
        exp_s in -1_000_000_000_000i64..1_000_000_000_000,
        frac_ms in 0i64..1000,
        now in any::<i64>(),
        skew in prop_oneof![0i64..100_000, any::<i64>()],
    ) {
        let exp = exp_s as f64 + frac_ms as f64 / 1000.0;
        let claims = JwtClaims {
            sub: Some(ClaimValue::Valid("mch_1".into())),
            iat: Some(ClaimValue::Valid(NumericDate(0.0))),
            exp: Some(ClaimValue::Valid(NumericDate(exp))),
            ..Default::default()
        };
        let t = M2MToken::from_jwt_claims(&claims, now, skew).unwrap();
        // The JS SDK's value is the double `exp * 1000`: within a rounding error of the exact
        // milliseconds, and truncated toward zero to an integer here.
        let exact_ms = exp_s * 1000 + frac_ms;
        let got = t.expiration.unwrap();
        prop_assert!((got - exact_ms).abs() <= 1, "{} vs {}", got, exact_ms);
        prop_assert_eq!(got, (exp * 1000.0).trunc() as i64);
        // JS: `exp * 1000 <= Date.now() - skew`, in doubles. |exp * 1000| < 2^53, so rounding the
        // right-hand side to a double cannot change the answer.
        let deadline = (i128::from(now) - i128::from(skew)) as f64;
        prop_assert_eq!(t.expired, exp * 1000.0 <= deadline);
    }

    #[test]
    fn format_utc_matches_an_independent_calendar(ms in any::<i64>()) {
        let s = format_utc(ms);
        if ms.unsigned_abs() > 8_640_000_000_000_000 {
            prop_assert_eq!(s, "Invalid Date");
        } else {
            prop_assert_eq!(parse_utc(&s), ms.div_euclid(1000) * 1000, "{}", s);
        }
    }

    #[test]
    fn format_utc_in_the_js_range(ms in -8_640_000_000_000_000i64..=8_640_000_000_000_000) {
        let s = format_utc(ms);
        prop_assert_eq!(parse_utc(&s), ms.div_euclid(1000) * 1000, "{}", s);
    }
}

/// Parses `Www, DD Mon [-]YYYY HH:MM:SS GMT` back to ms, checking the weekday, with the
/// days-from-civil algorithm (the inverse of the one in the crate).
fn parse_utc(s: &str) -> i64 {
    let parts: Vec<&str> = s.split(' ').collect();
    assert_eq!(parts.len(), 6, "{s}");
    assert_eq!(parts[5], "GMT");
    let day: i64 = parts[1].parse().unwrap();
    assert_eq!(parts[1].len(), 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == parts[2]).unwrap() as i64 + 1;
    let year: i64 = parts[3].parse().unwrap();
    assert!(parts[3].trim_start_matches('-').len() >= 4, "{s}");
    let hms: Vec<i64> = parts[4].split(':').map(|x| x.parse().unwrap()).collect();
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let weekdays = ["Sun,", "Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,"];
    assert_eq!(parts[0], weekdays[(days + 4).rem_euclid(7) as usize], "{s}");
    days * 86_400_000 + hms[0] * 3_600_000 + hms[1] * 60_000 + hms[2] * 1000
}

// Differential: the decoder against a plain `serde_json::Value` reading of the same segments.

/// JSON values equal, numbers compared as `f64` (the typed dates print `1.0` as `1`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The object serde_json reads from a segment's bytes (last member wins on duplicates).
fn plain_object(segment: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(segment) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A header is acceptable to the decoder when its known members have their types.
fn header_types_ok(m: &Map<String, Value>) -> bool {
    ["alg", "kid", "typ", "cty"]
        .iter()
        .all(|k| m.get(*k).is_none_or(Value::is_string))
        && m.get("crit")
            .is_none_or(|c| c.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
}

/// Checks one token built from the given segment bytes against serde_json. `dup_header` and
/// `dup_payload` say whether the text repeats a top-level member name (`None`: unknown).
fn check_against_serde_json(
    h: &[u8],
    p: &[u8],
    dup_header: Option<bool>,
    dup_payload: Option<bool>,
) -> Result<(), TestCaseError> {
    let t = format!("{}.{}.c2ln", encode_segment(h), encode_segment(p));
    let got = dangerous::insecure_decode_with(&t, &unlimited());
    let (Some(hv), Some(pv)) = (plain_object(h), plain_object(p)) else {
        prop_assert!(
            got.is_err(),
            "serde_json refuses it, the decoder took it: {t}"
        );
        return Ok(());
    };
    let should = dup_header
        .map(|d| !d && header_types_ok(&hv))
        .zip(dup_payload.map(|d| !d));
    match got {
        Ok(jwt) => {
            prop_assert!(header_types_ok(&hv));
            prop_assert_ne!(should, Some((true, false)));
            prop_assert_ne!(should, Some((false, true)));
            prop_assert_ne!(should, Some((false, false)));
            let header = Value::Object(jwt.header().to_json());
            prop_assert!(same_json(&header, &Value::Object(hv)), "{header}");
            let claims = Value::Object(jwt.claims().to_json());
            prop_assert!(same_json(&claims, &Value::Object(pv)), "{claims}");
        }
        Err(e) => {
            prop_assert!(matches!(e, Error::Undecodable { .. }), "{e:?}");
            prop_assert_ne!(should, Some((true, true)), "{:?}", e);
        }
    }
    Ok(())
}

/// An object's text from members that may repeat a name; true when one does.
fn object_text(members: &[(String, Value)]) -> (String, bool) {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
        .collect();
    let mut names: Vec<&String> = members.iter().map(|(k, _)| k).collect();
    names.sort();
    let dup = names.windows(2).any(|w| w[0] == w[1]);
    (format!("{{{}}}", body.join(",")), dup)
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "alg", "kid", "typ", "cty", "cat", "crit", "iss", "sub", "aud", "exp", "nbf", "iat",
            "jti", "scopes", "azp", "x",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,4}",
    ]
}

fn members() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec((member_name(), json_value()), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoder_agrees_with_serde_json_on_generated_objects(h in members(), p in members()) {
        let (h, dup_h) = object_text(&h);
        let (p, dup_p) = object_text(&p);
        check_against_serde_json(h.as_bytes(), p.as_bytes(), Some(dup_h), Some(dup_p))?;
    }

    #[test]
    fn decoder_agrees_with_serde_json_on_mutated_objects(
        h in members(),
        p in members(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[],:\"\\ -.0e".to_vec()),
        delete in any::<bool>(),
        in_header in any::<bool>(),
    ) {
        let (h, _) = object_text(&h);
        let (p, _) = object_text(&p);
        let (mut h, mut p) = (h.into_bytes(), p.into_bytes());
        let text = if in_header { &mut h } else { &mut p };
        let i = at.index(text.len());
        if delete { text.remove(i); } else { text.insert(i, byte); }
        check_against_serde_json(&h, &p, None, None)?;
    }
}
