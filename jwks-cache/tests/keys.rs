//! VerifyingKey and PemKeyResolver: key forms, sizes, algorithm binding, verification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Verifying needs a provider; tests/no_provider.rs covers the build without one.
#![cfg(any(feature = "josekit", feature = "aws-lc-rs"))]

mod common;

use std::sync::Arc;

use clerk_jwks_cache::{
    Algorithm, CryptoProvider, KeyError, KeyResolver, PemKeyResolver, Reason, VerifyingKey,
};
use common::{TestKey, keys};

const INPUT: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9";

/// Every provider this build has (the default one at least, so each test runs).
fn providers() -> Vec<Arc<dyn CryptoProvider>> {
    let all: Vec<Arc<dyn CryptoProvider>> = vec![
        #[cfg(feature = "josekit")]
        Arc::new(clerk_jwks_cache::JosekitProvider::new()),
        #[cfg(feature = "aws-lc-rs")]
        Arc::new(clerk_jwks_cache::AwsLcRsProvider::new()),
    ];
    assert!(!all.is_empty(), "the tests need a provider feature");
    all
}

#[test]
fn every_pem_form_gives_the_same_working_key() {
    let k = &keys()[0];
    let sig = k.sign(Algorithm::RS256, INPUT);
    for pem in [
        k.spki_pem(),
        k.pkcs1_pem(),
        k.bare_body(),
        k.spki_pem().replace('\n', "\\n"),
        k.spki_pem().replace('\n', "\r\n"),
    ] {
        for provider in providers() {
            let key = VerifyingKey::from_pem_with(&pem, &*provider).unwrap();
            assert_eq!(key.algorithm(), Algorithm::RS256);
            assert_eq!(key.modulus_bits(), 2048);
            assert_eq!(key.provider_name(), provider.name());
            assert_eq!(key.kid(), None);
            assert!(key.verify(INPUT, &sig).unwrap(), "{pem}");
            assert!(!key.verify(b"other input", &sig).unwrap());
        }
    }
}

#[test]
fn wrong_signatures_are_false_not_errors() {
    let [k, other, _] = keys();
    let sig = k.sign(Algorithm::RS256, INPUT);
    for provider in providers() {
        let key =
            VerifyingKey::from_rsa_components_with(&k.n(), &k.e(), Algorithm::RS256, &*provider)
                .unwrap();
        let mut flipped = sig.clone();
        flipped[17] ^= 1;
        assert!(!key.verify(INPUT, &flipped).unwrap());
        assert!(!key.verify(INPUT, &sig[..255]).unwrap());
        assert!(!key.verify(INPUT, &[]).unwrap());
        assert!(!key.verify(INPUT, &[0xFF; 256]).unwrap()); // s >= n
        assert!(
            !key.verify(INPUT, &other.sign(Algorithm::RS256, INPUT))
                .unwrap()
        );
    }
}

#[test]
fn a_key_verifies_exactly_one_algorithm() {
    let k = &keys()[0];
    for alg in Algorithm::SUPPORTED {
        let key = VerifyingKey::from_rsa_components(&k.n(), &k.e(), alg).unwrap();
        for signed_with in Algorithm::SUPPORTED {
            let sig = k.sign(signed_with, INPUT);
            assert_eq!(key.verify(INPUT, &sig).unwrap(), alg == signed_with);
        }
    }
}

#[test]
fn sizes_from_2048_to_8192_bits_are_accepted() {
    let k3072 = TestKey::load("test_rsa_3072.pem");
    let key = VerifyingKey::from_pem(&k3072.pkcs1_pem()).unwrap();
    assert_eq!(key.modulus_bits(), 3072);
    assert!(
        key.verify(INPUT, &k3072.sign(Algorithm::RS256, INPUT))
            .unwrap()
    );
    for bits in [2048, 3072, 4096, 8192] {
        for provider in providers() {
            let pem = common::pkcs1_pem_from(&common::synthetic_modulus(bits), &[1, 0, 1]);
            let key = VerifyingKey::from_pem_with(&pem, &*provider).unwrap();
            assert_eq!(key.modulus_bits(), bits);
        }
    }
    for bits in [1024, 2047, 8193, 16384] {
        let pem = common::pkcs1_pem_from(&common::synthetic_modulus(bits), &[1, 0, 1]);
        let err = VerifyingKey::from_pem(&pem).unwrap_err();
        assert!(err.to_string().contains(&format!("{bits} bits")), "{err}");
    }
}

#[test]
fn bad_components_are_invalid_keys() {
    let k = &keys()[0];
    let n = k.n();
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (n[..128].to_vec(), k.e()), // 1024 bits
        (n.clone(), vec![1]),       // e = 1
        (n.clone(), vec![1, 0, 0]), // even e
        (n.clone(), vec![]),        // no e
        (vec![], k.e()),            // no n
        (n.clone(), vec![1; 5]),    // e too large
    ];
    for (n, e) in cases {
        let err = VerifyingKey::from_rsa_components(&n, &e, Algorithm::RS256).unwrap_err();
        assert!(matches!(err, KeyError::InvalidKey { .. }), "{err}");
        assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    }
    // Leading zeros are harmless.
    let mut padded = vec![0, 0];
    padded.extend_from_slice(&n);
    assert_eq!(
        VerifyingKey::from_rsa_components(&padded, &[0, 1, 0, 1], Algorithm::RS256)
            .unwrap()
            .modulus_bits(),
        2048
    );
}

#[test]
fn debug_output_has_no_key_material() {
    let k = &keys()[0];
    let key = VerifyingKey::from_pem(&k.spki_pem()).unwrap();
    let dbg = format!("{key:?}");
    assert!(dbg.contains("RS256") && dbg.contains("2048"), "{dbg}");
    assert!(!dbg.contains(&k.bare_body()[40..60]));
}

#[tokio::test]
async fn pem_resolver_ignores_the_kid_and_is_rs256_only() {
    let k = &keys()[0];
    let r = PemKeyResolver::new(&k.bare_body()).unwrap();
    let sig = k.sign(Algorithm::RS256, INPUT);
    let a = r.resolve(Some("ins_1"), Algorithm::RS256).await.unwrap();
    let b = r
        .resolve(Some("ins_other"), Algorithm::RS256)
        .await
        .unwrap();
    let c = r.resolve(None, Algorithm::RS256).await.unwrap();
    assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&b, &c));
    assert!(a.verify(INPUT, &sig).unwrap());
    assert!(Arc::ptr_eq(
        &r.resolve_cached(Some("../../etc/passwd"), Algorithm::RS256)
            .unwrap(),
        &a
    ));
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let err = r.resolve(Some("ins_1"), alg).await.unwrap_err();
        assert!(matches!(err, KeyError::InvalidKey { .. }));
        assert!(err.to_string().contains("RS256 only"), "{err}");
        assert!(r.resolve_cached(Some("ins_1"), alg).is_none());
    }
}

#[test]
fn pem_resolver_errors() {
    assert_eq!(PemKeyResolver::new("").unwrap_err(), KeyError::LocalMissing);
    assert_eq!(
        PemKeyResolver::new("\n  ").unwrap_err().reason(),
        Reason::JwkLocalMissing
    );
    let n = keys()[0].n();
    let err = PemKeyResolver::new(&common::pkcs1_pem_from(&n[..128], &[1, 0, 1])).unwrap_err();
    assert!(err.to_string().contains("1024 bits"), "{err}");
}

#[tokio::test]
async fn resolvers_work_through_arc_and_box_dyn() {
    let k = &keys()[0];
    let r: Arc<dyn KeyResolver> = Arc::new(PemKeyResolver::new(&k.spki_pem()).unwrap());
    assert!(r.resolve(None, Algorithm::RS256).await.is_ok());
    let b: Box<dyn KeyResolver> = Box::new(Arc::clone(&r));
    assert!(b.resolve_cached(None, Algorithm::RS256).is_some());
}
