//! The tower layer and the axum extractors: on a real axum server over loopback, and on a plain
//! tower service over `http` types with another body type.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::convert::Infallible;

use axum::Router;
use axum::routing::get;
use clerk_bapi_emulator::MintSpec;
use clerk_m2m::{AuthObject, MachineAuth, MachineAuthLayer, TokenType};
use common::World;
use http::{Request, Response, header::AUTHORIZATION};
use tower::{Layer, ServiceExt, service_fn};

async fn whoami(auth: AuthObject) -> String {
    format!(
        "{} {} {}",
        auth.token_type(),
        auth.subject(),
        auth.scopes().join(",")
    )
}

async fn serve(auth: MachineAuth) -> String {
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(auth.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}/whoami")
}

#[tokio::test]
async fn signed_in_requests_reach_the_handler_with_the_auth_object() {
    let w = World::new().await;
    let url = serve(
        w.verifier_builder()
            .expected_machine(w.api.id.clone())
            .build()
            .unwrap(),
    )
    .await;
    let client = reqwest::Client::new();

    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let resp = client.get(&url).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-clerk-auth-status").is_none());
    assert_eq!(
        resp.text().await.unwrap(),
        format!("m2m_token {} {}", w.worker.id, w.api.id)
    );

    let opaque = w.opaque().await;
    let resp = client.get(&url).bearer_auth(&opaque).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn rejected_requests_get_401_with_the_clerk_auth_headers() {
    let w = World::new().await;
    let url = serve(w.verifier()).await;
    let client = reqwest::Client::new();

    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-clerk-auth-status"], "signed-out");
    assert_eq!(resp.headers()["x-clerk-auth-reason"], "No token in header");
    assert!(resp.headers().get("x-clerk-auth-message").is_none());

    let session_cat = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).category("cl_B7d4PD111AAA"));
    let resp = client
        .get(&url)
        .bearer_auth(&session_cat)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-clerk-auth-reason"], "token-invalid");
    assert_eq!(
        resp.headers()["x-clerk-auth-message"],
        "Invalid M2M JWT category. (code=token-invalid, status=n/a)"
    );
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        resp.text().await.unwrap(),
        "",
        "details are in the headers only"
    );

    let resp = client
        .get(&url)
        .bearer_auth(w.emu.create_api_key("user_1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-clerk-auth-reason"], "token-type-mismatch");
}

#[tokio::test]
async fn the_extractor_without_the_layer_is_a_server_error() {
    let app: Router = Router::new().route("/whoami", get(whoami));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let resp = reqwest::get(format!("http://{addr}/whoami")).await.unwrap();
    assert_eq!(resp.status(), 500);
}

/// A tower service that is not axum: `String` bodies both ways, answering with the caller.
async fn call_plain(layer: &MachineAuthLayer, bearer: Option<&str>) -> Response<String> {
    let svc = layer.layer(service_fn(|req: Request<String>| async move {
        let caller = req.extensions().get::<AuthObject>().map_or_else(
            || "anonymous".to_owned(),
            |a| format!("{} {}", a.token_type(), a.subject()),
        );
        Ok::<_, Infallible>(Response::new(caller))
    }));
    let mut req = Request::builder().uri("/report");
    if let Some(b) = bearer {
        req = req.header(AUTHORIZATION, format!("Bearer {b}"));
    }
    svc.oneshot(req.body(String::from("payload")).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_layer_serves_a_plain_http_service_with_another_body_type() {
    let w = World::new().await;
    let layer = MachineAuthLayer::new(w.verifier());
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));

    let ok = call_plain(&layer, Some(&jwt)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.body(), &format!("m2m_token {}", w.worker.id));

    let none = call_plain(&layer, None).await;
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["x-clerk-auth-reason"], "No token in header");
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(none.body(), "");
}

#[tokio::test]
async fn per_route_options_override_the_machine_auth() {
    let w = World::new().await;
    let auth = w.verifier(); // accepts m2m_token only, any scope
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id)); // scoped to w.api

    // A route that requires a scope the token does not carry.
    let admin = auth.layer().require_scopes(["mch_admin_only"]);
    let resp = call_plain(&admin, Some(&jwt)).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["x-clerk-auth-reason"],
        "token-verification-failed"
    );
    assert_eq!(
        resp.headers()["x-clerk-auth-message"],
        "The token lacks the required scope \"mch_admin_only\". (code=token-verification-failed, status=n/a)"
    );
    // ...and one whose scope it does carry, named as the expected machine.
    let api_route = auth.layer().expected_machine(w.api.id.clone());
    assert_eq!(call_plain(&api_route, Some(&jwt)).await.status(), 200);
    let other_route = auth.layer().expected_machine("mch_someone_else");
    let resp = call_plain(&other_route, Some(&jwt)).await;
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["x-clerk-auth-message"]
            .to_str()
            .unwrap()
            .contains("mch_someone_else")
    );

    // A route that takes API keys, on a value built for M2M tokens only.
    let key = w.emu.create_api_key("user_1");
    assert_eq!(
        call_plain(&auth.layer(), Some(&key)).await.headers()["x-clerk-auth-reason"],
        "token-type-mismatch"
    );
    let keys_route = auth.layer().accepts_token(TokenType::ApiKey);
    let resp = call_plain(&keys_route, Some(&key)).await;
    assert_eq!(resp.status(), 200, "{:?}", resp.headers());
    assert_eq!(resp.body(), "api_key user_1");
    // ...which in turn refuses the M2M token.
    let resp = call_plain(&keys_route, Some(&jwt)).await;
    assert_eq!(resp.headers()["x-clerk-auth-reason"], "token-type-mismatch");
}

#[tokio::test]
async fn anonymous_callers_pass_only_when_allowed_and_bad_tokens_never_do() {
    let w = World::new().await;
    let open = w.verifier().layer().allow_anonymous();
    let anon = call_plain(&open, None).await;
    assert_eq!(anon.status(), 200);
    assert_eq!(anon.body(), "anonymous");
    let bad = call_plain(&open, Some("mt_not_a_real_token")).await;
    assert_eq!(bad.status(), 401, "a failed token is not anonymous");
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    assert_eq!(
        call_plain(&open, Some(&jwt)).await.body(),
        &format!("m2m_token {}", w.worker.id)
    );
}

async fn hello(caller: Option<AuthObject>) -> String {
    caller.map_or_else(
        || "hello stranger".to_owned(),
        |c| format!("hello {}", c.subject()),
    )
}

#[tokio::test]
async fn the_optional_extractor_serves_anonymous_and_machine_callers() {
    let w = World::new().await;
    let app = Router::new()
        .route("/hello", get(hello))
        .layer(w.verifier().layer().allow_anonymous());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let url = format!("http://{addr}/hello");
    let client = reqwest::Client::new();
    let anon = client.get(&url).send().await.unwrap();
    assert_eq!(anon.status(), 200);
    assert_eq!(anon.text().await.unwrap(), "hello stranger");
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let known = client.get(&url).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(
        known.text().await.unwrap(),
        format!("hello {}", w.worker.id)
    );
    let bad = client
        .get(&url)
        .bearer_auth("mt_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}
