#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Machines, JWKS, the sibling verify endpoints and authentication, over real HTTP.

mod common;

use common::{Api, sk};
use reqwest::Method;
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn machine_crud() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let a = api
        .post("/v1/machines", &key, json!({"name": "alpha"}))
        .await;
    assert_eq!(a.status, 200);
    let a = a.body;
    assert_eq!(a["object"], "machine");
    assert_eq!(a["name"], "alpha");
    assert_eq!(a["default_token_ttl"], 3600);
    assert_eq!(a["scoped_machines"], json!([]));
    assert_eq!(a["instance_id"], emu.instance_id().as_str());
    let a_id = a["id"].as_str().unwrap();
    assert!(a_id.starts_with("mch_") && a_id.len() == 31);
    assert!(a["secret_key"].as_str().unwrap().starts_with("ak_"));

    let b = api
        .post(
            "/v1/machines",
            &key,
            json!({"name": "beta", "scoped_machines": [a_id], "default_token_ttl": 60}),
        )
        .await
        .body;
    let b_id = b["id"].as_str().unwrap();
    assert_eq!(b["scoped_machines"][0]["id"], a_id);
    assert_eq!(b["scoped_machines"][0]["object"], "machine");
    assert!(b["scoped_machines"][0].get("scoped_machines").is_none());
    assert_eq!(b["default_token_ttl"], 60);

    // get does not reveal the secret; the secret_key endpoint does.
    let got = api.get(&format!("/v1/machines/{b_id}"), &key).await.body;
    assert!(got.get("secret_key").is_none());
    assert_eq!(got["name"], "beta");
    let secret = api
        .get(&format!("/v1/machines/{b_id}/secret_key"), &key)
        .await
        .body;
    assert_eq!(secret["object"], "machine_secret_key");
    assert_eq!(secret["secret"], b["secret_key"]);

    // list: newest first by default, paginated, searchable.
    let list = api.get("/v1/machines", &key).await.body;
    assert_eq!(list["total_count"], 2);
    assert_eq!(ids(&list["data"]), [b_id, a_id]);
    let list = api
        .get("/v1/machines?order_by=created_at&limit=1&offset=1", &key)
        .await
        .body;
    assert_eq!(ids(&list["data"]), [b_id]);
    let list = api.get("/v1/machines?query=ALP", &key).await.body;
    assert_eq!(ids(&list["data"]), [a_id]);
    // The spec: exact match on the id, partial on the name.
    let list = api
        .get(&format!("/v1/machines?query={a_id}"), &key)
        .await
        .body;
    assert_eq!(ids(&list["data"]), [a_id]);
    let partial_id = &a_id[..10];
    let list = api
        .get(&format!("/v1/machines?query={partial_id}"), &key)
        .await
        .body;
    assert_eq!(list["total_count"], 0);
    // `+` (percent-encoded or not) and no sign both mean ascending.
    for order in ["%2Bcreated_at", "+created_at", "created_at"] {
        let list = api
            .get(&format!("/v1/machines?order_by={order}"), &key)
            .await;
        assert_eq!(list.status, 200, "{order}");
        assert_eq!(ids(&list.body["data"]), [a_id, b_id], "{order}");
    }
    let list = api.get("/v1/machines?order_by=%2Bname", &key).await.body;
    assert_eq!(list["data"][0]["name"], "alpha");
    let list = api.get("/v1/machines?order_by=-name", &key).await.body;
    assert_eq!(list["data"][0]["name"], "beta");
    // The spec types `limit` and `offset` `integer` here (unlike `GET /m2m_tokens`, which
    // types them `number`): decimal digits only.
    for q in ["limit=1.0", "offset=1e0", "limit=1.5", "offset=-1"] {
        let r = api.get(&format!("/v1/machines?{q}"), &key).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "form_param_value_invalid"),
            "{q}"
        );
    }
    assert_eq!(api.get("/v1/machines?limit=501", &key).await.status, 400);
    assert_eq!(
        api.get("/v1/machines?order_by=size", &key).await.status,
        400
    );

    // update
    let r = api
        .call(
            Method::PATCH,
            &format!("/v1/machines/{a_id}"),
            Some(&key),
            Some(json!({"name": "alpha2", "default_token_ttl": 5})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "alpha2");
    assert_eq!(r.body["default_token_ttl"], 5);
    let r = api
        .call(
            Method::PATCH,
            &format!("/v1/machines/{a_id}"),
            Some(&key),
            Some(json!({"scoped_machines": [], "color": "red"})),
        )
        .await;
    // Unknown fields are ignored, as the spec's open body allows.
    assert_eq!(r.status, 200);
    let r = api
        .call(
            Method::PATCH,
            &format!("/v1/machines/{a_id}"),
            Some(&key),
            Some(json!({"name": null})),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "form_param_value_invalid"));
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "name");

    // delete removes it from others' scopes
    let r = api
        .call(
            Method::DELETE,
            &format!("/v1/machines/{a_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        r.body,
        json!({"object": "machine", "id": a_id, "deleted": true})
    );
    assert_eq!(
        api.get(&format!("/v1/machines/{a_id}"), &key).await.status,
        404
    );
    assert_eq!(
        api.get(&format!("/v1/machines/{b_id}"), &key).await.body["scoped_machines"],
        json!([])
    );
    assert_eq!(
        api.call(
            Method::DELETE,
            &format!("/v1/machines/{a_id}"),
            Some(&key),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn machine_create_validation() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let cases = [
        (json!({}), "form_param_missing"),
        (json!({"name": ""}), "form_param_value_invalid"),
        (json!({"name": "x".repeat(256)}), "form_param_value_invalid"),
        (json!({"name": 5}), "form_param_value_invalid"),
        (
            json!({"name": "a", "scoped_machines": null}),
            "form_param_value_invalid",
        ),
        (json!({"name": null}), "form_param_value_invalid"),
        (
            json!({"name": "a", "default_token_ttl": 0}),
            "form_param_value_invalid",
        ),
        (
            json!({"name": "a", "default_token_ttl": 315_360_001u64}),
            "form_param_value_invalid",
        ),
        (
            json!({"name": "a", "scoped_machines": ["mch_nope"]}),
            "form_param_value_invalid",
        ),
        (
            json!({"name": "a", "scoped_machines": "mch_x"}),
            "form_param_value_invalid",
        ),
    ];
    for (body, code) in cases {
        let r = api.post("/v1/machines", &key, body.clone()).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}");
    }
    // Unknown fields are ignored (the spec's body is open).
    let r = api
        .post("/v1/machines", &key, json!({"name": "a", "color": "red"}))
        .await;
    assert_eq!(r.status, 200);
    let too_many: Vec<String> = (0..151).map(|i| format!("mch_{i}")).collect();
    assert_eq!(
        api.post(
            "/v1/machines",
            &key,
            json!({"name": "a", "scoped_machines": too_many})
        )
        .await
        .status,
        400
    );
    // Only the one valid create made a machine.
    assert_eq!(api.get("/v1/machines", &key).await.body["total_count"], 1);
}

#[tokio::test]
async fn scopes_create_conflict_and_delete() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let a = emu.create_machine("a", &[]);
    let b = emu.create_machine("b", &[]);
    let path = format!("/v1/machines/{}/scopes", a.id);
    let r = api.post(&path, &key, json!({"to_machine_id": b.id})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["object"], "machine_scope");
    assert_eq!(r.body["from_machine_id"], a.id.as_str());
    assert_eq!(r.body["to_machine_id"], b.id.as_str());
    assert!(r.body["created_at"].as_i64().is_some());
    assert_eq!(
        emu.machine(&a.id).unwrap().scoped_machines,
        vec![b.id.clone()]
    );
    let r = api.post(&path, &key, json!({"to_machine_id": b.id})).await;
    assert_eq!((r.status, r.code()), (409, "duplicate_record"));
    assert_eq!(
        api.post(&path, &key, json!({"to_machine_id": a.id}))
            .await
            .status,
        400
    );
    assert_eq!(
        api.post(&path, &key, json!({"to_machine_id": "mch_missing"}))
            .await
            .status,
        404
    );
    assert_eq!(
        api.post(&path, &key, json!({})).await.code(),
        "form_param_missing"
    );
    assert_eq!(
        api.post(
            "/v1/machines/mch_missing/scopes",
            &key,
            json!({"to_machine_id": b.id})
        )
        .await
        .status,
        404
    );

    let del = format!("/v1/machines/{}/scopes/{}", a.id, b.id);
    let r = api.call(Method::DELETE, &del, Some(&key), None).await;
    assert_eq!(r.body["deleted"], true);
    assert_eq!(r.body["to_machine_id"], b.id.as_str());
    assert_eq!(
        api.call(Method::DELETE, &del, Some(&key), None)
            .await
            .status,
        404
    );
    assert!(emu.machine(&a.id).unwrap().scoped_machines.is_empty());
}

#[tokio::test]
async fn rotate_validation() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let a = emu.create_machine("a", &[]);
    let path = format!("/v1/machines/{}/secret_key/rotate", a.id);
    assert_eq!(
        api.post(&path, &key, json!({})).await.code(),
        "form_param_missing"
    );
    assert_eq!(
        api.post(&path, &key, json!({"previous_token_ttl": 28_801}))
            .await
            .status,
        400
    );
    assert_eq!(
        api.post(&path, &key, json!({"previous_token_ttl": -1}))
            .await
            .status,
        400
    );
    let r = api
        .post(&path, &key, json!({"previous_token_ttl": 0}))
        .await;
    assert_eq!(r.status, 200);
    // No grace: the old key stops at once.
    let old = api
        .post("/m2m_tokens", a.secret_key.expose_secret(), json!({}))
        .await;
    assert_eq!(old.status, 401);
    assert_eq!(
        api.post(
            "/v1/machines/mch_x/secret_key/rotate",
            &key,
            json!({"previous_token_ttl": 0})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn machine_endpoints_need_the_instance_key() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let a = emu.create_machine("a", &[]);
    for key in [
        Some(a.secret_key.expose_secret()),
        Some("sk_test_nope"),
        None,
    ] {
        let r = api.call(Method::GET, "/v1/machines", key, None).await;
        assert_eq!((r.status, r.code()), (401, "clerk_key_invalid"), "{key:?}");
        let r = api.call(Method::GET, "/v1/jwks", key, None).await;
        assert_eq!((r.status, r.code()), (401, "clerk_key_invalid"), "{key:?}");
    }
    let r = api
        .call(Method::GET, "/v1/jwks", Some("sk_test_nope"), None)
        .await;
    assert_eq!(
        r.body["errors"][0]["message"],
        "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
    );
    // A malformed Authorization header is a missing one.
    let r = api
        .client
        .get(format!("{}/v1/jwks", api.base))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn jwks_lists_the_keys_and_follows_rotation() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let r = api.get("/v1/jwks", &key).await;
    assert_eq!(r.status, 200);
    let keys = r.body["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(k["kid"], emu.kid().as_str());
    assert!(k["kid"].as_str().unwrap().starts_with("ins_"));
    assert_eq!(
        (
            k["kty"].as_str(),
            k["alg"].as_str(),
            k["use"].as_str(),
            k["e"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"), Some("AQAB"))
    );
    assert!(k["n"].as_str().unwrap().len() > 300);
    assert_eq!(r.body, emu.jwks());

    let old = emu.kid();
    let new = emu.rotate_signing_key();
    assert_ne!(new, old);
    assert_eq!(emu.kid(), new);
    let kids: Vec<String> = api.get("/v1/jwks", &key).await.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, [new.clone(), old]);
    emu.drop_old_signing_keys();
    assert_eq!(emu.kids(), [new]);
    assert_eq!(
        api.get("/v1/jwks", &key).await.body["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn api_key_and_oauth_verify_endpoints() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let ak = emu.create_api_key("user_1");
    assert!(ak.starts_with("ak_"));
    for prefix in ["", "/v1"] {
        let r = api
            .post(
                &format!("{prefix}/api_keys/verify"),
                &key,
                json!({"secret": ak}),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["subject"], "user_1");
        assert_eq!(r.body["type"], "api_key");
        assert_eq!(
            (&r.body["revoked"], &r.body["expired"]),
            (&json!(false), &json!(false))
        );
        // The spec's `^ak_[0-9A-Fa-f]{32}$`.
        let id = r.body["id"].as_str().unwrap();
        assert!(
            id.len() == 35 && id[3..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        let r = api
            .post(
                &format!("{prefix}/api_keys/verify"),
                &key,
                json!({"secret": "ak_nope"}),
            )
            .await;
        assert_eq!((r.status, r.code()), (404, "resource_not_found"));
    }
    // Revoked and expired keys answer with the flags set.
    assert!(emu.revoke_machine_token(&ak, Some("leaked")));
    let r = api
        .post("/api_keys/verify", &key, json!({"secret": ak}))
        .await;
    assert_eq!((r.status, &r.body["revoked"]), (200, &json!(true)));
    assert_eq!(r.body["revocation_reason"], "leaked");
    assert_eq!(r.body["expired"], false);
    assert!(emu.expire_machine_token(&ak));
    let r = api
        .post("/api_keys/verify", &key, json!({"secret": ak}))
        .await;
    assert_eq!(r.body["expired"], true);
    assert_eq!(r.body["expiration"], r.body["updated_at"]);
    assert!(!emu.expire_machine_token("ak_unknown"));

    let oat = emu.create_oauth_token("user_2");
    assert!(oat.starts_with("oat_"));
    for prefix in ["", "/v1"] {
        let path = format!("{prefix}/oauth_applications/access_tokens/verify");
        let r = api.post(&path, &key, json!({"access_token": oat})).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["subject"], "user_2");
        // The spec's closed schema has no `type`.
        assert!(r.body.get("type").is_none());
        let id = r.body["id"].as_str().unwrap();
        assert!(
            id.len() == 36 && id[4..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        // The deprecated `secret` still names the token.
        let r = api.post(&path, &key, json!({"secret": oat})).await;
        assert_eq!(r.body["subject"], "user_2");
        // An unknown opaque token is not found; a JWT access token it did not issue is inactive.
        let r = api
            .post(&path, &key, json!({"access_token": "oat_nope"}))
            .await;
        assert_eq!(r.status, 404);
        let r = api
            .post(
                &path,
                &key,
                json!({"access_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}),
            )
            .await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"active": false})));
    }
    let path = "/oauth_applications/access_tokens/verify";
    assert!(emu.revoke_machine_token(&oat, None));
    let r = api.post(path, &key, json!({"access_token": oat})).await;
    assert_eq!(
        (&r.body["revoked"], &r.body["expired"]),
        (&json!(true), &json!(false))
    );
    assert!(emu.expire_machine_token(&oat));
    let r = api.post(path, &key, json!({"access_token": oat})).await;
    assert_eq!(r.body["expired"], true);
    assert_eq!(
        api.post("/api_keys/verify", &key, json!({"secret": ak, "x": 1}))
            .await
            .status,
        400
    );
    assert_eq!(
        api.call(
            Method::POST,
            "/api_keys/verify",
            None,
            Some(json!({"secret": ak}))
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn unknown_routes_are_clerk_404s() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let r = api.get("/v1/users", &sk(&emu)).await;
    assert_eq!((r.status, r.code()), (404, "resource_not_found"));
    assert!(r.headers.contains_key("clerk-trace-id"));
    assert_eq!(
        emu.counters().get(clerk_bapi_emulator::Endpoint::Unknown),
        1
    );
}
