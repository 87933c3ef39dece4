//! `demo`: the whole job against an in-process emulator, step by step, with timings.

use std::time::{Duration, Instant};

use clap::Args;
use clerk_bapi_emulator::{Emulator, EmulatorHandle, Endpoint, MintSpec};
use clerk_m2m::{
    CreateM2MTokenParams, Error, ErrorCode, OpaqueGuardConfig, Reason, RevokeM2MTokenParams,
};
use clerk_token_types::{JWT_CATEGORY_SESSION_TOKEN, encode_segment};

use super::{Exit, Failure, out};

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How many local JWT verifications to time.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    verifications: u32,
}

/// One step of the demo and whether it behaved as expected.
struct Step {
    name: &'static str,
    ok: bool,
    detail: String,
    elapsed: Duration,
}

#[derive(Default)]
struct Report {
    steps: Vec<Step>,
    /// Why stdout stopped taking lines (a closed pipe ends the demo quietly).
    stdout_failed: Option<Failure>,
}

impl Report {
    fn record(
        &mut self,
        name: &'static str,
        ok: bool,
        detail: impl Into<String>,
        elapsed: Duration,
    ) {
        let detail = detail.into();
        self.print(&format!(
            "[{}] {name:<52} {:>10}  {detail}",
            if ok { " ok " } else { "FAIL" },
            fmt_ms(elapsed)
        ));
        self.steps.push(Step {
            name,
            ok,
            detail,
            elapsed,
        });
    }
}

impl Report {
    /// Prints a line (escaped: details carry server messages) unless stdout already failed.
    fn print(&mut self, line: &str) {
        if self.stdout_failed.is_none()
            && let Err(f) = out::line(&out::escape(line))
        {
            self.stdout_failed = Some(f);
        }
    }
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Expects a rejection with `code`; returns (ok, detail).
fn expect_rejection<T>(
    r: &Result<T, Error>,
    code: ErrorCode,
    reason: Option<Reason>,
) -> (bool, String) {
    match r {
        Ok(_) => (false, "was ACCEPTED".to_owned()),
        Err(e) => (
            e.code() == code && reason.is_none_or(|want| e.reason() == want),
            format!("rejected: {} ({}, {})", e, e.code(), e.reason()),
        ),
    }
}

pub(crate) async fn run(a: DemoArgs) -> Result<Exit, Failure> {
    let mut report = Report::default();
    report.print(
        "clerk-m2m demo: an in-process Clerk Backend API emulator on loopback; no configuration, no internet.",
    );
    report.print("");

    let t = Instant::now();
    let emu = Emulator::start()
        .await
        .map_err(|e| Failure::usage(format!("cannot start the emulator: {e}")))?;
    // The emulator makes its RSA key when first needed; make it now, so that the minting and
    // verifying steps below time only themselves.
    let keyed = emu.clone();
    let key = tokio::task::spawn_blocking(move || keyed.jwt_public_key_pem())
        .await
        .map_err(|e| Failure::usage(format!("cannot generate the signing key: {e}")))?;
    report.record(
        "start the Backend API emulator (RSA-2048 key)",
        key.starts_with("-----BEGIN PUBLIC KEY-----"),
        emu.api_url(),
        t.elapsed(),
    );

    let t = Instant::now();
    let api = emu.create_machine("demo-api", &[]);
    let worker = emu.create_machine("demo-worker", &[api.id.as_str()]);
    report.record(
        "create two machines (worker may call api)",
        worker.scoped_machines == vec![api.id.clone()],
        format!("worker {} -> api {}", worker.id, api.id),
        t.elapsed(),
    );

    let outcome = steps(&emu, &api.id, &worker, a.verifications, &mut report).await;
    if let Err(e) = outcome {
        report.record("unexpected error", false, e.to_string(), Duration::ZERO);
    }
    emu.shutdown().await;

    let failed: Vec<String> = report
        .steps
        .iter()
        .filter(|s| !s.ok)
        .map(|s| format!("  - {}: {}", s.name, s.detail))
        .collect();
    let total: Duration = report.steps.iter().map(|s| s.elapsed).sum();
    let steps = report.steps.len();
    report.print("");
    let exit = if failed.is_empty() {
        report.print(&format!(
            "summary: all {steps} steps behaved as expected ({} in total).",
            fmt_ms(total)
        ));
        Exit::Ok
    } else {
        report.print(&format!(
            "summary: {} of {steps} steps did NOT behave as expected:",
            failed.len(),
        ));
        for line in &failed {
            report.print(line);
        }
        Exit::Rejected
    };
    match report.stdout_failed {
        Some(f) => Err(f),
        None => Ok(exit),
    }
}

async fn steps(
    emu: &EmulatorHandle,
    api_id: &str,
    worker: &clerk_bapi_emulator::MachineInfo,
    n: u32,
    report: &mut Report,
) -> Result<(), Error> {
    // The worker side: mints tokens with its machine secret key, over real HTTP.
    let worker_auth = super::machine_auth()
        .api_url(emu.api_url())
        .machine_secret_key(worker.secret_key.clone())
        .build()?;
    // The api side: verifies. Instance secret key for the JWKS, its own machine key for opaque
    // tokens (the Backend API then checks the token is scoped to it), and the scope check locally.
    // The opaque-token guard remembers a verified token for 10 s by default, so a revocation
    // takes up to that long to be seen; the demo revokes and re-verifies at once, so it
    // remembers nothing (a TTL of zero).
    let api_auth = super::machine_auth()
        .api_url(emu.api_url())
        .secret_key(emu.secret_key())
        .machine_secret_key(emu.machine(api_id).map(|m| m.secret_key).ok_or_else(|| {
            Error::Config {
                message: "api machine vanished".into(),
            }
        })?)
        .expected_machine(api_id)
        .opaque_guard(OpaqueGuardConfig::default().with_positive_ttl(Duration::ZERO))
        .build()?;

    let t = Instant::now();
    let opaque = worker_auth
        .create_m2m_token(CreateM2MTokenParams::default())
        .await?;
    let opaque_token = opaque.token.clone().unwrap_or_default();
    report.record(
        "mint an opaque token (POST /m2m_tokens)",
        opaque_token.starts_with("mt_"),
        format!("id {}", opaque.id),
        t.elapsed(),
    );

    let t = Instant::now();
    let params = CreateM2MTokenParams::jwt();
    let jwt = worker_auth
        .create_m2m_token(params)
        .await?
        .token
        .unwrap_or_default();
    report.record(
        "mint a JWT token (POST /m2m_tokens, format jwt)",
        clerk_m2m::is_jwt_format(&jwt),
        format!("{} bytes", jwt.len()),
        t.elapsed(),
    );

    let t = Instant::now();
    let first = api_auth.verify_m2m_token(&jwt).await;
    let ok = first.as_ref().is_ok_and(|v| v.subject == worker.id);
    report.record(
        "verify the JWT (first time: fetches the JWKS)",
        ok,
        match &first {
            Ok(v) => format!("subject {}, scopes {:?}", v.subject, v.scopes),
            Err(e) => e.to_string(),
        },
        t.elapsed(),
    );

    let t = Instant::now();
    let mut failures = 0_u32;
    for _ in 0..n {
        if api_auth.verify_m2m_token(&jwt).await.is_err() {
            failures += 1;
        }
    }
    let elapsed = t.elapsed();
    let jwks_fetches = emu.counters().get(Endpoint::Jwks);
    let per_sec = f64::from(n) / elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    // The same token again and again: after the first, the verified-token cache spares the RSA
    // check (the time and claim rules still run), so say how many were hits.
    let hits = api_auth.verified_token_cache_stats().map_or(0, |s| s.hits);
    report.record(
        "verify the JWT locally, many times",
        failures == 0 && jwks_fetches == 1,
        format!(
            "{n} verifications, {per_sec:.0}/s ({hits} verified-token cache hits), {failures} \
             failed; JWKS fetched {jwks_fetches} time(s)"
        ),
        elapsed,
    );

    let t = Instant::now();
    let before = emu.counters().get(Endpoint::VerifyM2MToken);
    let verified = api_auth.verify_m2m_token(&opaque_token).await;
    let calls = emu.counters().get(Endpoint::VerifyM2MToken) - before;
    report.record(
        "verify the opaque token (POST /m2m_tokens/verify)",
        verified.as_ref().is_ok_and(|v| v.subject == worker.id) && calls == 1,
        match &verified {
            Ok(v) => format!("subject {}, {calls} Backend API call", v.subject),
            Err(e) => e.to_string(),
        },
        t.elapsed(),
    );

    let t = Instant::now();
    let session_cat =
        emu.mint_jwt(MintSpec::for_machine(&worker.id).category(JWT_CATEGORY_SESSION_TOKEN));
    let r = api_auth.verify_m2m_token(&session_cat).await;
    let (ok, detail) = expect_rejection(&r, ErrorCode::TokenInvalid, None);
    report.record(
        "reject a session-category JWT with an mch_ subject",
        ok,
        detail,
        t.elapsed(),
    );

    let t = Instant::now();
    let tampered = tamper(&jwt, api_id);
    let r = api_auth.verify_m2m_token(&tampered).await;
    let (ok, detail) = expect_rejection(
        &r,
        ErrorCode::TokenVerificationFailed,
        Some(Reason::TokenInvalidSignature),
    );
    report.record(
        "reject a tampered JWT (claims edited)",
        ok,
        detail,
        t.elapsed(),
    );

    let t = Instant::now();
    let revoked = worker_auth
        .revoke_m2m_token(
            &opaque.id,
            RevokeM2MTokenParams::new().reason("demo finished"),
        )
        .await?;
    report.record(
        "revoke the opaque token",
        revoked.revoked,
        format!("id {}", revoked.id),
        t.elapsed(),
    );

    let t = Instant::now();
    let r = api_auth.verify_m2m_token(&opaque_token).await;
    let ok = r.is_err();
    let detail = match &r {
        Ok(_) => "was ACCEPTED".to_owned(),
        Err(e) => format!("rejected: {} ({})", e, e.code()),
    };
    report.record("reject the revoked opaque token", ok, detail, t.elapsed());

    let jwks_fetches = emu.counters().get(Endpoint::Jwks);
    report.record(
        "JWT verification stayed networkless",
        jwks_fetches == 1,
        format!("JWKS fetched {jwks_fetches} time(s) in total"),
        Duration::ZERO,
    );
    Ok(())
}

/// The JWT with its payload edited (one more scope), and the original signature.
fn tamper(jwt: &str, extra_scope: &str) -> String {
    let Ok(decoded) = clerk_m2m::dangerous::insecure_decode(jwt) else {
        return format!("{jwt}x");
    };
    let mut claims = decoded.claims().to_json();
    claims.insert(
        "scopes".into(),
        serde_json::json!(format!("{extra_scope} mch_admin")),
    );
    let payload = encode_segment(&serde_json::to_vec(&claims).unwrap_or_default());
    let mut parts = jwt.split('.');
    let (h, _, s) = (
        parts.next().unwrap_or_default(),
        parts.next(),
        parts.next().unwrap_or_default(),
    );
    format!("{h}.{payload}.{s}")
}
