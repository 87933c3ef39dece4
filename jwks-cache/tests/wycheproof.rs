//! Wycheproof `json_web_key_test.json` (JWK set validation) against the JWK parser, the filter and
//! StaticJwksResolver. Every case runs; each deviation from the file's expected result is listed
//! below with its justification, and the test fails if the set of deviations changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Verifying needs a provider; tests/no_provider.rs covers the build without one.
#![cfg(any(feature = "josekit", feature = "aws-lc-rs"))]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_jwks_cache::{Algorithm, JwkSet, KeyResolver, StaticJwksResolver, VerifyingKey};
use serde_json::{Value, json};

/// Cases where we reject what Wycheproof marks "valid", and why that is right for this SDK.
const DEVIATIONS: &[(u64, &str)] = &[
    (
        2,
        "HS256 keyset: this crate verifies RS256/RS384/RS512 only (Clerk signs with RSA); a symmetric `oct` key is never usable (RFC 8725 §3.1)",
    ),
    (13, "HS256 long key: HMAC is not supported, see tcId 2"),
    (14, "HS384 long key: HMAC is not supported, see tcId 2"),
    (15, "HS512 long key: HMAC is not supported, see tcId 2"),
];

/// For cases Wycheproof expects us to reject, the reason we reject them (a substring of our
/// outcome), so a case cannot pass "by accident" for an unrelated reason where it matters.
const REJECTION_REASONS: &[(u64, &str)] = &[
    (5, "accepted"),               // the one valid RSA case: must verify
    (1, "kty 'oct' does not fit"), // mixed HS/EC set: neither key is RSA
    (3, "kty 'oct' does not fit"), // modified HMAC signature
    (4, "kty 'oct' does not fit"), // duplicate kid: HMAC; see duplicate_kid_vectors_translated_to_rsa
    (6, "use is 'enc'"),           // RSA1_5 encryption key
    (7, "ROCA"),
    (8, "1024 bits"),
    (9, "exponent must be odd, greater than 1"),
    (10, "kty 'oct' does not fit"),         // short HS256 key
    (11, "kty 'oct' does not fit"),         // short HS384 key
    (12, "kty 'oct' does not fit"),         // short HS512 key
    (16, "kty 'oct' does not fit"),         // empty HS256 key
    (17, "kty 'oct' does not fit"),         // empty HS384 key
    (18, "kty 'oct' does not fit"),         // empty HS512 key
    (19, "kty 'EC' does not fit"),          // ES521 on P-256
    (20, "kty 'EC' does not fit"),          // ES224 on P-256
    (21, "kty 'EC' does not fit"),          // use=enc EC key
    (22, "kty 'EC' does not fit"),          // invalid EC point
    (23, "kty 'EC' does not fit"),          // wrong curve
    (24, "JWK alg 'ES256' does not match"), // kty RSA carrying EC members
    (25, "kty 'oct' does not fit"),         // AES-GCM key used for signing
    (26, "kty 'oct' does not fit"),         // AES-KW key used for signing
];

/// Runs one case: first the key set through the parser and filter (for every RS algorithm, as a
/// resolver would), then the token's alg and kid through the resolver, then the signature.
fn outcome(keyset: &Value, jws: &str) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "{jws}");
    let set: JwkSet = match serde_json::from_value(keyset.clone()) {
        Ok(s) => s,
        Err(e) => return format!("rejected: JWKS does not parse: {e}"),
    };
    let resolver = match StaticJwksResolver::new(&set) {
        Ok(r) => r,
        Err(e) => {
            let why: Vec<String> = set
                .keys
                .iter()
                .map(|k| match VerifyingKey::from_jwk(k, Algorithm::RS256) {
                    Ok(_) => "usable".to_owned(),
                    Err(e) => e.to_string(),
                })
                .collect();
            return format!("rejected: no usable key in the set: {e}: {why:?}");
        }
    };
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let Some(alg) = header["alg"].as_str().and_then(Algorithm::from_name) else {
        return "rejected: unsupported token alg".into();
    };
    let kid = header["kid"].as_str();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = match rt.block_on(resolver.resolve(kid, alg)) {
        Ok(k) => k,
        Err(e) => return format!("rejected: {}: {e}", e.reason().as_str()),
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(parts[2]) else {
        return "rejected: signature is not base64url".into();
    };
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    match key.verify(signing_input.as_bytes(), &sig) {
        Ok(true) => "accepted".into(),
        Ok(false) => "rejected: wrong signature".into(),
        Err(e) => format!("rejected: backend error: {e}"),
    }
}

fn run(path: PathBuf) {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut deviations = BTreeMap::new();
    let mut outcomes = BTreeMap::new();
    let mut count = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let keyset = group.get("public").unwrap_or(&group["private"]);
        for t in group["tests"].as_array().unwrap() {
            count += 1;
            let id = t["tcId"].as_u64().unwrap();
            let got = outcome(keyset, t["jws"].as_str().unwrap());
            let accepted = got == "accepted";
            let expect_valid = t["result"] == "valid";
            if accepted != expect_valid {
                deviations.insert(id, got.clone());
            }
            outcomes.insert(id, got);
        }
    }
    assert_eq!(count, doc["numberOfTests"].as_u64().unwrap() as usize);
    let expected: Vec<u64> = DEVIATIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        deviations.keys().copied().collect::<Vec<_>>(),
        expected,
        "deviations changed: {deviations:#?}"
    );
    // No invalid case was ever accepted: every deviation is a rejection of a valid HMAC case.
    assert!(deviations.values().all(|o| o.starts_with("rejected")));
    if std::env::var_os("WYCHEPROOF_VERBOSE").is_some() {
        eprintln!("{outcomes:#?}");
    }
    // Every case is pinned: the deviations above, and a reason for each of the others.
    let pinned: std::collections::BTreeSet<u64> = REJECTION_REASONS
        .iter()
        .map(|(id, _)| *id)
        .chain(DEVIATIONS.iter().map(|(id, _)| *id))
        .collect();
    assert_eq!(pinned, outcomes.keys().copied().collect());
    for (id, needle) in REJECTION_REASONS {
        assert!(
            outcomes[id].contains(needle),
            "tcId {id}: expected '{needle}', got '{}'",
            outcomes[id]
        );
    }
}

#[test]
fn vendored_wycheproof_json_web_key_cases() {
    run(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/json_web_key_test.json"));
}

#[test]
fn shared_wycheproof_copy_matches_the_vendored_one() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/wycheproof/json_web_key_test.json");
    // The shared checkout is optional (e.g. in a packaged crate); the vendored copy is the test.
    if let Ok(text) = std::fs::read_to_string(&shared) {
        let vendored = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/json_web_key_test.json"),
        )
        .unwrap();
        assert_eq!(text, vendored, "vendored copy is out of date");
        run(shared);
    }
}

/// tcIds 1 and 4 ("Ambiguous", "DuplicateKid") use HMAC keys, which we never accept, so the file
/// cannot exercise our duplicate-kid rule. The same attack with the file's RSA key (tcId 5): the
/// valid token's kid also names a second RSA key (a copy, or another key), and must not verify.
#[test]
fn duplicate_kid_vectors_translated_to_rsa() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/json_web_key_test.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (group, test) = doc["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|g| {
            g["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["tcId"] == 5)
                .map(|t| (g, t))
        })
        .unwrap();
    let jwk = group["public"]["keys"][0].clone();
    let kid = jwk["kid"].as_str().unwrap().to_owned();
    let jws = test["jws"].as_str().unwrap();
    assert_eq!(outcome(&json!({"keys": [jwk]}), jws), "accepted");

    let mut other = jwk.clone();
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let mut n2 = n;
    let last = n2.len() - 3;
    n2[last] ^= 0x10; // another odd modulus of the same size
    other["n"] = json!(URL_SAFE_NO_PAD.encode(&n2));
    for (label, set) in [
        ("exact copy", json!({"keys": [jwk, jwk]})),
        ("other key first", json!({"keys": [other, jwk]})),
        ("other key last", json!({"keys": [jwk, other]})),
    ] {
        let got = outcome(&set, jws);
        assert_eq!(
            got,
            format!(
                "rejected: jwk-failed-to-resolve: The JWKS contains more than one signing key with kid='{kid}'; refusing to pick one. Contact support@clerk.com."
            ),
            "{label}"
        );
    }
}
