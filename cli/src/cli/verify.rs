//! `verify`: verify tokens from the argument or stdin (concurrently, printed in input order).

use std::sync::Arc;

use clap::Args;
use clerk_m2m::{FixedClock, MachineAuth, VerifiedToken};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use super::keys::{KeyArgs, build};
use super::{Exit, Failure};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The token; `-` or nothing reads one token per line from stdin.
    token: Option<String>,
    #[command(flatten)]
    keys: KeyArgs,
    /// The instance PEM public key, or a file holding it: JWTs then verify with no network.
    #[arg(
        long,
        env = "CLERK_JWT_KEY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "PEM|FILE"
    )]
    jwt_key: Option<String>,
    /// Allowed clock skew in ms.
    #[arg(long, value_name = "N", default_value_t = 5000)]
    clock_skew_ms: u64,
    /// Verify JWTs as of this time (unix seconds) instead of now. Opaque tokens are always
    /// checked by the Backend API as of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<i64>,
    /// Accepted audience (repeatable).
    #[arg(long = "audience", value_name = "A")]
    audience: Vec<String>,
    /// Accepted authorized party, azp (repeatable).
    #[arg(long = "authorized-party", value_name = "P")]
    authorized_party: Vec<String>,
    /// This machine's id: M2M tokens must be scoped to it.
    #[arg(long, value_name = "mch_…")]
    expected_machine: Option<String>,
    /// One JSON line per token.
    #[arg(long)]
    json: bool,
}

/// At most this many verifications in flight when reading stdin.
const CONCURRENCY: usize = 64;

pub(crate) async fn run(a: VerifyArgs) -> Result<Exit, Failure> {
    let auth = configure(&a)?;
    let json = a.json;
    let mut all_ok = true;
    match a.token.as_deref() {
        Some(t) if t != "-" => {
            let (ok, line) = verify_one(&auth, t.trim(), json).await;
            println!("{line}");
            all_ok &= ok;
        }
        _ => {
            let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
            let mut handles = Vec::new();
            let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
            loop {
                let line = lines
                    .next_line()
                    .await
                    .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
                let Some(line) = line else { break };
                let token = line.trim().to_owned();
                if token.is_empty() {
                    continue;
                }
                let auth = auth.clone();
                let permit = Arc::clone(&sem)
                    .acquire_owned()
                    .await
                    .map_err(|e| Failure::usage(e.to_string()))?;
                handles.push(tokio::spawn(async move {
                    let r = verify_one(&auth, &token, json).await;
                    drop(permit);
                    r
                }));
            }
            if handles.is_empty() {
                return Err(Failure::usage("no token given (argument or stdin)"));
            }
            for h in handles {
                let (ok, line) = h
                    .await
                    .map_err(|e| Failure::rejected(format!("verification task failed: {e}")))?;
                println!("{line}");
                all_ok &= ok;
            }
        }
    }
    Ok(if all_ok { Exit::Ok } else { Exit::Rejected })
}

fn configure(a: &VerifyArgs) -> Result<MachineAuth, Failure> {
    let mut b = a.keys.builder()?;
    if let Some(k) = a.jwt_key.as_deref().filter(|k| !k.trim().is_empty()) {
        b = b.jwt_key(read_pem(k)?);
    }
    #[allow(clippy::cast_precision_loss)]
    {
        b = b.clock_skew_ms(a.clock_skew_ms as f64);
    }
    if let Some(at) = a.at {
        b = b.clock(Arc::new(FixedClock(at.saturating_mul(1000))));
    }
    if !a.audience.is_empty() {
        b = b.audience(a.audience.clone());
    }
    if !a.authorized_party.is_empty() {
        b = b.authorized_parties(a.authorized_party.clone());
    }
    if let Some(m) = &a.expected_machine {
        b = b.expected_machine(m.clone());
    }
    build(b)
}

/// A PEM given inline, or the path of a file holding one.
fn read_pem(value: &str) -> Result<String, Failure> {
    if value.contains("-----BEGIN") {
        return Ok(value.to_owned());
    }
    let path = std::path::Path::new(value);
    if path.is_file() {
        return std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!("--jwt-key: cannot read {}: {e}", path.display()))
        });
    }
    // A bare base64 SPKI body, as `@clerk/backend` accepts.
    Ok(value.to_owned())
}

/// Verifies one token; returns (verified, the output line).
async fn verify_one(auth: &MachineAuth, token: &str, json: bool) -> (bool, String) {
    match auth.verify_machine_token(token).await {
        Ok(v) => (
            true,
            if json {
                ok_json(&v).to_string()
            } else {
                ok_text(&v)
            },
        ),
        Err(e) => {
            let line = if json {
                json!({
                    "ok": false,
                    "token_type": e.token_type().map(|t| t.as_str()),
                    "code": e.code().as_str(),
                    "reason": e.reason().as_str(),
                    "message": e.to_string(),
                })
                .to_string()
            } else {
                format!(
                    "REJECTED {} {}: {}",
                    e.token_type().map_or("unknown", |t| t.as_str()),
                    e.code(),
                    e
                )
            };
            (false, line)
        }
    }
}

fn ok_json(v: &VerifiedToken) -> Value {
    json!({ "ok": true, "token_type": v.token_type().as_str(), "token": v.to_json() })
}

fn ok_text(v: &VerifiedToken) -> String {
    let j = v.to_json();
    let field = |k: &str| j.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let scopes = j.get("scopes").map(Value::to_string).unwrap_or_default();
    format!(
        "OK {} id={} subject={} scopes={}",
        v.token_type(),
        field("id"),
        field("subject"),
        scopes
    )
}
