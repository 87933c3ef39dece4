//! Sending one logical call: headers, the retry loop, the per-attempt timeout, the body cap and
//! the mapping of responses to values or [`ApiError`]s.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::client::API_VERSION;
use crate::error::{scrub_serde_message, snippet};
use crate::{API_VERSION_HEADER, ApiError, BackendApi, ClerkApiError, path};

/// The longest snippet of an error body kept in [`ApiError::Decode`].
const SNIPPET_CHARS: usize = 160;
/// The longest trace id kept from a header.
const MAX_TRACE_ID: usize = 200;

/// Whether a call may be sent again after a transient failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, verify, revoke, update, delete: always (per the policy).
    Idempotent,
    /// Creates: only when the policy's `retry_create` is set.
    Creates,
}

/// One logical call.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// The path with placeholders, for tracing (`/m2m_tokens/{id}/revoke`).
    pub(crate) template: &'static str,
    pub(crate) segments: &'a [&'a str],
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Value>,
    /// The bearer secret.
    pub(crate) key: &'a str,
    pub(crate) retry: Retry,
}

/// A successful response, still undecoded.
struct Success {
    status: u16,
    body: Vec<u8>,
}

impl BackendApi {
    /// Sends `call` (retrying per the policy) and decodes a 2xx body as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        let ok = self.send_raw(call).await?;
        decode_success(&ok)
    }

    async fn send_raw(&self, call: Call<'_>) -> Result<Success, ApiError> {
        let inner = &self.inner;
        let url = path::join(&inner.base, call.segments);
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", call.key))
            .map_err(|_| ApiError::invalid("secret key", "it is not a valid header value"))?;
        auth.set_sensitive(true);
        let body = match &call.body {
            Some(v) => Some(serde_json::to_vec(v).map_err(|e| {
                ApiError::invalid("body", format!("it could not be serialised: {e}"))
            })?),
            None => None,
        };
        let policy = &inner.retry;
        let may_retry = call.retry == Retry::Idempotent || policy.retry_create;
        let max_attempts = policy.max_attempts.max(1);
        let span = tracing::debug_span!(
            "clerk_backend_api.request",
            method = %call.method,
            path = call.template,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        async {
            let started = tokio::time::Instant::now();
            let mut attempt = 1u32;
            loop {
                tracing::Span::current().record("attempt", attempt);
                let result = self
                    .attempt(&call, url.clone(), auth.clone(), body.clone())
                    .await;
                if let Some(status) = result
                    .as_ref()
                    .map_or_else(ApiError::status, |s| Some(s.status))
                {
                    tracing::Span::current().record("status", status);
                }
                let err = match result {
                    Ok(ok) => return Ok(ok),
                    Err(err) => err,
                };
                if !(may_retry && err.is_transient() && attempt < max_attempts) {
                    tracing::debug!(error = %err, "request failed");
                    return Err(err);
                }
                let delay = policy.delay(attempt, err.retry_after());
                if started.elapsed().saturating_add(delay) >= policy.max_elapsed {
                    tracing::debug!(error = %err, "request failed; no time left to retry");
                    return Err(err);
                }
                tracing::debug!(error = %err, delay_ms = delay.as_millis() as u64, "retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt, bounded by the timeout from sending to the end of the body.
    async fn attempt(
        &self,
        call: &Call<'_>,
        url: reqwest::Url,
        auth: HeaderValue,
        body: Option<Vec<u8>>,
    ) -> Result<Success, ApiError> {
        let inner = &self.inner;
        let mut rb = inner
            .http
            .request(call.method.clone(), url)
            .header(header::AUTHORIZATION, auth)
            .header(API_VERSION_HEADER, API_VERSION)
            .header(header::USER_AGENT, inner.user_agent.clone())
            .header(header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        if let Some(body) = body {
            rb = rb
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let limit = inner.max_response_bytes;
        let exchange = async move {
            let mut resp = rb
                .send()
                .await
                .map_err(|e| transport_error(e, inner.timeout))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = read_capped(&mut resp, status, limit, inner.timeout).await?;
            if (200..300).contains(&status) {
                Ok(Success {
                    status,
                    body: bytes,
                })
            } else {
                Err(error_from_response(status, &headers, &bytes))
            }
        };
        match tokio::time::timeout(inner.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::Timeout {
                after: inner.timeout,
            }),
        }
    }
}

/// A reqwest failure as [`ApiError::Timeout`] or [`ApiError::Network`]. The message walks the
/// source chain (the top level alone says only "error sending request"); the error itself is
/// kept as the `source()`.
fn transport_error(e: reqwest::Error, timeout: Duration) -> ApiError {
    if e.is_timeout() {
        return ApiError::Timeout { after: timeout };
    }
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ApiError::Network {
        message,
        source: Arc::new(e),
    }
}

/// Reads the body, stopping as soon as it exceeds `limit` bytes.
async fn read_capped(
    resp: &mut Response,
    status: u16,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::BodyTooLarge { status, limit };
    if resp
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit))
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(e, timeout))?
    {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn decode_success<T: DeserializeOwned>(ok: &Success) -> Result<T, ApiError> {
    // No snippet: a success body may carry a token or a secret key.
    serde_json::from_slice(&ok.body).map_err(|e| ApiError::Decode {
        status: ok.status,
        message: if ok.body.is_empty() {
            "the body is empty".to_owned()
        } else {
            scrub_serde_message(&e)
        },
        snippet: String::new(),
    })
}

/// A header as bounded text.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty()).then(|| v.chars().take(MAX_TRACE_ID).collect())
}

/// A `Retry-After` value in either of its forms (RFC 9110, section 10.2.3): delta-seconds, or
/// an HTTP-date, which becomes the time from `now` until it (zero when it has passed). The
/// retry policy caps whatever this returns; anything else is ignored (`None`).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: delta-seconds. Too many digits for u64 is "a very long time".
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Maps a non-2xx response to [`ApiError::Api`] (a JSON body, or none) or
/// [`ApiError::Decode`] (a body that is not JSON: an HTML error page, say).
fn error_from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ApiError {
    let retry_after =
        header_text(headers, "retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now()));
    let header_trace =
        || header_text(headers, "clerk-trace-id").or_else(|| header_text(headers, "cf-ray"));
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let parsed: Option<Value> = if blank {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(_) => {
                let content_type =
                    header_text(headers, "content-type").unwrap_or_else(|| "none".to_owned());
                return ApiError::Decode {
                    status,
                    message: format!("the error body is not JSON (content-type: {content_type})"),
                    snippet: snippet(body, SNIPPET_CHARS),
                };
            }
        }
    };
    let errors = parsed
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| serde_json::from_value::<ClerkApiError>(e.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    let clerk_trace_id = parsed
        .as_ref()
        .and_then(|v| v.get("clerk_trace_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(MAX_TRACE_ID).collect())
        .or_else(header_trace);
    ApiError::Api {
        status,
        errors,
        clerk_trace_id,
        retry_after,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn clerk_error_bodies_are_parsed() {
        let body = br#"{"errors":[{"code":"form_param_invalid","message":"is invalid","long_message":"x is invalid","meta":{"param_name":"x"}},{"bogus":1}],"clerk_trace_id":"trace_body"}"#;
        let e = error_from_response(
            422,
            &headers(&[("cf-ray", "ray"), ("retry-after", "123")]),
            body,
        );
        let ApiError::Api {
            status,
            errors,
            clerk_trace_id,
            retry_after,
        } = e
        else {
            panic!("{e:?}")
        };
        assert_eq!(status, 422);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].code, "form_param_invalid");
        assert_eq!(errors[0].long_message.as_deref(), Some("x is invalid"));
        assert_eq!(errors[0].meta.as_ref().unwrap()["param_name"], "x");
        assert_eq!(clerk_trace_id.as_deref(), Some("trace_body"));
        assert_eq!(retry_after, Some(Duration::from_secs(123)));
    }

    #[test]
    fn retry_after_takes_both_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let ra = |v: &str| parse_retry_after(v, now);
        assert_eq!(ra("120"), Some(Duration::from_secs(120)));
        assert_eq!(ra("0"), Some(Duration::ZERO));
        assert_eq!(
            ra("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        // The three date forms RFC 9110 requires a recipient to accept.
        assert_eq!(
            ra("Sun, 06 Nov 1994 08:50:07 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            ra("Sunday, 06-Nov-94 08:49:47 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(ra("Sun Nov  6 08:49:42 1994"), Some(Duration::from_secs(5)));
        // A date in the past: retry at once.
        assert_eq!(ra("Sat, 05 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        for junk in [
            "",
            "soon",
            "-1",
            "1.5",
            "+3",
            "Sun, 06 Nov 1994 25:00:00 GMT",
        ] {
            assert_eq!(ra(junk), None, "{junk:?}");
        }
        // Through the response mapping, with the real clock: a date an hour ahead.
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        let wait = error_from_response(429, &h, b"").retry_after().unwrap();
        assert!(
            wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600),
            "{wait:?}"
        );
    }

    #[test]
    fn trace_id_falls_back_to_headers() {
        let e = error_from_response(
            500,
            &headers(&[("clerk-trace-id", "t1"), ("cf-ray", "ray")]),
            b"{}",
        );
        assert!(matches!(e, ApiError::Api { clerk_trace_id: Some(ref t), .. } if t == "t1"));
        let e = error_from_response(
            500,
            &headers(&[("cf-ray", "ray"), ("retry-after", "soon")]),
            b"",
        );
        assert!(
            matches!(e, ApiError::Api { clerk_trace_id: Some(ref t), retry_after: None, .. } if t == "ray")
        );
    }

    #[test]
    fn html_pages_are_decode_errors_with_a_bounded_snippet() {
        let page = format!("<html><body>{}</body></html>", "x".repeat(10_000));
        let e = error_from_response(
            502,
            &headers(&[("content-type", "text/html")]),
            page.as_bytes(),
        );
        let ApiError::Decode {
            status, snippet, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*status, 502);
        assert!(snippet.starts_with("<html>") && snippet.chars().count() <= SNIPPET_CHARS);
        assert!(e.is_transient());
        assert!(e.to_string().contains("text/html"));
    }

    #[test]
    fn success_decode_errors_never_quote_the_body() {
        let ok = Success {
            status: 201,
            body: br#"{"id": 5, "token": "mt_secret"}"#.to_vec(),
        };
        let err = decode_success::<clerk_token_types::M2MToken>(&ok).unwrap_err();
        assert!(!err.to_string().contains("mt_secret"), "{err}");
        let empty = Success {
            status: 200,
            body: vec![],
        };
        let err = decode_success::<Value>(&empty).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
