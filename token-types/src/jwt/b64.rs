//! Canonical, unpadded base64url decoding for the hot path.
//!
//! The `base64` crate's general-purpose engine costs about 7 instructions per character; a JWT
//! has about a thousand, and they are decoded for every token verified. This table decoder
//! accepts exactly what the crate's strict configuration accepts (checked by a test against the
//! crate) at under half the cost. The crate remains the reference: on failure it is asked again,
//! so error messages stay the crate's.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

/// Unpadded, canonical base64url: `=` and non-zero leftover bits are errors.
pub(super) const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Marks a byte outside the alphabet. It lies above the 24 data bits, so OR-ing the looked-up
/// values of a whole segment and testing this bit once catches any bad byte.
const BAD: u32 = 1 << 31;

/// For each position in a 4-character group, each byte's 6-bit value already shifted into place
/// (or [`BAD`]): a group decodes with four loads and three ORs.
static SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[BAD; 256]; 4];
    let mut c = 0;
    while c < 256 {
        let v = match c as u8 {
            b @ b'A'..=b'Z' => Some(b - b'A'),
            b @ b'a'..=b'z' => Some(b - b'a' + 26),
            b @ b'0'..=b'9' => Some(b - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        };
        if let Some(v) = v {
            let mut pos = 0;
            while pos < 4 {
                t[pos][c] = (v as u32) << (18 - 6 * pos);
                pos += 1;
            }
        }
        c += 1;
    }
    t
};

/// Whether every byte is in the URL-safe alphabet (`[A-Za-z0-9_-]`). Branch-free, so a whole
/// token is checked at a couple of instructions a byte.
pub(crate) fn all_url_safe(bytes: &[u8]) -> bool {
    bytes.iter().fold(0, |seen, &b| seen | at(0, b)) & BAD == 0
}

/// The exact decoded length of `n` characters, or `None` when no canonical text has that length.
pub(super) fn decoded_len(n: usize) -> Option<usize> {
    match n % 4 {
        0 => Some(n / 4 * 3),
        2 => Some(n / 4 * 3 + 1),
        3 => Some(n / 4 * 3 + 2),
        _ => None,
    }
}

/// Decodes `input` into `out`, which must be exactly [`decoded_len`] long. `false` when the text
/// is not canonical unpadded base64url (a byte outside the alphabet, `=`, or non-zero leftover
/// bits); `out` then holds garbage.
pub(super) fn decode_into(input: &[u8], out: &mut [u8]) -> bool {
    if decoded_len(input.len()) != Some(out.len()) {
        return false;
    }
    // Eight characters (six bytes) per step, then the last 0..=7 characters.
    let body = input.len() / 8 * 8;
    let (input8, rest) = input.split_at(body);
    let (out6, out_rest) = out.split_at_mut(body / 4 * 3);
    // OR of every looked-up value: one branch at the end instead of one per byte.
    let mut seen = 0u32;
    for (c, o) in input8.chunks_exact(8).zip(out6.chunks_exact_mut(6)) {
        let hi = group(c[0], c[1], c[2], c[3]);
        let lo = group(c[4], c[5], c[6], c[7]);
        seen |= hi | lo;
        // 48 data bits in the top six bytes; `BAD` bits fall outside them (`seen` has them).
        let n = u64::from(hi) << 40 | u64::from(lo & 0x00FF_FFFF) << 16;
        o.copy_from_slice(&n.to_be_bytes()[..6]);
    }
    match decode_rest(rest, out_rest) {
        Some(bits) => (seen | bits) & BAD == 0,
        None => false,
    }
}

fn at(pos: usize, b: u8) -> u32 {
    SHIFTED[pos][usize::from(b)]
}

/// Four characters as 24 data bits (plus [`BAD`] if any is outside the alphabet).
fn group(a: u8, b: u8, c: u8, d: u8) -> u32 {
    at(0, a) | at(1, b) | at(2, c) | at(3, d)
}

/// The last 0..=7 characters: at most one full group, then 0, 2 or 3 more. The OR of what was
/// looked up, or `None` when spare bits are set.
fn decode_rest(input: &[u8], out: &mut [u8]) -> Option<u32> {
    let (input, out, mut seen) = match (input, out) {
        (&[a, b, c, d, ref rest @ ..], [o0, o1, o2, out @ ..]) => {
            let n = group(a, b, c, d);
            let [_, b0, b1, b2] = n.to_be_bytes();
            (*o0, *o1, *o2) = (b0, b1, b2);
            (rest, out, n)
        }
        (input, out) => (input, out, 0),
    };
    match (input, out) {
        ([], []) => {}
        (&[a, b], [o0]) => {
            let n = at(0, a) | at(1, b);
            seen |= n;
            // The second character's low 4 bits are spare and must be zero.
            if n & 0xFFFF != 0 {
                return None;
            }
            *o0 = (n >> 16) as u8;
        }
        (&[a, b, c], [o0, o1]) => {
            let n = at(0, a) | at(1, b) | at(2, c);
            seen |= n;
            // The third character's low 2 bits are spare and must be zero.
            if n & 0xFF != 0 {
                return None;
            }
            *o0 = (n >> 16) as u8;
            *o1 = (n >> 8) as u8;
        }
        _ => return None,
    }
    Some(seen)
}

/// Why the crate rejects `input`, for error messages (never on the hot path).
pub(super) fn reject_reason(input: &str) -> String {
    match B64.decode(input) {
        Err(e) => e.to_string(),
        // The table decoder refused what the crate accepts: refuse anyway, the stricter answer.
        Ok(_) => "rejected by the strict decoder".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(input: &str) -> Option<Vec<u8>> {
        let mut out = vec![0u8; decoded_len(input.len())?];
        decode_into(input.as_bytes(), &mut out).then_some(out)
    }

    #[test]
    fn agrees_with_the_crate_on_edge_cases() {
        for s in [
            "",
            "A",
            "AA",
            "AAA",
            "AAAA",
            "YQ",
            "YR",
            "YWI",
            "YWJ",
            "YWJj",
            "YQ==",
            "YQ=",
            "Y===",
            "====",
            "+/+/",
            "-_-_",
            "AAAA=",
            "A=AA",
            " AAA",
            "AAA\n",
            "é",
            "AAAAA",
            "_w",
            "_x",
            "__8",
            "__9",
            "AAAAAAAA",
            "AAAAAAA=",
            "=AAAAAAA",
            "AAAA+AAA",
            "AAAAAAAAYR",
            "AAAAAAAAYQ",
            "AAAAAAAAAAAAYWJ",
            "AAAAAAAAAAAA_w",
            "AAAAAAAA.AAAAAAA",
            "YWJjZGVmZ2hp",
            "YWJjZGVmZ2hpag",
        ] {
            assert_eq!(table(s), B64.decode(s).ok(), "{s:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn agrees_with_the_crate_on_near_alphabet_text(s in "[A-Za-z0-9_=+/ -]{0,40}") {
            prop_assert_eq!(table(&s), B64.decode(&s).ok());
        }

        #[test]
        fn agrees_with_the_crate_on_any_text(s in any::<String>()) {
            prop_assert_eq!(table(&s), B64.decode(&s).ok());
        }

        #[test]
        fn url_safe_is_the_alphabet(s in any::<Vec<u8>>()) {
            let want = s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
            prop_assert_eq!(all_url_safe(&s), want);
        }

        #[test]
        fn round_trips_any_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(table(&B64.encode(&b)), Some(b));
        }
    }
}
