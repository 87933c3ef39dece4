//! The tower layer and the axum extractor, on a real axum server over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use axum::Router;
use axum::routing::get;
use clerk_bapi_emulator::MintSpec;
use clerk_m2m::{AuthObject, CreateM2MTokenParams, MachineAuth};
use common::World;

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

    let opaque = w
        .worker_auth()
        .create_m2m_token(CreateM2MTokenParams::default())
        .await
        .unwrap()
        .token
        .unwrap();
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
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["reason"], "token-invalid");

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
