#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Signing keys: shared by default (identity still unique per emulator), fresh on request,
//! rotation that keeps the old key published until it is dropped.

mod common;

use clerk_bapi_emulator::{Emulator, EmulatorHandle, MintSpec};
use clerk_token_types::dangerous;
use common::{Api, sk};
use josekit::jws::{JwsVerifier, RS256};
use serde_json::{Value, json};

fn verifies_with(pem: &str, token: &str) -> bool {
    let jwt = dangerous::insecure_decode(token).unwrap();
    RS256
        .verifier_from_pem(pem)
        .unwrap()
        .verify(jwt.signing_input(), jwt.signature())
        .is_ok()
}

async fn served_jwks(emu: &EmulatorHandle) -> Value {
    let r = Api::new(emu).get("/v1/jwks", &sk(emu)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn default_emulators_share_key_material_and_nothing_else() {
    let a = Emulator::start().await.unwrap();
    let b = Emulator::start().await.unwrap();
    // The same public key...
    assert_eq!(a.jwt_public_key_pem(), b.jwt_public_key_pem());
    let (ja, jb) = (served_jwks(&a).await, served_jwks(&b).await);
    assert_eq!(ja["keys"][0]["n"], jb["keys"][0]["n"]);
    // ...under different kids, and every identity and secret is per emulator.
    assert_ne!(a.kid(), b.kid());
    assert_eq!(kids(&ja), [a.kid()]);
    assert_eq!(kids(&jb), [b.kid()]);
    assert_ne!(a.instance_id(), b.instance_id());
    assert_ne!(a.secret_key(), b.secret_key());
    assert_ne!(a.api_url(), b.api_url());
    let (ma, mb) = (a.create_machine("m", &[]), b.create_machine("m", &[]));
    assert_ne!(ma.id, mb.id);
    assert_ne!(ma.secret_key, mb.secret_key);
    // One instance's keys open nothing on the other.
    let r = Api::new(&b).get("/v1/jwks", &sk(&a)).await;
    assert_eq!(r.status, 401);
    let r = Api::new(&b)
        .post("/m2m_tokens", ma.secret_key.expose_secret(), json!({}))
        .await;
    assert_eq!(r.status, 401);
    let opaque = a.create_m2m_token(&ma.id).unwrap();
    let r = Api::new(&b)
        .post("/m2m_tokens/verify", &sk(&b), json!({"token": opaque}))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn fresh_signing_key_is_distinct_from_every_other_emulator() {
    let shared = Emulator::start().await.unwrap();
    let fresh = Emulator::builder()
        .fresh_signing_key()
        .start()
        .await
        .unwrap();
    let other_fresh = Emulator::builder()
        .fresh_signing_key()
        .start()
        .await
        .unwrap();
    let pems = [
        shared.jwt_public_key_pem(),
        fresh.jwt_public_key_pem(),
        other_fresh.jwt_public_key_pem(),
    ];
    assert_ne!(pems[0], pems[1]);
    assert_ne!(pems[1], pems[2]);
    assert_ne!(pems[0], pems[2]);

    let m = fresh.create_machine("m", &[]);
    let token = fresh.mint_jwt(MintSpec::for_machine(&m.id));
    assert!(verifies_with(&pems[1], &token));
    assert!(!verifies_with(&pems[0], &token), "not with the shared key");
    assert!(
        !verifies_with(&pems[2], &token),
        "not with another fresh key"
    );
    let m = shared.create_machine("m", &[]);
    let token = shared.mint_jwt(MintSpec::for_machine(&m.id));
    assert!(!verifies_with(&pems[1], &token));

    // Rotations stay fresh too: never a key a default emulator rotates to.
    let shared_rotated = {
        shared.rotate_signing_key();
        shared.jwt_public_key_pem()
    };
    fresh.rotate_signing_key();
    let fresh_rotated = fresh.jwt_public_key_pem();
    assert!(!pems.contains(&fresh_rotated));
    assert_ne!(fresh_rotated, shared_rotated);
    assert_eq!(fresh.kids().len(), 2);
}

#[tokio::test]
async fn a_given_pem_wins_over_fresh_and_the_last_choice_counts() {
    let pem = clerk_bapi_emulator::generate_signing_key_pem().unwrap();
    let a = Emulator::builder()
        .fresh_signing_key()
        .signing_key_pem(pem.clone())
        .start()
        .await
        .unwrap();
    let b = Emulator::builder()
        .signing_key_pem(pem.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(a.jwt_public_key_pem(), b.jwt_public_key_pem());
    assert_ne!(a.kid(), b.kid());
    let c = Emulator::builder()
        .signing_key_pem(pem)
        .fresh_signing_key()
        .start()
        .await
        .unwrap();
    assert_ne!(c.jwt_public_key_pem(), a.jwt_public_key_pem());
    // Debug never shows the private key.
    let dbg = format!(
        "{:?}",
        Emulator::builder().signing_key_pem("-----BEGIN PRIVATE KEY-----XYZZYMATERIAL")
    );
    assert!(!dbg.contains("XYZZY"), "{dbg}");
}

#[tokio::test]
async fn rotation_publishes_the_new_key_keeps_the_old_then_drops_it() {
    let emu = common::start().await;
    let m = emu.create_machine("m", &[]);
    let old_kid = emu.kid();
    let old_pem = emu.jwt_public_key_pem();
    let old_token = emu.mint_jwt(MintSpec::for_machine(&m.id));
    let before = served_jwks(&emu).await;

    let new_kid = emu.rotate_signing_key();
    assert_ne!(new_kid, old_kid);
    let new_pem = emu.jwt_public_key_pem();
    assert_ne!(new_pem, old_pem, "a rotation changes the key material");
    let new_token = emu.mint_jwt(MintSpec::for_machine(&m.id));
    assert_eq!(
        dangerous::insecure_decode(&new_token)
            .unwrap()
            .header()
            .kid
            .as_deref(),
        Some(new_kid.as_str())
    );
    assert!(verifies_with(&new_pem, &new_token));
    assert!(!verifies_with(&new_pem, &old_token));

    // The old key stays published, unchanged, next to the new one.
    let during = served_jwks(&emu).await;
    assert_eq!(kids(&during), [new_kid.clone(), old_kid.clone()]);
    assert_eq!(during["keys"][1], before["keys"][0]);
    assert!(verifies_with(&old_pem, &old_token));

    emu.drop_old_signing_keys();
    let after = served_jwks(&emu).await;
    assert_eq!(kids(&after), std::slice::from_ref(&new_kid));

    // Rotating again never brings back material this emulator used before.
    let third_kid = emu.rotate_signing_key();
    let third_pem = emu.jwt_public_key_pem();
    assert_ne!(third_pem, old_pem);
    assert_ne!(third_pem, new_pem);
    assert_eq!(emu.kids(), [third_kid, new_kid]);
}

#[tokio::test]
async fn foreign_key_tokens_never_verify_with_any_published_key() {
    let emu = common::start().await;
    let m = emu.create_machine("m", &[]);
    let foreign = emu.mint_jwt(MintSpec::for_machine(&m.id).foreign_key());
    assert!(!verifies_with(&emu.jwt_public_key_pem(), &foreign));
    emu.rotate_signing_key();
    assert!(!verifies_with(&emu.jwt_public_key_pem(), &foreign));
    let fresh = Emulator::builder()
        .fresh_signing_key()
        .start()
        .await
        .unwrap();
    assert!(!verifies_with(&fresh.jwt_public_key_pem(), &foreign));
}
