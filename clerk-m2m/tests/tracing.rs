//! Verification and Backend API calls emit tracing spans, and nothing they log (at any level,
//! from any crate) contains a secret key or a raw token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use clerk_bapi_emulator::MintSpec;
use clerk_m2m::{CreateM2MTokenParams, ListM2MTokensParams};
use common::World;
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything the subscriber writes, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}

// A current-thread runtime: every task (the emulator's server included) runs on this thread,
// under the thread-local subscriber.
#[tokio::test]
async fn spans_cover_verification_and_backend_calls_without_secrets_or_tokens() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = World::new().await;
    let worker = w.worker_auth();
    let verifier = w.verifier();
    let opaque = worker
        .create_m2m_token(CreateM2MTokenParams::default())
        .await
        .unwrap();
    let opaque_token = opaque.token.clone().unwrap();
    let jwt = worker
        .create_m2m_token(CreateM2MTokenParams::jwt())
        .await
        .unwrap()
        .token
        .unwrap();
    verifier.verify_m2m_token(&jwt).await.unwrap();
    verifier.verify_machine_token(&opaque_token).await.unwrap();
    assert!(
        verifier
            .authenticate_request(&bearer(&opaque_token))
            .await
            .is_authenticated()
    );
    // Failures log too: an expired JWT, an unknown opaque token, a tampered-looking one.
    let expired = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).expired());
    assert!(verifier.verify_machine_token(&expired).await.is_err());
    let unknown = "mt_0123456789abcdef0123456789abcdef";
    assert!(
        !verifier
            .authenticate_request(&bearer(unknown))
            .await
            .is_authenticated()
    );
    worker
        .list_m2m_tokens(ListM2MTokensParams::new(&w.worker.id))
        .await
        .unwrap();
    worker
        .revoke_m2m_token(
            &opaque.id,
            clerk_m2m::RevokeM2MTokenParams::new().reason("done"),
        )
        .await
        .unwrap();

    let log = captured.text();
    for span in [
        "clerk_m2m.create_m2m_token",
        "clerk_m2m.verify_m2m_token",
        "clerk_m2m.verify_m2m_jwt",
        "clerk_m2m.verify_machine_token",
        "clerk_m2m.bapi.verify_m2m_token",
        "clerk_m2m.authenticate_request",
        "clerk_m2m.list_m2m_tokens",
        "clerk_m2m.revoke_m2m_token",
        "clerk_backend_api.request",
    ] {
        assert!(log.contains(span), "no {span} span in:\n{log}");
    }
    assert!(log.contains("path=\"/m2m_tokens/verify\""), "{log}");
    assert!(log.contains("path=\"/v1/jwks\""), "{log}");

    let secrets = [
        w.emu.secret_key().expose_secret().to_owned(),
        w.worker.secret_key.expose_secret().to_owned(),
        w.api.secret_key.expose_secret().to_owned(),
        opaque_token,
        jwt.clone(),
        expired.clone(),
        unknown.to_owned(),
        // A JWT's signature alone identifies it.
        jwt.rsplit('.').next().unwrap().to_owned(),
        expired.rsplit('.').next().unwrap().to_owned(),
    ];
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "a secret or token is in the log");
    }
    // The token id (not a secret) is not logged either: paths are templates.
    assert!(!log.contains(&opaque.id), "{log}");
}
