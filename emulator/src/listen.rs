//! The accept loop: HTTP/1.1 connections with a header-read (and keep-alive idle) timeout and
//! a cap on open connections, which `axum::serve` does not offer.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// How long shutdown waits for open connections to finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Connection limits (see `EmulatorBuilder::max_connections` and
/// `EmulatorBuilder::header_read_timeout`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // Far above what a test suite opens (reqwest pools a few connections per host),
            // far below a file-descriptor limit.
            max_connections: 256,
            // A client sends its headers in one write; 10 s also closes idle keep-alive
            // connections, well before a client's pool would reuse them unknowingly.
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serve `router` on `listener` until `stop` turns true (or its sender is gone).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // E.g. out of file descriptors: back off instead of spinning on the error.
                tracing::warn!(error = %e, "the Backend API emulator could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            // Full: close at once rather than queue, so a flood holds no memory or task.
            tracing::warn!(
                max_connections = max,
                "the Backend API emulator is at its connection limit; closing a new connection"
            );
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let stopping = tokio::select! {
                _ = conn.as_mut() => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
            }
        });
    }
    drop(listener);
    // Every slot back means every connection has finished.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
}
