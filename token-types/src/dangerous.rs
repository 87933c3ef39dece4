//! Decoding a JWT **without verifying it**.
//!
//! Nothing here checks a signature, a time claim or who issued the token: a [`Jwt`] from these
//! functions is attacker-controlled data with a known shape. Use it to route a token, to show it,
//! or to find which key should verify it, and never to decide that a request is authenticated;
//! `clerk-token-verify` does that. The module name makes such calls stand out in review, as
//! `jsonwebtoken::dangerous` does.
//!
//! Decoding is strict: the size cap ([`DecodeOptions::max_token_bytes`], 16 KiB by default) is
//! checked before any other work; the token must have exactly three dot-separated segments, each
//! canonical unpadded base64url; the header and payload must be UTF-8 JSON objects without
//! duplicate member names; and the header's `alg`, `kid`, `typ` and `cty` must be strings and
//! `crit` an array of strings. Clerk's JS SDK is looser on all of these. An empty signature
//! segment decodes (to no bytes) as in the JS SDK; signature verification then rejects it.

use crate::{DecodeOptions, Error, Jwt, jwt};

/// Decodes a compact JWT with the default options, **without verifying it** (see the
/// [module docs](self)).
///
/// ```rust
/// use clerk_token_types::{dangerous, encode_segment};
/// let token = format!(
///     "{}.{}.{}",
///     encode_segment(br#"{"alg":"RS256","kid":"ins_1"}"#),
///     encode_segment(br#"{"sub":"mch_1","exp":1700000000}"#),
///     encode_segment(b"sig"),
/// );
/// let jwt = dangerous::insecure_decode(&token)?;
/// assert_eq!(jwt.header().kid.as_deref(), Some("ins_1"));
/// assert_eq!(jwt.signature(), b"sig");
/// assert_eq!(jwt.signing_input(), token.rsplit_once('.').unwrap().0.as_bytes());
///
/// let err = dangerous::insecure_decode("a.b").unwrap_err();
/// assert_eq!(err.to_string(), "Invalid JWT form. A JWT consists of three parts separated by dots.");
/// # Ok::<(), clerk_token_types::Error>(())
/// ```
pub fn insecure_decode(token: &str) -> Result<Jwt, Error> {
    jwt::decode_with(token, &DecodeOptions::default())
}

/// [`insecure_decode`] with explicit options.
///
/// ```rust
/// use clerk_token_types::{dangerous, DecodeOptions, Error};
/// let opts = DecodeOptions::new().with_max_token_bytes(8);
/// assert!(matches!(
///     dangerous::insecure_decode_with("aaaa.bbbb.cccc", &opts),
///     Err(Error::TooLarge { len: 14, max: 8 })
/// ));
/// ```
#[inline]
pub fn insecure_decode_with(token: &str, opts: &DecodeOptions) -> Result<Jwt, Error> {
    jwt::decode_with(token, opts)
}

/// [`insecure_decode_with`] for an owned token, which the [`Jwt`] keeps without a copy.
///
/// ```rust
/// use clerk_token_types::{dangerous, DecodeOptions};
/// assert!(dangerous::insecure_decode_owned(String::from("x"), &DecodeOptions::default()).is_err());
/// ```
pub fn insecure_decode_owned(token: String, opts: &DecodeOptions) -> Result<Jwt, Error> {
    jwt::decode_with(token, opts)
}
