#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The M2M token endpoints over real HTTP: create, verify, list, revoke and their rules.

mod common;

use clerk_bapi_emulator::{EmulatorHandle, MachineInfo};
use common::{Api, sk};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

struct Fixture {
    emu: EmulatorHandle,
    api: Api,
    /// Scoped to `b`.
    a: MachineInfo,
    b: MachineInfo,
    /// Scoped to nobody.
    c: MachineInfo,
}

impl Fixture {
    async fn new() -> Self {
        let emu = common::start().await;
        let api = Api::new(&emu);
        let b = emu.create_machine("b", &[]);
        let a = emu.create_machine("a", &[&b.id]);
        let c = emu.create_machine("c", &[]);
        Self { emu, api, a, b, c }
    }

    fn key(m: &MachineInfo) -> &str {
        m.secret_key.expose_secret()
    }

    async fn create(&self, m: &MachineInfo, body: Value) -> common::Reply {
        self.api.post("/m2m_tokens", Self::key(m), body).await
    }
}

fn is_hex32(s: &str) -> bool {
    s.len() == 35 && s.starts_with("mt_") && s[3..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn create_opaque_token_has_the_spec_shape() {
    let f = Fixture::new().await;
    let r = f.create(&f.a, json!({"claims": {"role": "svc"}})).await;
    assert_eq!(r.status, 201);
    let t = &r.body;
    assert_eq!(t["object"], "machine_to_machine_token");
    assert!(is_hex32(t["id"].as_str().unwrap()));
    assert!(is_hex32(t["token"].as_str().unwrap()));
    assert_ne!(t["id"], t["token"]);
    assert_eq!(t["subject"], f.a.id.as_str());
    assert_eq!(t["scopes"], json!([f.b.id]));
    assert_eq!(t["claims"], json!({"role": "svc"}));
    assert_eq!(t["revoked"], false);
    assert_eq!(t["revocation_reason"], Value::Null);
    assert_eq!(t["expired"], false);
    assert_eq!(t["last_used_at"], Value::Null);
    let created = t["created_at"].as_i64().unwrap();
    assert_eq!(t["updated_at"].as_i64().unwrap(), created);
    // Absent seconds_until_expiration: the machine default of one hour.
    assert_eq!(t["expiration"].as_i64().unwrap(), created + 3_600_000);
    assert_eq!(r.headers["content-type"], "application/json");
}

#[tokio::test]
async fn create_works_at_both_paths_and_with_explicit_opaque() {
    let f = Fixture::new().await;
    let r = f
        .api
        .post(
            "/v1/m2m_tokens",
            Fixture::key(&f.a),
            json!({"token_format": "opaque"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.body["token"].as_str().unwrap().starts_with("mt_"));
    // The spec marks the body required: no body is refused, `{}` is fine.
    let r = f
        .api
        .call(Method::POST, "/m2m_tokens", Some(Fixture::key(&f.a)), None)
        .await;
    assert_eq!((r.status, r.code()), (400, "malformed_request"));
    let r = f
        .api
        .post("/m2m_tokens", Fixture::key(&f.a), json!({}))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn expiration_null_never_expires_and_seconds_apply() {
    let f = Fixture::new().await;
    let r = f
        .create(
            &f.a,
            json!({"seconds_until_expiration": null, "claims": null}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["expiration"], Value::Null);
    assert_eq!(r.body["claims"], Value::Null);
    let r = f
        .create(&f.a, json!({"seconds_until_expiration": 60}))
        .await;
    let t = &r.body;
    assert_eq!(
        t["expiration"].as_i64().unwrap(),
        t["created_at"].as_i64().unwrap() + 60_000
    );
    for bad in [json!(0), json!(-5), json!("60"), json!(true)] {
        let r = f
            .create(&f.a, json!({"seconds_until_expiration": bad}))
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.code(), "form_param_value_invalid");
        assert_eq!(
            r.body["errors"][0]["meta"]["param_name"],
            "seconds_until_expiration"
        );
    }
}

#[tokio::test]
async fn machine_default_ttl_applies_when_absent() {
    let f = Fixture::new().await;
    let r = f
        .api
        .call(
            Method::PATCH,
            &format!("/v1/machines/{}", f.a.id),
            Some(&sk(&f.emu)),
            Some(json!({"default_token_ttl": 120})),
        )
        .await;
    assert_eq!(r.status, 200);
    let t = f.create(&f.a, json!({})).await.body;
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        120_000
    );
}

#[tokio::test]
async fn create_rejects_unknown_fields_and_bad_bodies() {
    let f = Fixture::new().await;
    let r = f.create(&f.a, json!({"scopes": ["mch_x"]})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "form_param_unknown");
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "scopes");
    let r = f.create(&f.a, json!({"token_format": "paseto"})).await;
    assert_eq!(r.status, 400);
    let r = f.create(&f.a, json!([1])).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "malformed_request");
    let r = f
        .api
        .client
        .post(format!("{}/m2m_tokens", f.api.base))
        .bearer_auth(Fixture::key(&f.a))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("clerk-trace-id"));
}

#[tokio::test]
async fn create_requires_a_machine_secret_key() {
    let f = Fixture::new().await;
    let r = f.api.post("/m2m_tokens", &sk(&f.emu), json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "machine_secret_key_invalid");
    assert_eq!(
        r.body["errors"][0]["message"],
        "The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct."
    );
    assert!(r.body["clerk_trace_id"].as_str().unwrap().len() == 32);
    assert_eq!(
        r.headers["clerk-trace-id"].to_str().unwrap(),
        r.body["clerk_trace_id"]
    );
    let r = f.api.post("/m2m_tokens", "ak_unknown", json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "machine_secret_key_invalid");
    let r = f
        .api
        .call(Method::POST, "/m2m_tokens", None, Some(json!({})))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "clerk_key_invalid");
}

#[tokio::test]
async fn min_remaining_ttl_reuses_a_matching_live_token() {
    let f = Fixture::new().await;
    let body = json!({"seconds_until_expiration": 600, "claims": {"k": 1}, "min_remaining_ttl_seconds": 240});
    let first = f.create(&f.a, body.clone()).await.body;
    let again = f.create(&f.a, body.clone()).await.body;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["token"], again["token"]);
    // Different claims: a new token.
    let other = f
        .create(&f.a, json!({"seconds_until_expiration": 600, "claims": {"k": 2}, "min_remaining_ttl_seconds": 240}))
        .await
        .body;
    assert_ne!(other["id"], first["id"]);
    // Without min_remaining_ttl_seconds: always new.
    let fresh = f
        .create(
            &f.a,
            json!({"seconds_until_expiration": 600, "claims": {"k": 1}}),
        )
        .await
        .body;
    assert_ne!(fresh["id"], first["id"]);
    // Less TTL left than asked: a new token.
    f.emu.advance_time(Duration::from_secs(400));
    let later = f.create(&f.a, body.clone()).await.body;
    assert_ne!(later["id"], first["id"]);
    assert_ne!(later["id"], fresh["id"]);
    // A revoked token is not reused.
    let key = sk(&f.emu);
    f.api
        .post(
            &format!("/m2m_tokens/{}/revoke", later["id"].as_str().unwrap()),
            &key,
            json!({}),
        )
        .await;
    let after_revoke = f.create(&f.a, body).await.body;
    assert_ne!(after_revoke["id"], later["id"]);
    // Another machine never gets a's token.
    let r = f.create(&f.c, json!({"seconds_until_expiration": 600, "claims": {"k": 1}, "min_remaining_ttl_seconds": 240})).await;
    assert_ne!(r.body["id"], after_revoke["id"]);
}

#[tokio::test]
async fn min_remaining_ttl_must_be_below_the_lifetime() {
    let f = Fixture::new().await;
    let r = f
        .create(
            &f.a,
            json!({"seconds_until_expiration": 240, "min_remaining_ttl_seconds": 240}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["errors"][0]["meta"]["param_name"],
        "min_remaining_ttl_seconds"
    );
    // Machine default of 3600 s applies when absent.
    let r = f
        .create(&f.a, json!({"min_remaining_ttl_seconds": 3600}))
        .await;
    assert_eq!(r.status, 400);
    let r = f
        .create(&f.a, json!({"min_remaining_ttl_seconds": 3599}))
        .await;
    assert_eq!(r.status, 201);
    // A token that never expires has room for any minimum.
    let r = f
        .create(
            &f.a,
            json!({"seconds_until_expiration": null, "min_remaining_ttl_seconds": 999_999}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = f
        .create(&f.a, json!({"min_remaining_ttl_seconds": -1}))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn verify_checks_scopes_for_machine_keys() {
    let f = Fixture::new().await;
    let token = f.create(&f.a, json!({})).await.body;
    let secret = token["token"].as_str().unwrap();
    // b is in a's scopes.
    let r = f
        .api
        .post(
            "/m2m_tokens/verify",
            Fixture::key(&f.b),
            json!({"token": secret}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], token["id"]);
    assert!(r.body.get("token").is_none());
    assert!(r.body["last_used_at"].as_i64().is_some());
    // c is not; neither is the subject itself.
    for m in [&f.c, &f.a] {
        let r = f
            .api
            .post(
                "/v1/m2m_tokens/verify",
                Fixture::key(m),
                json!({"token": secret}),
            )
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(r.code(), "resource_not_found");
    }
    // The instance key sees every token.
    let r = f
        .api
        .post(
            "/v1/m2m_tokens/verify",
            &sk(&f.emu),
            json!({"token": secret}),
        )
        .await;
    assert_eq!(r.status, 200);
    // The spec's body is closed and has `token` only: the legacy `secret` is unknown.
    let r = f
        .api
        .post("/m2m_tokens/verify", &sk(&f.emu), json!({"secret": secret}))
        .await;
    assert_eq!((r.status, r.code()), (400, "form_param_unknown"));
}

#[tokio::test]
async fn verify_unknown_revoked_expired_and_jwt_tokens_are_404() {
    let f = Fixture::new().await;
    let key = sk(&f.emu);
    let r = f
        .api
        .post(
            "/m2m_tokens/verify",
            &key,
            json!({"token": "mt_00000000000000000000000000000000"}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["errors"][0]["message"], "not found");
    assert!(
        r.body["errors"][0]["long_message"]
            .as_str()
            .unwrap()
            .contains("not found")
    );

    let t = f.create(&f.a, json!({})).await.body;
    // The id is not the secret.
    let r = f
        .api
        .post("/m2m_tokens/verify", &key, json!({"token": t["id"]}))
        .await;
    assert_eq!(r.status, 404);
    f.api
        .post(
            &format!("/m2m_tokens/{}/revoke", t["id"].as_str().unwrap()),
            &key,
            json!({}),
        )
        .await;
    let r = f
        .api
        .post("/m2m_tokens/verify", &key, json!({"token": t["token"]}))
        .await;
    assert_eq!(r.status, 404);

    let t = f
        .create(&f.a, json!({"seconds_until_expiration": 10}))
        .await
        .body;
    assert_eq!(
        f.api
            .post("/m2m_tokens/verify", &key, json!({"token": t["token"]}))
            .await
            .status,
        200
    );
    f.emu.advance_time(Duration::from_secs(10));
    assert_eq!(
        f.api
            .post("/m2m_tokens/verify", &key, json!({"token": t["token"]}))
            .await
            .status,
        404
    );

    let jwt = f.create(&f.a, json!({"token_format": "jwt"})).await.body;
    assert_eq!(
        f.api
            .post("/m2m_tokens/verify", &key, json!({"token": jwt["token"]}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn verify_body_rules_and_auth() {
    let f = Fixture::new().await;
    let key = sk(&f.emu);
    assert_eq!(
        f.api
            .post("/m2m_tokens/verify", &key, json!({}))
            .await
            .code(),
        "form_param_missing"
    );
    assert_eq!(
        f.api
            .post("/m2m_tokens/verify", &key, json!({"token": 5}))
            .await
            .status,
        400
    );
    assert_eq!(
        f.api
            .post(
                "/m2m_tokens/verify",
                &key,
                json!({"token": "mt_x", "extra": 1})
            )
            .await
            .code(),
        "form_param_unknown"
    );
    assert_eq!(
        f.api
            .post(
                "/m2m_tokens/verify",
                &key,
                json!({"token": "a", "secret": "b"})
            )
            .await
            .status,
        400
    );
    let r = f
        .api
        .call(
            Method::POST,
            "/m2m_tokens/verify",
            None,
            Some(json!({"token": "mt_x"})),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "clerk_key_invalid"));
    let r = f
        .api
        .post(
            "/m2m_tokens/verify",
            "sk_test_wrong",
            json!({"token": "mt_x"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "clerk_key_invalid"));
    let r = f
        .api
        .post("/m2m_tokens/verify", "ak_wrong", json!({"token": "mt_x"}))
        .await;
    assert_eq!((r.status, r.code()), (401, "machine_secret_key_invalid"));
}

#[tokio::test]
async fn revoke_rules() {
    let f = Fixture::new().await;
    let key = sk(&f.emu);
    let t = f.create(&f.a, json!({})).await.body;
    let id = t["id"].as_str().unwrap();
    // Another machine cannot revoke a's token.
    let r = f
        .api
        .post(
            &format!("/m2m_tokens/{id}/revoke"),
            Fixture::key(&f.b),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    // Unknown fields are rejected.
    let r = f
        .api
        .post(
            &format!("/m2m_tokens/{id}/revoke"),
            Fixture::key(&f.a),
            json!({"why": "x"}),
        )
        .await;
    assert_eq!(r.code(), "form_param_unknown");
    // The owner can.
    let r = f
        .api
        .post(
            &format!("/m2m_tokens/{id}/revoke"),
            Fixture::key(&f.a),
            json!({"revocation_reason": "rotated"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["revoked"], true);
    assert_eq!(r.body["revocation_reason"], "rotated");
    assert!(r.body.get("token").is_none());
    // Revoking again keeps the first reason.
    let r = f
        .api
        .post(
            &format!("/v1/m2m_tokens/{id}/revoke"),
            &key,
            json!({"revocation_reason": null}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["revocation_reason"]),
        (200, &json!("rotated"))
    );
    // Bad id shape: 400; unknown id: 404; JWT ids are not stored: 404.
    assert_eq!(
        f.api
            .post("/m2m_tokens/not_an_id/revoke", &key, json!({}))
            .await
            .status,
        400
    );
    assert_eq!(
        f.api
            .post(
                "/m2m_tokens/mt_0123456789abcdef0123456789abcdef/revoke",
                &key,
                json!({})
            )
            .await
            .status,
        404
    );
    let jwt = f.create(&f.a, json!({"token_format": "jwt"})).await.body;
    let r = f
        .api
        .post(
            &format!("/m2m_tokens/{}/revoke", jwt["id"].as_str().unwrap()),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = f
        .api
        .call(
            Method::POST,
            &format!("/m2m_tokens/{id}/revoke"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn list_filters_paginates_and_orders_newest_first() {
    let f = Fixture::new().await;
    let key = sk(&f.emu);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            f.create(&f.a, json!({})).await.body["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let expiring = f
        .create(&f.a, json!({"seconds_until_expiration": 5}))
        .await
        .body;
    f.create(&f.b, json!({})).await;
    f.api
        .post(&format!("/m2m_tokens/{}/revoke", ids[0]), &key, json!({}))
        .await;
    f.emu.advance_time(Duration::from_secs(5));

    let list = |q: String, k: String| {
        let api = f.api.clone();
        async move { api.get(&format!("/m2m_tokens?{q}"), &k).await }
    };
    let r = list(format!("subject={}", f.a.id), key.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total_count"], 4);
    let got: Vec<&str> = r.body["m2m_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = ids[1..].iter().rev().map(String::as_str).collect();
    assert_eq!(got, want);
    assert!(r.body["m2m_tokens"][0].get("token").is_none());

    let r = list(format!("subject={}&revoked=true", f.a.id), key.clone()).await;
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(r.body["m2m_tokens"][0]["id"], ids[0].as_str());
    let r = list(format!("subject={}&expired=true", f.a.id), key.clone()).await;
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(r.body["m2m_tokens"][0]["id"], expiring["id"]);
    assert_eq!(r.body["m2m_tokens"][0]["expired"], true);

    let r = list(format!("subject={}&limit=2&offset=1", f.a.id), key.clone()).await;
    assert_eq!(r.body["total_count"], 4);
    let got: Vec<&str> = r.body["m2m_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[3].as_str(), ids[2].as_str()]);
    // The spec types `limit` and `offset` `number` here: integral spellings of a number count.
    for q in [
        "limit=2.0&offset=1.0",
        "limit=2&offset=1e0",
        "limit=2e0&offset=1",
    ] {
        let r = list(format!("subject={}&{q}", f.a.id), key.clone()).await;
        assert_eq!(r.status, 200, "{q}");
        assert_eq!(r.body["m2m_tokens"][0]["id"], ids[3].as_str(), "{q}");
        assert_eq!(r.body["m2m_tokens"].as_array().unwrap().len(), 2, "{q}");
    }

    // A machine key lists its own tokens only.
    let r = list(format!("subject={}", f.a.id), Fixture::key(&f.a).to_owned()).await;
    assert_eq!(r.body["total_count"], 4);
    let r = f
        .api
        .get(
            &format!("/v1/m2m_tokens?subject={}", f.a.id),
            Fixture::key(&f.b),
        )
        .await;
    assert_eq!(r.status, 403);

    for bad in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "revoked=maybe",
        "limit=x",
        "limit=1.5",
        "offset=0.5",
    ] {
        let r = list(format!("subject={}&{bad}", f.a.id), key.clone()).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    assert_eq!(
        list(String::new(), key.clone()).await.code(),
        "form_param_missing"
    );
    assert_eq!(list("subject=user_1".into(), key.clone()).await.status, 400);
    assert_eq!(
        list(
            "subject=mch_000000000000000000000000000".into(),
            key.clone()
        )
        .await
        .status,
        404
    );
    assert_eq!(
        f.api
            .call(
                Method::GET,
                &format!("/m2m_tokens?subject={}", f.a.id),
                None,
                None
            )
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn scope_changes_do_not_touch_existing_tokens() {
    let f = Fixture::new().await;
    let t = f.create(&f.a, json!({})).await.body;
    let r = f
        .api
        .call(
            Method::DELETE,
            &format!("/v1/machines/{}/scopes/{}", f.a.id, f.b.id),
            Some(&sk(&f.emu)),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    // The old token keeps its scopes; a new one has none.
    let r = f
        .api
        .post(
            "/m2m_tokens/verify",
            Fixture::key(&f.b),
            json!({"token": t["token"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let t2 = f.create(&f.a, json!({})).await.body;
    assert_eq!(t2["scopes"], json!([]));
    let r = f
        .api
        .post(
            "/m2m_tokens/verify",
            Fixture::key(&f.b),
            json!({"token": t2["token"]}),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn rotated_machine_key_works_during_grace_only() {
    let f = Fixture::new().await;
    let r = f
        .api
        .post(
            &format!("/v1/machines/{}/secret_key/rotate", f.a.id),
            &sk(&f.emu),
            json!({"previous_token_ttl": 60}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["object"], "machine_secret_key");
    let new_key = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_key, Fixture::key(&f.a));
    assert_eq!(
        f.api.post("/m2m_tokens", &new_key, json!({})).await.status,
        201
    );
    assert_eq!(f.create(&f.a, json!({})).await.status, 201);
    f.emu.advance_time(Duration::from_secs(60));
    let r = f.create(&f.a, json!({})).await;
    assert_eq!((r.status, r.code()), (401, "machine_secret_key_invalid"));
    assert_eq!(
        f.emu.machine(&f.a.id).unwrap().secret_key.expose_secret(),
        new_key
    );
}

#[tokio::test]
async fn every_m2m_route_answers_with_and_without_v1() {
    let f = Fixture::new().await;
    let key = sk(&f.emu);
    for prefix in ["", "/v1"] {
        let created = f
            .api
            .post(
                &format!("{prefix}/m2m_tokens"),
                Fixture::key(&f.a),
                json!({}),
            )
            .await;
        assert_eq!(created.status, 201, "{prefix}");
        let id = created.body["id"].as_str().unwrap();
        let listed = f
            .api
            .get(&format!("{prefix}/m2m_tokens?subject={}", f.a.id), &key)
            .await;
        assert_eq!(listed.status, 200, "{prefix}");
        assert!(
            listed.body["m2m_tokens"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == id)
        );
        let verified = f
            .api
            .post(
                &format!("{prefix}/m2m_tokens/verify"),
                Fixture::key(&f.b),
                json!({"token": created.body["token"]}),
            )
            .await;
        assert_eq!(
            (verified.status, verified.body["id"].as_str()),
            (200, Some(id))
        );
        let revoked = f
            .api
            .post(&format!("{prefix}/m2m_tokens/{id}/revoke"), &key, json!({}))
            .await;
        assert_eq!(
            (revoked.status, &revoked.body["revoked"]),
            (200, &json!(true))
        );
    }
    let c = f.emu.counters();
    for ep in [
        clerk_bapi_emulator::Endpoint::CreateM2MToken,
        clerk_bapi_emulator::Endpoint::ListM2MTokens,
        clerk_bapi_emulator::Endpoint::VerifyM2MToken,
        clerk_bapi_emulator::Endpoint::RevokeM2MToken,
    ] {
        assert_eq!(c.get(ep), 2, "{ep:?}: both paths count as one endpoint");
    }
}
