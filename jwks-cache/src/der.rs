//! RSA public keys as text and DER: our lenient PEM front end (SPKI or PKCS#1 armour, the bare
//! base64 body Clerk's dashboard shows, literal `\n` escapes, missing padding) over RustCrypto's
//! strict DER codecs (`spki`, `pkcs1`, `der`). Garbage in gives an error, never a panic.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use der::asn1::UintRef;
use der::{Decode as _, Encode as _};
use pkcs1::RsaPublicKeyRef;
use spki::SubjectPublicKeyInfoRef;

use crate::KeyError;

/// PEM text longer than this is refused before any decoding: an 8192-bit key is about 1.5 KB.
pub(crate) const MAX_PEM_BYTES: usize = 16 * 1024;

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
pub(crate) struct RsaNumbers {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}

pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Parses a PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// (strict DER: minimal lengths and integers, no negative numbers, no trailing data).
pub(crate) fn parse_pkcs1(der: &[u8]) -> Result<RsaNumbers, String> {
    let key = RsaPublicKeyRef::from_der(der).map_err(|e| format!("bad RSAPublicKey DER: {e}"))?;
    Ok(RsaNumbers {
        n: strip_leading_zeros(key.modulus.as_bytes()).to_vec(),
        e: strip_leading_zeros(key.public_exponent.as_bytes()).to_vec(),
    })
}

/// Parses an X.509 `SubjectPublicKeyInfo` holding an rsaEncryption key.
pub(crate) fn parse_spki(der: &[u8]) -> Result<RsaNumbers, String> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| format!("bad SubjectPublicKeyInfo DER: {e}"))?;
    if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err("the key is not an RSA key (algorithm is not rsaEncryption)".to_owned());
    }
    // RFC 3279 requires NULL parameters; some encoders omit them, which is harmless.
    if spki.algorithm.parameters.is_some_and(|p| !p.is_null()) {
        return Err("rsaEncryption parameters must be NULL".to_owned());
    }
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| "the public key BIT STRING has unused bits".to_owned())?;
    parse_pkcs1(key)
}

/// Reads an RSA public key given as SPKI PEM, PKCS#1 PEM or the bare base64 body of either.
///
/// Returns `LocalMissing` for blank input (`@clerk/backend`'s "Missing local JWK.").
pub(crate) fn parse_pem(pem: &str) -> Result<RsaNumbers, KeyError> {
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

/// Encodes PKCS#1 `RSAPublicKey` DER from big-endian magnitudes.
pub(crate) fn encode_pkcs1(n: &[u8], e: &[u8]) -> Result<Vec<u8>, KeyError> {
    let encode = || {
        RsaPublicKeyRef {
            modulus: UintRef::new(n)?,
            public_exponent: UintRef::new(e)?,
        }
        .to_der()
    };
    encode().map_err(|e| KeyError::invalid(format!("cannot encode the key as PKCS#1: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Encodes an SPKI DER, to build PEMs.
    fn encode_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
        let pkcs1 = encode_pkcs1(n, e).unwrap();
        SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: pkcs1::ALGORITHM_OID,
                parameters: Some(der::AnyRef::NULL),
            },
            subject_public_key: der::asn1::BitStringRef::from_bytes(&pkcs1).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    fn numbers() -> RsaNumbers {
        let mut n = vec![0xC5; 256];
        n[255] = 0x01;
        RsaNumbers {
            n,
            e: vec![1, 0, 1],
        }
    }

    #[test]
    fn pkcs1_and_spki_round_trip() {
        let k = numbers();
        assert_eq!(parse_pkcs1(&encode_pkcs1(&k.n, &k.e).unwrap()).unwrap(), k);
        assert_eq!(parse_spki(&encode_spki(&k.n, &k.e)).unwrap(), k);
    }

    #[test]
    fn pem_forms_parse_to_the_same_numbers() {
        let k = numbers();
        let spki = STANDARD_LENIENT.encode(encode_spki(&k.n, &k.e));
        let pkcs1 = STANDARD_LENIENT.encode(encode_pkcs1(&k.n, &k.e).unwrap());
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
