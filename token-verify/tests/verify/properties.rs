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

/// Skews in quarter milliseconds (0 and negative ones included, which `@clerk/backend` uses as
/// given), plus a few near the claims' scale.
fn skew_ms() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..4_000_000).prop_map(|q| f64::from(q) * 0.25),
        (0u32..40_000).prop_map(|q| -f64::from(q) * 0.25),
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

    /// Non-finite skews behave exactly as 5000 ms.
    #[test]
    fn bad_skews_are_the_default(exp in seconds(), now in now_ms(), bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)]) {
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

/// `@clerk/backend`'s time rules, written out independently: the first failing of exp (required),
/// nbf, iat, in that order, with `trunc(seconds) * 1000` and the skew as given.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Ok,
    Expired,
    MissingExp,
    NotActive,
    IatFuture,
}

fn model(exp: Option<f64>, nbf: Option<f64>, iat: Option<f64>, now: i64, skew: f64) -> Outcome {
    let ms = |s: f64| s.trunc() * 1000.0;
    let now = now as f64;
    match exp {
        None => return Outcome::MissingExp,
        Some(e) if ms(e) <= now - skew => return Outcome::Expired,
        Some(_) => {}
    }
    if nbf.is_some_and(|n| ms(n) > now + skew) {
        return Outcome::NotActive;
    }
    if iat.is_some_and(|i| ms(i) > now + skew) {
        return Outcome::IatFuture;
    }
    Outcome::Ok
}

fn outcome_of(r: &Result<(), VerifyError>) -> Outcome {
    match r {
        Ok(()) => Outcome::Ok,
        Err(VerifyError::Expired { .. }) => Outcome::Expired,
        Err(VerifyError::InvalidExpiry { exp: None, .. }) => Outcome::MissingExp,
        Err(VerifyError::NotActiveYet { .. }) => Outcome::NotActive,
        Err(VerifyError::IssuedInTheFuture { .. }) => Outcome::IatFuture,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// Seconds near `now` (so every outcome is common), with quarter-second fractions and signs.
fn near(now_s: i64) -> impl Strategy<Value = Option<f64>> {
    prop::option::weighted(
        0.9,
        (-20i64..20, 0u8..4).prop_map(move |(d, q)| (now_s + d) as f64 + f64::from(q) * 0.25),
    )
}

fn signed_session_verifier() -> &'static (Verifier<clerk_token_verify::Session>, Verifier<M2m>) {
    static V: OnceLock<(Verifier<clerk_token_verify::Session>, Verifier<M2m>)> = OnceLock::new();
    V.get_or_init(|| {
        let r = Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap());
        (Verifier::session(r.clone()), Verifier::m2m(r))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// All three time rules together over (exp, nbf, iat, now, skew), through the claim step:
    /// the first failure in `@clerk/backend`'s order, or Ok.
    #[test]
    fn combined_time_rules_match_the_model(
        (now, exp, nbf, iat) in (-2_000_000_000i64..4_000_000_000i64)
            .prop_flat_map(|s| (Just(s), near(s), near(s), near(s))),
        // Whole seconds and whole-second skews often, so that the boundaries (`exp == now - skew`,
        // `nbf == now + skew`) are hit, not just approached.
        now_frac in prop_oneof![Just(0i64), 0i64..1000],
        skew in prop_oneof![
            Just(0.0),
            Just(5000.0),
            (0u32..20).prop_map(|s| f64::from(s) * 1000.0),
            (0u32..40_000).prop_map(|q| f64::from(q) * 0.5),
        ],
    ) {
        let now_ms = now * 1000 + now_frac;
        let mut claims = clerk_token_types::JwtClaims {
            sub: Some(ClaimValue::Valid("mch_1".into())),
            ..Default::default()
        };
        claims.exp = exp.map(date);
        claims.nbf = nbf.map(date);
        claims.iat = iat.map(date);
        let mut rules = clerk_token_verify::steps::claims::ClaimRules::default();
        rules.clock_skew = ClockSkew::from_ms(skew);
        let got = clerk_token_verify::steps::claims::check(&claims, &rules, now_ms);
        prop_assert_eq!(outcome_of(&got), model(exp, nbf, iat, now_ms, skew));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// The same property through the whole pipeline: a really signed token, the verifier's
    /// `Clock` and `with_clock_skew_ms` (non-finite skews behave as 5000), on the session and the
    /// M2M presets (the M2M output additionally needs an `iat`).
    #[test]
    fn time_rules_through_the_pipeline_match_the_model(
        exp in near(IAT), nbf in near(IAT), iat in near(IAT),
        now_off in prop_oneof![(-20i64..20).prop_map(|s| s * 1000), -20_000i64..20_000],
        skew in prop_oneof![
            Just(0.0),
            Just(5000.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            (0u32..10).prop_map(|s| f64::from(s) * 1000.0),
            (0u32..30_000).prop_map(f64::from),
            (0u32..10_000).prop_map(|s| -f64::from(s)),
        ],
    ) {
        let now_ms = NOW_MS + now_off;
        let mut payload = json!({"sub": "mch_2vYV", "jti": "mt_1"});
        for (k, v) in [("exp", exp), ("nbf", nbf), ("iat", iat)] {
            if let Some(v) = v {
                payload[k] = json!(v);
            }
        }
        let token = sign(&json!({"alg": "RS256", "kid": KID, "typ": "JWT"}), &payload);
        let effective = if skew.is_finite() { skew } else { 5000.0 };
        let want = model(exp, nbf, iat, now_ms, effective);
        let (session, m2m) = signed_session_verifier();
        let clock = Arc::new(FixedClock(now_ms));
        let s = block_on(session.clone().with_clock(clock.clone()).with_clock_skew_ms(skew).verify(&token));
        prop_assert_eq!(outcome_of(&s.map(|_| ())), want);
        let m = block_on(m2m.clone().with_clock(clock).with_clock_skew_ms(skew).verify(&token));
        match (want, iat, m) {
            (Outcome::Ok, None, Err(VerifyError::Mapping { .. })) => {}
            (Outcome::Ok, None, other) => prop_assert!(false, "missing iat mapped: {:?}", other.map(|_| ())),
            (_, _, m) => {
                let m = m.map(|t| {
                    // `expired` agrees with the rule that just passed.
                    assert!(!t.expired);
                });
                prop_assert_eq!(outcome_of(&m), want);
            }
        }
    }

    /// No input panics on any preset: arbitrary header and payload JSON (signed or not) through
    /// the M2M, OAuth and session verifiers, with every option switched on.
    #[test]
    fn arbitrary_tokens_never_panic_on_any_preset(header in json_value(), payload in json_value(), signed in any::<bool>(), tail in "[A-Za-z0-9_-]{0,8}") {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
        let sig = if signed { b64(&sign_input(SIGNING_KEY, "RS256", input.as_bytes())) } else { tail };
        let token = format!("{input}.{sig}");
        let r: Arc<dyn clerk_jwks_cache::KeyResolver> = Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap());
        let clock = Arc::new(FixedClock(NOW_MS));
        let o = Verifier::oauth(r.clone()).with_clock(clock.clone()).with_audience(["a"]).with_issuer("i").with_authorized_parties(["p"]);
        let s = Verifier::session(r.clone()).with_clock(clock.clone()).with_expected_machine("mch_1xxxxx");
        let m = Verifier::m2m(r).with_clock(clock).with_expected_machine("mch_1xxxxx").with_issuer("i");
        for e in [
            block_on(o.verify(&token)).err(),
            block_on(s.verify(&token)).err(),
            block_on(m.verify(&token)).err(),
        ].into_iter().flatten() {
            prop_assert!(!e.to_string().is_empty());
            let _ = (e.code(), e.reason(), e.action(), e.token_type());
        }
        if !signed {
            prop_assert!(block_on(m.verify(&token)).is_err());
        }
    }
}
