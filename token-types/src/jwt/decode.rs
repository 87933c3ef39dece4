//! Splitting, base64url-decoding and parsing a compact JWS, keeping the raw text.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use serde::de::DeserializeSeed;

use super::claims::ClaimsInPlace;
use super::header::HeaderInPlace;
use super::{JwtClaims, JwtHeader};
use crate::error::{Error, Segment};

/// The default cap on a token's length: 16 KiB, far above any Clerk token (about 1 KiB).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Canonical unpadded base64url: the `base64` crate's `URL_SAFE_NO_PAD` refuses `=` padding
/// (`DecodePaddingMode::RequireNone`) and non-zero leftover bits (trailing bits are not allowed
/// by default), so every byte string has exactly one accepted text. Tested below.
const B64: base64::engine::GeneralPurpose = URL_SAFE_NO_PAD;

/// Options for [`dangerous::insecure_decode_with`](crate::dangerous::insecure_decode_with).
///
/// ```rust
/// use clerk_token_types::{DecodeOptions, DEFAULT_MAX_TOKEN_BYTES};
/// assert_eq!(DecodeOptions::default().max_token_bytes, DEFAULT_MAX_TOKEN_BYTES);
/// assert_eq!(DecodeOptions::new().with_max_token_bytes(2048).max_token_bytes, 2048);
/// ```
#[non_exhaustive]
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

impl DecodeOptions {
    /// The defaults ([`DEFAULT_MAX_TOKEN_BYTES`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the length cap in bytes.
    pub fn with_max_token_bytes(mut self, max_token_bytes: usize) -> Self {
        self.max_token_bytes = max_token_bytes;
        self
    }
}

/// A decoded compact JWS. Holding one says nothing about its authenticity: it comes from
/// [`dangerous::insecure_decode`](crate::dangerous::insecure_decode) (form only) or from a
/// verifier that checked it.
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

/// Decodes a token, borrowed or owned (an owned one is kept without a copy): size cap, the two
/// dots, then each segment. The rules are documented on
/// [`dangerous::insecure_decode`](crate::dangerous::insecure_decode).
pub(crate) fn decode_with<T: AsRef<str> + Into<String>>(
    token: T,
    opts: &DecodeOptions,
) -> Result<Jwt, Error> {
    let (dot1, dot2) = split(token.as_ref(), opts)?;
    let raw = token.as_ref();
    // A decode error, unless the token has more than two dots: then "three parts" is the error,
    // as it would have been had the dots been counted first. They are counted only on failure: a
    // dot in the signature segment fails its base64 (a dot is outside the alphabet), so a token
    // that decoded has exactly two.
    let three_parts_first = |e: Error| {
        if raw[dot2 + 1..].contains('.') {
            Error::NotThreeParts
        } else {
            e
        }
    };
    // Header, payload and signature are decoded into one scratch buffer in turn (the header and
    // payload are parsed into owned values and the signature is copied out, so the bytes are dead
    // once used): on the stack when the segment fits, else one heap buffer shared by all three.
    // Three allocations fewer per decode than a `Vec` per segment, and the signature's one
    // allocation is a plain `malloc` rather than `B64.decode`'s zeroed (`calloc`) buffer.
    let mut scratch = Scratch::default();
    // The header and claims are read into the `Jwt` in place rather than returned: the two are
    // most of its ~1 KiB, and every move through serde_json's layers was a copy.
    let mut jwt = Jwt {
        raw: String::new(),
        dot1,
        dot2,
        header: JwtHeader::default(),
        claims: JwtClaims::default(),
        signature: Vec::new(),
    };
    json_segment(
        &raw[..dot1],
        Segment::Header,
        &mut scratch,
        HeaderInPlace(&mut jwt.header),
    )
    .map_err(three_parts_first)?;
    json_segment(
        &raw[dot1 + 1..dot2],
        Segment::Payload,
        &mut scratch,
        ClaimsInPlace(&mut jwt.claims),
    )
    .map_err(three_parts_first)?;
    jwt.signature = scratch
        .decode(&raw[dot2 + 1..], Segment::Signature)
        .map_err(three_parts_first)?
        .to_vec();
    jwt.raw = token.into();
    Ok(jwt)
}

impl Jwt {
    /// The protected header.
    pub fn header(&self) -> &JwtHeader {
        &self.header
    }

    /// The claims.
    pub fn claims(&self) -> &JwtClaims {
        &self.claims
    }

    /// Takes the claims, dropping the rest; for a caller done with the token that maps its claims
    /// without copying them (see [`M2MToken::from_jwt_claims_owned`](crate::M2MToken)).
    ///
    /// ```rust
    /// use clerk_token_types::{dangerous, encode_segment};
    /// let t = format!("{}.{}.", encode_segment(b"{}"), encode_segment(br#"{"sub":"mch_1"}"#));
    /// let jwt = dangerous::insecure_decode(&t)?;
    /// let claims = jwt.claims().clone();
    /// assert_eq!(jwt.into_claims(), claims);
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    #[inline]
    pub fn into_claims(self) -> JwtClaims {
        self.claims
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

/// Size cap, then the positions of the first two dots ([`decode_with`] rejects a third).
fn split(token: &str, opts: &DecodeOptions) -> Result<(usize, usize), Error> {
    if token.len() > opts.max_token_bytes {
        return Err(Error::TooLarge {
            len: token.len(),
            max: opts.max_token_bytes,
        });
    }
    // The memchr crate's vectorised search: `str::find` scanned the ~450 bytes before the second
    // dot a word at a time, 3% of a verification (callgrind).
    let bytes = token.as_bytes();
    let dot1 = memchr::memchr(b'.', bytes).ok_or(Error::NotThreeParts)?;
    let after1 = dot1 + 1;
    let dot2 = memchr::memchr(b'.', &bytes[after1..])
        .map(|i| after1 + i)
        .ok_or(Error::NotThreeParts)?;
    Ok((dot1, dot2))
}

fn b64_error(e: base64::DecodeError, which: Segment) -> Error {
    Error::Undecodable {
        segment: which,
        detail: format!("not canonical unpadded base64url: {e}"),
    }
}

/// [`Scratch`]'s array length.
const STACK: usize = 1024;

/// Where a segment is decoded: segments of up to `STACK` base64 characters (the bench token's
/// are 122, 330 and 342; an RSA-4096 signature is 683) go to the array, longer ones to `heap`.
struct Scratch {
    stack: [u8; STACK],
    heap: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            stack: [0; STACK],
            heap: Vec::new(),
        }
    }
}

impl Scratch {
    /// Base64url-decodes `segment`, with exactly the checks and errors of `B64.decode`.
    fn decode(&mut self, segment: &str, which: Segment) -> Result<&[u8], Error> {
        // Base64 text is longer than what it decodes to, so a segment of at most `STACK`
        // characters always fits: `decode_slice` then runs `decode`'s code on a big enough
        // buffer. `OutputSliceTooSmall` cannot happen; should it, the heap path decides.
        if segment.len() <= STACK {
            match B64.decode_slice(segment, &mut self.stack) {
                Ok(n) => return Ok(&self.stack[..n]),
                Err(base64::DecodeSliceError::DecodeError(e)) => return Err(b64_error(e, which)),
                Err(base64::DecodeSliceError::OutputSliceTooSmall) => {}
            }
        }
        self.heap.clear();
        // `decode_vec` is `decode` appending to a given buffer: the same checks and errors.
        B64.decode_vec(segment, &mut self.heap)
            .map_err(|e| b64_error(e, which))?;
        Ok(&self.heap)
    }
}

/// Base64url-decodes a header or payload segment into `scratch` and parses it as a JSON object
/// with `seed` (which reads it in place).
fn json_segment<S: for<'de> DeserializeSeed<'de, Value = ()>>(
    segment: &str,
    which: Segment,
    scratch: &mut Scratch,
    seed: S,
) -> Result<(), Error> {
    let bytes = scratch.decode(segment, which)?;
    // Checked up front so serde's "invalid type" message cannot echo a top-level string.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::Undecodable {
            segment: which,
            detail: "not a JSON object".to_owned(),
        });
    }
    // One UTF-8 check of the whole text, then serde_json's `str` reader, which does not check
    // every string again (its byte reader does, string by string).
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Undecodable {
        segment: which,
        detail: format!(
            "not a valid JSON object: invalid UTF-8 at byte {}",
            e.valid_up_to()
        ),
    })?;
    // `serde_json::from_str` with a seed: the same parser, the same trailing-characters check.
    let mut de = serde_json::Deserializer::from_str(text);
    seed.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| Error::Undecodable {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(t: &str) -> Result<Jwt, Error> {
        decode_with(t, &DecodeOptions::default())
    }

    #[test]
    fn more_than_two_dots_is_the_first_complaint_whatever_else_is_wrong() {
        let h = encode_segment(br#"{"alg":"RS256"}"#);
        let p = encode_segment(br#"{"sub":"mch_1"}"#);
        for t in [
            format!("{h}.{p}.c2ln.c2ln"),
            format!("{h}.{p}.c2ln."),
            format!("{h}.{p}.."),
            format!("!!!.{p}.c2ln.x"),
            format!("{h}.!!!.c2ln.x"),
            format!("{h}.{}.c2ln.x", encode_segment(b"[]")),
            format!("{h}.{p}.c2l.n"),
            "a.b.c.d.e".to_owned(),
        ] {
            assert_eq!(decode(&t).unwrap_err(), Error::NotThreeParts, "{t}");
        }
        assert!(decode(&format!("{h}.{p}.c2ln")).is_ok());
    }

    #[test]
    fn the_engine_is_canonical_unpadded_base64url() {
        // (text, accepted?): padding, spare bits, length 1 mod 4 and foreign bytes are refused.
        for (s, ok) in [
            ("", true),
            ("YQ", true),
            ("YR", false),
            ("YQ=", false),
            ("YQ==", false),
            ("Y", false),
            ("YWI", true),
            ("YWJ", false),
            ("_w", true),
            ("_x", false),
            ("__8", true),
            ("__9", false),
            ("-_-_", true),
            ("+/+/", false),
            (" AAA", false),
            ("AAA\n", false),
            ("AAAAA", false),
            ("AAAAAAA=", false),
            ("AAAA.AAA", false),
        ] {
            assert_eq!(B64.decode(s).is_ok(), ok, "{s:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Canonical means one text per byte string: whatever decodes re-encodes to itself.
        #[test]
        fn accepted_base64_re_encodes_to_the_same_text(s in "[A-Za-z0-9_=+/ -]{0,40}") {
            if let Ok(bytes) = B64.decode(&s) {
                prop_assert_eq!(B64.encode(bytes), s);
            }
        }

        #[test]
        fn base64_round_trips_any_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(B64.decode(B64.encode(&b)).unwrap(), b);
        }
    }

    #[test]
    fn owned_and_borrowed_tokens_decode_alike() {
        let t = format!(
            "{}.{}.c2ln",
            encode_segment(br#"{"alg":"RS256"}"#),
            encode_segment(br#"{"sub":"mch_1"}"#)
        );
        let owned = decode_with(t.clone(), &DecodeOptions::default()).unwrap();
        let borrowed = decode(&t).unwrap();
        assert_eq!(owned.as_str(), borrowed.as_str());
        assert_eq!(owned.claims(), borrowed.claims());
        assert_eq!(owned.header(), borrowed.header());
    }
}
