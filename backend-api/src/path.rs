//! The base URL and the path segments appended to it, checked before any I/O.

use reqwest::Url;

use crate::ApiError;

/// The longest id accepted in a path segment; Clerk ids are far shorter.
const MAX_ID_LEN: usize = 128;

/// Parses and checks `api_url`: http or https, a host, no credentials, no query or fragment.
/// A path prefix (`https://proxy.example/clerk`) is kept.
pub(crate) fn parse_base(api_url: &str) -> Result<Url, ApiError> {
    let config = |message: String| ApiError::Config { message };
    let url = Url::parse(api_url.trim())
        .map_err(|e| config(format!("api_url is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(format!(
            "api_url must use http or https, not {}",
            url.scheme()
        )));
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(config("api_url must have a host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in the URL would end up in error messages and logs.
        return Err(config(
            "api_url must not contain credentials; use the secret key instead".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config(
            "api_url must not have a query or fragment".to_owned(),
        ));
    }
    Ok(url)
}

/// `base` with `segments` appended, one path segment each (the base's path prefix is kept; a
/// trailing slash on it does not double).
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

/// Checks an id that becomes a path segment: non-empty, at most 128 bytes, and only ASCII
/// letters, digits, `_` and `-` (every Clerk id has this form). That rules out `/`, `.`/`..`,
/// `%`, `?`, `#`, whitespace and anything else that could change the path.
pub(crate) fn check_id(field: &'static str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() {
        return Err(ApiError::invalid(field, "A valid resource ID is required."));
    }
    if id.len() > MAX_ID_LEN {
        return Err(ApiError::invalid(
            field,
            format!("it is longer than {MAX_ID_LEN} bytes"),
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(ApiError::invalid(
            field,
            format!(
                "it contains {bad:?}; only ASCII letters, digits, '_' and '-' are allowed in an id"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn joins_keep_a_path_prefix() {
        let cases = [
            (
                "https://api.clerk.com",
                "https://api.clerk.com/m2m_tokens/verify",
            ),
            (
                "https://api.clerk.com/",
                "https://api.clerk.com/m2m_tokens/verify",
            ),
            (
                "http://127.0.0.1:9/proxy",
                "http://127.0.0.1:9/proxy/m2m_tokens/verify",
            ),
            (
                "http://127.0.0.1:9/proxy/",
                "http://127.0.0.1:9/proxy/m2m_tokens/verify",
            ),
        ];
        for (base, want) in cases {
            let url = join(&parse_base(base).unwrap(), &["m2m_tokens", "verify"]);
            assert_eq!(url.as_str(), want, "{base}");
        }
    }

    #[test]
    fn rejects_unusable_base_urls() {
        for bad in [
            "",
            "api.clerk.com",
            "ftp://api.clerk.com",
            "mailto:x@y",
            "https://user:pw@api.clerk.com",
            "https://api.clerk.com/?a=1",
            "https://api.clerk.com/#x",
        ] {
            let err = parse_base(bad).unwrap_err();
            assert!(matches!(err, ApiError::Config { .. }), "{bad}");
            assert!(!err.to_string().contains("pw@"));
        }
    }

    #[test]
    fn ids_must_be_path_safe() {
        check_id("id", "mt_0123456789abcdef0123456789abcdef").unwrap();
        check_id("id", "mch_2vYVtestTESTtestTESTtestTEST").unwrap();
        let long = "a".repeat(129);
        for bad in [
            "", ".", "..", "a/b", "../x", "a%2Fb", "a?b", "a#b", "a b", "é", "a\\b", &long,
        ] {
            let err = check_id("id", bad).unwrap_err();
            assert!(
                matches!(err, ApiError::InvalidInput { field: "id", .. }),
                "{bad}"
            );
        }
        assert_eq!(
            check_id("m2m_token_id", "").unwrap_err().to_string(),
            "Invalid m2m_token_id: A valid resource ID is required."
        );
    }
}
