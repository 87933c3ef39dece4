#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! JWT-format M2M tokens from `POST /m2m_tokens` and from `MintSpec`: shape and signatures.

mod common;

use clerk_bapi_emulator::{EmulatorHandle, MintSpec};
use clerk_token_types::{
    Algorithm, JWT_CATEGORY_M2M_TOKEN, JWT_CATEGORY_SESSION_TOKEN, M2MToken, dangerous,
};
use common::{Api, sk};
use josekit::jws::{JwsVerifier, RS256, RS384};
use serde_json::{Value, json};

/// The payload as sent, key order kept.
fn payload(token: &str) -> Value {
    let jwt = dangerous::insecure_decode(token).unwrap();
    serde_json::from_slice(&base64_decode(jwt.raw_payload())).unwrap()
}

fn signature_ok(emu: &EmulatorHandle, token: &str) -> bool {
    let jwt = dangerous::insecure_decode(token).unwrap();
    let verifier = RS256.verifier_from_pem(emu.jwt_public_key_pem()).unwrap();
    verifier
        .verify(jwt.signing_input(), jwt.signature())
        .is_ok()
}

#[tokio::test]
async fn created_jwt_is_shaped_like_clerks() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let b = emu.create_machine("b", &[]);
    let c = emu.create_machine("c", &[]);
    let a = emu.create_machine("a", &[&b.id, &c.id]);
    let r = api
        .post(
            "/m2m_tokens",
            a.secret_key.expose_secret(),
            json!({"token_format": "jwt", "seconds_until_expiration": 600, "claims": {"role": "svc", "n": 1}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let token = r.body["token"].as_str().unwrap();
    let jwt = dangerous::insecure_decode(token).unwrap();
    let h = jwt.header();
    assert_eq!(h.alg.as_deref(), Some("RS256"));
    assert_eq!(h.kid.as_deref(), Some(emu.kid().as_str()));
    assert_eq!(h.typ.as_deref(), Some("JWT"));
    assert_eq!(h.cat.as_str(), Some(JWT_CATEGORY_M2M_TOKEN));
    let raw_header: Value = serde_json::from_slice(&base64_decode(jwt.raw_header())).unwrap();
    assert_eq!(
        raw_header,
        json!({"alg": "RS256", "kid": emu.kid(), "typ": "JWT", "cat": "cl_B7d4PD333AAA"})
    );

    let p = payload(token);
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "iss", "sub", "aud", "scopes", "jti", "iat", "nbf", "exp", "role", "n"
        ]
    );
    assert_eq!(p["iss"], emu.api_url().as_str());
    assert_eq!(p["sub"], a.id.as_str());
    assert_eq!(p["aud"], json!([b.id, c.id]));
    assert_eq!(p["scopes"], format!("{} {}", b.id, c.id).as_str());
    assert_eq!(p["jti"], r.body["id"]);
    assert_eq!(p["exp"].as_i64().unwrap() - p["iat"].as_i64().unwrap(), 600);
    assert_eq!(p["nbf"], p["iat"]);
    assert!(signature_ok(&emu, token));

    // The response body describes the same token.
    assert_eq!(r.body["subject"], a.id.as_str());
    assert_eq!(r.body["scopes"], json!([b.id, c.id]));
    assert_eq!(r.body["claims"], json!({"role": "svc", "n": 1}));
    assert_eq!(
        r.body["expiration"].as_i64().unwrap(),
        p["exp"].as_i64().unwrap() * 1000
    );
    assert_eq!(
        r.body["created_at"].as_i64().unwrap(),
        p["iat"].as_i64().unwrap() * 1000
    );

    // The shared model agrees with the response.
    let from_claims = M2MToken::from_jwt_claims(jwt.claims(), emu.now_ms(), 5000).unwrap();
    assert_eq!(from_claims.id, r.body["id"].as_str().unwrap());
    assert_eq!(from_claims.subject, a.id);
    assert_eq!(from_claims.scopes, vec![b.id.clone(), c.id.clone()]);
    let wire: M2MToken = serde_json::from_value(r.body.clone()).unwrap();
    assert_eq!(wire.token.as_deref(), Some(token));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

#[tokio::test]
async fn jwt_creation_rules() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let a = emu.create_machine("a", &[]);
    let key = a.secret_key.expose_secret();
    // Never expires: no exp; no scoped machines: no aud / scopes.
    let r = api
        .post(
            "/m2m_tokens",
            key,
            json!({"token_format": "jwt", "seconds_until_expiration": null}),
        )
        .await;
    let p = payload(r.body["token"].as_str().unwrap());
    assert!(p.get("exp").is_none());
    assert!(p.get("aud").is_none() && p.get("scopes").is_none());
    assert_eq!(r.body["expiration"], Value::Null);
    // Default TTL.
    let r = api
        .post("/m2m_tokens", key, json!({"token_format": "jwt"}))
        .await;
    let p = payload(r.body["token"].as_str().unwrap());
    assert_eq!(
        p["exp"].as_i64().unwrap() - p["iat"].as_i64().unwrap(),
        3600
    );
    // JWTs are never reused.
    let body = json!({"token_format": "jwt", "min_remaining_ttl_seconds": 10});
    let t1 = api.post("/m2m_tokens", key, body.clone()).await.body;
    let t2 = api.post("/m2m_tokens", key, body).await.body;
    assert_ne!(t1["id"], t2["id"]);
    // Claims must be an object.
    let r = api
        .post(
            "/m2m_tokens",
            key,
            json!({"token_format": "jwt", "claims": ["x"]}),
        )
        .await;
    assert_eq!(r.status, 400);
    // The spec refuses no claim names; the instance's own claims win over custom ones.
    let r = api
        .post(
            "/m2m_tokens",
            key,
            json!({"token_format": "jwt", "claims": {"sub": "mch_other", "exp": 1, "x": 2}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let p = payload(r.body["token"].as_str().unwrap());
    assert_ne!(p["sub"], "mch_other");
    assert_ne!(p["exp"], 1);
    assert_eq!(p["x"], 2);
    // No maximum lifetime in the spec: ten years and more are accepted.
    let r = api
        .post(
            "/m2m_tokens",
            key,
            json!({"token_format": "jwt", "seconds_until_expiration": 400_000_000}),
        )
        .await;
    assert_eq!(r.status, 201);
    // Rotation: new tokens are signed by the new key.
    let new_kid = emu.rotate_signing_key();
    let r = api
        .post("/m2m_tokens", key, json!({"token_format": "jwt"}))
        .await;
    let jwt = dangerous::insecure_decode(r.body["token"].as_str().unwrap()).unwrap();
    assert_eq!(jwt.header().kid.as_deref(), Some(new_kid.as_str()));
    assert!(signature_ok(&emu, r.body["token"].as_str().unwrap()));
}

#[tokio::test]
async fn mint_spec_defaults_and_deviations() {
    let emu = common::start().await;
    let b = emu.create_machine("b", &[]);
    let a = emu.create_machine("a", &[&b.id]);
    let good = emu.mint_jwt(MintSpec::for_machine(&a.id));
    assert!(signature_ok(&emu, &good));
    let p = payload(&good);
    assert_eq!(p["sub"], a.id.as_str());
    assert_eq!(p["aud"], json!([b.id]));
    let now = emu.now_ms() / 1000;
    assert!((p["iat"].as_i64().unwrap() - now).abs() <= 1);

    let expired = emu.mint_jwt(MintSpec::for_machine(&a.id).expired());
    assert!(signature_ok(&emu, &expired));
    assert!(payload(&expired)["exp"].as_i64().unwrap() < now - 3000);

    let jwt = dangerous::insecure_decode(
        &emu.mint_jwt(MintSpec::for_machine(&a.id).category(JWT_CATEGORY_SESSION_TOKEN)),
    )
    .unwrap();
    assert_eq!(jwt.header().cat.as_str(), Some(JWT_CATEGORY_SESSION_TOKEN));
    let jwt = dangerous::insecure_decode(&emu.mint_jwt(MintSpec::for_machine(&a.id).no_category()))
        .unwrap();
    assert!(jwt.header().cat.is_absent());

    let foreign = emu.mint_jwt(MintSpec::for_machine(&a.id).foreign_key());
    assert_eq!(
        dangerous::insecure_decode(&foreign)
            .unwrap()
            .header()
            .kid
            .as_deref(),
        Some(emu.kid().as_str())
    );
    assert!(!signature_ok(&emu, &foreign));

    let other_kid = emu.mint_jwt(MintSpec::new().kid("ins_unknown"));
    assert_eq!(
        dangerous::insecure_decode(&other_kid)
            .unwrap()
            .header()
            .kid
            .as_deref(),
        Some("ins_unknown")
    );
    assert!(signature_ok(&emu, &other_kid));

    let custom = emu.mint_jwt(
        MintSpec::for_machine(&a.id)
            .claim("role", json!("admin"))
            .claim("sub", json!("user_123"))
            .audience(["mch_zzz"])
            .never_expires(),
    );
    let p = payload(&custom);
    assert_eq!(
        (p["role"].as_str(), p["sub"].as_str(), p["scopes"].as_str()),
        (Some("admin"), Some("user_123"), Some("mch_zzz"))
    );
    assert!(p.get("exp").is_none());

    let rs384 = emu.mint_jwt(MintSpec::new().algorithm(Algorithm::RS384));
    let jwt = dangerous::insecure_decode(&rs384).unwrap();
    assert_eq!(jwt.header().alg.as_deref(), Some("RS384"));
    let v = RS384.verifier_from_pem(emu.jwt_public_key_pem()).unwrap();
    assert!(v.verify(jwt.signing_input(), jwt.signature()).is_ok());

    // A JWT minted directly is not stored: BAPI verify does not know it.
    let r = Api::new(&emu)
        .post("/m2m_tokens/verify", &sk(&emu), json!({"token": good}))
        .await;
    assert_eq!(r.status, 404);
}
