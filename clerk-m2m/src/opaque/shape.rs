//! The shape check: can this string be an opaque token Clerk issued? Decided locally, before any
//! Backend API call, so junk never spends the instance's rate limit.
//!
//! What is known of the formats: Clerk's OpenAPI description gives the *ids* as the prefix and
//! 32 hex digits (`^mt_[0-9A-Fa-f]{32}$`, likewise `oat_`, `ak_`); the secrets Clerk's
//! JavaScript SDK tests use look like `mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE` (base62) and
//! `mt_secret_1xxxxxxxxxxxxx`. Clerk documents no grammar for the secrets, so the check is
//! deliberately lenient: the prefix, a body of URL-safe characters (`A-Z a-z 0-9 _ -`, the
//! base62 and base64url alphabets) and a body length between [`MIN_BODY`] and [`MAX_BODY`].
//! Anything outside that (whitespace, dots, `+`/`/`, control or non-ASCII characters, a
//! truncated or kilobyte-long body) cannot be a token and is answered `token-invalid` at once.

use clerk_token_types::{API_KEY_PREFIX, M2M_TOKEN_PREFIX, OAUTH_TOKEN_PREFIX, TokenType};

/// Shortest accepted body after the prefix: every known token secret has at least 16
/// characters (ids have 32), while a truncated paste or a guessed `mt_123` has fewer.
pub(crate) const MIN_BODY: usize = 16;
/// Longest accepted body: eight times the longest known secret (32–40 characters), so a longer
/// format from Clerk still passes while a multi-kilobyte junk header does not.
pub(crate) const MAX_BODY: usize = 256;

/// Whether `token` can be an opaque token of type `token_type` as Clerk issues them.
pub(crate) fn plausible(token_type: TokenType, token: &str) -> bool {
    let prefix = match token_type {
        TokenType::M2MToken => M2M_TOKEN_PREFIX,
        TokenType::OAuthToken => OAUTH_TOKEN_PREFIX,
        TokenType::ApiKey => API_KEY_PREFIX,
        _ => return false,
    };
    let Some(body) = token.strip_prefix(prefix) else {
        return false;
    };
    (MIN_BODY..=MAX_BODY).contains(&body.len())
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_formats_pass() {
        for (tt, t) in [
            (TokenType::M2MToken, "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e"),
            (TokenType::M2MToken, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE"),
            (TokenType::M2MToken, "mt_secret_1xxxxxxxxxxxxx"),
            (
                TokenType::OAuthToken,
                "oat_0ef5a7a33d87ed87ee7954c845d80450",
            ),
            (
                TokenType::ApiKey,
                "ak_3beecc9c60adb5f9b850e91a8ee1e99200000000",
            ),
        ] {
            assert!(plausible(tt, t), "{t}");
        }
    }

    #[test]
    fn junk_fails() {
        let long = format!("mt_{}", "a".repeat(MAX_BODY + 1));
        for t in [
            "mt_",
            "mt_123",
            "mt_0123456789abcde",                   // 15
            "mt_0123456789abcdef 0123",             // space
            "mt_0123456789abcdef.0123",             // dot
            "mt_0123456789abcdef+/==",              // base64, not url-safe
            "mt_0123456789abcdéf0123456789",        // non-ASCII
            "MT_0123456789abcdef0123456789abcdef",  // case
            "oat_0123456789abcdef0123456789abcdef", // other prefix
            long.as_str(),
        ] {
            assert!(!plausible(TokenType::M2MToken, t), "{t}");
        }
        assert!(!plausible(TokenType::SessionToken, "mt_0123456789abcdef"));
    }

    proptest! {
        /// The rule, restated: exactly the url-safe bodies of 16..=256 bytes pass.
        #[test]
        fn matches_the_rule(body in "\\PC{0,300}") {
            let token = format!("mt_{body}");
            let expected = (MIN_BODY..=MAX_BODY).contains(&body.len())
                && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            prop_assert_eq!(plausible(TokenType::M2MToken, &token), expected);
        }

        #[test]
        fn well_formed_bodies_pass(body in "[A-Za-z0-9_-]{16,256}") {
            let token = format!("ak_{body}");
            prop_assert!(plausible(TokenType::ApiKey, &token));
        }
    }
}
