//! StaticJwksResolver and the JWK filter every JWKS resolver applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

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
