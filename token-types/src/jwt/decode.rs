//! Splitting, base64url-decoding and parsing a compact JWS, keeping the raw text.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use serde::de::DeserializeSeed as _;

use super::b64::{self, B64};
use super::flat;
use super::member::{InPlace, ReadInto};
use super::{JwtClaims, JwtHeader};
use crate::error::{Error, Segment};

/// The default cap on a token's length: 16 KiB, far above any Clerk token (about 1 KiB).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Header and payload segments up to this many decoded bytes are decoded on the stack; Clerk's
/// are a few hundred bytes, so the hot path allocates no scratch buffer.
const STACK_SCRATCH: usize = 1024;

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
    /// Shared with this thread's header cache (see [`decode_header`]).
    header: Arc<JwtHeader>,
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
        // One scratch buffer serves the header and then the payload: both are parsed into owned
        // values straight from it, and only the signature bytes are kept.
        let mut scratch = [0u8; STACK_SCRATCH];
        let header = match decode_header(&raw[..dot1], &mut scratch) {
            Ok(header) => header,
            Err(e) => return Err(three_parts_first(&raw, dot2, e)),
        };
        let mut jwt = Self {
            raw,
            dot1,
            dot2,
            header,
            claims: JwtClaims::default(),
            signature: Vec::new(),
        };
        match jwt.fill(&mut scratch) {
            Ok(()) => Ok(jwt),
            Err(e) => Err(three_parts_first(&jwt.raw, dot2, e)),
        }
    }

    /// Base64url-decodes and parses the payload into the (empty) claims, in place, and decodes
    /// the signature.
    fn fill(&mut self, scratch: &mut [u8; STACK_SCRATCH]) -> Result<(), Error> {
        let p = &self.raw[self.dot1 + 1..self.dot2];
        let s = &self.raw[self.dot2 + 1..];
        json_segment(p, Segment::Payload, scratch, &mut self.claims)?;
        self.signature = vec![0u8; b64_len(s, Segment::Signature)?];
        b64_into(s, &mut self.signature, Segment::Signature)
    }

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
    /// use clerk_token_types::{encode_segment, Jwt};
    /// let t = format!("{}.{}.", encode_segment(b"{}"), encode_segment(br#"{"sub":"mch_1"}"#));
    /// let jwt = Jwt::decode(&t)?;
    /// let claims = jwt.claims().clone();
    /// assert_eq!(jwt.into_claims(), claims);
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
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

/// A decode error, unless the token has more than two dots: then "three parts" is the error, as
/// it would have been had the dots been counted first. They are counted only on failure: a dot
/// in the signature segment fails its base64 (a dot is outside the alphabet), so a token that
/// decoded has exactly two.
fn three_parts_first(raw: &str, dot2: usize, e: Error) -> Error {
    if raw[dot2 + 1..].contains('.') {
        Error::NotThreeParts
    } else {
        e
    }
}

/// Header segments up to this length are remembered; Clerk's are about 130 characters.
const CACHED_HEADER_MAX: usize = 512;

thread_local! {
    /// The last header decoded on this thread, with its segment. Every token of a Clerk instance
    /// carries the same header (alg, kid, typ, cat), so a verifier decodes one segment over and
    /// over; the parsed header is a pure function of that text, and reusing it skips a sixth of
    /// the decoding and three allocations. Per thread, so hits share nothing across cores.
    static LAST_HEADER: RefCell<Option<(String, Arc<JwtHeader>)>> = const { RefCell::new(None) };
}

/// The header of `segment`: this thread's last one if the text is the same, else decoded (and
/// remembered when it decoded and is not too long). Only successes are remembered.
fn decode_header(
    segment: &str,
    scratch: &mut [u8; STACK_SCRATCH],
) -> Result<Arc<JwtHeader>, Error> {
    let cached = LAST_HEADER
        .try_with(|last| match &*last.try_borrow().ok()? {
            Some((text, header)) if **text == *segment => Some(Arc::clone(header)),
            _ => None,
        })
        .ok()
        .flatten();
    if let Some(header) = cached {
        return Ok(header);
    }
    let mut header = JwtHeader::default();
    json_segment(segment, Segment::Header, scratch, &mut header)?;
    let header = Arc::new(header);
    if segment.len() <= CACHED_HEADER_MAX {
        // A thread being torn down, or a borrow in progress, just means nothing is remembered.
        let _ = LAST_HEADER.try_with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                match &mut *last {
                    // Reuses the text's buffer: headers that take turns cost no allocation here.
                    Some((text, last)) => {
                        text.clear();
                        text.push_str(segment);
                        *last = Arc::clone(&header);
                    }
                    None => *last = Some((segment.to_owned(), Arc::clone(&header))),
                }
            }
        });
    }
    Ok(header)
}

/// Size cap, then the positions of the first two dots ([`Jwt::parse`] rejects a third).
fn split(token: &str, opts: &DecodeOptions) -> Result<(usize, usize), Error> {
    if token.len() > opts.max_token_bytes {
        return Err(Error::TooLarge {
            len: token.len(),
            max: opts.max_token_bytes,
        });
    }
    // `str::find` with a char searches word-at-a-time (memchr), unlike a byte-by-byte filter.
    let dot1 = token.find('.').ok_or(Error::NotThreeParts)?;
    let after1 = dot1 + 1;
    let dot2 = token[after1..]
        .find('.')
        .map(|i| after1 + i)
        .ok_or(Error::NotThreeParts)?;
    Ok((dot1, dot2))
}

/// The decoded length of a segment, or the error for a length no canonical text has.
fn b64_len(segment: &str, which: Segment) -> Result<usize, Error> {
    b64::decoded_len(segment.len()).ok_or_else(|| b64_error(segment, which))
}

/// Decodes a segment into `out`, which is exactly [`b64_len`] long.
fn b64_into(segment: &str, out: &mut [u8], which: Segment) -> Result<(), Error> {
    if b64::decode_into(segment.as_bytes(), out) {
        Ok(())
    } else {
        Err(b64_error(segment, which))
    }
}

#[cold]
fn b64_error(segment: &str, which: Segment) -> Error {
    Error::Undecodable {
        segment: which,
        detail: format!(
            "not canonical unpadded base64url: {}",
            b64::reject_reason(segment)
        ),
    }
}

/// Base64url-decodes a header or payload segment and parses it into `target`, on the stack when
/// it fits.
fn json_segment<T: ReadInto>(
    segment: &str,
    which: Segment,
    scratch: &mut [u8; STACK_SCRATCH],
    target: &mut T,
) -> Result<(), Error> {
    let len = b64_len(segment, which)?;
    let mut heap = Vec::new();
    let buf = match scratch.get_mut(..len) {
        Some(buf) => buf,
        None => {
            heap.resize(len, 0);
            &mut heap[..]
        }
    };
    b64_into(segment, buf, which)?;
    json(buf, which, target)
}

fn json<T: ReadInto>(bytes: &[u8], which: Segment, target: &mut T) -> Result<(), Error> {
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
    // The fast reader takes the usual flat objects; anything else is serde_json's to judge,
    // from an empty target again.
    if flat::from_str_seed(text, InPlace(&mut *target)).is_ok() {
        return Ok(());
    }
    *target = T::default();
    let mut de = serde_json::Deserializer::from_str(text);
    InPlace(target)
        .deserialize(&mut de)
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
            assert_eq!(Jwt::decode(&t).unwrap_err(), Error::NotThreeParts, "{t}");
        }
        assert!(Jwt::decode(&format!("{h}.{p}.c2ln")).is_ok());
    }

    #[test]
    fn the_header_cache_only_ever_returns_the_header_of_the_same_text() {
        let p = encode_segment(br#"{"sub":"mch_1"}"#);
        let a = encode_segment(br#"{"alg":"RS256","kid":"ins_a","typ":"JWT"}"#);
        let b = encode_segment(br#"{"alg":"RS384","kid":"ins_b"}"#);
        // Same JSON, other text: decoded on its own, equal in value.
        let a2 = encode_segment(br#"{"alg":"RS256", "kid":"ins_a","typ":"JWT"}"#);
        let long = encode_segment(
            format!(
                r#"{{"alg":"RS256","x":"{}"}}"#,
                "y".repeat(CACHED_HEADER_MAX)
            )
            .as_bytes(),
        );
        let bad = encode_segment(br#"{"alg":1}"#);
        for h in [
            &a, &a, &b, &a, &bad, &a, &long, &long, &b, &a2, &bad, &bad, &a,
        ] {
            let t = format!("{h}.{p}.c2ln");
            let got = Jwt::decode(&t);
            let fresh = serde_json::from_slice::<JwtHeader>(&B64.decode(h).unwrap());
            match (got, fresh) {
                (Ok(jwt), Ok(want)) => assert_eq!(jwt.header(), &want, "{h}"),
                (Err(e), Err(_)) => assert!(matches!(e, Error::Undecodable { .. }), "{h}"),
                (got, want) => panic!("{h}: {got:?} vs {want:?}"),
            }
        }
        // Two tokens with the same header share it.
        let t = format!("{a}.{p}.c2ln");
        let (x, y) = (Jwt::decode(&t).unwrap(), Jwt::decode(&t).unwrap());
        assert!(Arc::ptr_eq(&x.header, &y.header));
    }

    #[test]
    fn segments_larger_than_the_stack_scratch_decode_too() {
        let big = format!(
            r#"{{"sub":"mch_1","pad":"{}"}}"#,
            "x".repeat(3 * STACK_SCRATCH)
        );
        let t = format!(
            "{}.{}.c2ln",
            encode_segment(br#"{"alg":"RS256"}"#),
            encode_segment(big.as_bytes())
        );
        let jwt = Jwt::decode(&t).unwrap();
        assert_eq!(
            jwt.claims().extra["pad"].as_str().map(str::len),
            Some(3 * STACK_SCRATCH)
        );
    }
}
