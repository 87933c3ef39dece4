//! The synchronous entry points: verification with no async runtime on the calling thread.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_bapi_emulator::MintSpec;
use clerk_m2m::{Error, ErrorCode, MachineAuth, TokenType, VerifiedToken};
use common::World;

struct Minted {
    pem: String,
    good: String,
    expired: String,
    foreign: String,
    worker: String,
    opaque: String,
}

/// The emulator needs a runtime: it runs on its own thread, and only strings come back.
fn mint() -> (
    Minted,
    std::thread::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let w = World::new().await;
            let opaque = w
                .worker_auth()
                .create_m2m_token(clerk_m2m::CreateM2MTokenParams::default())
                .await
                .unwrap()
                .token
                .unwrap();
            tx.send(Minted {
                pem: w.emu.jwt_public_key_pem(),
                good: w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id)),
                expired: w
                    .emu
                    .mint_jwt(MintSpec::for_machine(&w.worker.id).expired()),
                foreign: w
                    .emu
                    .mint_jwt(MintSpec::for_machine(&w.worker.id).foreign_key()),
                worker: w.worker.id.clone(),
                opaque,
            })
            .unwrap();
            let _ = stopped.await;
        });
    });
    (rx.recv().unwrap(), thread, stop)
}

#[test]
fn a_pem_key_verifies_synchronously_with_no_runtime() {
    let (m, thread, stop) = mint();
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "no runtime on this thread"
    );
    let auth = MachineAuth::builder().jwt_key(m.pem).build().unwrap();

    let t = auth.verify_m2m_token_local(&m.good).unwrap();
    assert_eq!(t.subject, m.worker);
    match auth.try_verify_local(&m.good) {
        Some(Ok(VerifiedToken::M2M(t2))) => assert_eq!(t2, t),
        other => panic!("{other:?}"),
    }
    // Again: answered from the verified-token cache without a decode, the same token.
    let hits = auth.verified_token_cache_stats().unwrap().hits;
    match auth.try_verify_local(&m.good) {
        Some(Ok(VerifiedToken::M2M(t2))) => assert_eq!(t2, t),
        other => panic!("{other:?}"),
    }
    assert!(auth.verified_token_cache_stats().unwrap().hits > hits);
    // A rejected token is rejected the same way every time.
    for _ in 0..2 {
        match auth.try_verify_local(&m.expired) {
            Some(Err(e)) => assert!(e.to_string().starts_with("JWT is expired"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    let e = auth.verify_m2m_token_local(&m.expired).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{e}");
    assert!(e.to_string().starts_with("JWT is expired"), "{e}");
    let e = auth.verify_m2m_token_local(&m.foreign).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed, "{e}");

    // Opaque tokens need the Backend API: a typed answer, never a hang or a panic.
    let e = auth.verify_m2m_token_local(&m.opaque).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotLocal {
                token_type: TokenType::M2MToken,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(auth.try_verify_local(&m.opaque).is_none());
    assert!(matches!(
        auth.verify_m2m_token_local("ak_x").unwrap_err(),
        Error::TokenTypeMismatch {
            found: Some(TokenType::ApiKey),
            ..
        }
    ));
    assert!(matches!(
        auth.try_verify_local("junk"),
        Some(Err(Error::UnknownTokenType))
    ));
    stop.send(()).unwrap();
    thread.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_cold_jwks_is_not_local_until_the_async_path_warms_it() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let auth = w.verifier();
    let e = auth.verify_m2m_token_local(&jwt).unwrap_err();
    assert!(matches!(e, Error::NotLocal { .. }), "{e:?}");
    assert!(auth.try_verify_local(&jwt).is_none());

    auth.verify_m2m_token(&jwt).await.unwrap();
    // Warm: decided in memory, on a thread that is not the runtime's.
    let auth2 = auth.clone();
    let t = std::thread::spawn(move || auth2.verify_m2m_token_local(&jwt))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(t.subject, w.worker.id);
}
