//! RemoteJwksResolver over real HTTP on loopback: a raw tokio HTTP/1.1 responder that counts
//! requests, and a minimal `JwksSource` client (the real one lives in clerk-backend-api).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Verifying needs a provider; tests/no_provider.rs covers the build without one.
#![cfg(any(feature = "josekit", feature = "aws-lc-rs"))]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_jwks_cache::{
    Algorithm, JwkSet, JwksSource, KeyError, KeyResolver, Reason, RemoteJwksResolver,
};
use common::{keys, set};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    /// (status, body) served to every request.
    reply: Arc<Mutex<(u16, String)>>,
}

async fn serve(body: String) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let reply = Arc::new(Mutex::new((200u16, body)));
    let (count, answer) = (Arc::clone(&requests), Arc::clone(&reply));
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (count, answer) = (Arc::clone(&count), Arc::clone(&answer));
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                assert!(buf.starts_with(b"GET /v1/jwks HTTP/1.1\r\n"));
                count.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answer.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server {
        addr,
        requests,
        reply,
    }
}

/// GET /v1/jwks over a fresh connection, mapping errors like `@clerk/backend` does.
struct HttpSource {
    addr: SocketAddr,
}

#[async_trait::async_trait]
impl JwksSource for HttpSource {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        let url = format!("http://{}/v1/jwks", self.addr);
        let failed = |detail: String| KeyError::RemoteFailedToLoad { message: detail };
        let mut stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| failed(format!("connect {url}: {e}")))?;
        let req = format!(
            "GET /v1/jwks HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream
            .write_all(req.as_bytes())
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let text = String::from_utf8(raw).map_err(|e| failed(e.to_string()))?;
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| failed("no body".into()))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if status != 200 {
            return Err(failed(format!(
                "Error loading Clerk JWKS from {url} with code={status}"
            )));
        }
        JwkSet::from_json(body)
    }
}

fn jwks_json(kid: &str) -> String {
    serde_json::to_string(&set(vec![keys()[0].jwk(kid, Algorithm::RS256)])).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_resolves_make_one_http_request_and_floods_make_none() {
    let server = serve(jwks_json("ins_1")).await;
    let r = Arc::new(RemoteJwksResolver::new(HttpSource { addr: server.addr }));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let r = Arc::clone(&r);
        tasks.spawn(async move { r.resolve(Some("ins_1"), Algorithm::RS256).await });
    }
    while let Some(res) = tasks.join_next().await {
        let key = res.unwrap().unwrap();
        let sig = keys()[0].sign(Algorithm::RS256, b"h.p");
        assert!(key.verify(b"h.p", &sig).unwrap());
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    // Unknown kids right after a fetch are inside the cooldown: no request at all.
    for i in 0..500 {
        let err = r
            .resolve(Some(&format!("ins_x{i}")), Algorithm::RS256)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), Reason::JwkKidMismatch);
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_outage_serves_known_keys_and_reports_the_status() {
    let server = serve(jwks_json("ins_1")).await;
    // TTL zero: every resolve wants a refresh, so the outage is hit without moving the clock.
    let r = RemoteJwksResolver::builder(HttpSource { addr: server.addr })
        .ttl(Duration::ZERO)
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build();
    assert!(r.resolve(Some("ins_1"), Algorithm::RS256).await.is_ok());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    *server.reply.lock().unwrap() = (503, "{}".into());
    assert!(
        r.resolve(Some("ins_1"), Algorithm::RS256).await.is_ok(),
        "stale key served"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    let err = r
        .resolve(Some("ins_2"), Algorithm::RS256)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::JwkRemoteFailedToLoad);
    assert_eq!(
        err.to_string(),
        format!(
            "Error loading Clerk JWKS from http://{}/v1/jwks with code=503",
            server.addr
        )
    );
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        2,
        "no retry inside the cooldown"
    );
}
