//! The classic JWT verification attacks (see RFC 8725 §2): alg `none`, HS/RS key confusion,
//! tampering, kid injection, embedded keys and key URLs, `crit`/`b64`/nested JWTs, duplicate
//! members and claim type confusion, and unknown-kid refetch storms. Each runs against the M2M
//! preset with a JWKS resolver that counts its calls.

use clerk_token_verify::{ErrorCode, Reason, VerifyError};
use josekit::jwk::KeyPair as _;
use josekit::jws::{HS256, JwsSigner as _, RS256};
use serde_json::{Value, json};

use crate::common::*;

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

#[tokio::test]
async fn alg_none() {
    let (v, resolver) = m2m();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = with(m2m_header(), &[("alg", Some(json!(alg)))]);
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(m2m_payload().to_string().as_bytes())
        );
        for token in [format!("{input}."), format!("{input}.AAAA")] {
            let e = v.verify(&token).await.unwrap_err();
            assert!(
                matches!(
                    e.reason(),
                    Reason::TokenInvalidAlgorithm | Reason::TokenInvalid
                ),
                "{alg}: {e:?}"
            );
        }
    }
    assert_eq!(resolver.calls(), 0);
}

/// HS256 with the RSA public key (PEM text, and DER) as the HMAC secret (CVE-2016-5431 class).
#[tokio::test]
async fn hs256_signed_with_the_public_key_as_secret() {
    let (v, resolver) = m2m();
    let header = with(m2m_header(), &[("alg", Some(json!("HS256")))]);
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(m2m_payload().to_string().as_bytes())
    );
    let der = RS256
        .key_pair_from_pem(SIGNING_KEY)
        .unwrap()
        .to_der_public_key();
    for secret in [SIGNING_PUB.as_bytes().to_vec(), der] {
        let sig = HS256
            .signer_from_bytes(&secret)
            .unwrap()
            .sign(input.as_bytes())
            .unwrap();
        let e = v
            .verify(&format!("{input}.{}", b64(&sig)))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT algorithm \"HS256\". Supported: RS256,RS384,RS512."
        );
        assert_eq!(e.reason(), Reason::TokenInvalidAlgorithm);
    }
    // Other families are refused the same way, before any key lookup.
    for alg in [
        "HS384", "HS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ] {
        let header = with(m2m_header(), &[("alg", Some(json!(alg)))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(e.reason(), Reason::TokenInvalidAlgorithm, "{alg}");
    }
    assert_eq!(resolver.calls(), 0);
}

#[tokio::test]
async fn tampered_header() {
    let (v, _) = m2m();
    let good = segments(&sign(&m2m_header(), &m2m_payload()));
    for header in [
        with(m2m_header(), &[("kid", Some(json!(KID.to_owned() + " ")))]),
        with(m2m_header(), &[("typ", None)]),
        with(m2m_header(), &[("cat", None)]),
        with(m2m_header(), &[("extra", Some(json!(1)))]),
    ] {
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            good[1],
            good[2]
        );
        let e = v.verify(&token).await.unwrap_err();
        // A changed kid no longer finds the key; anything else fails the signature.
        assert!(
            matches!(
                e.reason(),
                Reason::TokenInvalidSignature | Reason::JwkKidMismatch
            ),
            "{header}: {e:?}"
        );
    }
}

#[tokio::test]
async fn tampered_payload() {
    let (v, _) = m2m();
    let good = segments(&sign(&m2m_header(), &m2m_payload()));
    for payload in [
        with(m2m_payload(), &[("exp", Some(json!(IAT + 999_999)))]),
        with(m2m_payload(), &[("sub", Some(json!("mch_attacker")))]),
        with(m2m_payload(), &[("aud", Some(json!(["mch_victim"])))]),
    ] {
        let token = format!(
            "{}.{}.{}",
            good[0],
            b64(payload.to_string().as_bytes()),
            good[2]
        );
        let e = v.verify(&token).await.unwrap_err();
        assert!(matches!(e, VerifyError::InvalidSignature { .. }), "{e:?}");
    }
    // One flipped bit of the signature.
    let mut sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &good[2])
            .unwrap();
    sig[17] ^= 1;
    let token = format!("{}.{}.{}", good[0], good[1], b64(&sig));
    assert_eq!(
        v.verify(&token).await.unwrap_err().reason(),
        Reason::TokenInvalidSignature
    );
    // A truncated signature.
    let token = format!("{}.{}.{}", good[0], good[1], b64(&sig[..128]));
    let e = v.verify(&token).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert!(matches!(
        e.reason(),
        Reason::TokenInvalidSignature | Reason::TokenVerificationFailed
    ));
}

#[tokio::test]
async fn another_keys_signature() {
    let (v, _) = m2m();
    let e = v
        .verify(&sign_with(OTHER_KEY, &m2m_header(), &m2m_payload()))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
}

/// `kid` is only a map key: traversal, injection and huge kids just miss.
#[tokio::test]
async fn kid_path_traversal_and_injection() {
    let (v, _) = m2m();
    for kid in [
        "../../../../etc/passwd".to_owned(),
        "/dev/zero".to_owned(),
        "' OR 1=1 --".to_owned(),
        "ins_1\u{0}".to_owned(),
        "https://attacker.example/jwks.json".to_owned(),
        "k".repeat(4000),
    ] {
        let header = with(m2m_header(), &[("kid", Some(json!(kid)))]);
        let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{e:?}");
        assert!(matches!(e, VerifyError::Key { .. }), "{e:?}");
    }
}

/// The attacker signs with their own key and embeds it (CVE-2018-0114 class), or points `jku`
/// / `x5u` at it. The token is refused before any key lookup.
#[tokio::test]
async fn embedded_jwk_and_key_urls() {
    let (v, resolver) = m2m();
    let attacker: Value = {
        let pair = RS256.key_pair_from_pem(OTHER_KEY).unwrap();
        let m: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
        Value::Object(m)
    };
    let cases = [
        ("jwk", attacker.clone()),
        (
            "jku",
            json!("https://attacker.example/.well-known/jwks.json"),
        ),
        ("x5u", json!("https://attacker.example/cert.pem")),
        (
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ),
    ];
    for (name, value) in cases {
        let header = with(m2m_header(), &[(name, Some(value.clone()))]);
        for key in [OTHER_KEY, SIGNING_KEY] {
            let e = v
                .verify(&sign_with(key, &header, &m2m_payload()))
                .await
                .unwrap_err();
            assert!(
                matches!(e, VerifyError::EmbeddedKeyHeader { .. }),
                "{name}: {e:?}"
            );
            assert_eq!(e.reason(), Reason::TokenInvalid);
            assert!(e.to_string().contains(name));
        }
    }
    assert_eq!(resolver.calls(), 0);
}

#[tokio::test]
async fn crit_b64_false_and_nested_jwt() {
    let (v, resolver) = m2m();
    let header = with(
        m2m_header(),
        &[("crit", Some(json!(["b64"]))), ("b64", Some(json!(false)))],
    );
    let e = v.verify(&sign(&header, &m2m_payload())).await.unwrap_err();
    assert!(matches!(e, VerifyError::CriticalHeader { .. }), "{e:?}");
    let header = with(
        m2m_header(),
        &[("crit", Some(json!(["exp"]))), ("exp", Some(json!(IAT)))],
    );
    assert!(matches!(
        v.verify(&sign(&header, &m2m_payload())).await,
        Err(VerifyError::CriticalHeader { .. })
    ));
    let header = with(m2m_header(), &[("cty", Some(json!("JWT")))]);
    assert!(matches!(
        v.verify(&sign(&header, &m2m_payload())).await,
        Err(VerifyError::NestedJwt { .. })
    ));
    assert_eq!(resolver.calls(), 0);
}

/// Duplicate members and claim type confusion (GHSA-h395-gr6q-cpjc class).
#[tokio::test]
async fn duplicate_members_and_claim_type_confusion() {
    let (v, _) = m2m();
    // Hand-written JSON, since serde_json cannot build duplicates.
    let header = format!(r#"{{"alg":"RS256","kid":"{KID}","alg":"none"}}"#);
    let payload = m2m_payload().to_string();
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = sign_input(SIGNING_KEY, "RS256", input.as_bytes());
    assert_eq!(
        v.verify(&format!("{input}.{}", b64(&sig)))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::TokenInvalid
    );

    let payload = format!(
        r#"{{"sub":"mch_1","exp":{},"exp":{}}}"#,
        IAT - 999,
        IAT + 999
    );
    let input = format!(
        "{}.{}",
        b64(m2m_header().to_string().as_bytes()),
        b64(payload.as_bytes())
    );
    let sig = sign_input(SIGNING_KEY, "RS256", input.as_bytes());
    assert_eq!(
        v.verify(&format!("{input}.{}", b64(&sig)))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::TokenInvalid
    );

    for exp in [
        json!("9999999999"),
        json!(null),
        json!(true),
        json!([IAT + 300]),
        json!({"t": 1}),
    ] {
        let token = sign(
            &m2m_header(),
            &with(m2m_payload(), &[("exp", Some(exp.clone()))]),
        );
        let e = v.verify(&token).await.unwrap_err();
        assert!(
            matches!(e, VerifyError::InvalidExpiry { .. }),
            "{exp}: {e:?}"
        );
    }
    // Huge and negative dates neither panic nor pass.
    for (claim, value) in [
        ("exp", json!(-1e300)),
        ("nbf", json!(1e300)),
        ("iat", json!(1e300)),
        ("exp", json!(-5)),
    ] {
        let token = sign(
            &m2m_header(),
            &with(m2m_payload(), &[(claim, Some(value.clone()))]),
        );
        assert!(v.verify(&token).await.is_err(), "{claim}={value}");
    }
}

/// An in-memory JWKS source that counts fetches; a fetch takes one virtual second.
struct CountingSource {
    set: clerk_jwks_cache::JwkSet,
    fetches: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl clerk_jwks_cache::JwksSource for CountingSource {
    async fn fetch(&self) -> Result<clerk_jwks_cache::JwkSet, clerk_jwks_cache::KeyError> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        Ok(self.set.clone())
    }
}

/// Unknown-kid refetch storm through the whole verifier with a remote JWKS: attacker-chosen kids
/// (traversal, injection, URLs, junk) are only ever map keys; a flood of them inside one cooldown
/// costs at most one fetch, and the fetch never sees the kid (a `JwksSource` takes no kid at all).
#[tokio::test(start_paused = true)]
async fn unknown_kid_flood_through_the_verifier_makes_at_most_one_fetch() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    let set =
        clerk_jwks_cache::JwkSet::from_json(&json!({"keys": [public_jwk("RS256")]}).to_string())
            .unwrap();
    let source = Arc::new(CountingSource {
        set,
        fetches: std::sync::atomic::AtomicUsize::new(0),
    });
    let resolver = Arc::new(clerk_jwks_cache::RemoteJwksResolver::new(Arc::clone(
        &source,
    )));
    let v = clerk_token_verify::Verifier::m2m(resolver).with_clock(clock());
    let good = sign(&m2m_header(), &m2m_payload());
    assert!(v.verify(&good).await.is_ok());
    assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    tokio::time::advance(std::time::Duration::from_secs(31)).await;

    // The resolver is consulted before the signature, so the flood needs no valid signatures:
    // each token is the good one with its header swapped.
    let parts = segments(&good);
    let mut kids: Vec<String> = [
        "../../../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "/dev/zero",
        "' OR 1=1 --",
        "ins_1\u{0}",
        "https://attacker.example/jwks.json",
        "file:///etc/shadow",
        "",
        " ",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    kids.extend((0..2_000u32).map(|i| format!("ins_{:08x}", i.wrapping_mul(2_654_435_761))));
    let mut tasks = tokio::task::JoinSet::new();
    for kid in kids {
        let header = with(m2m_header(), &[("kid", Some(json!(kid)))]);
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            parts[1],
            parts[2]
        );
        let v = v.clone();
        tasks.spawn(async move { (v.verify(&token).await, kid) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (res, kid) = joined.unwrap();
        let e = res.unwrap_err();
        assert_eq!(e.reason(), Reason::JwkKidMismatch, "{kid:?}");
        assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
        assert!(
            !e.to_string().contains(KID),
            "never lists the instance's kid"
        );
    }
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        2,
        "one refetch for the flood"
    );
    // One after the other, still inside the cooldown: no fetch either.
    for i in 0..100 {
        let header = with(m2m_header(), &[("kid", Some(json!(format!("../{i}"))))]);
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            parts[1],
            parts[2]
        );
        assert_eq!(
            v.verify(&token).await.unwrap_err().reason(),
            Reason::JwkKidMismatch
        );
    }
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        2,
        "sequential misses fetch nothing"
    );
    assert!(v.verify(&good).await.is_ok());
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
}
