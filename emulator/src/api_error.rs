//! Error answers in Clerk's wire shape:
//! `{"errors":[{"code","message","long_message","meta"}],"clerk_trace_id"}` plus a `Clerk-Trace-Id` header.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ids;

/// The message Clerk returns when an instance key is used where a machine key is required.
pub(crate) const MACHINE_KEY_INVALID_MESSAGE: &str = "The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct.";
/// The message for a missing or unknown instance secret key.
pub(crate) const CLERK_KEY_INVALID_MESSAGE: &str =
    "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.";

/// One failed request: the HTTP status and a single Clerk error.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) long_message: String,
    pub(crate) param: Option<String>,
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        long_message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            long_message: long_message.into(),
            param: None,
            retry_after: None,
        }
    }

    pub(crate) fn with_param(mut self, name: impl Into<String>) -> Self {
        self.param = Some(name.into());
        self
    }

    pub(crate) fn clerk_key_invalid(long: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            CLERK_KEY_INVALID_MESSAGE,
            long,
        )
    }

    pub(crate) fn machine_key_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "machine_secret_key_invalid",
            MACHINE_KEY_INVALID_MESSAGE,
            MACHINE_KEY_INVALID_MESSAGE,
        )
    }

    pub(crate) fn not_found(long: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            long,
        )
    }

    pub(crate) fn forbidden(long: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "forbidden", long)
    }

    pub(crate) fn conflict(long: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "duplicate_record",
            "duplicate record",
            long,
        )
    }

    pub(crate) fn unknown_param(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_unknown",
            "is unknown",
            format!("{name} is not a valid parameter for this request."),
        )
        .with_param(name)
    }

    pub(crate) fn missing_param(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_missing",
            "is missing",
            format!("{name} must be included."),
        )
        .with_param(name)
    }

    pub(crate) fn invalid_param(name: &str, long: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_value_invalid",
            "is invalid",
            long,
        )
        .with_param(name)
    }

    pub(crate) fn malformed(long: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "Malformed request",
            long,
        )
    }

    pub(crate) fn injected(status: StatusCode) -> Self {
        Self::new(
            status,
            "internal_clerk_error",
            "Oops, an unexpected error occurred",
            "There was an internal error on our servers. We've been notified and are working on fixing it.",
        )
    }

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
            "Too many requests, please try again later.",
        );
        e.retry_after = Some(retry_after);
        e
    }

    fn body(&self, trace_id: &str) -> Value {
        let meta = match &self.param {
            Some(p) => json!({ "param_name": p }),
            None => json!({}),
        };
        json!({
            "errors": [{
                "code": self.code,
                "message": self.message,
                "long_message": self.long_message,
                "meta": meta,
            }],
            "clerk_trace_id": trace_id,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let trace_id = ids::trace_id();
        let mut response = (self.status, axum::Json(self.body(&trace_id))).into_response();
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&trace_id) {
            headers.insert("clerk-trace-id", v);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_clerk_shape() {
        let body = ApiError::unknown_param("foo").body("abc");
        assert_eq!(body["errors"][0]["code"], "form_param_unknown");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "foo");
        assert_eq!(
            body["errors"][0]["long_message"],
            "foo is not a valid parameter for this request."
        );
        assert_eq!(body["clerk_trace_id"], "abc");
    }

    #[test]
    fn response_carries_trace_header_and_retry_after() {
        let r = ApiError::rate_limited(7).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
        assert_eq!(r.headers()["clerk-trace-id"].len(), 32);
    }
}
