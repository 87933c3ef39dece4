//! Where a machine token comes from: the `Authorization` header, read exactly as Clerk's
//! JavaScript SDK (`@clerk/backend`, `tokens/request.ts`) reads it.

use http::HeaderMap;
use http::header::AUTHORIZATION;

/// The bearer token of a request, read from the `Authorization` header only, as Clerk's JavaScript SDK does for machine tokens.
///
/// The header value is split on its first space: `Bearer <t>` (case-sensitive `Bearer`) gives
/// `<t>`; a value with no space is the token itself; any other scheme gives `None`. As in
/// `@clerk/backend`, `"Bearer "` (nothing after the space) gives the token `"Bearer"` (any `"X "`
/// gives `"X"`); such a token is then rejected like any other malformed token. A header that is not
/// visible ASCII, or appears more than once, gives `None` (`@clerk/backend` cannot see either).
///
/// ```rust
/// use clerk_m2m::bearer_token;
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer mt_123"));
/// assert_eq!(bearer_token(&headers), Some("mt_123"));
///
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer mt_123"));
/// assert_eq!(bearer_token(&headers), None);
/// ```
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        // Two Authorization headers: ambiguous, so no token (stricter than `@clerk/backend`,
        // which would see the values joined by ", ").
        return None;
    }
    parse_authorization(value.to_str().ok()?)
}

/// Applies `@clerk/backend`'s split rule to one `Authorization` header value (see the tests for
/// the table, `@clerk/backend`'s quirks included).
pub(crate) fn parse_authorization(value: &str) -> Option<&str> {
    // `@clerk/backend`: `const [scheme, token] = value.split(' ', 2); return token ? (scheme ===
    // 'Bearer' ? token : undefined) : scheme;` -- so an empty second part gives the first part.
    let non_empty = |s: &'_ str| -> bool { !s.is_empty() };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Some(value).filter(|v| non_empty(v));
    };
    let token = rest.split(' ').next().unwrap_or_default();
    if token.is_empty() {
        Some(scheme).filter(|s| non_empty(s))
    } else if scheme == "Bearer" {
        Some(token)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn bearer_scheme_gives_the_token() {
        assert_eq!(bearer_token(&headers(&["Bearer mt_abc"])), Some("mt_abc"));
    }

    #[test]
    fn no_space_is_the_token_itself() {
        assert_eq!(bearer_token(&headers(&["mt_abc"])), Some("mt_abc"));
    }

    #[test]
    fn other_schemes_and_case_give_nothing() {
        assert_eq!(bearer_token(&headers(&["Basic dXNlcjpwYXNz"])), None);
        assert_eq!(bearer_token(&headers(&["bearer mt_abc"])), None);
        assert_eq!(bearer_token(&headers(&["BEARER mt_abc"])), None);
    }

    #[test]
    fn bearer_with_empty_token_is_the_word_bearer() {
        assert_eq!(bearer_token(&headers(&["Bearer "])), Some("Bearer"));
    }

    #[test]
    fn only_the_second_space_separated_part_counts() {
        // JS split(' ', 2) keeps only the first two parts.
        assert_eq!(parse_authorization("Bearer abc"), Some("abc"));
        assert_eq!(parse_authorization("abc"), Some("abc"));
        assert_eq!(parse_authorization("Bearer "), Some("Bearer"));
        assert_eq!(parse_authorization("Basic abc"), None);
        assert_eq!(parse_authorization("Basic "), Some("Basic")); // `@clerk/backend`'s quirk, kept
        assert_eq!(parse_authorization(""), None);
        assert_eq!(parse_authorization("Bearer a b"), Some("a"));
        assert_eq!(parse_authorization("Bearer  a"), Some("Bearer"));
    }

    #[test]
    fn missing_empty_or_repeated_header_gives_nothing() {
        assert_eq!(bearer_token(&HeaderMap::new()), None);
        assert_eq!(bearer_token(&headers(&[""])), None);
        assert_eq!(bearer_token(&headers(&["Bearer a", "Bearer b"])), None);
    }

    #[test]
    fn non_ascii_header_gives_nothing() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        );
        assert_eq!(bearer_token(&h), None);
    }
}
