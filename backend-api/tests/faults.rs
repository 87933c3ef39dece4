#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Transport faults against a scripted loopback server: retries, Retry-After, timeouts,
//! malformed and HTML bodies, Clerk error bodies, refused connections and oversized bodies.

mod common;

use std::time::Duration;

use clerk_backend_api::{
    API_VERSION, ApiError, BackendApi, CreateM2MTokenParams, ListM2MTokensParams, RetryPolicy,
    RevokeM2MTokenParams,
};
use clerk_token_types::{ErrorCode, MachineSecretKey, SecretKey, TokenType};
use common::{Reply, Scripted, TOKEN_JSON, builder, reply};

fn sk() -> SecretKey {
    SecretKey::new("sk_test_instance").unwrap()
}

fn ak(s: &str) -> MachineSecretKey {
    MachineSecretKey::new(s).unwrap()
}

#[tokio::test]
async fn a_500_then_200_is_retried() {
    let srv = Scripted::start(vec![
        reply(500, &[], r#"{"errors":[{"code":"internal_clerk_error","message":"oops","long_message":"oops"}]}"#),
        reply(200, &[], TOKEN_JSON),
    ])
    .await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let t = api.m2m_tokens().verify("mt_secret", None).await.unwrap();
    assert_eq!(t.id, "mt_0123456789abcdef0123456789abcdef");
    assert_eq!(srv.count(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let srv = Scripted::start(vec![reply(503, &[], "{}")]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(srv.count(), 3, "the default policy makes 3 attempts");
    assert_eq!(err.machine_token_code(), ErrorCode::UnexpectedError);

    let srv = Scripted::start(vec![reply(503, &[], "{}")]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(srv.count(), 1);
}

#[tokio::test]
async fn max_elapsed_bounds_the_retries() {
    let srv = Scripted::start(vec![reply(503, &[], "{}")]).await;
    let policy = common::fast_retry()
        .with_max_attempts(1000)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(20))
        .with_max_elapsed(Duration::ZERO);
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(policy)
        .build()
        .unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(srv.count(), 1, "no retry may start after max_elapsed");
}

#[tokio::test]
async fn create_is_not_retried_unless_opted_in() {
    let srv = Scripted::start(vec![reply(500, &[], "{}"), reply(201, &[], TOKEN_JSON)]).await;
    let api = builder(&srv.url)
        .machine_secret_key(ak("ak_m"))
        .build()
        .unwrap();
    let err = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(srv.count(), 1);

    let srv = Scripted::start(vec![reply(500, &[], "{}"), reply(201, &[], TOKEN_JSON)]).await;
    let api = builder(&srv.url)
        .machine_secret_key(ak("ak_m"))
        .retry(common::fast_retry().with_retry_create(true))
        .build()
        .unwrap();
    let t = api
        .m2m_tokens()
        .create(CreateM2MTokenParams::default())
        .await
        .unwrap();
    assert_eq!(t.token.as_deref(), Some("mt_secret"));
    assert_eq!(srv.count(), 2);
}

#[tokio::test]
async fn a_429_carries_retry_after_and_is_retried() {
    let too_many = r#"{"errors":[{"code":"too_many_requests","message":"Too many requests","long_message":"slow down"}]}"#;
    let srv = Scripted::start(vec![
        reply(429, &[("Retry-After", "7")], too_many),
        reply(200, &[], TOKEN_JSON),
    ])
    .await;
    // max_retry_after (5 ms in fast_retry) shortens the 7 s wait.
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap();
    assert_eq!(srv.count(), 2);

    let srv = Scripted::start(vec![reply(429, &[("Retry-After", "7")], too_many)]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.errors()[0].code, "too_many_requests");
}

#[tokio::test]
async fn retry_after_may_be_an_http_date() {
    let in_a_minute =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
    let srv = Scripted::start(vec![
        reply(429, &[("Retry-After", &in_a_minute)], "{}"),
        reply(200, &[], TOKEN_JSON),
    ])
    .await;
    // Retried after the (capped, 5 ms) wait the date asked for.
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap();
    assert_eq!(srv.count(), 2);

    let srv = Scripted::start(vec![reply(503, &[("Retry-After", &in_a_minute)], "{}")]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = api.jwks().await.unwrap_err();
    let wait = err.retry_after().expect("the date is read");
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
}

/// How long a client whose policy caps `Retry-After` at `cap` waits before retrying a 429 that
/// says `retry_after` (on a paused clock, so long waits cost nothing). The attempt timeout is
/// an hour so that auto-advancing time cannot end an attempt first.
async fn wait_before_retry(retry_after: &str, cap: Duration) -> Duration {
    let srv = Scripted::start(vec![
        reply(429, &[("Retry-After", retry_after)], "{}"),
        reply(200, &[], TOKEN_JSON),
    ])
    .await;
    let policy = RetryPolicy::default()
        .with_max_retry_after(cap)
        .with_max_elapsed(Duration::from_secs(7200));
    let api = BackendApi::builder()
        .api_url(&srv.url)
        .secret_key(sk())
        .retry(policy)
        .timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    api.m2m_tokens().verify("mt_x", None).await.unwrap();
    assert_eq!(srv.count(), 2);
    started.elapsed()
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_for() {
    let waited = wait_before_retry("3", Duration::from_secs(60)).await;
    assert!(waited >= Duration::from_secs(3), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn an_http_date_retry_after_is_capped_like_seconds() {
    let in_an_hour =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let waited = wait_before_retry(&in_an_hour, Duration::from_secs(2)).await;
    // The cap, not the hour.
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(60),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let srv = Scripted::start(vec![Reply::Hang]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .timeout(Duration::from_millis(100))
        .retry(common::fast_retry().with_max_attempts(2))
        .build()
        .unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Timeout { after } if after == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(err.status(), None);
    assert_eq!(err.code(), ErrorCode::UnexpectedError);
    assert_eq!(srv.count(), 2, "a timeout is retried");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_without_the_body() {
    let srv = Scripted::start(vec![reply(
        200,
        &[],
        r#"{"id": "mt_1", "token": "mt_leak", "#,
    )])
    .await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    let ApiError::Decode {
        status, snippet, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 200);
    assert!(snippet.is_empty());
    assert!(!err.to_string().contains("mt_leak"), "{err}");
    assert_eq!(srv.count(), 1, "a 200 that does not decode is not retried");
}

#[tokio::test]
async fn a_wrong_shape_is_a_decode_error() {
    let srv = Scripted::start(vec![reply(200, &[], r#"{"id": 5}"#)]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Decode { status: 200, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_html_error_page_is_a_decode_error_with_a_snippet() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let srv = Scripted::start(vec![reply(502, &[("Content-Type", "text/html")], page)]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = api.jwks().await.unwrap_err();
    let ApiError::Decode {
        status, snippet, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 502);
    assert!(snippet.contains("502 Bad Gateway"), "{snippet}");
    assert!(err.to_string().contains("text/html"), "{err}");
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn a_401_with_a_clerk_error_body() {
    let body = r#"{"errors":[{"code":"clerk_key_invalid","message":"The provided Clerk Secret Key is invalid.","long_message":"Make sure it is correct.","meta":{}}],"clerk_trace_id":"trace_abc"}"#;
    let srv = Scripted::start(vec![reply(401, &[("CF-Ray", "ray_1")], body)]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(srv.count(), 1, "a 401 is not retried");
    let ApiError::Api {
        status,
        errors,
        clerk_trace_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 401);
    assert_eq!(errors[0].code, "clerk_key_invalid");
    assert_eq!(
        errors[0].long_message.as_deref(),
        Some("Make sure it is correct.")
    );
    assert_eq!(clerk_trace_id.as_deref(), Some("trace_abc"));
    assert_eq!(err.code(), ErrorCode::SecretKeyInvalid);
    assert_eq!(err.machine_token_code(), ErrorCode::SecretKeyInvalid);
    assert_eq!(
        err.machine_token_message(TokenType::M2MToken),
        "The provided Clerk Secret Key is invalid."
    );
    assert!(!err.to_string().contains("sk_test_instance"));
}

#[tokio::test]
async fn trace_id_falls_back_to_cf_ray() {
    let srv = Scripted::start(vec![reply(404, &[("CF-Ray", "ray_1")], r#"{"errors":[]}"#)]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Api { clerk_trace_id: Some(ref t), .. } if t == "ray_1"));
    assert_eq!(
        err.machine_token_message(TokenType::M2MToken),
        "Machine token not found"
    );
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let url = common::closed_port_url().await;
    let api = builder(&url).secret_key(sk()).build().unwrap();
    let err = api.jwks().await.unwrap_err();
    assert!(matches!(err, ApiError::Network { .. }), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(err.machine_token_code(), ErrorCode::UnexpectedError);
    assert!(!err.to_string().contains("sk_test_instance"));
    // The reqwest error is the source, and its own causes follow it.
    let source = std::error::Error::source(&err).expect("a source");
    let reqwest_err = source
        .downcast_ref::<std::sync::Arc<reqwest::Error>>()
        .expect("the reqwest error");
    assert!(reqwest_err.is_connect(), "{reqwest_err:?}");
    assert!(source.source().is_some(), "the chain goes on below reqwest");
    let ApiError::Network { source: field, .. } = &err else {
        unreachable!()
    };
    assert!(field.is_connect());
}

#[tokio::test]
async fn an_oversized_body_is_cut_off() {
    let srv = Scripted::start(vec![Reply::Huge(8 * 1024 * 1024)]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = api.jwks().await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::BodyTooLarge {
                status: 200,
                limit: 65536
            }
        ),
        "{err:?}"
    );

    let big = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let srv = Scripted::start(vec![reply(200, &[], &big)]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = api.jwks().await.unwrap_err();
    assert!(
        matches!(err, ApiError::BodyTooLarge { .. }),
        "Content-Length over the cap: {err:?}"
    );
}

#[tokio::test]
async fn every_request_carries_version_agent_and_bearer() {
    let srv = Scripted::start(vec![reply(200, &[], TOKEN_JSON)]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .machine_secret_key(ak("ak_client"))
        .build()
        .unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap();
    api.m2m_tokens()
        .verify("mt_x", Some(&ak("ak_call")))
        .await
        .unwrap();
    api.m2m_tokens()
        .revoke("mt_1", RevokeM2MTokenParams::new())
        .await
        .unwrap();
    let no_machine = builder(&srv.url).secret_key(sk()).build().unwrap();
    no_machine.m2m_tokens().verify("mt_x", None).await.unwrap();
    let seen = srv.requests();
    let auth: Vec<_> = seen
        .iter()
        .map(|s| s.header("authorization").unwrap())
        .collect();
    assert_eq!(
        auth,
        [
            "Bearer ak_client",
            "Bearer ak_call",
            "Bearer ak_client",
            "Bearer sk_test_instance"
        ]
    );
    for s in &seen {
        assert_eq!(s.header("clerk-api-version"), Some(API_VERSION));
        let ua = s.header("user-agent").unwrap();
        assert_eq!(ua, format!("clerk-m2m-rust/{}", env!("CARGO_PKG_VERSION")));
        assert_eq!(s.method, "POST");
    }
    assert_eq!(seen[0].target, "/m2m_tokens/verify");
    assert_eq!(seen[0].body, r#"{"token":"mt_x"}"#);
    assert_eq!(seen[2].target, "/m2m_tokens/mt_1/revoke");
    assert_eq!(seen[2].body, r#"{"revocation_reason":null}"#);
}

#[tokio::test]
async fn a_path_prefix_and_the_query_are_kept() {
    let srv = Scripted::start(vec![reply(
        200,
        &[],
        r#"{"m2m_tokens":[],"total_count":0}"#,
    )])
    .await;
    let api = builder(&format!("{}/proxy/", srv.url))
        .machine_secret_key(ak("ak_m"))
        .user_agent("custom/1")
        .build()
        .unwrap();
    let mut p = ListM2MTokensParams::new("mch_1");
    p.revoked = Some(true);
    p.expired = Some(false);
    p.limit = Some(5);
    p.offset = Some(10);
    let page = api.m2m_tokens().list(p).await.unwrap();
    assert_eq!(page.total_count, 0);
    let seen = &srv.requests()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.target,
        "/proxy/m2m_tokens?subject=mch_1&revoked=true&expired=false&limit=5&offset=10"
    );
    assert_eq!(seen.header("user-agent"), Some("custom/1"));
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let srv = Scripted::start(vec![reply(200, &[], "{}")]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    for id in ["", "..", "a/b", "../../v1/jwks", "mt_1?x=1", "mt 1"] {
        let err = api
            .m2m_tokens()
            .revoke(id, RevokeM2MTokenParams::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidInput { .. }),
            "{id}: {err:?}"
        );
        assert!(api.machines().get(id).await.is_err());
        assert!(api.machines().remove_scope("mch_1", id).await.is_err());
    }
    assert_eq!(
        api.m2m_tokens()
            .revoke("", RevokeM2MTokenParams::new())
            .await
            .unwrap_err()
            .to_string(),
        "Invalid m2m_token_id: A valid resource ID is required."
    );
    let mut p = ListM2MTokensParams::new("mch_1");
    p.limit = Some(0);
    assert!(matches!(
        api.m2m_tokens().list(p.clone()).await,
        Err(ApiError::InvalidInput { field: "limit", .. })
    ));
    p.limit = Some(101);
    assert!(api.m2m_tokens().list(p).await.is_err());
    assert!(
        api.m2m_tokens()
            .list(ListM2MTokensParams::new(""))
            .await
            .is_err()
    );
    assert!(api.m2m_tokens().verify("", None).await.is_err());
    let zero = CreateM2MTokenParams::new()
        .expires_in(Duration::ZERO)
        .machine_secret_key(ak("ak_m"));
    assert!(matches!(
        api.m2m_tokens().create(zero).await,
        Err(ApiError::InvalidInput {
            field: "expiration",
            ..
        })
    ));
    assert_eq!(srv.count(), 0);
}

#[tokio::test]
async fn a_missing_key_fails_before_any_io() {
    let srv = Scripted::start(vec![reply(200, &[], "{}")]).await;
    let api = builder(&srv.url).build().unwrap();
    let err = api.jwks().await.unwrap_err();
    assert!(matches!(err, ApiError::MissingSecretKey));
    assert_eq!(
        err.to_string(),
        "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance."
    );
    assert!(matches!(
        api.machines().get("mch_1").await,
        Err(ApiError::MissingSecretKey)
    ));
    assert!(matches!(
        api.verify_api_key("ak_x").await,
        Err(ApiError::MissingSecretKey)
    ));
    assert!(matches!(
        api.m2m_tokens().verify("mt_x", None).await,
        Err(ApiError::MissingSecretKey)
    ));
    // A machine key is enough for M2M endpoints, never for machines or JWKS.
    let machine_only = builder(&srv.url)
        .machine_secret_key(ak("ak_m"))
        .build()
        .unwrap();
    assert!(matches!(
        machine_only.jwks().await,
        Err(ApiError::MissingSecretKey)
    ));
    assert_eq!(srv.count(), 0);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let target = Scripted::start(vec![reply(200, &[], TOKEN_JSON)]).await;
    let location = format!("{}/stolen", target.url);
    let srv = Scripted::start(vec![reply(307, &[("Location", &location)], "")]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    assert_eq!(
        target.count(),
        0,
        "the secret key must not follow a redirect"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let srv = Scripted::start(vec![Reply::Close, reply(200, &[], TOKEN_JSON)]).await;
    let api = builder(&srv.url).secret_key(sk()).build().unwrap();
    let t = api.m2m_tokens().verify("mt_x", None).await.unwrap();
    assert_eq!(t.id, "mt_0123456789abcdef0123456789abcdef");
    assert_eq!(srv.count(), 2);

    // Without retries the connection error is a Network error, not a panic or a decode error.
    let srv = Scripted::start(vec![Reply::Close]).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = api.m2m_tokens().verify("mt_x", None).await.unwrap_err();
    assert!(matches!(err, ApiError::Network { .. }), "{err:?}");
    assert_eq!(err.machine_token_code(), ErrorCode::UnexpectedError);
    assert_eq!(srv.count(), 1);
}

#[tokio::test]
async fn a_caller_supplied_http_client_is_used() {
    let srv = Scripted::start(vec![reply(200, &[], TOKEN_JSON)]).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-from-my-client", "yes".parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let api = builder(&srv.url)
        .secret_key(sk())
        .http_client(client)
        .build()
        .unwrap();
    api.m2m_tokens().verify("mt_x", None).await.unwrap();
    let seen = &srv.requests()[0];
    assert_eq!(seen.header("x-from-my-client"), Some("yes"));
    // The SDK's own headers are still sent.
    assert_eq!(seen.header("clerk-api-version"), Some(API_VERSION));
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer sk_test_instance")
    );
}

const MACHINE_JSON: &str = r#"{"object":"machine","id":"mch_1","name":"m","instance_id":"ins_1","created_at":1,"updated_at":1,"default_token_ttl":3600,"scoped_machines":[],"secret_key":"ak_new"}"#;
const SECRET_JSON: &str = r#"{"object":"machine_secret_key","secret":"ak_new"}"#;
const SCOPE_JSON: &str = r#"{"object":"machine_scope","from_machine_id":"mch_1","to_machine_id":"mch_2","created_at":1}"#;

/// Every endpoint, each call's method, path, body, `Authorization`, `Clerk-API-Version` and
/// `User-Agent`, as the scripted server received them.
#[tokio::test]
async fn every_endpoint_sends_the_version_header_and_the_right_bearer() {
    use clerk_backend_api::{CreateMachineParams, ListMachinesParams, UpdateMachineParams};
    let script = vec![
        reply(201, &[], TOKEN_JSON), // create, client key
        reply(201, &[], TOKEN_JSON), // create, per-call key
        reply(200, &[], r#"{"m2m_tokens":[],"total_count":0}"#), // list, per-call key
        reply(200, &[], TOKEN_JSON), // revoke
        reply(200, &[], TOKEN_JSON), // verify
        reply(200, &[], r#"{"data":[],"total_count":0}"#), // machines.list
        reply(200, &[], MACHINE_JSON), // machines.create
        reply(200, &[], MACHINE_JSON), // machines.get
        reply(200, &[], MACHINE_JSON), // machines.update
        reply(
            200,
            &[],
            r#"{"object":"machine","id":"mch_1","deleted":true}"#,
        ), // delete
        reply(200, &[], SECRET_JSON), // secret_key
        reply(200, &[], SECRET_JSON), // rotate_secret_key
        reply(200, &[], SCOPE_JSON), // add_scope
        reply(200, &[], SCOPE_JSON), // remove_scope
        reply(
            200,
            &[],
            r#"{"keys":[{"kty":"RSA","kid":"ins_1","n":"AQAB","e":"AQAB"}]}"#,
        ), // jwks
        reply(
            200,
            &[],
            r#"{"object":"api_key","id":"ak_1","subject":"user_1"}"#,
        ), // verify_api_key
        reply(
            200,
            &[],
            r#"{"object":"clerk_idp_oauth_access_token","id":"oat_1","subject":"user_1"}"#,
        ), // verify_oauth_token
    ];
    let srv = Scripted::start(script).await;
    let api = builder(&srv.url)
        .secret_key(sk())
        .machine_secret_key(ak("ak_client"))
        .build()
        .unwrap();
    let m2m = api.m2m_tokens();
    m2m.create(CreateM2MTokenParams::jwt().never_expires())
        .await
        .unwrap();
    m2m.create(CreateM2MTokenParams::new().machine_secret_key(ak("ak_call")))
        .await
        .unwrap();
    m2m.list(ListM2MTokensParams::new("mch_1").machine_secret_key(ak("ak_call")))
        .await
        .unwrap();
    m2m.revoke("mt_1", RevokeM2MTokenParams::new().reason("why"))
        .await
        .unwrap();
    m2m.verify("mt_x", None).await.unwrap();
    let machines = api.machines();
    machines
        .list(ListMachinesParams::new().limit(5))
        .await
        .unwrap();
    machines
        .create(CreateMachineParams::new("m"))
        .await
        .unwrap();
    machines.get("mch_1").await.unwrap();
    machines
        .update("mch_1", UpdateMachineParams::new().name("n"))
        .await
        .unwrap();
    machines.delete("mch_1").await.unwrap();
    machines.secret_key("mch_1").await.unwrap();
    machines
        .rotate_secret_key("mch_1", Duration::from_secs(60))
        .await
        .unwrap();
    machines.add_scope("mch_1", "mch_2").await.unwrap();
    machines.remove_scope("mch_1", "mch_2").await.unwrap();
    api.jwks().await.unwrap();
    api.verify_api_key("ak_secret").await.unwrap();
    api.verify_oauth_token("oat_secret").await.unwrap();

    let seen = srv.requests();
    let got: Vec<(&str, &str, &str, &str)> = seen
        .iter()
        .map(|s| {
            (
                s.method.as_str(),
                s.target.as_str(),
                s.header("authorization").unwrap(),
                s.body.as_str(),
            )
        })
        .collect();
    let instance = "Bearer sk_test_instance";
    assert_eq!(
        got,
        [
            (
                "POST",
                "/m2m_tokens",
                "Bearer ak_client",
                r#"{"token_format":"jwt","seconds_until_expiration":null}"#
            ),
            ("POST", "/m2m_tokens", "Bearer ak_call", "{}"),
            ("GET", "/m2m_tokens?subject=mch_1", "Bearer ak_call", ""),
            (
                "POST",
                "/m2m_tokens/mt_1/revoke",
                "Bearer ak_client",
                r#"{"revocation_reason":"why"}"#
            ),
            (
                "POST",
                "/m2m_tokens/verify",
                "Bearer ak_client",
                r#"{"token":"mt_x"}"#
            ),
            ("GET", "/v1/machines?limit=5", instance, ""),
            ("POST", "/v1/machines", instance, r#"{"name":"m"}"#),
            ("GET", "/v1/machines/mch_1", instance, ""),
            ("PATCH", "/v1/machines/mch_1", instance, r#"{"name":"n"}"#),
            ("DELETE", "/v1/machines/mch_1", instance, ""),
            ("GET", "/v1/machines/mch_1/secret_key", instance, ""),
            (
                "POST",
                "/v1/machines/mch_1/secret_key/rotate",
                instance,
                r#"{"previous_token_ttl":60}"#
            ),
            (
                "POST",
                "/v1/machines/mch_1/scopes",
                instance,
                r#"{"to_machine_id":"mch_2"}"#
            ),
            ("DELETE", "/v1/machines/mch_1/scopes/mch_2", instance, ""),
            ("GET", "/v1/jwks", instance, ""),
            (
                "POST",
                "/api_keys/verify",
                instance,
                r#"{"secret":"ak_secret"}"#
            ),
            (
                "POST",
                "/oauth_applications/access_tokens/verify",
                instance,
                r#"{"access_token":"oat_secret"}"#
            ),
        ]
    );
    let agent = format!("clerk-m2m-rust/{}", env!("CARGO_PKG_VERSION"));
    for s in &seen {
        assert_eq!(
            s.header("clerk-api-version"),
            Some(API_VERSION),
            "{}",
            s.target
        );
        assert_eq!(s.header("user-agent"), Some(agent.as_str()), "{}", s.target);
    }
}
