//! Splitting, base64url-decoding and parsing a compact JWS, keeping the raw text.

use std::fmt;

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

use super::{JwtClaims, JwtHeader};
use crate::error::{Error, Segment};

/// The default cap on a token's length: 16 KiB, far above any Clerk token (about 1 KiB).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Unpadded, canonical base64url: `=` and non-zero leftover bits are errors.
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Options for [`Jwt::decode_with`].
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Tokens longer than this many bytes are rejected before any other work.
    pub max_token_bytes: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

/// A decoded (not verified) compact JWS.
///
/// It keeps the token text as received, so [`signing_input`](Self::signing_input) is exactly the
/// bytes that were signed. `Debug` shows the header and claims but never the raw token or the
/// signature.
#[derive(Clone)]
pub struct Jwt {
    raw: String,
    /// Byte offsets of the two dots in `raw`.
    dot1: usize,
    dot2: usize,
    header: JwtHeader,
    claims: JwtClaims,
    signature: Vec<u8>,
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}

impl Jwt {
    /// Decodes with the default options ([`DEFAULT_MAX_TOKEN_BYTES`]).
    ///
    /// Stricter than the reference (§5.1) where it is loose: `=` padding, invalid UTF-8 in the
    /// header or payload, a header or payload that is not a JSON object, duplicate member names,
    /// and a non-string `alg`/`kid`/`typ`/`cty` are all errors. An empty signature segment decodes
    /// (to no bytes) as in the reference; signature verification rejects it.
    ///
    /// ```rust
    /// use clerk_token_types::{encode_segment, Jwt};
    /// let token = format!(
    ///     "{}.{}.{}",
    ///     encode_segment(br#"{"alg":"RS256","kid":"ins_1"}"#),
    ///     encode_segment(br#"{"sub":"mch_1","exp":1700000000}"#),
    ///     encode_segment(b"sig"),
    /// );
    /// let jwt = Jwt::decode(&token)?;
    /// assert_eq!(jwt.header().kid.as_deref(), Some("ins_1"));
    /// assert_eq!(jwt.signature(), b"sig");
    /// assert_eq!(jwt.signing_input(), token.rsplit_once('.').unwrap().0.as_bytes());
    ///
    /// let err = Jwt::decode("a.b").unwrap_err();
    /// assert_eq!(err.to_string(), "Invalid JWT form. A JWT consists of three parts separated by dots.");
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    pub fn decode(token: &str) -> Result<Self, Error> {
        Self::decode_with(token, &DecodeOptions::default())
    }

    /// Decodes with explicit options.
    ///
    /// ```rust
    /// use clerk_token_types::{DecodeOptions, Error, Jwt};
    /// let opts = DecodeOptions { max_token_bytes: 8 };
    /// assert!(matches!(Jwt::decode_with("aaaa.bbbb.cccc", &opts), Err(Error::TooLarge { len: 14, max: 8 })));
    /// ```
    pub fn decode_with(token: &str, opts: &DecodeOptions) -> Result<Self, Error> {
        let (dot1, dot2) = split(token, opts)?;
        Self::parse(token.to_owned(), dot1, dot2)
    }

    /// Like [`decode_with`](Self::decode_with) for an owned token, saving a copy.
    ///
    /// ```rust
    /// use clerk_token_types::{DecodeOptions, Jwt};
    /// assert!(Jwt::decode_owned(String::from("x"), &DecodeOptions::default()).is_err());
    /// ```
    pub fn decode_owned(token: String, opts: &DecodeOptions) -> Result<Self, Error> {
        let (dot1, dot2) = split(&token, opts)?;
        Self::parse(token, dot1, dot2)
    }

    fn parse(raw: String, dot1: usize, dot2: usize) -> Result<Self, Error> {
        let (h, rest) = raw.split_at(dot1);
        let p = &rest[1..dot2 - dot1];
        let s = &raw[dot2 + 1..];

        // One scratch buffer serves the header and then the payload.
        let mut buf = Vec::with_capacity(decoded_len(h.len().max(p.len())));
        b64(h, &mut buf, Segment::Header)?;
        let header: JwtHeader = json(&buf, Segment::Header)?;
        buf.clear();
        b64(p, &mut buf, Segment::Payload)?;
        let claims: JwtClaims = json(&buf, Segment::Payload)?;
        let mut signature = Vec::with_capacity(decoded_len(s.len()));
        b64(s, &mut signature, Segment::Signature)?;

        Ok(Self {
            raw,
            dot1,
            dot2,
            header,
            claims,
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &JwtHeader {
        &self.header
    }

    /// The claims.
    pub fn claims(&self) -> &JwtClaims {
        &self.claims
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signed bytes: `<header>.<payload>` exactly as received.
    pub fn signing_input(&self) -> &[u8] {
        &self.raw.as_bytes()[..self.dot2]
    }

    /// The header segment as received (base64url).
    pub fn raw_header(&self) -> &str {
        &self.raw[..self.dot1]
    }

    /// The payload segment as received (base64url).
    pub fn raw_payload(&self) -> &str {
        &self.raw[self.dot1 + 1..self.dot2]
    }

    /// The signature segment as received (base64url).
    pub fn raw_signature(&self) -> &str {
        &self.raw[self.dot2 + 1..]
    }

    /// The whole token as received. It is a bearer credential: do not log it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Size cap, then the positions of exactly two dots.
fn split(token: &str, opts: &DecodeOptions) -> Result<(usize, usize), Error> {
    if token.len() > opts.max_token_bytes {
        return Err(Error::TooLarge {
            len: token.len(),
            max: opts.max_token_bytes,
        });
    }
    let bytes = token.as_bytes();
    let mut dots = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'.')
        .map(|(i, _)| i);
    match (dots.next(), dots.next(), dots.next()) {
        (Some(d1), Some(d2), None) => Ok((d1, d2)),
        _ => Err(Error::NotThreeParts),
    }
}

/// Upper bound of the decoded size of `n` base64 characters.
fn decoded_len(n: usize) -> usize {
    n / 4 * 3 + 3
}

fn b64(segment: &str, out: &mut Vec<u8>, which: Segment) -> Result<(), Error> {
    B64.decode_vec(segment, out)
        .map_err(|e| Error::Undecodable {
            segment: which,
            detail: format!("not canonical unpadded base64url: {e}"),
        })
}

fn json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], which: Segment) -> Result<T, Error> {
    // Checked up front so serde's "invalid type" message cannot echo a top-level string.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::Undecodable {
            segment: which,
            detail: "not a JSON object".to_owned(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| Error::Undecodable {
        segment: which,
        detail: format!("not a valid JSON object: {e}"),
    })
}

/// Encodes bytes as unpadded base64url, e.g. to build test tokens.
///
/// ```rust
/// assert_eq!(clerk_token_types::encode_segment(br#"{"alg":"RS256"}"#), "eyJhbGciOiJSUzI1NiJ9");
/// ```
pub fn encode_segment(json: &[u8]) -> String {
    B64.encode(json)
}
