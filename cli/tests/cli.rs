//! Every command of the `clerk-m2m` binary, run as a process against an emulator on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Stdio;

use clerk_bapi_emulator::MintSpec;
use common::{World, command};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    let mut c = command(args, env);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).await.unwrap();
    }
    drop(input);
    let o = child.wait_with_output().await.unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn every_command_has_help_and_help_never_shows_secret_values() {
    let env = [
        ("CLERK_SECRET_KEY", "sk_test_TOPSECRETVALUE"),
        ("CLERK_MACHINE_SECRET_KEY", "ak_TOPSECRETVALUE"),
    ];
    for cmd in [
        "demo", "serve", "create", "list", "revoke", "inspect", "verify",
    ] {
        let o = run(&[cmd, "--help"], &env, None).await;
        assert_eq!(o.code, 0, "{cmd}: {}", o.stderr);
        assert!(o.stdout.contains("Usage"), "{cmd}");
        assert!(
            !o.stdout.contains("TOPSECRETVALUE"),
            "{cmd} --help leaks a secret"
        );
    }
    let o = run(&["verify", "--help"], &[], None).await;
    for var in [
        "CLERK_SECRET_KEY",
        "CLERK_MACHINE_SECRET_KEY",
        "CLERK_JWT_KEY",
        "CLERK_API_URL",
    ] {
        assert!(o.stdout.contains(var), "verify --help names {var}");
    }
    let o = run(&[], &[], None).await;
    assert_eq!(o.code, 2, "no command is a usage error");
}

#[tokio::test]
async fn create_list_revoke_round_trip() {
    let w = World::new().await;
    let url = w.emu.api_url();
    let mk = w.worker.secret_key.expose_secret().to_owned();
    let env = [
        ("CLERK_API_URL", url.as_str()),
        ("CLERK_MACHINE_SECRET_KEY", mk.as_str()),
    ];

    let o = run(
        &[
            "create",
            "--claims",
            r#"{"role":"svc"}"#,
            "--expires-in",
            "600",
        ],
        &env,
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let created = &json_lines(&o.stdout)[0];
    assert_eq!(created["object"], "machine_to_machine_token");
    assert_eq!(created["subject"], w.worker.id.as_str());
    assert_eq!(created["claims"]["role"], "svc");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["token"].as_str().unwrap().starts_with("mt_"));
    assert!(
        !o.stdout.contains(&mk) && !o.stderr.contains(&mk),
        "the machine key is never echoed"
    );

    let o = run(&["create", "--format", "jwt"], &env, None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        json_lines(&o.stdout)[0]["token"]
            .as_str()
            .unwrap()
            .split('.')
            .count(),
        3
    );

    let o = run(&["list", "--subject", &w.worker.id], &env, None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let list = &json_lines(&o.stdout)[0];
    assert_eq!(list["total_count"], 1, "JWT tokens are not stored");
    assert_eq!(list["m2m_tokens"][0]["id"], id.as_str());

    let o = run(&["revoke", &id, "--reason", "test"], &env, None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let revoked = &json_lines(&o.stdout)[0];
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["revocation_reason"], "test");

    let o = run(
        &["revoke", "mt_00000000000000000000000000000000"],
        &env,
        None,
    )
    .await;
    assert_eq!(o.code, 1, "an API failure exits 1");
    assert!(o.stderr.contains("error"), "{}", o.stderr);
}

#[tokio::test]
async fn create_without_a_machine_key_is_a_usage_error() {
    let o = run(&["create", "--api-url", "http://127.0.0.1:9"], &[], None).await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("CLERK_MACHINE_SECRET_KEY"),
        "{}",
        o.stderr
    );
}

#[tokio::test]
async fn inspect_decodes_without_verifying() {
    let w = World::new().await;
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let o = run(&["inspect", &jwt, "--json"], &[], None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let r = &json_lines(&o.stdout)[0];
    assert_eq!(r["format"], "jwt");
    assert_eq!(r["token_type"], "m2m_token");
    assert_eq!(r["header"]["cat"], "cl_B7d4PD333AAA");
    assert_eq!(r["claims"]["sub"], w.worker.id.as_str());
    assert!(r["checks"].as_array().unwrap().len() >= 5);

    let o = run(&["inspect", "-"], &[], Some(&format!("{jwt}\n"))).await;
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("verification would check:"));
    assert!(o.stdout.contains("WITHOUT verification"));

    let o = run(&["inspect", "mt_abc", "--json"], &[], None).await;
    assert_eq!(json_lines(&o.stdout)[0]["token_type"], "m2m_token");
    assert_eq!(w.emu.counters().total(), 0, "inspect makes no network call");
}

#[tokio::test]
async fn verify_one_token_human_and_json() {
    let w = World::new().await;
    let keys = w.instance_env();
    let env = keys.pairs();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));

    let o = run(&["verify", &jwt], &env, None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("OK m2m_token"), "{}", o.stdout);

    let o = run(
        &["verify", &jwt, "--json", "--expected-machine", &w.api.id],
        &env,
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let r = &json_lines(&o.stdout)[0];
    assert_eq!(r["ok"], true);
    assert_eq!(r["token_type"], "m2m_token");
    assert_eq!(r["token"]["object"], "machine_to_machine_token");
    assert_eq!(r["token"]["subject"], w.worker.id.as_str());
    assert!(!o.stdout.contains(&keys.secret_key) && !o.stderr.contains(&keys.secret_key));

    let o = run(
        &[
            "verify",
            &jwt,
            "--json",
            "--expected-machine",
            "mch_someone_else",
        ],
        &env,
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    let r = &json_lines(&o.stdout)[0];
    assert_eq!(r["ok"], false);
    assert_eq!(r["code"], "token-verification-failed");
}

#[tokio::test]
async fn verify_reads_stdin_concurrently_and_prints_in_input_order() {
    let w = World::new().await;
    let keys = w.instance_env();
    let env = keys.pairs();
    let good = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let session_cat = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).category("cl_B7d4PD111AAA"));
    let opaque = w.emu.create_m2m_token(&w.worker.id).unwrap();
    let input = format!(
        "{good}\n{session_cat}\n\n{opaque}\nmt_00000000000000000000000000000000\nnonsense\n"
    );

    let o = run(&["verify", "--json"], &env, Some(&input)).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 5, "one line per non-empty input line");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["code"], "token-invalid");
    assert_eq!(lines[1]["message"], "Invalid M2M JWT category.");
    assert_eq!(lines[2]["ok"], true);
    assert_eq!(lines[2]["token"]["subject"], w.worker.id.as_str());
    assert_eq!(lines[3]["message"], "Machine token not found");
    assert_eq!(lines[4]["token_type"], Value::Null);
    assert_eq!(lines[4]["message"], "Unknown machine token type");

    let o = run(&["verify", "-"], &env, Some(&format!("{good}\n{good}\n"))).await;
    assert_eq!(o.code, 0, "all verified: {}", o.stdout);
    assert_eq!(o.stdout.lines().count(), 2);
}

#[tokio::test]
async fn verify_with_a_pem_key_or_file_is_networkless_and_at_moves_the_clock() {
    let w = World::new().await;
    let pem = w.emu.jwt_public_key_pem();
    let jwt = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).expires_in(600));

    let o = run(&["verify", &jwt, "--jwt-key", &pem], &[], None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);

    let dir = std::env::temp_dir().join(format!("clerk-m2m-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key.pem");
    std::fs::write(&file, &pem).unwrap();
    let o = run(
        &["verify", &jwt, "--jwt-key", file.to_str().unwrap()],
        &[],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);

    let later = (w.emu.now_ms() / 1000 + 3600).to_string();
    let o = run(
        &["verify", &jwt, "--json", "--at", &later],
        &[("CLERK_JWT_KEY", pem.as_str())],
        None,
    )
    .await;
    assert_eq!(o.code, 1, "expired an hour later");
    assert_eq!(json_lines(&o.stdout)[0]["reason"], "token-expired");

    let o = run(
        &["verify", &jwt, "--audience", "not-me"],
        &[("CLERK_JWT_KEY", pem.as_str())],
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    assert_eq!(w.emu.counters().total(), 0, "no network at all");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn verify_without_any_key_is_a_configuration_error() {
    let o = run(&["verify", "mt_abc"], &[], None).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("Machine token authentication requires"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "verify",
            "--jwt-key",
            "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----",
            "x",
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(
        o.code, 2,
        "a bad PEM is a configuration error: {}",
        o.stderr
    );
}

#[tokio::test]
async fn serve_prints_one_json_line_and_runs_until_killed() {
    let mut c = command(&["serve", "--addr", "127.0.0.1:0"], &[]);
    c.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("one line");
    let info: Value = serde_json::from_str(&first).unwrap();
    let api_url = info["api_url"].as_str().unwrap().to_owned();
    assert!(api_url.starts_with("http://127.0.0.1:"));
    assert!(info["secret_key"].as_str().unwrap().starts_with("sk_test_"));
    assert!(
        info["jwt_public_key_pem"]
            .as_str()
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );
    assert_eq!(
        keys(&info),
        [
            "api_key",
            "api_url",
            "jwt_public_key_pem",
            "machines",
            "oauth_token",
            "secret_key"
        ]
    );
    // One API key and one OAuth access token to try the sibling verify paths with.
    assert!(info["api_key"].as_str().unwrap().starts_with("ak_"));
    assert!(info["oauth_token"].as_str().unwrap().starts_with("oat_"));
    let machines = info["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 2);
    for m in machines {
        assert_eq!(keys(m), ["id", "scoped_machines", "secret_key"]);
        assert!(m["id"].as_str().unwrap().starts_with("mch_"));
        assert!(m["secret_key"].as_str().unwrap().starts_with("ak_"));
    }
    let (a, b) = (&machines[0], &machines[1]);
    assert_eq!(a["scoped_machines"][0], b["id"]);
    assert_eq!(b["scoped_machines"][0], a["id"]);

    // The served emulator works: mint with machine a, verify as machine b.
    let env_a = [
        ("CLERK_API_URL", api_url.as_str()),
        (
            "CLERK_MACHINE_SECRET_KEY",
            a["secret_key"].as_str().unwrap(),
        ),
    ];
    let o = run(&["create"], &env_a, None).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let token = json_lines(&o.stdout)[0]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let env_b = [
        ("CLERK_API_URL", api_url.as_str()),
        (
            "CLERK_MACHINE_SECRET_KEY",
            b["secret_key"].as_str().unwrap(),
        ),
    ];
    let o = run(&["verify", &token], &env_b, None).await;
    assert_eq!(o.code, 0, "{} {}", o.stdout, o.stderr);

    child.kill().await.unwrap();
}

#[tokio::test]
async fn serve_on_a_non_loopback_address_warns_that_the_keys_are_test_keys() {
    for (addr, warned) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let mut c = command(&["serve", "--addr", addr], &[]);
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        // The warning is written before the JSON line, so it is in stderr once the line is out.
        out.next_line().await.unwrap().expect("one line");
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = err.next_line().await.unwrap().unwrap_or_default();
        assert_eq!(
            first.contains("WARNING") && first.contains("TEST KEYS"),
            warned,
            "{addr}: {first}"
        );
        child.kill().await.unwrap();
    }
}

#[tokio::test]
async fn demo_runs_every_step_and_exits_zero() {
    let o = run(&["demo", "--verifications", "50"], &[], None).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("summary: all"), "{}", o.stdout);
    assert!(o.stdout.contains("JWKS fetched 1 time(s)"), "{}", o.stdout);
    assert!(!o.stdout.contains("FAIL"));
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn verify_json_lines_have_exactly_the_documented_shape() {
    let w = World::new().await;
    let url = w.emu.api_url();
    let sk = w.emu.secret_key().expose_secret().to_owned();
    let mk = w.api.secret_key.expose_secret().to_owned();
    let env = [
        ("CLERK_API_URL", url.as_str()),
        ("CLERK_SECRET_KEY", sk.as_str()),
        ("CLERK_MACHINE_SECRET_KEY", mk.as_str()),
    ];
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let opaque = w.emu.create_m2m_token(&w.worker.id).unwrap();
    let input = format!("{jwt}\n{opaque}\nmt_00000000000000000000000000000000\nnonsense\n");
    let o = run(&["verify", "-", "--json"], &env, Some(&input)).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 4);

    // {"ok": true, "token_type": "m2m_token", "token": {…the M2MToken wire fields…}}
    let wire = [
        "claims",
        "created_at",
        "expiration",
        "expired",
        "id",
        "last_used_at",
        "object",
        "revocation_reason",
        "revoked",
        "scopes",
        "subject",
        "updated_at",
    ];
    for ok in &lines[..2] {
        assert_eq!(keys(ok), ["ok", "token", "token_type"], "{ok}");
        assert_eq!(ok["ok"], true);
        assert_eq!(ok["token_type"], "m2m_token");
        assert_eq!(keys(&ok["token"]), wire, "{ok}");
        assert_eq!(ok["token"]["object"], "machine_to_machine_token");
        assert_eq!(ok["token"]["subject"], w.worker.id.as_str());
    }
    assert!(
        !o.stdout.contains(&opaque) && !o.stdout.contains(&jwt),
        "the raw tokens are not echoed"
    );

    // {"ok": false, "token_type": … or null, "code": …, "reason": … or null, "message": …}
    for bad in &lines[2..] {
        assert_eq!(
            keys(bad),
            ["code", "message", "ok", "reason", "token_type"],
            "{bad}"
        );
        assert_eq!(bad["ok"], false);
    }
    assert_eq!(lines[2]["token_type"], "m2m_token");
    assert_eq!(lines[2]["code"], "token-invalid");
    assert_eq!(lines[2]["reason"], "token-invalid");
    assert_eq!(lines[2]["message"], "Machine token not found");
    assert_eq!(lines[3]["token_type"], Value::Null);
    assert_eq!(lines[3]["code"], "token-invalid");
    assert_eq!(lines[3]["message"], "Unknown machine token type");
}

#[tokio::test]
async fn verify_stdin_prints_in_input_order_when_later_tokens_finish_first() {
    use clerk_bapi_emulator::{Endpoint, Fault};
    let w = World::new().await;
    let keys = w.instance_env();
    let env = keys.pairs();
    // Opaque tokens wait on the (slowed) Backend API; JWTs and junk are answered at once, so
    // later lines finish before earlier ones.
    w.emu.faults().set(
        Endpoint::VerifyM2MToken,
        Fault::latency(std::time::Duration::from_millis(300)),
    );
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let expired = w
        .emu
        .mint_jwt(MintSpec::for_machine(&w.worker.id).expired());
    let opaque = w.emu.create_m2m_token(&w.worker.id).unwrap();
    let input = [
        opaque.as_str(),
        jwt.as_str(),
        "mt_00000000000000000000000000000000",
        "junk",
        expired.as_str(),
        opaque.as_str(),
        jwt.as_str(),
    ]
    .join("\n");
    let o = run(&["verify", "--json"], &env, Some(&input)).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    let lines = json_lines(&o.stdout);
    let got: Vec<(bool, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["ok"].as_bool().unwrap(),
                l["message"]
                    .as_str()
                    .or_else(|| l["token"]["id"].as_str())
                    .unwrap(),
            )
        })
        .collect();
    let opaque_id = lines[0]["token"]["id"].as_str().unwrap();
    let jwt_id = lines[1]["token"]["id"].as_str().unwrap();
    assert_ne!(opaque_id, jwt_id);
    assert_eq!(
        got,
        [
            (true, opaque_id),
            (true, jwt_id),
            (false, "Machine token not found"),
            (false, "Unknown machine token type"),
            (false, got[4].1),
            (true, opaque_id),
            (true, jwt_id),
        ]
    );
    assert!(got[4].1.starts_with("JWT is expired."), "{}", got[4].1);
    assert_eq!(
        w.emu.counters().get(Endpoint::VerifyM2MToken),
        2,
        "the opaque token once (its second line hits the opaque guard's result cache) and the \
         unknown one"
    );
}

#[tokio::test]
async fn verify_at_a_time_before_the_token_was_issued_rejects_it() {
    let w = World::new().await;
    let pem = w.emu.jwt_public_key_pem();
    let jwt = w.emu.mint_jwt(MintSpec::for_machine(&w.worker.id));
    let env = [("CLERK_JWT_KEY", pem.as_str())];
    let now = w.emu.now_ms() / 1000;
    let o = run(
        &["verify", &jwt, "--json", "--at", &now.to_string()],
        &env,
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    let earlier = (now - 3600).to_string();
    let o = run(&["verify", &jwt, "--json", "--at", &earlier], &env, None).await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    let r = &json_lines(&o.stdout)[0];
    assert_eq!(r["code"], "token-verification-failed");
    assert!(
        ["token-not-active-yet", "token-iat-in-the-future"]
            .contains(&r["reason"].as_str().unwrap()),
        "{r}"
    );
    let o = run(&["verify", &jwt, "--at", "not-a-number"], &env, None).await;
    assert_eq!(o.code, 2, "a bad --at is a usage error");
}
