#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Parameters are built by assignment, not struct literals, so the test keeps compiling when
// the client's parameter structs become `#[non_exhaustive]`.
#![allow(clippy::field_reassign_with_default)]
//! The contract: every request body `clerk-backend-api` sends and every response body
//! `clerk-bapi-emulator` returns, for each operation both implement, validates against the
//! schema Clerk's spec gives that operation and status.
//!
//! The client talks to the emulator through a tiny recording proxy on loopback, so the test
//! sees exactly the bytes on the wire in both directions, and nothing is mocked.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clerk_backend_api::{
    BackendApi, CreateM2MTokenParams, CreateMachineParams, ListM2MTokensParams, ListMachinesParams,
    RevokeM2MTokenParams, UpdateMachineParams,
};
use clerk_bapi_emulator::{Emulator, EmulatorHandle};
use clerk_contract_tests::Spec;
use serde_json::{Value, json};

/// The operations the client and the emulator both implement: (method, spec path).
const OPERATIONS: [(&str, &str); 16] = [
    ("get", "/jwks"),
    ("get", "/machines"),
    ("post", "/machines"),
    ("get", "/machines/{machine_id}"),
    ("patch", "/machines/{machine_id}"),
    ("delete", "/machines/{machine_id}"),
    ("get", "/machines/{machine_id}/secret_key"),
    ("post", "/machines/{machine_id}/secret_key/rotate"),
    ("post", "/machines/{machine_id}/scopes"),
    ("delete", "/machines/{machine_id}/scopes/{other_machine_id}"),
    ("post", "/m2m_tokens"),
    ("get", "/m2m_tokens"),
    ("post", "/m2m_tokens/{m2m_token_id}/revoke"),
    ("post", "/m2m_tokens/verify"),
    ("post", "/api_keys/verify"),
    ("post", "/oauth_applications/access_tokens/verify"),
];

/// One request and its answer, as seen on the wire.
#[derive(Debug, Clone)]
struct Exchange {
    /// Who made the request: `client` (clerk-backend-api) or `raw` (this test, for errors).
    by: &'static str,
    method: String,
    path: String,
    request: Bytes,
    status: u16,
    response: Bytes,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

/// Forward one request to the emulator and record both bodies. Requests marked with the
/// `x-contract-raw` header were made by this test rather than by the client.
async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(request) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut out = p
        .http
        .request(parts.method.clone(), format!("{}{path}", p.upstream));
    for (k, v) in &parts.headers {
        if k != header::HOST && k != header::CONTENT_LENGTH {
            out = out.header(k, v);
        }
    }
    let Ok(res) = out.body(request.clone()).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = res.status();
    let mut headers = HeaderMap::new();
    for (k, v) in res.headers() {
        if k == header::CONTENT_TYPE || k == header::RETRY_AFTER || k.as_str() == "clerk-trace-id" {
            headers.insert(k.clone(), v.clone());
        }
    }
    let response = res.bytes().await.unwrap_or_default();
    p.log.lock().unwrap().push(Exchange {
        by: if parts.headers.contains_key("x-contract-raw") {
            "raw"
        } else {
            "client"
        },
        method: parts.method.as_str().to_lowercase(),
        path,
        request,
        status: status.as_u16(),
        response: response.clone(),
    });
    (status, headers, response).into_response()
}

async fn start_proxy(emu: &EmulatorHandle) -> (String, Arc<Mutex<Vec<Exchange>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let proxy = Proxy {
        upstream: emu.api_url(),
        http: reqwest::Client::new(),
        log: log.clone(),
    };
    let app = Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

/// Drive every operation through the client, plus a few raw requests for error answers.
async fn exercise(emu: &EmulatorHandle, url: &str) {
    let admin = BackendApi::builder()
        .api_url(url)
        .secret_key(emu.secret_key())
        .build()
        .unwrap();
    let machines = admin.machines();

    // Machines x9.
    let p = CreateMachineParams::new("callee").default_token_ttl(Duration::from_secs(600));
    let callee = machines.create(p).await.unwrap();
    let p = CreateMachineParams::new("caller").scoped_machines([callee.id.clone()]);
    let caller = machines.create(p).await.unwrap();
    let spare = machines
        .create(CreateMachineParams::new("spare"))
        .await
        .unwrap();
    let p = ListMachinesParams::new()
        .limit(2)
        .offset(0)
        .query("c")
        .order_by("+name");
    machines.list(p).await.unwrap();
    machines.list(ListMachinesParams::default()).await.unwrap();
    machines.get(&caller.id).await.unwrap();
    let p = UpdateMachineParams::new()
        .name("caller-2")
        .default_token_ttl(Duration::from_secs(900));
    machines.update(&caller.id, p).await.unwrap();
    machines
        .update(&caller.id, UpdateMachineParams::default())
        .await
        .unwrap();
    machines.secret_key(&callee.id).await.unwrap();
    machines.add_scope(&caller.id, &spare.id).await.unwrap();
    machines.remove_scope(&caller.id, &spare.id).await.unwrap();
    let caller_key = machines.secret_key(&caller.id).await.unwrap().secret;
    let callee_key = machines.secret_key(&callee.id).await.unwrap().secret;

    // M2M tokens x4, with every body shape the client builds.
    let worker = BackendApi::builder()
        .api_url(url)
        .machine_secret_key(caller_key)
        .build()
        .unwrap();
    let tokens = worker.m2m_tokens();
    let opaque = tokens
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    let p = CreateM2MTokenParams::opaque()
        .expires_in(Duration::from_secs(120))
        .claims(json!({"role": "reader", "nested": {"a": [1, 2]}}))
        .min_remaining_ttl(Duration::from_secs(30));
    tokens.create(p).await.unwrap();
    tokens
        .create(CreateM2MTokenParams::new().never_expires())
        .await
        .unwrap();
    let p = CreateM2MTokenParams::jwt().claims(json!({"role": "writer"}));
    tokens.create(p).await.unwrap();
    let p = ListM2MTokensParams::new(caller.id.clone())
        .revoked(false)
        .expired(false)
        .limit(2)
        .offset(1);
    tokens.list(p).await.unwrap();
    let service = BackendApi::builder()
        .api_url(url)
        .machine_secret_key(callee_key)
        .build()
        .unwrap();
    service
        .m2m_tokens()
        .verify(opaque.token.as_deref().unwrap(), None)
        .await
        .unwrap();
    tokens
        .revoke(&opaque.id, RevokeM2MTokenParams::new().reason("rotated"))
        .await
        .unwrap();
    let second = tokens
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    tokens
        .revoke(&second.id, RevokeM2MTokenParams::new())
        .await
        .unwrap();
    let p = ListM2MTokensParams::new(caller.id.clone()).revoked(true);
    admin.m2m_tokens().list(p).await.unwrap();
    // Errors the client maps: unknown token (404), revoked token (404).
    let _ = service.m2m_tokens().verify("mt_unknown", None).await;
    let _ = service
        .m2m_tokens()
        .verify(opaque.token.as_deref().unwrap(), None)
        .await;

    // JWKS.
    admin.jwks().await.unwrap();

    // API keys and OAuth access tokens: live, revoked, expired, unknown. The client may refuse
    // some answers; only what went over the wire matters here.
    let live = emu.create_api_key(&caller.id);
    let revoked = emu.create_api_key("user_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    emu.revoke_machine_token(&revoked, Some("leaked"));
    let expired = emu.create_api_key("org_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    emu.expire_machine_token(&expired);
    for k in [&live, &revoked, &expired, &"ak_unknown".to_owned()] {
        let _ = admin.verify_api_key(k).await;
    }
    let user = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk";
    let live = emu.create_oauth_token(user);
    let revoked = emu.create_oauth_token(user);
    emu.revoke_machine_token(&revoked, None);
    let expired = emu.create_oauth_token(user);
    emu.expire_machine_token(&expired);
    let not_active = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".to_owned(); // a JWT access token
    for t in [
        &live,
        &revoked,
        &expired,
        &"oat_unknown".to_owned(),
        &not_active,
    ] {
        let _ = admin.verify_oauth_token(t).await;
    }

    machines
        .rotate_secret_key(&spare.id, Duration::ZERO)
        .await
        .unwrap();
    machines
        .rotate_secret_key(&spare.id, Duration::from_secs(3600))
        .await
        .unwrap();
    // Delete last (it removes the machine's tokens).
    machines.delete(&spare.id).await.unwrap();
    let _ = machines.get(&spare.id).await; // 404

    // Raw requests for error answers the client avoids sending.
    let raw = reqwest::Client::new();
    let sk = emu.secret_key().expose_secret().to_owned();
    let calls: [(&str, &str, Option<&str>, Option<Value>); 7] = [
        (
            "POST",
            "/v1/machines",
            Some(sk.as_str()),
            Some(json!({"name": ""})),
        ),
        (
            "POST",
            "/v1/machines",
            Some("sk_test_wrong"),
            Some(json!({"name": "x"})),
        ),
        ("GET", "/v1/machines?limit=0", Some(sk.as_str()), None),
        ("POST", "/m2m_tokens", Some(sk.as_str()), Some(json!({}))),
        ("POST", "/m2m_tokens", None, Some(json!({}))),
        (
            "POST",
            &format!("/v1/machines/{}/scopes", caller.id),
            Some(sk.as_str()),
            Some(json!({"to_machine_id": callee.id})),
        ),
        ("GET", "/v1/jwks", Some("ak_wrong"), None),
    ];
    for (method, path, key, body) in calls {
        let mut r = raw
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .header("x-contract-raw", "1");
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap();
    }
}

fn parse(bytes: &Bytes) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// Check one exchange; the error says what broke the contract.
fn check(spec: &Spec, x: &Exchange) -> Result<(&'static str, String), String> {
    let template = spec
        .template_for(&x.method, &x.path)
        .ok_or_else(|| format!("{} {} is not in the spec", x.method, x.path))?;
    let op = OPERATIONS
        .iter()
        .find(|(m, t)| *m == x.method && *t == template)
        .ok_or_else(|| format!("{} {template} is not an operation we implement", x.method))?;
    // The request body (the client's only: raw requests are deliberately wrong).
    if x.by == "client" {
        match (parse(&x.request)?, spec.request_schema(op.1, op.0)?) {
            (Some(body), Some(schema)) => spec
                .check(&schema, &body)
                .map_err(|e| format!("client request body {body}: {e}"))?,
            (Some(body), None) => return Err(format!("a body {body} where the spec has none")),
            (None, _) if spec.request_body_required(op.1, op.0)? => {
                return Err("no request body where the spec requires one".into());
            }
            (None, _) => {}
        }
    }
    // The response body, by the status the spec lists; errors it does not list (401 on the
    // M2M endpoints) still have Clerk's error shape.
    let body = parse(&x.response)?.ok_or("an empty response body")?;
    let schema = if spec.lists_status(op.1, op.0, x.status) {
        spec.response_schema(op.1, op.0, x.status)?
    } else if x.status >= 400 {
        spec.clerk_errors_schema()
    } else {
        return Err(format!("status {} is not in the spec", x.status));
    };
    spec.check(&schema, &body)
        .map_err(|e| format!("emulator response {} {body}: {e}", x.status))?;
    Ok((op.0, op.1.to_owned()))
}

#[tokio::test]
async fn client_requests_and_emulator_responses_follow_the_spec() {
    let spec = Spec::load().unwrap();
    let emu = Emulator::start().await.unwrap();
    let (url, log) = start_proxy(&emu).await;
    exercise(&emu, &url).await;
    let log = log.lock().unwrap().clone();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for x in &log {
        match check(&spec, x) {
            Ok(op) => {
                statuses.insert((op.clone(), x.status));
                if x.by == "client" {
                    seen.insert(op);
                }
            }
            Err(e) => failures.push(format!("{} {} ({}): {e}", x.method, x.path, x.by)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} breaches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every exchange was checked, and there were many.
    assert!(log.len() > 40, "only {} exchanges", log.len());
    let missing: Vec<_> = OPERATIONS
        .iter()
        .filter(|(m, t)| !seen.contains(&((*m), (*t).to_owned())))
        .collect();
    assert!(
        missing.is_empty(),
        "operations the client never called: {missing:?}"
    );
    // The answers the spec defines specially were exercised.
    let oauth = (
        "post",
        "/oauth_applications/access_tokens/verify".to_owned(),
    );
    assert!(statuses.contains(&(oauth, 200)));
    assert!(
        log.iter()
            .any(|x| x.response.as_ref() == br#"{"active":false}"#)
    );
    assert!(log.iter().any(|x| x.status == 201));
    assert!(log.iter().any(|x| x.status == 401));
    assert!(log.iter().any(|x| x.status == 409));
}

/// The check itself must be able to fail: a response the spec forbids is caught.
#[tokio::test]
async fn the_contract_catches_breaches() {
    let spec = Spec::load().unwrap();
    let bad = |method: &str, path: &str, request: Value, status: u16, response: Value| Exchange {
        by: "client",
        method: method.into(),
        path: path.into(),
        request: Bytes::from(if request.is_null() {
            String::new()
        } else {
            request.to_string()
        }),
        status,
        response: Bytes::from(response.to_string()),
    };
    let token = json!({
        "object": "machine_to_machine_token", "id": "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e",
        "subject": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "claims": null, "scopes": [],
        "revoked": false, "revocation_reason": null, "expired": false, "expiration": null,
        "last_used_at": null, "created_at": 1, "updated_at": 1
    });
    let good = bad(
        "post",
        "/m2m_tokens/verify",
        json!({"token": "mt_x"}),
        200,
        token.clone(),
    );
    check(&spec, &good).unwrap();
    let mut extra = token.clone();
    extra["type"] = json!("m2m_token");
    let oauth = json!({
        "object": "clerk_idp_oauth_access_token", "id": "oat_0ef5a7a33d87ed87ee7954c845d80450",
        "client_id": "client_1", "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "scopes": [],
        "revoked": false, "revocation_reason": null, "expired": false, "expiration": null,
        "created_at": 1, "updated_at": 1
    });
    let oauth_ok = bad(
        "post",
        "/oauth_applications/access_tokens/verify",
        json!({"access_token": "oat_x"}),
        200,
        oauth.clone(),
    );
    check(&spec, &oauth_ok).unwrap();
    let oauth_with = |k: &str, v: Value| {
        let mut o = oauth.clone();
        o[k] = v;
        o
    };
    let machine = json!({
        "object": "machine", "id": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "name": "a",
        "instance_id": "ins_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "created_at": 1, "updated_at": 1,
        "default_token_ttl": 3600, "scoped_machines": [], "secret_key": "ak_x"
    });
    let machine_ok = bad(
        "post",
        "/v1/machines",
        json!({"name": "a", "scoped_machines": []}),
        200,
        machine.clone(),
    );
    check(&spec, &machine_ok).unwrap();
    let mut updated = machine.clone();
    updated.as_object_mut().unwrap().remove("secret_key");
    let update_ok = bad(
        "patch",
        "/v1/machines/mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
        json!({"name": "b"}),
        200,
        updated.clone(),
    );
    check(&spec, &update_ok).unwrap();
    let cases = [
        // The legacy `secret` field of the verify body.
        bad(
            "post",
            "/m2m_tokens/verify",
            json!({"secret": "mt_x"}),
            200,
            token.clone(),
        ),
        // A field the closed response schema does not have.
        bad(
            "post",
            "/m2m_tokens/verify",
            json!({"token": "mt_x"}),
            200,
            extra,
        ),
        // No body where one is required.
        bad("post", "/m2m_tokens", Value::Null, 201, token.clone()),
        // A success status the spec does not list.
        bad(
            "post",
            "/m2m_tokens/verify",
            json!({"token": "mt_x"}),
            204,
            token,
        ),
        // An API key id in the wrong format.
        bad(
            "post",
            "/api_keys/verify",
            json!({"secret": "ak_x"}),
            200,
            json!({"object": "api_key", "id": "ak_notHex"}),
        ),
        // The OAuth verify answer is closed: no `type`, and its id is `oat_` + 32 hex digits.
        bad(
            "post",
            "/oauth_applications/access_tokens/verify",
            json!({"access_token": "oat_x"}),
            200,
            oauth_with("type", json!("oauth_token")),
        ),
        bad(
            "post",
            "/oauth_applications/access_tokens/verify",
            json!({"access_token": "oat_x"}),
            200,
            oauth_with("id", json!("oat_notHex")),
        ),
        // `{"active": true}` is not one of the two answers.
        bad(
            "post",
            "/oauth_applications/access_tokens/verify",
            json!({"access_token": "oat_x"}),
            200,
            json!({"active": true}),
        ),
        // Nulls the request schemas do not allow.
        bad(
            "post",
            "/v1/machines",
            json!({"name": "a", "scoped_machines": null}),
            200,
            machine,
        ),
        bad(
            "patch",
            "/v1/machines/mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            json!({"name": null}),
            200,
            updated,
        ),
        // Not an operation we implement.
        bad("get", "/v1/users", Value::Null, 200, json!({})),
    ];
    for x in cases {
        assert!(check(&spec, &x).is_err(), "not caught: {x:?}");
    }
}
