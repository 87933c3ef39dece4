//! StaticJwksResolver and the JWK filter every JWKS resolver applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Verifying needs a provider; tests/no_provider.rs covers the build without one.
#![cfg(any(feature = "josekit", feature = "aws-lc-rs"))]

mod common;

use std::sync::Arc;

use clerk_jwks_cache::{Algorithm, JwkSet, KeyError, KeyResolver, Reason, StaticJwksResolver};
use common::{keys, set};
use serde_json::Value;

const INPUT: &[u8] = b"header.payload";

#[tokio::test]
async fn resolves_by_kid_and_alg_and_verifies() {
    let [a, b, _] = keys();
    let r = StaticJwksResolver::new(&set(vec![
        a.jwk("ins_a", Algorithm::RS256),
        b.jwk("ins_b", Algorithm::RS384),
    ]))
    .unwrap();
    let ka = r.resolve(Some("ins_a"), Algorithm::RS256).await.unwrap();
    assert_eq!(ka.kid(), Some("ins_a"));
    assert!(ka.verify(INPUT, &a.sign(Algorithm::RS256, INPUT)).unwrap());
    assert!(!ka.verify(INPUT, &b.sign(Algorithm::RS256, INPUT)).unwrap());
    let kb = r.resolve(Some("ins_b"), Algorithm::RS384).await.unwrap();
    assert!(kb.verify(INPUT, &b.sign(Algorithm::RS384, INPUT)).unwrap());
    assert!(Arc::ptr_eq(
        &r.resolve_cached(Some("ins_a"), Algorithm::RS256).unwrap(),
        &ka
    ));

    // The JWK says RS256, so an RS384 token finds no key for that kid.
    let err = r
        .resolve(Some("ins_a"), Algorithm::RS384)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        KeyError::KidMismatch {
            kid: "ins_a".into()
        }
    );
    assert!(r.resolve_cached(Some("ins_a"), Algorithm::RS384).is_none());
}

#[tokio::test]
async fn a_jwk_without_alg_serves_each_rs_alg_with_a_separate_key() {
    let a = &keys()[0];
    let mut jwk = a.jwk("ins_a", Algorithm::RS256);
    jwk.alg = None;
    let r = StaticJwksResolver::new(&set(vec![jwk])).unwrap();
    for alg in Algorithm::SUPPORTED {
        let k = r.resolve(Some("ins_a"), alg).await.unwrap();
        assert_eq!(k.algorithm(), alg);
        assert!(k.verify(INPUT, &a.sign(alg, INPUT)).unwrap());
    }
}

#[tokio::test]
async fn unknown_and_missing_kids_are_kid_mismatch_without_listing_kids() {
    let r = StaticJwksResolver::new(&set(vec![
        keys()[0].jwk("ins_secret_kid", Algorithm::RS256),
    ]))
    .unwrap();
    let err = r
        .resolve(Some("ins_other"), Algorithm::RS256)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::JwkKidMismatch);
    assert!(err.to_string().contains("kid='ins_other'"));
    assert!(!err.to_string().contains("ins_secret_kid"));
    // No kid: never matches, even a key whose kid is literally "undefined".
    let r =
        StaticJwksResolver::new(&set(vec![keys()[0].jwk("undefined", Algorithm::RS256)])).unwrap();
    let err = r.resolve(None, Algorithm::RS256).await.unwrap_err();
    assert_eq!(
        err,
        KeyError::KidMismatch {
            kid: "undefined".into()
        }
    );
    assert!(r.resolve_cached(None, Algorithm::RS256).is_none());
    assert!(r.resolve(Some("undefined"), Algorithm::RS256).await.is_ok());
}

#[tokio::test]
async fn two_usable_keys_with_one_kid_are_ambiguous() {
    let [a, b, c] = keys();
    let r = StaticJwksResolver::new(&set(vec![
        a.jwk("dup", Algorithm::RS256),
        b.jwk("dup", Algorithm::RS256),
        c.jwk("dup", Algorithm::RS512),
    ]))
    .unwrap();
    let err = r.resolve(Some("dup"), Algorithm::RS256).await.unwrap_err();
    assert_eq!(err, KeyError::AmbiguousKid { kid: "dup".into() });
    assert!(r.resolve_cached(Some("dup"), Algorithm::RS256).is_none());
    // Bound to different algorithms, the third key is unambiguous for RS512.
    assert!(r.resolve(Some("dup"), Algorithm::RS512).await.is_ok());

    // A duplicate that fails the filter does not make the kid ambiguous.
    let mut enc = b.jwk("dup", Algorithm::RS256);
    enc.use_ = Some("enc".into());
    let r = StaticJwksResolver::new(&set(vec![a.jwk("dup", Algorithm::RS256), enc])).unwrap();
    assert!(r.resolve(Some("dup"), Algorithm::RS256).await.is_ok());
}

#[tokio::test]
async fn filtered_keys_are_skipped_and_the_rest_still_work() {
    let [a, b, _] = keys();
    let good = b.jwk("good", Algorithm::RS256);
    let mut bad = Vec::new();
    let mut push = |kid: &str, f: &dyn Fn(&mut clerk_jwks_cache::Jwk)| {
        let mut j = a.jwk(kid, Algorithm::RS256);
        f(&mut j);
        bad.push(j);
    };
    push("use-enc", &|j| j.use_ = Some("enc".into()));
    push("ops-encrypt", &|j| j.key_ops = Some(vec!["encrypt".into()]));
    push("alg-ps256", &|j| j.alg = Some("PS256".into()));
    push("kty-ec", &|j| j.kty = "EC".into());
    push("small", &|j| {
        let n = a.n();
        *j = clerk_jwks_cache::Jwk::rsa("small", Algorithm::RS256, &n[..128], &a.e());
    });
    push("e-one", &|j| j.e = Some("AQ".into()));
    push("private", &|j| {
        j.other.insert("d".into(), Value::String("AQAB".into()));
    });
    push("no-n", &|j| j.n = None);
    let kids: Vec<String> = bad.iter().map(|j| j.kid.clone().unwrap()).collect();
    let mut all = bad;
    let mut nokid = a.jwk("x", Algorithm::RS256);
    nokid.kid = None;
    all.push(nokid);
    all.push(good);
    let r = StaticJwksResolver::new(&set(all)).unwrap();
    assert!(r.resolve(Some("good"), Algorithm::RS256).await.is_ok());
    for kid in kids {
        for alg in Algorithm::SUPPORTED {
            let err = r.resolve(Some(&kid), alg).await.unwrap_err();
            assert_eq!(err, KeyError::KidMismatch { kid: kid.clone() }, "{kid}");
        }
    }
}

#[test]
fn a_set_without_usable_keys_is_refused() {
    let mut enc = keys()[0].jwk("a", Algorithm::RS256);
    enc.use_ = Some("enc".into());
    for s in [JwkSet::default(), set(vec![enc])] {
        let err = StaticJwksResolver::new(&s).unwrap_err();
        assert!(matches!(err, KeyError::InvalidKey { .. }));
    }
    assert!(StaticJwksResolver::from_json("not json").is_err());
}

#[tokio::test]
async fn from_json_reads_clerk_shaped_jwks() {
    let a = &keys()[0];
    let j = a.jwk("ins_2GIoQhbUpy0hX7B2cVkuTMinXoD", Algorithm::RS256);
    let json = format!(
        r#"{{"keys":[{{"use":"sig","kty":"RSA","kid":"{}","alg":"RS256","n":"{}","e":"AQAB","x5t":"ignored"}}]}}"#,
        j.kid.as_deref().unwrap(),
        j.n.as_deref().unwrap()
    );
    let r = StaticJwksResolver::from_json(&json).unwrap();
    let k = r
        .resolve(Some("ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"), Algorithm::RS256)
        .await
        .unwrap();
    assert!(k.verify(INPUT, &a.sign(Algorithm::RS256, INPUT)).unwrap());
}

#[tokio::test]
async fn large_sets_resolve_every_kid_and_detect_duplicates() {
    // More than eight kids switches the index from a linear scan to a hash map.
    let [a, b, _] = keys();
    let mut jwks: Vec<_> = (0..12)
        .map(|i| a.jwk(&format!("ins_{i}"), Algorithm::RS256))
        .collect();
    jwks.push(b.jwk("ins_7", Algorithm::RS256));
    let r = StaticJwksResolver::new(&set(jwks)).unwrap();
    for i in (0..12).filter(|i| *i != 7) {
        let kid = format!("ins_{i}");
        assert_eq!(
            r.resolve(Some(&kid), Algorithm::RS256).await.unwrap().kid(),
            Some(kid.as_str())
        );
        assert!(r.resolve_cached(Some(&kid), Algorithm::RS256).is_some());
    }
    assert_eq!(
        r.resolve(Some("ins_7"), Algorithm::RS256)
            .await
            .unwrap_err(),
        KeyError::AmbiguousKid {
            kid: "ins_7".into()
        }
    );
    assert!(r.resolve(Some("ins_12"), Algorithm::RS256).await.is_err());
}

/// The size rule on the JWK path (not only PEM): 2048..=8192 bits. A key outside it is skipped,
/// and the set's other keys keep working.
#[tokio::test]
async fn jwk_modulus_sizes_from_2048_to_8192_bits() {
    let good = keys()[1].jwk("good", Algorithm::RS256);
    for (bits, usable) in [
        (1024, false),
        (2047, false),
        (2048, true),
        (3072, true),
        (8192, true),
        (8193, false),
    ] {
        let kid = format!("rsa{bits}");
        let jwk = clerk_jwks_cache::Jwk::rsa(
            &kid,
            Algorithm::RS256,
            &common::synthetic_modulus(bits),
            &[1, 0, 1],
        );
        let r = StaticJwksResolver::new(&set(vec![jwk, good.clone()])).unwrap();
        let got = r.resolve(Some(&kid), Algorithm::RS256).await;
        match got {
            Ok(k) => {
                assert!(usable, "{bits} bits accepted");
                assert_eq!(k.modulus_bits(), bits);
            }
            Err(e) => {
                assert!(!usable, "{bits} bits refused: {e}");
                assert_eq!(e, KeyError::KidMismatch { kid: kid.clone() });
            }
        }
        assert!(r.resolve(Some("good"), Algorithm::RS256).await.is_ok());
    }
}

/// The filter accepts exactly what the rules allow: `use` absent or `sig`, `key_ops` absent or
/// containing `verify`, `alg` absent or equal to the token's.
#[tokio::test]
async fn the_filter_accepts_what_the_rules_allow() {
    let a = &keys()[0];
    type Mutation = &'static dyn Fn(&mut clerk_jwks_cache::Jwk);
    let cases: [(&str, Mutation); 6] = [
        ("use-absent", &|j| j.use_ = None),
        ("use-sig", &|j| j.use_ = Some("sig".into())),
        ("ops-verify", &|j| j.key_ops = Some(vec!["verify".into()])),
        ("ops-sign-verify", &|j| {
            j.key_ops = Some(vec!["sign".into(), "verify".into()]);
        }),
        ("alg-absent", &|j| j.alg = None),
        ("unknown-members", &|j| {
            j.other.insert("x5t".into(), Value::String("t".into()));
            j.other.insert("ext".into(), Value::Bool(true));
        }),
    ];
    for (kid, mutate) in cases {
        let mut j = a.jwk(kid, Algorithm::RS256);
        mutate(&mut j);
        let r = StaticJwksResolver::new(&set(vec![j])).unwrap();
        let k = r.resolve(Some(kid), Algorithm::RS256).await.unwrap();
        assert!(
            k.verify(INPUT, &a.sign(Algorithm::RS256, INPUT)).unwrap(),
            "{kid}"
        );
    }
}

mod warnings {
    //! A minimal `tracing` subscriber that records WARN events, to check that a skipped key is
    //! reported (issue 3: "skipped with a tracing warning") without key material.
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub(super) struct Capture(pub(super) Arc<Mutex<Vec<String>>>);

    struct Fields(String);
    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={:?}; ", field.name(), value);
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            if *event.metadata().level() == Level::WARN {
                let mut f = Fields(String::new());
                event.record(&mut f);
                self.0.lock().unwrap().push(f.0);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[test]
fn a_skipped_key_is_reported_with_a_warning_naming_its_kid_only() {
    let [a, b, _] = keys();
    let mut enc = a.jwk("ins_enc", Algorithm::RS256);
    enc.use_ = Some("enc".into());
    let mut private = a.jwk("ins_private", Algorithm::RS256);
    private
        .other
        .insert("d".into(), Value::String("PRIVATE_EXPONENT_VALUE".into()));
    let good = b.jwk("ins_good", Algorithm::RS256);
    let moduli = [enc.n.clone().unwrap(), good.n.clone().unwrap()];
    let capture = warnings::Capture::default();
    let r = tracing::subscriber::with_default(capture.clone(), || {
        StaticJwksResolver::new(&set(vec![enc, private, good])).unwrap()
    });
    let logs = capture.0.lock().unwrap().clone();
    assert_eq!(logs.len(), 2, "{logs:#?}");
    assert!(
        logs[0].contains("ins_enc") && logs[0].contains("use is 'enc'"),
        "{logs:#?}"
    );
    assert!(logs[1].contains("ins_private") && logs[1].contains("private key material"));
    for line in &logs {
        assert!(!line.contains("PRIVATE_EXPONENT_VALUE"), "{line}");
        for n in &moduli {
            assert!(!line.contains(&n[..40]), "{line}");
        }
        assert!(!line.contains("ins_good"), "{line}");
    }
    assert!(
        r.resolve_cached(Some("ins_good"), Algorithm::RS256)
            .is_some()
    );
}
