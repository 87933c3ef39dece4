//! A tiny, bounds-checked DER reader for RSA public keys (SPKI and PKCS#1), the PEM armour around
//! them, and the PKCS#1 encoder the josekit backend needs. Garbage in gives an error, never a
//! panic: every read checks the remaining length first.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::KeyError;

/// PEM text longer than this is refused before any decoding: an 8192-bit key is about 1.5 KB.
pub(crate) const MAX_PEM_BYTES: usize = 16 * 1024;

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1 (rsaEncryption), content octets only.
const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// Standard base64 that tolerates missing padding (the dashboard body sometimes loses it).
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The RSA public numbers, big-endian, without leading zero octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RsaPublicNumbers {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV with the expected tag and returns its content octets.
    fn read(&mut self, tag: u8) -> Result<&'a [u8], String> {
        let (&got, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| "truncated DER: expected a tag".to_owned())?;
        if got != tag {
            return Err(format!(
                "unexpected DER tag 0x{got:02x} (expected 0x{tag:02x})"
            ));
        }
        let (&first, mut rest) = rest
            .split_first()
            .ok_or_else(|| "truncated DER: expected a length".to_owned())?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7F);
            // 0x80 is BER's indefinite length; more than 4 length octets is never a key.
            if count == 0 || count > 4 {
                return Err("unsupported DER length encoding".to_owned());
            }
            let (octets, after) = rest
                .split_at_checked(count)
                .ok_or_else(|| "truncated DER length".to_owned())?;
            if octets.first() == Some(&0) {
                return Err("non-minimal DER length".to_owned());
            }
            let len = octets
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err("non-minimal DER length".to_owned());
            }
            rest = after;
            len
        };
        let (content, after) = rest
            .split_at_checked(len)
            .ok_or_else(|| "truncated DER: length runs past the end".to_owned())?;
        self.rest = after;
        Ok(content)
    }

    /// Reads a non-negative INTEGER and returns its magnitude without leading zeros.
    fn read_unsigned(&mut self) -> Result<Vec<u8>, String> {
        let content = self.read(TAG_INTEGER)?;
        match content {
            [] => Err("empty DER INTEGER".to_owned()),
            [first, ..] if first & 0x80 != 0 => Err("negative DER INTEGER".to_owned()),
            [0, second, ..] if second & 0x80 == 0 => Err("non-minimal DER INTEGER".to_owned()),
            _ => Ok(strip_leading_zeros(content).to_vec()),
        }
    }
}

pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Parses a PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
pub(crate) fn parse_pkcs1(der: &[u8]) -> Result<RsaPublicNumbers, String> {
    let mut outer = Reader::new(der);
    let seq = outer.read(TAG_SEQUENCE)?;
    if !outer.is_empty() {
        return Err("trailing data after RSAPublicKey".to_owned());
    }
    let mut inner = Reader::new(seq);
    let n = inner.read_unsigned()?;
    let e = inner.read_unsigned()?;
    if !inner.is_empty() {
        return Err("trailing data inside RSAPublicKey".to_owned());
    }
    Ok(RsaPublicNumbers { n, e })
}

/// Parses an X.509 `SubjectPublicKeyInfo` holding an rsaEncryption key.
pub(crate) fn parse_spki(der: &[u8]) -> Result<RsaPublicNumbers, String> {
    let mut outer = Reader::new(der);
    let spki = outer.read(TAG_SEQUENCE)?;
    if !outer.is_empty() {
        return Err("trailing data after SubjectPublicKeyInfo".to_owned());
    }
    let mut spki = Reader::new(spki);
    let mut alg_id = Reader::new(spki.read(TAG_SEQUENCE)?);
    if alg_id.read(TAG_OID)? != OID_RSA_ENCRYPTION {
        return Err("the key is not an RSA key (algorithm is not rsaEncryption)".to_owned());
    }
    // RFC 3279 requires NULL parameters; some encoders omit them, which is harmless.
    if alg_id.peek_tag() == Some(TAG_NULL) && !alg_id.read(TAG_NULL)?.is_empty() {
        return Err("rsaEncryption parameters must be NULL".to_owned());
    }
    if !alg_id.is_empty() {
        return Err("unexpected rsaEncryption parameters".to_owned());
    }
    let bits = spki.read(TAG_BIT_STRING)?;
    if !spki.is_empty() {
        return Err("trailing data inside SubjectPublicKeyInfo".to_owned());
    }
    match bits.split_first() {
        Some((0, key)) => parse_pkcs1(key),
        _ => Err("the public key BIT STRING has unused bits".to_owned()),
    }
}

/// Reads an RSA public key given as SPKI PEM, PKCS#1 PEM or the bare base64 body of either.
///
/// Returns `LocalMissing` for blank input (the reference's "Missing local JWK.").
pub(crate) fn parse_pem(pem: &str) -> Result<RsaPublicNumbers, KeyError> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(KeyError::invalid(format!(
            "the PEM key is longer than {MAX_PEM_BYTES} bytes"
        )));
    }
    // Keys pasted into env files often carry literal "\n" escapes instead of newlines.
    let text = pem.replace("\\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::LocalMissing);
    }
    let (label, body) = match text.strip_prefix("-----BEGIN ") {
        Some(after) => {
            let (label, rest) = after
                .split_once("-----")
                .ok_or_else(|| KeyError::invalid("malformed PEM header"))?;
            let end = format!("-----END {label}-----");
            let (body, tail) = rest
                .split_once(&end)
                .ok_or_else(|| KeyError::invalid("the PEM has no matching END line"))?;
            if !tail.trim().is_empty() {
                return Err(KeyError::invalid("unexpected text after the PEM END line"));
            }
            (Some(label), body)
        }
        None => (None, text),
    };
    match label {
        None | Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") => {}
        Some(l) if l.contains("PRIVATE") => {
            return Err(KeyError::invalid(
                "a private key was given where a public key is expected",
            ));
        }
        Some(other) => {
            return Err(KeyError::invalid(format!(
                "unsupported PEM label '{other}' (expected PUBLIC KEY or RSA PUBLIC KEY)"
            )));
        }
    }
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let decoded = if compact.contains(['-', '_']) {
        URL_SAFE_LENIENT.decode(compact.as_bytes())
    } else {
        STANDARD_LENIENT.decode(compact.as_bytes())
    }
    .map_err(|_| KeyError::invalid("the PEM body is not valid base64"))?;
    let parsed = match label {
        Some("PUBLIC KEY") => parse_spki(&decoded),
        Some(_) => parse_pkcs1(&decoded),
        // A bare body: an SPKI starts with a SEQUENCE (the AlgorithmIdentifier), PKCS#1 with an
        // INTEGER, so the second tag tells them apart; try SPKI first since that is what Clerk shows.
        None => {
            parse_spki(&decoded).or_else(|spki_err| parse_pkcs1(&decoded).map_err(|_| spki_err))
        }
    };
    parsed.map_err(|e| KeyError::invalid(format!("the PEM key does not parse: {e}")))
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let octets = strip_leading_zeros(&bytes);
        out.push(0x80 | octets.len() as u8);
        out.extend_from_slice(octets);
    }
}

fn push_unsigned(out: &mut Vec<u8>, magnitude: &[u8]) {
    let magnitude = strip_leading_zeros(magnitude);
    let pad = magnitude.first().is_none_or(|b| b & 0x80 != 0);
    out.push(TAG_INTEGER);
    push_len(out, magnitude.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
}

/// Encodes PKCS#1 `RSAPublicKey` DER from big-endian magnitudes.
pub(crate) fn encode_pkcs1(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    push_unsigned(&mut body, n);
    push_unsigned(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(TAG_SEQUENCE);
    push_len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// Encodes an SPKI DER (tests build PEMs with it).
#[cfg(test)]
pub(crate) fn encode_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let pkcs1 = encode_pkcs1(n, e);
    let mut body = vec![TAG_SEQUENCE, 13, TAG_OID, 9];
    body.extend_from_slice(OID_RSA_ENCRYPTION);
    body.extend_from_slice(&[TAG_NULL, 0, TAG_BIT_STRING]);
    push_len(&mut body, pkcs1.len() + 1);
    body.push(0);
    body.extend_from_slice(&pkcs1);
    let mut out = vec![TAG_SEQUENCE];
    push_len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numbers() -> RsaPublicNumbers {
        let mut n = vec![0xC5; 256];
        n[255] = 0x01;
        RsaPublicNumbers {
            n,
            e: vec![1, 0, 1],
        }
    }

    #[test]
    fn pkcs1_and_spki_round_trip() {
        let k = numbers();
        assert_eq!(parse_pkcs1(&encode_pkcs1(&k.n, &k.e)).unwrap(), k);
        assert_eq!(parse_spki(&encode_spki(&k.n, &k.e)).unwrap(), k);
    }

    #[test]
    fn pem_forms_parse_to_the_same_numbers() {
        let k = numbers();
        let spki = STANDARD_LENIENT.encode(encode_spki(&k.n, &k.e));
        let pkcs1 = STANDARD_LENIENT.encode(encode_pkcs1(&k.n, &k.e));
        let wrap = |label: &str, body: &str| {
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                lines.join("\n")
            )
        };
        for text in [
            wrap("PUBLIC KEY", &spki),
            wrap("RSA PUBLIC KEY", &pkcs1),
            wrap("PUBLIC KEY", &spki).replace('\n', "\\n"),
            wrap("PUBLIC KEY", &spki).replace('\n', "\r\n"),
            spki.clone(),
            pkcs1.clone(),
            spki.trim_end_matches('=').to_owned(),
        ] {
            assert_eq!(parse_pem(&text).unwrap(), k, "{text}");
        }
    }

    #[test]
    fn pem_errors() {
        assert_eq!(parse_pem("  \n").unwrap_err(), KeyError::LocalMissing);
        for bad in [
            "-----BEGIN PUBLIC KEY-----\nAAAA\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
            "not base64 at all",
            "AAAA",
        ] {
            assert!(
                matches!(parse_pem(bad), Err(KeyError::InvalidKey { .. })),
                "{bad}"
            );
        }
        assert!(parse_pem(&"A".repeat(MAX_PEM_BYTES + 1)).is_err());
    }

    #[test]
    fn der_rejects_malformed_lengths_and_integers() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x81, 0x05, 0, 0, 0, 0, 0],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x04, 0x02, 0x01, 0x80, 0x02],
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x03],
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x03],
            &[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03, 0x00],
            &[0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x03],
        ] {
            assert!(parse_pkcs1(bad).is_err(), "{bad:?}");
            assert!(parse_spki(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn der_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_pkcs1(&bytes);
            let _ = parse_spki(&bytes);
        }

        #[test]
        fn pem_never_panics(text in ".{0,400}") {
            let _ = parse_pem(&text);
        }

        #[test]
        fn mutated_spki_never_panics(pos in 0usize..300, byte in any::<u8>(), cut in 0usize..300) {
            let k = numbers();
            let mut der = encode_spki(&k.n, &k.e);
            let p = pos % der.len();
            der[p] = byte;
            der.truncate(der.len() - cut % der.len());
            let _ = parse_spki(&der);
        }
    }
}
