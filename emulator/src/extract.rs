//! Typed request extraction with Clerk-shaped rejections: JSON bodies, path segments and the
//! `absent` / `null` / value distinction the Backend API makes for some fields.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::api_error::ApiError;

/// The largest request body the emulator reads. The biggest body the API needs is a machine
/// with 150 scoped machine ids (about 5 KiB) or an M2M token's custom `claims`; 64 KiB leaves
/// room for generous claims without letting a client make the emulator buffer megabytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request body type: how to read it and whether the spec requires one.
pub(crate) trait RequestBody: DeserializeOwned {
    /// The spec marks the request body `required: true`: an empty body is refused.
    const REQUIRED: bool;
}

/// A JSON request body; an empty body counts as `{}` unless the body is required.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: RequestBody, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request_body_too_large",
                    "Request body too large",
                    format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
                )
            } else {
                ApiError::malformed(format!("The request body could not be read: {e}"))
            }
        })?;
        parse(&bytes).map(Body)
    }
}

/// Parse a body (separate from the extractor so it can be tested without HTTP).
pub(crate) fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        if T::REQUIRED {
            return Err(ApiError::malformed(
                "The request body is required: send a JSON object.",
            ));
        }
        b"{}"
    } else {
        bytes
    };
    // The shape first, so that a non-object gets one clear message whatever `T` is (serde
    // would also read a struct from an array).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::malformed(
            "The request body must be a JSON object.",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::malformed(format!(
                    "The request body is not valid JSON: {inner}"
                )));
            }
            if path.is_empty() || path == "." {
                return Err(ApiError::malformed(
                    "The request body must be a JSON object.",
                ));
            }
            // The top-level field is the parameter Clerk names in `meta.param_name`.
            let param = path.split(['.', '[']).next().unwrap_or(&path).to_owned();
            return Err(ApiError::invalid_param(
                &param,
                format!("{param} is invalid: {inner}"),
            ));
        }
    };
    de.end()
        .map_err(|e| ApiError::malformed(format!("The request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// A body field that may be absent, `null`, or a value: the spec gives the three different
/// meanings for some fields (e.g. `seconds_until_expiration`), and refuses `null` for others.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Self::Null,
            Some(v) => Self::Value(v),
        })
    }
}

impl<T> Field<T> {
    /// The value, where the spec does not allow `null` (absent is `None`).
    pub(crate) fn not_null(self, name: &str) -> Result<Option<T>, ApiError> {
        match self {
            Self::Absent => Ok(None),
            Self::Null => Err(ApiError::invalid_param(
                name,
                format!("{name} cannot be null."),
            )),
            Self::Value(v) => Ok(Some(v)),
        }
    }

    /// The value, where the spec allows `null` and it means the same as absent.
    pub(crate) fn or_null(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }
}

/// Refuse unknown fields for the spec's closed (`additionalProperties: false`) bodies; open
/// bodies simply ignore them (serde's default), as the spec allows.
pub(crate) fn closed(extra: &Map<String, Value>) -> Result<(), ApiError> {
    match extra.keys().next() {
        Some(k) => Err(ApiError::unknown_param(k)),
        None => Ok(()),
    }
}

/// An integer field within `min..=max`. JSON numbers such as `60.0` count when integral.
pub(crate) fn int_in(
    name: &str,
    n: &serde_json::Number,
    min: u64,
    max: u64,
) -> Result<u64, ApiError> {
    integral(n)
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            ApiError::invalid_param(
                name,
                format!("{name} must be an integer between {min} and {max}."),
            )
        })
}

/// A non-negative integral JSON number, if it is one.
fn integral(n: &serde_json::Number) -> Option<u64> {
    if let Some(v) = n.as_u64() {
        return Some(v);
    }
    let f = n.as_f64()?;
    // u64::MAX as f64 rounds up to 2^64, which is out of range: compare strictly.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64).then_some(f as u64)
}

/// A query parameter the spec types `integer` (`limit` and `offset` of `GET /machines`): decimal
/// digits only, within `min..=max`. `1.0` is refused there, unlike on the operations that type
/// the same parameters `number` (see [`query_int`]).
pub(crate) fn query_integer(
    name: &str,
    raw: Option<&str>,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    raw.parse::<u64>()
        .ok()
        .filter(|v| raw.bytes().all(|b| b.is_ascii_digit()) && (min..=max).contains(v))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid_param(
                name,
                format!("{name} must be an integer between {min} and {max}."),
            )
        })
}

/// A query parameter the spec types `number` (`limit` and `offset` of `GET /m2m_tokens`): any
/// integral number is accepted (`10`, `10.0`, `1e1`), within `min..=max`.
pub(crate) fn query_int(
    name: &str,
    raw: Option<&str>,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let parsed: Option<serde_json::Number> = raw
        .parse::<u64>()
        .ok()
        .map(serde_json::Number::from)
        .or_else(|| {
            raw.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
        });
    match parsed {
        Some(n) => int_in(name, &n, min, max).map(Some),
        None => Err(ApiError::invalid_param(
            name,
            format!("{name} must be an integer between {min} and {max}."),
        )),
    }
}

/// One path segment (`{id}`), with a Clerk-shaped rejection.
pub(crate) struct Id(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| ApiError::malformed(format!("Invalid path: {e}")))
    }
}

/// Two path segments (`{id}/…/{other}`).
pub(crate) struct Ids(pub(crate) String, pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0.0, p.0.1))
            .map_err(|e| ApiError::malformed(format!("Invalid path: {e}")))
    }
}

/// The query string as name → value (the last of repeated names wins).
pub(crate) struct QueryMap(pub(crate) std::collections::HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::malformed(format!("Invalid query string: {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Open {
        #[serde(default)]
        name: Field<String>,
        #[serde(default)]
        n: Field<serde_json::Number>,
    }
    impl RequestBody for Open {
        const REQUIRED: bool = false;
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Closed {
        #[serde(default)]
        token: Field<String>,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }
    impl RequestBody for Closed {
        const REQUIRED: bool = true;
    }

    #[test]
    fn empty_bodies_follow_required() {
        assert_eq!(parse::<Open>(b" ").unwrap().name, Field::Absent);
        let e = parse::<Closed>(b"").unwrap_err();
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "malformed_request")
        );
    }

    #[test]
    fn absent_null_and_value_differ() {
        assert_eq!(parse::<Open>(b"{}").unwrap().name, Field::Absent);
        assert_eq!(
            parse::<Open>(br#"{"name":null}"#).unwrap().name,
            Field::Null
        );
        assert_eq!(
            parse::<Open>(br#"{"name":"a"}"#).unwrap().name,
            Field::Value("a".into())
        );
        let e = parse::<Open>(br#"{"name":null}"#)
            .unwrap()
            .name
            .not_null("name")
            .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("name"));
    }

    #[test]
    fn errors_are_clerk_shaped() {
        let e = parse::<Open>(br#"{"name": 5}"#).unwrap_err();
        assert_eq!(e.code, "form_param_value_invalid");
        assert_eq!(e.param.as_deref(), Some("name"));
        assert_eq!(parse::<Open>(b"[1]").unwrap_err().code, "malformed_request");
        assert_eq!(parse::<Open>(b"{").unwrap_err().code, "malformed_request");
        assert_eq!(
            parse::<Open>(b"{} x").unwrap_err().code,
            "malformed_request"
        );
        // Open bodies ignore unknown fields; closed ones name the first.
        assert!(parse::<Open>(br#"{"color":"red"}"#).is_ok());
        let c = parse::<Closed>(br#"{"token":"t","secret":"s"}"#).unwrap();
        assert_eq!(
            closed(&c.extra).unwrap_err().param.as_deref(),
            Some("secret")
        );
    }

    #[test]
    fn integral_numbers() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(int_in("x", &n("60"), 1, 100).unwrap(), 60);
        assert_eq!(int_in("x", &n("60.0"), 1, 100).unwrap(), 60);
        assert!(int_in("x", &n("60.5"), 1, 100).is_err());
        assert!(int_in("x", &n("-1"), 0, 100).is_err());
        assert!(int_in("x", &n("101"), 1, 100).is_err());
        assert!(int_in("x", &n("1e30"), 0, u64::MAX).is_err());
        assert_eq!(query_int("limit", Some("1.0"), 1, 100).unwrap(), Some(1));
        assert_eq!(query_int("offset", Some("1e1"), 0, 100).unwrap(), Some(10));
        assert_eq!(query_int("offset", None, 0, 100).unwrap(), None);
        assert_eq!(
            query_integer("limit", Some("10"), 1, 100).unwrap(),
            Some(10)
        );
        assert_eq!(query_integer("limit", None, 1, 100).unwrap(), None);
        for bad in ["1.0", "1e1", "+1", "-1", "0", "101", "", "x"] {
            assert!(query_integer("limit", Some(bad), 1, 100).is_err(), "{bad}");
        }
        for bad in ["x", "", "NaN", "inf", "-0.5", "1.5"] {
            assert!(query_int("limit", Some(bad), 0, 100).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse::<Open>(&bytes);
            let _ = parse::<Closed>(&bytes);
        }

        #[test]
        fn query_int_accepts_exactly_the_range(v in 0u64..1000, min in 0u64..500, max in 500u64..1000) {
            let r = query_int("n", Some(&v.to_string()), min, max).unwrap_or(None);
            prop_assert_eq!(r.is_some(), (min..=max).contains(&v));
        }
    }
}
