//! The extension points of issue 4: the `Clock` trait (verify as of a given time) and the `Check`
//! trait (the user's own steps, before or after the built-in claim rules).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use clerk_jwks_cache::PemKeyResolver;
use clerk_token_types::Jwt;
use clerk_token_verify::{
    Check, Clock, ErrorCode, Reason, Stage, SystemClock, TokenType, Verifier, VerifyError,
};
use serde_json::json;

use crate::common::*;

/// A user clock that tests can move: the verifier must read it on every verification.
#[derive(Debug)]
struct Movable(AtomicI64);

impl Clock for Movable {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_user_clock_is_read_on_every_verification() {
    let clock = Arc::new(Movable(AtomicI64::new(NOW_MS)));
    let (v, _) = m2m();
    let v = v.with_clock(clock.clone()).with_clock_skew_ms(0.0);
    let token = sign(&m2m_header(), &m2m_payload());
    let exp_ms = (IAT + 300) * 1000;
    assert!(v.verify(&token).await.is_ok());
    clock.0.store(exp_ms, Ordering::SeqCst);
    assert_eq!(
        v.verify(&token).await.unwrap_err().reason(),
        Reason::TokenExpired
    );
    clock.0.store((IAT - 11) * 1000, Ordering::SeqCst);
    assert_eq!(
        v.verify(&token).await.unwrap_err().reason(),
        Reason::TokenNotActiveYet
    );
    clock.0.store(exp_ms - 1, Ordering::SeqCst);
    let t = v.verify(&token).await.unwrap();
    assert!(!t.expired);
}

/// Without `with_clock` the verifier uses the system clock: a token minted now verifies, and the
/// 2022 fixture token is expired.
#[tokio::test]
async fn the_default_clock_is_the_system_clock() {
    let v = Verifier::m2m(Arc::new(PemKeyResolver::new(SIGNING_PUB).unwrap()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let fresh = with(
        m2m_payload(),
        &[
            ("iat", Some(json!(now))),
            ("nbf", Some(json!(now - 10))),
            ("exp", Some(json!(now + 3600))),
        ],
    );
    assert!(v.verify(&sign(&m2m_header(), &fresh)).await.is_ok());
    assert_eq!(
        v.verify(&sign(&m2m_header(), &m2m_payload()))
            .await
            .unwrap_err()
            .reason(),
        Reason::TokenExpired
    );
    assert!((SystemClock.now_ms() - now * 1000).abs() < 3_600_000);
}

/// What a [`Recorder`] saw: (check name, now_ms, the token's `sub` as JSON).
type Log = Arc<Mutex<Vec<(&'static str, i64, String)>>>;

/// A check written as a struct: it records what it saw.
struct Recorder {
    name: &'static str,
    log: Log,
    fail: bool,
}

impl Check for Recorder {
    fn check(&self, jwt: &Jwt, now_ms: i64) -> Result<(), VerifyError> {
        let sub = jwt.claims().sub.as_ref().map(|s| s.to_json().to_string());
        self.log
            .lock()
            .unwrap()
            .push((self.name, now_ms, sub.unwrap_or_default()));
        if self.fail {
            Err(VerifyError::custom(
                Reason::TokenInvalid,
                format!("{} said no.", self.name),
            ))
        } else {
            Ok(())
        }
    }
}

fn recorder(name: &'static str, log: &Log, fail: bool) -> Arc<Recorder> {
    Arc::new(Recorder {
        name,
        log: Arc::clone(log),
        fail,
    })
}

#[tokio::test]
async fn checks_run_in_stage_order_see_the_clock_and_stop_at_the_first_failure() {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let (v, _) = m2m();
    let at = NOW_MS + 1234;
    let v = v
        .with_clock(Arc::new(clerk_token_verify::FixedClock(at)))
        .with_check(Stage::AfterClaims, recorder("after-1", &log, false))
        .with_check(Stage::BeforeClaims, recorder("before-1", &log, false))
        .with_check(Stage::BeforeClaims, recorder("before-2", &log, false))
        .with_check(Stage::AfterClaims, recorder("after-2", &log, false));
    let token = sign(&m2m_header(), &m2m_payload());
    assert!(v.verify(&token).await.is_ok());
    let sub = "\"mch_2vYVtestTESTtestTESTtestTESTtest\"".to_owned();
    assert_eq!(
        *log.lock().unwrap(),
        [
            ("before-1", at, sub.clone()),
            ("before-2", at, sub.clone()),
            ("after-1", at, sub.clone()),
            ("after-2", at, sub.clone()),
        ]
    );

    // A failing before-check stops everything after it, claim rules included.
    log.lock().unwrap().clear();
    let expired = sign(
        &m2m_header(),
        &with(m2m_payload(), &[("exp", Some(json!(IAT - 600)))]),
    );
    let v2 = v
        .clone()
        .with_check(Stage::BeforeClaims, recorder("before-3", &log, true))
        .with_check(Stage::BeforeClaims, recorder("before-4", &log, false));
    let e = v2.verify(&expired).await.unwrap_err();
    assert_eq!(e.to_string(), "before-3 said no.");
    assert_eq!(e.reason(), Reason::TokenInvalid);
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(e.token_type(), Some(TokenType::M2MToken));
    let names: Vec<_> = log.lock().unwrap().iter().map(|(n, ..)| *n).collect();
    assert_eq!(names, ["before-1", "before-2", "before-3"]);

    // A claim failure stops the after-checks.
    log.lock().unwrap().clear();
    assert_eq!(
        v.verify(&expired).await.unwrap_err().reason(),
        Reason::TokenExpired
    );
    let names: Vec<_> = log.lock().unwrap().iter().map(|(n, ..)| *n).collect();
    assert_eq!(names, ["before-1", "before-2"]);

    // Header, key and signature failures never reach any check.
    log.lock().unwrap().clear();
    for token in [
        sign(
            &with(m2m_header(), &[("alg", Some(json!("none")))]),
            &m2m_payload(),
        ),
        sign(
            &with(m2m_header(), &[("kid", Some(json!("ins_nobody")))]),
            &m2m_payload(),
        ),
        sign_with(OTHER_KEY, &m2m_header(), &m2m_payload()),
    ] {
        assert!(v.verify(&token).await.is_err());
    }
    assert!(log.lock().unwrap().is_empty());
}

/// A check's error keeps its reason; the code follows the preset (as `@clerk/backend`'s machine
/// verifiers for machine tokens; the reason for sessions), and the preset's token type is stamped
/// on it.
#[tokio::test]
async fn check_errors_are_stamped_with_the_preset() {
    let deny = Arc::new(|_: &Jwt, _: i64| {
        Err::<(), _>(VerifyError::custom(Reason::TokenInvalid, "Denied."))
    });
    let (s, _) = session();
    let e = s
        .with_check(Stage::AfterClaims, deny.clone())
        .verify(&sign(&session_header(), &session_payload()))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Denied.");
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    assert_eq!(e.token_type(), Some(TokenType::SessionToken));
    let (o, _) = oauth();
    let e = o
        .with_check(Stage::BeforeClaims, deny)
        .verify(&sign(&oauth_header(), &oauth_payload()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenVerificationFailed);
    assert_eq!(e.token_type(), Some(TokenType::OAuthToken));
}

/// Verifier options do not leak between clones: each `with_*` returns a new configuration.
#[tokio::test]
async fn options_on_a_clone_do_not_change_the_original() {
    let (v, _) = m2m();
    let strict = v.clone().with_audience(["mch_nobody"]).with_check(
        Stage::AfterClaims,
        Arc::new(|_: &Jwt, _: i64| Err(VerifyError::custom(Reason::TokenInvalid, "no"))),
    );
    let token = sign(&m2m_header(), &m2m_payload());
    assert!(strict.verify(&token).await.is_err());
    assert!(v.verify(&token).await.is_ok());
}
