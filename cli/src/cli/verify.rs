//! `verify`: verify tokens from the argument or stdin (see `batch` for stdin), and the shape of
//! a result line.

use std::io::Read as _;
use std::sync::Arc;

use clap::Args;
use clerk_m2m::{
    CacheAdmission, ErrorCode, FixedClock, MachineAuth, Reason, VerifiedToken,
    VerifiedTokenCacheConfig,
};
use serde::Serialize;
use serde_json::Value;

use super::batch::Batch;
use super::keys::{KeyArgs, build};
use super::lines::DEFAULT_MAX_LINE;
use super::{Exit, Failure, out};

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
    /// Longest stdin line read as a token; a longer one is skipped and rejected
    /// (`token-invalid`), and the batch goes on.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE, value_parser = clap::value_parser!(u32).range(1..))]
    max_line_bytes: u32,
    /// Verified tokens remembered, so that the same token again costs no signature check
    /// (each for at most 60 s and never past its expiry; about 2 KiB each for Clerk's tokens).
    /// A token takes a place at its second check, so a stream of distinct tokens costs the
    /// cache no time and no memory. 0 turns the cache off.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CACHE_ENTRIES)]
    cache_entries: u64,
}

/// The default `--cache-entries`: more than the 20,000 live tokens of the repeated-tokens bench
/// (`cargo xtask bench cli`), and at ~2 KiB an entry (one ~700-byte Clerk M2M JWT, decoded)
/// under 48 MiB when full, so that the process stays under 64 MiB. The library's default
/// (1,024) suits a service; a batch over a log sees many more live tokens.
const DEFAULT_CACHE_ENTRIES: u64 = 24_576;

pub(crate) fn run(a: VerifyArgs, runtime: &tokio::runtime::Runtime) -> Result<Exit, Failure> {
    let auth = configure(&a)?;
    match a.token.as_deref() {
        Some(t) if t != "-" => {
            let result = runtime.block_on(auth.verify_machine_token(t.trim()));
            let mut line = Vec::new();
            let rendered = render(&result, a.json, &mut line);
            out::bytes(&line)?;
            Ok(if rendered == Rendered::Ok {
                Exit::Ok
            } else {
                Exit::Rejected
            })
        }
        _ => Batch {
            auth,
            json: a.json,
            max_line: usize::try_from(a.max_line_bytes).unwrap_or(usize::MAX),
        }
        .run(runtime),
    }
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
    b = match a.cache_entries {
        0 => b.no_verified_token_cache(),
        n => b.verified_token_cache(
            VerifiedTokenCacheConfig::default()
                .with_max_entries(n)
                .with_admission(CacheAdmission::SecondCheck),
        ),
    };
    build(b)
}

/// The largest `--jwt-key` file read: an RSA-8192 public key PEM is under 2 KiB.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// A PEM given inline, the path of a file holding one, or a bare base64 SPKI body (the JS SDK
/// accepts one). Anything else is a usage error: a mistyped path must not become a key body.
fn read_pem(value: &str) -> Result<String, Failure> {
    if value.contains("-----BEGIN") {
        return Ok(value.to_owned());
    }
    let path = std::path::Path::new(value);
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => read_key_file(path, m.len()),
        Ok(_) => Err(Failure::usage(format!(
            "--jwt-key: {} is not a regular file",
            out::escape(&path.display().to_string())
        ))),
        Err(_) if looks_like_key_body(value) => Ok(value.to_owned()),
        Err(e) => Err(Failure::usage(format!(
            "--jwt-key: {:?} is neither PEM text (-----BEGIN PUBLIC KEY-----...) nor a readable file: {e}",
            value.chars().take(80).collect::<String>()
        ))),
    }
}

/// Reads a key file of `len` bytes (as its metadata says), refusing a large one before reading
/// it, and never reading more than the cap (the file may grow, or lie about its size).
fn read_key_file(path: &std::path::Path, len: u64) -> Result<String, Failure> {
    let shown = || out::escape(&path.display().to_string()).into_owned();
    let too_large = || {
        Failure::usage(format!(
            "--jwt-key: {} is larger than {MAX_KEY_FILE} bytes: not a public key",
            shown()
        ))
    };
    if len > MAX_KEY_FILE {
        return Err(too_large());
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE + 1).read_to_string(&mut text))
        .map_err(|e| Failure::usage(format!("--jwt-key: cannot read {}: {e}", shown())))?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(too_large());
    }
    Ok(text)
}

/// A bare base64 SPKI body: only base64 characters, and at least as long as the smallest
/// accepted key (an RSA-2048 SPKI is 392 base64 characters). No plausible path is.
fn looks_like_key_body(value: &str) -> bool {
    let body: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    body.len() >= 300
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// Whether a result line says the token verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rendered {
    Ok,
    Rejected,
}

/// `{"ok": true, "token_type": …, "token": {…}}`, serialised straight into the output (building
/// a `serde_json::Value` first cost as much again); the same bytes as that `Value` would give.
#[derive(Serialize)]
struct OkLine<'a, T> {
    ok: bool,
    token_type: &'a str,
    token: T,
}

/// `{"ok": false, "token_type": … or null, "code": …, "reason": …, "message": …}`.
#[derive(Serialize)]
struct RejectedLine<'a> {
    ok: bool,
    token_type: Option<&'a str>,
    code: &'a str,
    reason: &'a str,
    message: &'a str,
}

/// Appends the result line (with its newline) for one token to `out`.
pub(crate) fn render(
    result: &Result<VerifiedToken, clerk_m2m::Error>,
    json: bool,
    out: &mut Vec<u8>,
) -> Rendered {
    match result {
        Ok(v) => {
            let token_type = v.token_type().as_str();
            if json {
                let written = match v.as_m2m() {
                    Some(t) => serde_json::to_writer(
                        &mut *out,
                        &OkLine {
                            ok: true,
                            token_type,
                            token: t,
                        },
                    ),
                    None => serde_json::to_writer(
                        &mut *out,
                        &OkLine {
                            ok: true,
                            token_type,
                            token: v.to_json(),
                        },
                    ),
                };
                // Serialising these types cannot fail (string keys only); never a half line.
                if written.is_err() {
                    out.extend_from_slice(b"{\"ok\":true}");
                }
            } else {
                out.extend_from_slice(out::escape(&ok_text(v)).as_bytes());
            }
            out.push(b'\n');
            Rendered::Ok
        }
        Err(e) => {
            let message = e.to_string();
            line_rejected(
                e.token_type().map(|t| t.as_str()),
                e.code().as_str(),
                e.reason().as_str(),
                &message,
                json,
                out,
            );
            Rendered::Rejected
        }
    }
}

/// Appends a `token-invalid` rejection for a line that is not a token at all (not UTF-8, or
/// too long), in the shape of every other rejection.
pub(crate) fn render_rejection(message: &str, json: bool, out: &mut Vec<u8>) -> Rendered {
    let invalid = ErrorCode::TokenInvalid.as_str();
    line_rejected(
        None,
        invalid,
        Reason::TokenInvalid.as_str(),
        message,
        json,
        out,
    );
    Rendered::Rejected
}

fn line_rejected(
    token_type: Option<&str>,
    code: &str,
    reason: &str,
    message: &str,
    json: bool,
    out: &mut Vec<u8>,
) {
    if json {
        let line = RejectedLine {
            ok: false,
            token_type,
            code,
            reason,
            message,
        };
        if serde_json::to_writer(&mut *out, &line).is_err() {
            out.extend_from_slice(b"{\"ok\":false}");
        }
    } else {
        let text = format!(
            "REJECTED {} {code}: {message}",
            token_type.unwrap_or("unknown")
        );
        out.extend_from_slice(out::escape(&text).as_bytes());
    }
    out.push(b'\n');
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use clerk_bapi_emulator::{Emulator, MintSpec};
    use serde_json::json;

    /// The lines as the task-per-token `verify` built them, through a `serde_json::Value`.
    fn before(result: &Result<VerifiedToken, clerk_m2m::Error>) -> String {
        match result {
            Ok(v) => {
                json!({ "ok": true, "token_type": v.token_type().as_str(), "token": v.to_json() })
                    .to_string()
            }
            Err(e) => json!({
                "ok": false,
                "token_type": e.token_type().map(|t| t.as_str()),
                "code": e.code().as_str(),
                "reason": e.reason().as_str(),
                "message": e.to_string(),
            })
            .to_string(),
        }
    }

    #[tokio::test]
    async fn json_lines_are_byte_for_byte_those_of_the_value_they_replace() {
        let emu = Emulator::start().await.unwrap();
        let m = emu.create_machine("m", &[]);
        let auth = build(MachineAuth::builder().jwt_key(emu.jwt_public_key_pem())).unwrap();
        let tokens = [
            emu.mint_jwt(MintSpec::for_machine(&m.id)),
            emu.mint_jwt(
                MintSpec::for_machine(&m.id)
                    .claim("jti", json!("a\"\\\u{1b}é"))
                    .claim("zz", json!({"b": [1, 2.5, null], "a": "x"})),
            ),
            emu.mint_jwt(MintSpec::for_machine(&m.id).expired()),
            "not-a-token".to_owned(),
        ];
        for t in &tokens {
            let result = auth.verify_machine_token(t).await;
            let mut line = Vec::new();
            let rendered = render(&result, true, &mut line);
            assert_eq!(rendered == Rendered::Ok, result.is_ok());
            assert_eq!(String::from_utf8(line).unwrap(), before(&result) + "\n");
        }
    }

    #[test]
    fn a_line_that_is_not_a_token_is_rejected_like_a_malformed_token() {
        let mut line = Vec::new();
        render_rejection("Token is not valid UTF-8", true, &mut line);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"ok\":false,\"token_type\":null,\"code\":\"token-invalid\",\"reason\":\"token-invalid\",\"message\":\"Token is not valid UTF-8\"}\n"
        );
    }
}
