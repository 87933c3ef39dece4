//! Properties: the time rules over (exp, nbf, iat, now, skew), and "no input panics".

use std::future::Future;
use std::sync::{Arc, OnceLock};

use clerk_jwks_cache::PemKeyResolver;
use clerk_token_types::{ClaimValue, NumericDate};
use clerk_token_verify::steps::claims::{check_expiry, check_issued_at, check_not_before};
use clerk_token_verify::{ClockSkew, FixedClock, M2m, Verifier, VerifyError};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::*;

fn date(s: f64) -> ClaimValue<NumericDate> {
    ClaimValue::Valid(NumericDate(s))
}

/// Seconds with fractions, in a range where every computation below is exact in f64.
fn seconds() -> impl Strategy<Value = f64> {
    (-10_000_000_000i64..10_000_000_000i64, 0u8..4)
        .prop_map(|(s, q)| s as f64 + f64::from(q) * 0.25)
}

fn now_ms() -> impl Strategy<Value = i64> {
    -10_000_000_000_000i64..10_000_000_000_000i64
}

/// Skews in quarter milliseconds (0 included), plus a few near the claims' scale.
fn skew_ms() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..4_000_000).prop_map(|q| f64::from(q) * 0.25),
        Just(0.0),
        Just(5000.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// expired iff trunc(exp) * 1000 <= now - skew.
    #[test]
    fn expiry_rule(exp in seconds(), now in now_ms(), skew in skew_ms()) {
        let exp_ms = exp.trunc() * 1000.0;
        let expired = exp_ms <= now as f64 - skew;
        let got = check_expiry(Some(&date(exp)), now, ClockSkew::from_ms(skew));
        prop_assert_eq!(matches!(got, Err(VerifyError::Expired { .. })), expired);
        prop_assert_eq!(got.is_ok(), !expired);
    }

    /// not active iff trunc(nbf) * 1000 > now + skew.
    #[test]
    fn not_before_rule(nbf in seconds(), now in now_ms(), skew in skew_ms()) {
        let early = nbf.trunc() * 1000.0 > now as f64 + skew;
        let got = check_not_before(Some(&date(nbf)), now, ClockSkew::from_ms(skew));
        prop_assert_eq!(matches!(got, Err(VerifyError::NotActiveYet { .. })), early);
        prop_assert_eq!(got.is_ok(), !early);
    }

    /// issued in the future iff trunc(iat) * 1000 > now + skew.
    #[test]
    fn issued_at_rule(iat in seconds(), now in now_ms(), skew in skew_ms()) {
        let future = iat.trunc() * 1000.0 > now as f64 + skew;
        let got = check_issued_at(Some(&date(iat)), now, ClockSkew::from_ms(skew));
        prop_assert_eq!(matches!(got, Err(VerifyError::IssuedInTheFuture { .. })), future);
        prop_assert_eq!(got.is_ok(), !future);
    }

    /// Non-finite or negative skews behave exactly as 5000 ms.
    #[test]
    fn bad_skews_are_the_default(exp in seconds(), now in now_ms(), bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), (-1e12f64..-1e-9)]) {
        let a = check_expiry(Some(&date(exp)), now, ClockSkew::from_ms(bad)).is_ok();
        let b = check_expiry(Some(&date(exp)), now, ClockSkew::from_ms(5000.0)).is_ok();
        prop_assert_eq!(a, b);
    }

    /// Any f64 date and any now: never a panic, and the extreme ends behave.
    #[test]
    fn extreme_dates_never_panic(d in any::<f64>(), now in any::<i64>(), skew in any::<f64>()) {
        let skew = ClockSkew::from_ms(skew);
        let _ = check_expiry(Some(&date(d)), now, skew).map_err(|e| e.to_string());
        let _ = check_not_before(Some(&date(d)), now, skew).map_err(|e| e.to_string());
        let _ = check_issued_at(Some(&date(d)), now, skew).map_err(|e| e.to_string());
    }
}

fn verifier() -> &'static Verifier<M2m> {
    static V: OnceLock<Verifier<M2m>> = OnceLock::new();
    V.get_or_init(|| {
        Verifier::m2m(Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap()))
            .with_clock(Arc::new(FixedClock(NOW_MS)))
            .with_audience(["mch_1xxxxx"])
            .with_authorized_parties(["p"])
    })
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("RS256"),
            Just("none"),
            Just("JWT"),
            Just("mch_1xxxxx"),
            Just(CAT_M2M)
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("alg".to_owned()),
                    Just("kid".to_owned()),
                    Just("typ".to_owned()),
                    Just("cat".to_owned()),
                    Just("crit".to_owned()),
                    Just("sub".to_owned()),
                    Just("exp".to_owned()),
                    Just("aud".to_owned()),
                    Just("azp".to_owned()),
                    Just("scopes".to_owned()),
                    "[a-z]{1,4}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text never panics and never verifies.
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}", t in "[A-Za-z0-9_.=+/-]{0,300}") {
        prop_assert!(block_on(verifier().verify(&s)).is_err());
        prop_assert!(block_on(verifier().verify(&t)).is_err());
    }

    /// Well-formed segments with arbitrary JSON, unsigned or signed by our key: never a panic;
    /// unsigned ones never verify, and every error has a message.
    #[test]
    fn arbitrary_json_never_panics(header in json_value(), payload in json_value(), sig in prop::collection::vec(any::<u8>(), 0..300), signed in any::<bool>()) {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
        let token = if signed {
            format!("{input}.{}", b64(&sign_input(SIGNING_KEY, "RS256", input.as_bytes())))
        } else {
            format!("{input}.{}", b64(&sig))
        };
        match block_on(verifier().verify(&token)) {
            Ok(_) => prop_assert!(signed),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// A valid signed token with arbitrary values for the claims the rules read: never a panic,
    /// and an accepted token always satisfies the rules.
    #[test]
    fn arbitrary_claims_on_a_signed_token(sub in json_value(), exp in json_value(), aud in json_value(), azp in json_value()) {
        let payload = json!({"sub": sub, "exp": exp, "aud": aud, "azp": azp, "iat": IAT});
        let token = sign(&m2m_header(), &payload);
        if let Ok(t) = block_on(verifier().verify(&token)) {
            prop_assert!(t.subject.starts_with("mch_"));
            prop_assert_eq!(azp, json!("p"));
        }
    }
}
