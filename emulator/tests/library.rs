#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The library API: handles, serve info, demo machines, direct token helpers, shutdown.

mod common;

use clerk_bapi_emulator::{Emulator, EmulatorError};
use common::{Api, sk};
use serde_json::json;

#[tokio::test]
async fn serve_info_and_demo_machines() {
    let emu = common::start().await;
    let [a, b] = emu.bootstrap_demo_machines();
    assert_eq!(a.scoped_machines, vec![b.id.clone()]);
    assert_eq!(b.scoped_machines, vec![a.id.clone()]);
    let info = emu.serve_info();
    let v = info.to_json();
    assert_eq!(v["api_url"], emu.api_url().as_str());
    assert_eq!(v["secret_key"], sk(&emu).as_str());
    assert!(
        v["jwt_public_key_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert_eq!(
        v["machines"][0],
        json!({"id": a.id, "secret_key": a.secret_key.expose_secret(), "scoped_machines": [b.id]})
    );
    assert_eq!(v["machines"].as_array().unwrap().len(), 2);
    // One API key and one OAuth access token, in the line and verifiable.
    let ak = v["api_key"].as_str().unwrap();
    let oat = v["oauth_token"].as_str().unwrap();
    assert_eq!(info.api_key.as_deref(), Some(ak));
    assert_eq!(info.oauth_token.as_deref(), Some(oat));
    assert!(
        ak.starts_with("ak_") && oat.starts_with("oat_"),
        "{ak} {oat}"
    );
    // Debug never shows secrets.
    let dbg = format!("{info:?} {a:?} {emu:?}");
    assert!(!dbg.contains(&sk(&emu)));
    assert!(!dbg.contains(a.secret_key.expose_secret()));
    assert!(!dbg.contains(ak) && !dbg.contains(oat), "{dbg}");

    // The demo machines can call each other.
    let api = Api::new(&emu);
    let t = api
        .post("/m2m_tokens", a.secret_key.expose_secret(), json!({}))
        .await
        .body;
    let r = api
        .post(
            "/m2m_tokens/verify",
            b.secret_key.expose_secret(),
            json!({"token": t["token"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .post("/api_keys/verify", &sk(&emu), json!({"secret": ak}))
        .await;
    assert_eq!((r.status, &r.body["subject"]), (200, &json!(a.id)));
    let r = api
        .post(
            "/oauth_applications/access_tokens/verify",
            &sk(&emu),
            json!({"access_token": oat}),
        )
        .await;
    assert_eq!((r.status, &r.body["revoked"]), (200, &json!(false)));
    assert!(r.body["subject"].as_str().unwrap().starts_with("user_"));
    // Before the bootstrap there is nothing to print.
    let fresh = common::start().await;
    let v = fresh.serve_info().to_json();
    assert_eq!(
        (&v["api_key"], &v["oauth_token"]),
        (&json!(null), &json!(null))
    );
}

#[tokio::test]
async fn direct_helpers() {
    let emu = common::start().await;
    let b = emu.create_machine("b", &["mch_unknown_is_skipped"]);
    assert!(b.scoped_machines.is_empty());
    let a = emu.create_machine("", &[&b.id]);
    assert_eq!(a.name, "machine");
    assert_eq!(emu.machines().len(), 2);
    assert!(emu.machine("mch_nope").is_none());
    let long = emu.create_machine(&"n".repeat(300), &[]);
    assert_eq!(long.name.chars().count(), 255);
    let err = emu.create_m2m_token("mch_nope").unwrap_err();
    assert!(matches!(err, EmulatorError::UnknownMachine { .. }));

    let opaque = emu.create_m2m_token(&a.id).unwrap();
    let r = Api::new(&emu)
        .post(
            "/m2m_tokens/verify",
            b.secret_key.expose_secret(),
            json!({"token": opaque}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(matches!(
        emu.create_m2m_token("mch_nope"),
        Err(EmulatorError::UnknownMachine { .. })
    ));
}

#[tokio::test]
async fn builder_fixed_key_and_address_errors() {
    let emu = common::start().await;
    let port = emu
        .api_url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let taken = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let err = Emulator::builder()
        .addr(taken)
        .signing_key_pem(emu_pem())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, EmulatorError::Bind { .. }), "{err}");
    let err = Emulator::builder()
        .signing_key_pem("nope")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, EmulatorError::Crypto { .. }));
    let err = Emulator::builder()
        .secret_key("")
        .signing_key_pem(emu_pem())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, EmulatorError::SecretKey));
}

fn emu_pem() -> String {
    clerk_bapi_emulator::generate_signing_key_pem().unwrap()
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let emu = common::start().await;
    let url = format!("{}/v1/jwks", emu.api_url());
    let key = sk(&emu);
    let client = reqwest::Client::new();
    let clone = emu.clone();
    drop(emu);
    // A clone keeps it alive.
    assert_eq!(
        client
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(clone);
    let mut stopped = false;
    for _ in 0..200 {
        if reqwest::Client::new()
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .is_err()
        {
            stopped = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(stopped);
}

#[tokio::test]
async fn shutdown_waits_for_the_server() {
    let emu = common::start().await;
    let url = emu.api_url();
    emu.shutdown().await;
    assert!(
        reqwest::Client::new()
            .get(format!("{url}/v1/jwks"))
            .send()
            .await
            .is_err()
    );
}

/// Log lines captured by a subscriber local to the test's thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn non_loopback_binds_are_warned_about() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let local = Emulator::start().await.unwrap();
    let text = |l: &Captured| String::from_utf8_lossy(&l.0.lock().unwrap()).into_owned();
    assert_eq!(text(&logs), "", "a loopback emulator warns about nothing");
    let open = Emulator::builder()
        .addr("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let logged = text(&logs);
    assert!(logged.contains("WARN"), "{logged}");
    assert!(
        logged.contains("NON-LOOPBACK") && logged.contains("test keys"),
        "{logged}"
    );
    open.shutdown().await;
    local.shutdown().await;
}
