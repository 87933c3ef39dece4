//! Shared test helpers: the emulator, clients pointed at it, and a scripted raw HTTP server for
//! faults the emulator cannot produce (HTML pages, malformed JSON, oversized bodies).
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_backend_api::{BackendApi, BackendApiBuilder, RetryPolicy};
use clerk_bapi_emulator::{Emulator, EmulatorHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An emulator with the process's shared signing key (instant to start; the key material is
/// generated once per test binary, when first needed).
pub async fn emulator() -> EmulatorHandle {
    Emulator::start().await.expect("the emulator starts")
}

/// Fast retries, so fault tests take milliseconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
        .with_max_retry_after(Duration::from_millis(5))
}

/// A builder for `url` with fast retries and a short timeout.
pub fn builder(url: &str) -> BackendApiBuilder {
    BackendApi::builder()
        .api_url(url)
        .retry(fast_retry())
        .timeout(Duration::from_secs(5))
}

/// A client with the emulator's instance secret key.
pub fn instance_client(emu: &EmulatorHandle) -> BackendApi {
    builder(&emu.api_url())
        .secret_key(emu.secret_key())
        .build()
        .unwrap()
}

/// One request as the scripted server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the scripted server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Write these bytes and close.
    Raw(String),
    /// Read the request, never answer.
    Hang,
    /// Stream this many bytes of body without a Content-Length, then close.
    Huge(usize),
    /// Read the request, then close the connection without answering.
    Close,
}

/// A response with a JSON (or any) body and extra headers.
pub fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut s = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        s.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    Reply::Raw(s)
}

pub const TOKEN_JSON: &str = r#"{"object":"machine_to_machine_token","id":"mt_0123456789abcdef0123456789abcdef","subject":"mch_2vYVtestTESTtestTESTtestTEST","scopes":[],"claims":null,"revoked":false,"revocation_reason":null,"expired":false,"expiration":null,"last_used_at":null,"created_at":1,"updated_at":1,"token":"mt_secret"}"#;

/// A raw HTTP/1.1 server on loopback answering the n-th request with `script[n]` (the last
/// entry repeats).
pub struct Scripted {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    pub async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let reply = script
                    .get(n)
                    .or(script.last())
                    .cloned()
                    .unwrap_or(Reply::Hang);
                n += 1;
                let log = log.clone();
                tokio::spawn(async move { serve(stream, reply, log).await });
            }
        });
        Self { url, seen, task }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(k) => buf.extend_from_slice(&tmp[..k]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut tmp).await {
            Ok(0) | Err(_) => break,
            Ok(k) => buf.extend_from_slice(&tmp[..k]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    log.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
    });
    match reply {
        Reply::Raw(s) => {
            let _ = stream.write_all(s.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Close => {
            let _ = stream.shutdown().await;
        }
        Reply::Hang => {
            // Keep the connection open until the test ends.
            std::future::pending::<()>().await;
        }
        Reply::Huge(n) => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len();
            }
            let _ = stream.shutdown().await;
        }
    }
}

/// A loopback URL nothing listens on: bind, note the port, drop the listener.
pub async fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
