#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! What keeps the emulator safe to run in CI: open bodies, credentials before bodies, body and
//! storage caps, header-read timeouts and the connection cap, all over real loopback sockets.

mod common;

use std::time::Duration;

use clerk_bapi_emulator::{Emulator, Endpoint};
use common::{Api, sk};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every test here stops on its own: no socket read waits longer than this.
const BOUND: Duration = Duration::from_secs(10);

#[tokio::test]
async fn open_bodies_ignore_unknown_fields_and_required_bodies_are_required() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let key = sk(&emu);
    let b = emu.create_machine("b", &[]);
    let a = emu.create_machine("a", &[]);
    let r = api
        .post(
            &format!("/v1/machines/{}/secret_key/rotate", a.id),
            &key,
            json!({"previous_token_ttl": 0, "future_field": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .post(
            &format!("/v1/machines/{}/scopes", a.id),
            &key,
            json!({"to_machine_id": b.id, "future_field": 1}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Rotation's body is required by the spec.
    let r = api
        .call(
            Method::POST,
            &format!("/v1/machines/{}/secret_key/rotate", a.id),
            Some(&key),
            None,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "malformed_request"));
    // Revoke's body is required too; `{}` is enough.
    let a = emu.machine(&a.id).unwrap();
    let t = api
        .post("/m2m_tokens", a.secret_key.expose_secret(), json!({}))
        .await;
    let id = t.body["id"].as_str().unwrap().to_owned();
    let path = format!("/m2m_tokens/{id}/revoke");
    let r = api.call(Method::POST, &path, Some(&key), None).await;
    assert_eq!((r.status, r.code()), (400, "malformed_request"));
    let r = api.post(&path, &key, json!({})).await;
    assert_eq!((r.status, &r.body["revoked"]), (200, &json!(true)));
}

#[tokio::test]
async fn credentials_are_checked_before_the_body_is_read() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    // A malformed body with a bad key: the key is what is wrong.
    let r = api
        .client
        .post(format!("{}/v1/machines", emu.api_url()))
        .bearer_auth("sk_test_wrong")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Without a key, a large body is refused without being read: the answer comes while the
    // client is still sending (or the connection is closed on it).
    let mut s = TcpStream::connect(emu.api_url().trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(
        b"POST /v1/machines HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{",
    )
    .await
    .unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
}

#[tokio::test]
async fn bodies_are_capped() {
    let emu = common::start().await;
    let api = Api::new(&emu);
    let big = "x".repeat(70 * 1024);
    let r = api
        .post("/v1/machines", &sk(&emu), json!({"name": "a", "pad": big}))
        .await;
    assert_eq!((r.status, r.code()), (413, "request_body_too_large"));
    // Just under the cap is fine (and the unknown field ignored).
    let ok = "x".repeat(60 * 1024);
    let r = api
        .post("/v1/machines", &sk(&emu), json!({"name": "a", "pad": ok}))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn stored_tokens_are_capped_evicting_dead_ones_first() {
    let emu = Emulator::builder()
        .max_stored_tokens(3)
        .start()
        .await
        .unwrap();
    let api = Api::new(&emu);
    let m = emu.create_machine("m", &[]);
    let key = m.secret_key.expose_secret().to_owned();
    let create = || async {
        let r = api.post("/m2m_tokens", &key, json!({})).await;
        assert_eq!(r.status, 201);
        (
            r.body["id"].as_str().unwrap().to_owned(),
            r.body["token"].as_str().unwrap().to_owned(),
        )
    };
    let verify = |t: String| {
        let api = api.clone();
        let sk = sk(&emu);
        async move {
            api.post("/m2m_tokens/verify", &sk, json!({"token": t}))
                .await
                .status
        }
    };
    let (_, first) = create().await;
    let (second_id, second) = create().await;
    let (_, third) = create().await;
    // Revoke the second: at the cap, it goes before the older live first token.
    let r = api
        .post(
            &format!("/m2m_tokens/{second_id}/revoke"),
            &sk(&emu),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let (_, fourth) = create().await;
    let list = api
        .get(&format!("/m2m_tokens?subject={}&revoked=true", m.id), &key)
        .await;
    assert_eq!(list.body["total_count"], 0, "the revoked token was evicted");
    assert_eq!(verify(first.clone()).await, 200);
    assert_eq!(verify(second).await, 404);
    // No dead token left: the oldest live one goes.
    let (_, _fifth) = create().await;
    assert_eq!(verify(first).await, 404);
    assert_eq!(verify(third).await, 200);
    assert_eq!(verify(fourth).await, 200);
    let list = api
        .get(&format!("/m2m_tokens?subject={}", m.id), &key)
        .await;
    assert_eq!(list.body["total_count"], 3);
}

/// Read until the end of a response head, EOF, or [`BOUND`].
async fn read_head(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(BOUND, async {
        let mut chunk = [0u8; 1024];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// `true` when the server closes the connection (EOF or reset) within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 256];
    matches!(
        tokio::time::timeout(within, async {
            loop {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await,
        Ok(())
    )
}

#[tokio::test]
async fn dripping_and_idle_connections_are_closed() {
    let emu = Emulator::builder()
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let addr = emu.api_url().trim_start_matches("http://").to_owned();
    // Dripping headers: a byte now and then, never the end of the head.
    let mut drip = TcpStream::connect(&addr).await.unwrap();
    drip.write_all(b"GET /v1/jwks HTTP/1.1\r\n").await.unwrap();
    let dripper = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if drip.write_all(b"x").await.is_err() {
                break;
            }
        }
    };
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    let ((), idle_closed) = tokio::join!(dripper, closed_within(&mut idle, BOUND));
    assert!(idle_closed, "an idle connection stayed open");
    assert!(
        closed_within(&mut drip, BOUND).await,
        "a dripping connection stayed open"
    );
    // A normal client is unaffected.
    let r = Api::new(&emu).get("/v1/jwks", &sk(&emu)).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed() {
    let emu = Emulator::builder()
        .max_connections(4)
        .start()
        .await
        .unwrap();
    let addr = emu.api_url().trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Give the accept loop time to take the four.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    assert!(
        closed_within(&mut extra, BOUND).await,
        "the fifth connection was kept"
    );
    // Freeing a slot lets a new client in.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut next = TcpStream::connect(&addr).await.unwrap();
    next.write_all(b"GET /v1/jwks HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut next).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(emu.counters().get(Endpoint::Jwks) >= 1);
}
