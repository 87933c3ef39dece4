//! Wycheproof `json_web_signature_test.json` (C2SP/wycheproof, Apache-2.0, vendored unchanged in
//! `tests/data/` with its licence) through our header and signature steps.
//!
//! Harness: split the compact token (anything else is rejected, as our decode does); decode the
//! header with token-types' strict `JwtHeader`; run `steps::header::check_algorithm` and
//! `check_extensions`; build a `VerifyingKey` from the group's public JWK bound to the token's
//! algorithm (the JWK filter rejects `use: enc` and `key_ops` without `verify`); require canonical
//! base64url for the payload and signature; then `steps::signature::check`.
//!
//! The payloads are not JSON (`foo`, empty, zero bytes), so the full pipeline would stop at
//! decode; the signature step is what these vectors exercise.
//!
//! Expected deviations, all rejections of vectors marked valid (never an acceptance of an
//! invalid one), each justified:
//! * every valid vector whose `alg` is not RS256/RS384/RS512 (HS256, ES256, ES512, PS256/384/512):
//!   outside our allow-list by design (`@clerk/backend` allows only these three; RFC 8725 §3.1);
//! * the "base64" group's valid cases are HS256, so the same.

use std::collections::BTreeSet;

use base64::Engine as _;
use clerk_jwks_cache::{Jwk, VerifyingKey};
use clerk_token_types::JwtHeader;
use clerk_token_verify::steps;
use serde_json::Value;

const DATA: &str = include_str!("../data/json_web_signature_test.json");

fn strict_b64(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| e.to_string())
}

/// Ok(()) if the token verifies through our steps with the group's key.
fn run(public: Option<&Value>, jws: &str) -> Result<(), String> {
    let parts: Vec<&str> = jws.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err("not three parts".into());
    };
    let header: JwtHeader = serde_json::from_slice(&strict_b64(h)?).map_err(|e| e.to_string())?;
    let alg = steps::header::check_algorithm(header.alg.as_deref()).map_err(|e| e.to_string())?;
    steps::header::check_extensions(&header).map_err(|e| e.to_string())?;
    let jwk: Jwk = serde_json::from_value(public.ok_or("no public key")?.clone())
        .map_err(|e| e.to_string())?;
    let key = VerifyingKey::from_jwk(&jwk, alg).map_err(|e| e.to_string())?;
    strict_b64(p)?;
    let sig = strict_b64(s)?;
    let input = format!("{h}.{p}");
    steps::signature::check(&key, alg, input.as_bytes(), &sig).map_err(|e| e.to_string())
}

#[test]
fn json_web_signature_vectors() {
    let file: Value = serde_json::from_str(DATA).unwrap();
    let mut rs_cases = 0;
    let mut rs_valid = 0;
    let mut deviations = BTreeSet::new();
    let mut total = 0;
    for group in file["testGroups"].as_array().unwrap() {
        let public = group.get("public");
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let id = t["tcId"].to_string();
            let jws = t["jws"].as_str().unwrap();
            let valid = t["result"] == "valid";
            let got = run(public, jws);
            let alg = jws
                .split('.')
                .next()
                .and_then(|h| strict_b64(h).ok())
                .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
                .and_then(|h| h["alg"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let rsa_pkcs1 = matches!(alg.as_str(), "RS256" | "RS384" | "RS512");
            if rsa_pkcs1 {
                rs_cases += 1;
                rs_valid += usize::from(valid);
            }
            match (valid, &got) {
                // Never accept an invalid vector, whatever its algorithm.
                (false, Ok(())) => panic!("tcId {id} ({}) is invalid but verified", t["comment"]),
                (true, Err(e)) => {
                    assert!(
                        !rsa_pkcs1,
                        "tcId {id} ({}) is a valid {alg} vector and was rejected: {e}",
                        t["comment"]
                    );
                    deviations.insert(id);
                }
                _ => {}
            }
        }
    }
    assert_eq!(total, 401);
    eprintln!("RSASSA-PKCS1-v1_5 vectors: {rs_cases}, of which valid: {rs_valid}");
    assert_eq!((rs_cases, rs_valid), (RS_CASES, RS_VALID));
    let expected: BTreeSet<String> = OUTSIDE_ALLOW_LIST
        .iter()
        .chain(NON_CANONICAL_BASE64)
        .map(|id| id.to_string())
        .collect();
    assert_eq!(deviations, expected);
}

/// Vectors whose `alg` is counted as RS256/384/512 and, of them, those marked valid: every one
/// of the latter verifies (asserted above). Valid: 1 (kid-rsa-sign) + 5 (payload shapes) + 2 (RFC
/// 7520 figure 13, with and without key_ops) + 4 (RS384) + 4 (RS512).
const RS_CASES: usize = 241;
const RS_VALID: usize = 16;

/// Valid vectors rejected because their `alg` (HS256, ES256, ES512, PS256/384/512) is outside
/// our allow-list: by design (`@clerk/backend` allows only RS256/384/512; RFC 8725 §3.1).
const OUTSIDE_ALLOW_LIST: &[u32] = &[
    1, 18, 272, 273, 274, 275, 287, 288, 320, 321, 322, 323, 325, 326, 327, 328, 346, 347, 348,
    350, 351, 352, 357, 358, 359, 373, 376, 377, 378,
];

/// tcId 372 "InvalidCharacterInsertedInHeader": a `?` inside the header segment, marked valid
/// for decoders that skip unknown characters. We decode canonical base64url only (as
/// `@clerk/backend` does), so it is rejected at decode; rejecting is the safe side.
const NON_CANONICAL_BASE64: &[u32] = &[372];

#[test]
fn rs256_groups_individually() {
    let file: Value = serde_json::from_str(DATA).unwrap();
    let groups = file["testGroups"].as_array().unwrap();
    // Group 2: kid-rsa-sign, 226 cases, exactly one valid.
    let g = &groups[2];
    let results: Vec<bool> = g["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| run(g.get("public"), t["jws"].as_str().unwrap()).is_ok())
        .collect();
    assert_eq!(results.len(), 226);
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1);
    assert!(results[0], "acceptsValid");
    // The same valid token with a key for encryption (`use: enc`, `key_ops: [encrypt]`) fails.
    for i in [17, 19] {
        let g = &groups[i];
        let t = &g["tests"][0];
        assert_eq!(t["result"], "invalid");
        assert!(
            run(g.get("public"), t["jws"].as_str().unwrap()).is_err(),
            "group {i}"
        );
    }
}
