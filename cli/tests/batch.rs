//! `clerk-m2m verify -` as a stream, and terminal safety of every command: run as a process,
//! against an emulator on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use clerk_bapi_emulator::MintSpec;
use common::{World, command};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Child;
use tokio::time::timeout;

/// Generous: the machine may be busy; a hang fails the test instead of the run.
const PATIENCE: Duration = Duration::from_secs(30);

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    command(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

async fn run(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Out {
    let mut child = spawn(args, env);
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    let o = timeout(PATIENCE, child.wait_with_output())
        .await
        .expect("the command ends")
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: o.stdout,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn json_lines(s: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(s)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A world whose worker mints JWTs verified with the PEM key (no network).
async fn pem_world() -> (World, String) {
    let w = World::new().await;
    let pem = w.emu.jwt_public_key_pem();
    (w, pem)
}

#[tokio::test]
async fn the_first_result_is_printed_before_stdin_is_closed() {
    let (w, pem) = pem_world().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let mut child = spawn(&["verify", "--json", "-"], &[("CLERK_JWT_KEY", &pem)]);
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        stdin
            .write_all(format!("{jwt}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
        let line = timeout(PATIENCE, lines.next_line())
            .await
            .expect("a result while stdin is still open")
            .unwrap()
            .expect("one line");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ok"], true, "{v}");
    }
    drop(stdin);
    assert_eq!(lines.next_line().await.unwrap(), None);
    let status = timeout(PATIENCE, child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn a_line_that_is_not_utf8_is_one_rejection_and_the_batch_goes_on() {
    let (w, pem) = pem_world().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let mut input = format!("{jwt}\n").into_bytes();
    input.extend_from_slice(b"eyJ\xff\xfe.abc.def\n");
    input.extend_from_slice(format!("{jwt}\n").as_bytes());
    let o = run(
        &["verify", "--json", "-"],
        &[("CLERK_JWT_KEY", &pem)],
        &input,
    )
    .await;
    assert_eq!(o.code, 1, "one rejected: {}", o.stderr);
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(
        lines[1],
        json!({"ok": false, "token_type": null, "code": "token-invalid", "reason": "token-invalid", "message": "Token is not valid UTF-8"})
    );
    assert_eq!(lines[2]["ok"], true);

    let o = run(&["verify", "-"], &[("CLERK_JWT_KEY", &pem)], &input).await;
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some("REJECTED unknown token-invalid: Token is not valid UTF-8")
    );
}

#[tokio::test]
async fn an_over_long_line_is_skipped_and_the_batch_goes_on() {
    let (w, pem) = pem_world().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    // 1 MiB on one line: well over the 64 KiB default.
    let input = format!("{jwt}\n{}\n{jwt}\n", "a".repeat(1 << 20));
    let o = run(
        &["verify", "--json", "-"],
        &[("CLERK_JWT_KEY", &pem)],
        input.as_bytes(),
    )
    .await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["code"], "token-invalid");
    assert_eq!(
        lines[1]["message"],
        "Line is longer than --max-line-bytes; skipped"
    );
    assert_eq!(lines[2]["ok"], true);

    // The cap is a flag: a JWT longer than it is skipped too.
    let o = run(
        &["verify", "--json", "--max-line-bytes", "100", "-"],
        &[("CLERK_JWT_KEY", &pem)],
        format!("{jwt}\nmt_short\n").as_bytes(),
    )
    .await;
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["message"],
        "Line is longer than --max-line-bytes; skipped"
    );
    assert_eq!(
        lines[1]["token_type"], "m2m_token",
        "short lines still read"
    );
}

#[tokio::test]
async fn a_closed_stdout_ends_every_command_quietly() {
    let (w, pem) = pem_world().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let env = [("CLERK_JWT_KEY", pem.as_str())];
    // The reader is gone before anything is written; stdin stays open: the command must still
    // end (it cannot wait for the end of an input nobody will read the results of).
    let mut child = spawn(&["verify", "--json", "-"], &env);
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..200 {
        stdin
            .write_all(format!("{jwt}\n").as_bytes())
            .await
            .unwrap();
    }
    stdin.flush().await.unwrap();
    let status = timeout(PATIENCE, child.wait())
        .await
        .expect("ends without waiting for stdin to close")
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "exit quietly as ripgrep: {stderr}");
    assert_eq!(stderr, "", "no panic, no error");

    for args in [
        vec!["verify", jwt.as_str()],
        vec!["inspect", jwt.as_str()],
        vec!["inspect", jwt.as_str(), "--json"],
        vec!["demo", "--verifications", "1"],
    ] {
        let mut child = spawn(&args, &env);
        drop(child.stdout.take());
        drop(child.stdin.take());
        let o = timeout(PATIENCE, child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn strings_from_tokens_and_servers_are_escaped_in_text_output() {
    let w = World::new().await;
    let pem = w.emu.jwt_public_key_pem();
    let raw = "\u{1b}[2J\u{1b}]0;owned\u{7}";
    let escaped = "\\u{1b}[2J\\u{1b}]0;owned\\u{7}";

    // A token's kid, shown by inspect.
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id).kid(raw));
    let o = run(&["inspect", &jwt], &[], b"").await;
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains(&format!("kid {escaped}")), "{text}");
    // JSON stays JSON: the kid comes back exactly.
    let o = run(&["inspect", &jwt, "--json"], &[], b"").await;
    assert_eq!(json_lines(&o.stdout)[0]["header"]["kid"], raw);

    // A token's id (jti) in verify's text line; JSON carries it exactly.
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).claim("jti", Value::String(raw.to_owned())));
    let env = [("CLERK_JWT_KEY", pem.as_str())];
    let o = run(&["verify", &jwt], &env, b"").await;
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        text.starts_with(&format!("OK m2m_token id={escaped} ")),
        "{text}"
    );
    let o = run(
        &["verify", "--json", "-"],
        &env,
        format!("{jwt}\n").as_bytes(),
    )
    .await;
    assert_eq!(json_lines(&o.stdout)[0]["token"]["id"], raw);

    // A kid no JWKS key has, in verify's rejection line (the JWKS comes from the emulator).
    let keys = w.instance_env();
    let env = keys.pairs();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id).kid(raw));
    let o = run(&["verify", "-"], &env, format!("{jwt}\n").as_bytes()).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("REJECTED "), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");

    // A server's message, code and trace id, on stderr (create, list, revoke) and in verify's
    // rejection line; JSON output carries them exactly.
    let server = hostile_server(raw);
    let env = [
        ("CLERK_API_URL", server.as_str()),
        ("CLERK_SECRET_KEY", "sk_test_x"),
        ("CLERK_MACHINE_SECRET_KEY", "ak_x"),
    ];
    for args in [
        vec!["create"],
        vec!["list", "--subject", "mch_1"],
        vec!["revoke", "mt_1"],
    ] {
        let o = run(&args, &env, b"").await;
        assert_ne!(o.code, 0, "{args:?}: {}", o.stderr);
        assert!(
            !o.stderr.contains(['\u{1b}', '\u{7}']),
            "{args:?}: {:?}",
            o.stderr
        );
        assert_eq!(
            o.stderr.matches(escaped).count(),
            3,
            "message, code, trace id: {:?}",
            o.stderr
        );
    }
    // verify does not repeat the server's text today; if it ever does, it is escaped.
    let o = run(&["verify", "mt_1"], &env, b"").await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), o.stderr);
    assert!(all.starts_with("REJECTED m2m_token "), "{all:?}");
    assert!(!all.contains(['\u{1b}', '\u{7}']), "{all:?}");
    let o = run(&["verify", "--json", "-"], &env, b"mt_1\n").await;
    assert_eq!(json_lines(&o.stdout)[0]["ok"], false);
}

/// A Backend API on loopback that answers every request 400 with `hostile` as the error's
/// message, code and trace id.
fn hostile_server(hostile: &str) -> String {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = json!({
        "errors": [{"message": hostile, "long_message": hostile, "code": hostile}],
        "clerk_trace_id": hostile,
    })
    .to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut r = std::io::BufReader::new(&conn);
                let mut length = 0;
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let _ = r.take(length).read_to_end(&mut Vec::new());
                let _ = (&conn).write_all(
                    format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    url
}

#[tokio::test]
async fn jwt_key_that_is_neither_pem_nor_a_readable_file_is_a_usage_error() {
    let o = run(
        &["verify", "x", "--jwt-key", "/no/such/dir/jwt-key.pem"],
        &[],
        b"",
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("neither PEM text") && o.stderr.contains("/no/such/dir/jwt-key.pem"),
        "{}",
        o.stderr
    );

    let dir = std::env::temp_dir().join(format!("clerk-m2m-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = run(
        &["verify", "x", "--jwt-key", dir.to_str().unwrap()],
        &[],
        b"",
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not a regular file"), "{}", o.stderr);

    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'A'; 1 << 20]).unwrap();
    let o = run(
        &["verify", "x", "--jwt-key", big.to_str().unwrap()],
        &[],
        b"",
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("larger than"), "{}", o.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn network_and_local_tokens_interleave_in_input_order_with_a_cold_jwks() {
    let w = World::new().await;
    let keys = w.instance_env();
    let env = keys.pairs();
    let opaque = w.emu.create_m2m_token(&w.worker.id).unwrap();
    let mut input = String::new();
    let mut want = Vec::new();
    for i in 0..300 {
        if i % 7 == 3 {
            input.push_str(&format!("{opaque}\n"));
            want.push(true);
        } else if i % 11 == 5 {
            input.push_str("junk\n");
            want.push(false);
        } else {
            let jwt = w
                .emu
                .mint_jwt(MintSpec::for_machine(&w.worker.id).claim("jti", json!(format!("j{i}"))));
            input.push_str(&format!("{jwt}\n"));
            want.push(true);
        }
    }
    let o = run(&["verify", "--json", "-"], &env, input.as_bytes()).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let lines = json_lines(&o.stdout);
    let got: Vec<bool> = lines.iter().map(|l| l["ok"].as_bool().unwrap()).collect();
    assert_eq!(got, want);
    for (i, l) in lines.iter().enumerate() {
        if l["ok"] == true && i % 7 != 3 {
            assert_eq!(l["token"]["id"], format!("j{i}"), "line {i} in order");
        }
    }
    assert_eq!(
        w.emu.counters().get(clerk_bapi_emulator::Endpoint::Jwks),
        1,
        "one JWKS fetch for the whole batch"
    );
}

#[tokio::test]
async fn the_verified_token_cache_gives_the_same_results_on_or_off() {
    let (w, pem) = pem_world().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let expired = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).expired());
    let input = format!("{jwt}\n{expired}\n{jwt}\n{expired}\n{jwt}\n");
    let env = [("CLERK_JWT_KEY", pem.as_str())];
    // One clock for the three runs: the expired token's message names the current time, which
    // would otherwise differ when the runs straddle a second.
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut outputs = Vec::new();
    for cache in ["0", "1", "1024"] {
        let args = [
            "verify",
            "--json",
            "--at",
            &at,
            "--cache-entries",
            cache,
            "-",
        ];
        let o = run(&args, &env, input.as_bytes()).await;
        assert_eq!(o.code, 1, "{cache}: {}", o.stderr);
        outputs.push(o.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    let oks: Vec<bool> = json_lines(&outputs[0])
        .iter()
        .map(|l| l["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, false, true, false, true]);
}
