//! A fast reader for the flat JSON objects JWT headers and claims almost always are.
//!
//! serde_json spends most of a token's decode time on its general machinery. This reader takes a
//! strict subset of JSON — one object whose members are strings without escapes, integers of at
//! most 18 digits, `true`, `false`, `null`, or arrays of those — and gives up on anything else
//! (escapes, fractions, exponents, nested objects or arrays, `-0`, malformed text) and on any
//! error a visitor raises (duplicate members, mistyped header members). The caller then reads
//! the text again with serde_json, which has the final word.
//!
//! That makes the pair exactly as strict as serde_json alone: for text this reader accepts, it
//! makes the same visitor calls serde_json makes (borrowed strings, `u64`/`i64` integers, units
//! for `null`), so the visitors build the same values; everything else is serde_json's.

use std::fmt;

#[cfg(test)]
use serde::de::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The text is outside the subset, or a visitor refused it: read it again with serde_json.
#[derive(Debug)]
pub(super) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outside the fast JSON subset")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

/// Reads `text` (one JSON object, with surrounding whitespace) into `T`.
#[cfg(test)]
pub(super) fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, GiveUp> {
    from_str_seed(text, std::marker::PhantomData::<T>)
}

/// Reads `text` (one JSON object, with surrounding whitespace) through `seed`.
pub(super) fn from_str_seed<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    seed: S,
) -> Result<S::Value, GiveUp> {
    let mut r = Reader {
        text,
        pos: 0,
        depth: Depth::Top,
    };
    let value = seed.deserialize(&mut r)?;
    r.skip_ws();
    if r.pos == text.len() {
        Ok(value)
    } else {
        Err(GiveUp)
    }
}

/// Where the reader is; nesting is bounded by construction (no recursion limit needed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Before the top-level object.
    Top,
    /// A member value of the top-level object.
    Member,
    /// An element of an array that is a member value.
    Element,
}

struct Reader<'de> {
    text: &'de str,
    pos: usize,
    depth: Depth,
}

/// The longest integer read here: 18 digits fit `u64` and `i64` exactly, as in serde_json.
const MAX_DIGITS: usize = 18;

impl<'de> Reader<'de> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// JSON whitespace, as serde_json skips it.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), GiveUp> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// A string without escapes or control characters, borrowed from the text.
    fn string(&mut self) -> Result<&'de str, GiveUp> {
        self.eat(b'"')?;
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..).ok_or(GiveUp)?;
        let len = plain_string_len(rest).ok_or(GiveUp)?;
        self.pos = start + len + 1;
        // The text is valid UTF-8 and both ends are ASCII quotes, so this is a char boundary.
        self.text.get(start..start + len).ok_or(GiveUp)
    }

    /// `true`, `false` or `null`, the first byte already seen.
    fn literal(&mut self, word: &str) -> Result<(), GiveUp> {
        let end = self.pos + word.len();
        if self.text.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    fn integer<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, GiveUp> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            if self.pos - start == MAX_DIGITS {
                return Err(GiveUp);
            }
            n = n * 10 + u64::from(d - b'0');
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && self.text.as_bytes().get(start) == Some(&b'0');
        if digits == 0 || leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return Err(GiveUp);
        }
        if !negative {
            return visitor.visit_u64(n);
        }
        // serde_json reads `-0` as the float -0.0; leave it to serde_json.
        match i64::try_from(n) {
            Ok(i) if i > 0 => visitor.visit_i64(-i),
            _ => Err(GiveUp),
        }
    }
}

/// The length of a string's content up to its closing quote, or `None` when an escape or a
/// control character (or the end of the text) comes first. Eight bytes at a time.
fn plain_string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte that is 0 after XOR (a quote or a backslash) or below 0x20. Bits
    // above a true hit can be false positives; only the lowest one is used, and it is exact.
    let special = |x: u64| {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let hits = special(u64::from_le_bytes(word));
        if hits != 0 {
            let i = offset + (hits.trailing_zeros() / 8) as usize;
            return (bytes.get(i) == Some(&b'"')).then_some(i);
        }
        offset += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        match b {
            b'"' => return Some(offset + i),
            b'\\' | 0..0x20 => return None,
            _ => {}
        }
    }
    None
}

/// `fn $name<V>(self, visitor: V) -> Err(GiveUp)` for each name.
macro_rules! give_up {
    ($($name:ident)*) => {
        $(
            fn $name<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GiveUp> {
                Err(GiveUp)
            }
        )*
    };
}
impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        self.skip_ws();
        if self.depth == Depth::Top {
            return self.deserialize_map(visitor);
        }
        match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                visitor.visit_borrowed_str(s)
            }
            Some(b'-' | b'0'..=b'9') => self.integer(visitor),
            Some(b't') => {
                self.literal("true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal("false")?;
                visitor.visit_bool(false)
            }
            Some(b'n') => {
                self.literal("null")?;
                visitor.visit_unit()
            }
            Some(b'[') if self.depth == Depth::Member => {
                self.pos += 1;
                self.depth = Depth::Element;
                let mut seq = Elements {
                    r: &mut *self,
                    first: true,
                    closed: false,
                };
                let value = visitor.visit_seq(&mut seq)?;
                let closed = seq.closed;
                self.depth = Depth::Member;
                if closed { Ok(value) } else { Err(GiveUp) }
            }
            _ => Err(GiveUp),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        if self.depth != Depth::Top {
            return Err(GiveUp);
        }
        self.skip_ws();
        self.eat(b'{')?;
        self.depth = Depth::Member;
        let mut map = Members {
            r: &mut *self,
            first: true,
            closed: false,
        };
        let value = visitor.visit_map(&mut map)?;
        if map.closed { Ok(value) } else { Err(GiveUp) }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        self.skip_ws();
        let s = self.string()?;
        visitor.visit_borrowed_str(s)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        self.deserialize_str(visitor)
    }

    // Nothing this crate reads asks for these; giving up keeps serde_json's meaning for them.
    give_up! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, GiveUp> {
        Err(GiveUp)
    }
}

/// The members of the top-level object.
struct Members<'a, 'de> {
    r: &'a mut Reader<'de>,
    first: bool,
    closed: bool,
}

impl<'de> MapAccess<'de> for &mut Members<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GiveUp> {
        self.r.skip_ws();
        if self.r.peek() == Some(b'}') {
            self.r.pos += 1;
            self.closed = true;
            return Ok(None);
        }
        if !self.first {
            self.r.eat(b',')?;
            self.r.skip_ws();
        }
        self.first = false;
        if self.r.peek() != Some(b'"') {
            return Err(GiveUp);
        }
        let key = seed.deserialize(&mut *self.r)?;
        self.r.skip_ws();
        self.r.eat(b':')?;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, GiveUp> {
        seed.deserialize(&mut *self.r)
    }
}

/// The elements of an array member.
struct Elements<'a, 'de> {
    r: &'a mut Reader<'de>,
    first: bool,
    closed: bool,
}

impl<'de> SeqAccess<'de> for &mut Elements<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GiveUp> {
        self.r.skip_ws();
        if self.r.peek() == Some(b']') {
            self.r.pos += 1;
            self.closed = true;
            return Ok(None);
        }
        if !self.first {
            self.r.eat(b',')?;
        }
        self.first = false;
        seed.deserialize(&mut *self.r).map(Some)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{JwtClaims, JwtHeader};
    use proptest::prelude::*;
    use serde_json::Value;

    /// Whatever the fast reader accepts, serde_json reads to the same value.
    fn agrees(text: &str) -> bool {
        let fast = from_str::<Value>(text).ok();
        if let Some(v) = &fast {
            assert_eq!(
                Some(v),
                serde_json::from_str::<Value>(text).ok().as_ref(),
                "{text}"
            );
        }
        if let Ok(c) = from_str::<JwtClaims>(text) {
            assert_eq!(
                c,
                serde_json::from_str::<JwtClaims>(text).unwrap(),
                "{text}"
            );
        }
        if let Ok(h) = from_str::<JwtHeader>(text) {
            assert_eq!(
                h,
                serde_json::from_str::<JwtHeader>(text).unwrap(),
                "{text}"
            );
        }
        fast.is_some()
    }

    #[test]
    fn takes_clerk_shaped_objects() {
        for text in [
            r#"{"alg":"RS256","kid":"ins_2GIoQhbUpy0hX7B2cVkuTMinXoD","typ":"JWT","cat":"cl_B7d4PD333AAA"}"#,
            r#"{"iss":"https://clerk.example","sub":"mch_1","aud":["mch_1","mch_2"],"exp":1666648550,"iat":1666648250,"nbf":1666648240,"jti":"mt_1","scopes":"mch_1 mch_2"}"#,
            r#" { "a" : [ ] , "b" : [ 1 , -2 , true , false , null , "x" ] , "c" : "" } "#,
            "{}",
            "\t{\n}\r\n",
            r#"{"azp":"https://a.example","fva":[0,-1],"v":2,"sid":"sess_1","ünï":"cødé"}"#,
            r#"{"n":999999999999999999,"m":-999999999999999999,"z":0}"#,
            r#"{"cat":null,"x5t":"abc"}"#,
        ] {
            assert!(agrees(text), "{text}");
        }
    }

    #[test]
    fn gives_up_outside_the_subset() {
        for text in [
            r#"{"a":"\n"}"#,
            r#"{"a\u0061":1}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":1000000000000000000}"#,
            r#"{"a":{}}"#,
            r#"{"a":[[]]}"#,
            r#"{"a":[{}]}"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{,"a":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":"x"}x"#,
            r#"{"a":"x""#,
            r#"{"a":"x}"#,
            r#"{"a":1"#,
            r#"[]"#,
            r#""x""#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
        ] {
            assert!(!agrees(text), "{text}");
        }
        // Visitor errors: serde_json gives the message.
        for text in [r#"{"exp":1,"exp":1}"#, r#"{"x":1,"x":2}"#, r#"{"alg":1}"#] {
            assert!(from_str::<JwtClaims>(text).is_err() || from_str::<JwtHeader>(text).is_err());
            assert!(agrees(text));
        }
    }

    #[test]
    fn string_scan_finds_the_first_special_byte() {
        assert_eq!(plain_string_len(b"\""), Some(0));
        assert_eq!(plain_string_len(b"abcdefghij\"x"), Some(10));
        assert_eq!(plain_string_len(b"abcdefgh\""), Some(8));
        assert_eq!(plain_string_len(b"abcdefg\\\"a"), None);
        assert_eq!(plain_string_len(b"ab\x1fdefghijk\""), None);
        assert_eq!(plain_string_len(b"\x00\"\"\"\"\"\"\"\""), None);
        assert_eq!(plain_string_len("ééééé\"".as_bytes()), Some(10));
        assert_eq!(plain_string_len(b"\x7f\x80\xff\x20!#\"z"), Some(6));
        assert_eq!(plain_string_len(b"abcdefgh"), None);
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_ 0-9é\\\\\"\\x00-\\x1f]{0,12}".prop_map(|s| format!("\"{s}\"")),
            "[a-z_ 0-9é]{0,20}".prop_map(|s| format!("\"{s}\"")),
            any::<i64>().prop_map(|i| i.to_string()),
            (0u64..1000).prop_map(|i| i.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
            prop::sample::select(vec![
                "true",
                "false",
                "null",
                "-0",
                "01",
                "1e5",
                "{}",
                "[]",
                "tru",
                "-",
                "[1,]",
                "[[1]]",
                "{\"a\":1}",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn member() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            prop::sample::select(vec![
                "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scopes", "azp", "alg", "kid",
                "typ", "cty", "cat", "crit", "x", "y",
            ])
            .prop_map(str::to_owned),
            "[a-z\\\\\"]{0,4}",
        ];
        let value = prop_oneof![
            3 => scalar(),
            1 => prop::collection::vec(scalar(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
        ];
        (
            key,
            value,
            prop::sample::select(vec!["", " ", "\n\t", "\r"]),
        )
            .prop_map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn accepted_text_reads_as_serde_json_reads_it(
            members in prop::collection::vec(member(), 0..6),
            ws in prop::sample::select(vec!["", " ", "\n"]),
        ) {
            agrees(&format!("{ws}{{{}}}{ws}", members.join(",")));
        }

        #[test]
        fn accepted_mutations_read_as_serde_json_reads_them(
            members in prop::collection::vec(member(), 1..5),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"{}[],:\"\\ -.0e".to_vec()),
            delete in any::<bool>(),
        ) {
            let mut text = format!("{{{}}}", members.join(",")).into_bytes();
            let i = at.index(text.len());
            if delete { text.remove(i); } else { text.insert(i, byte); }
            if let Ok(text) = String::from_utf8(text) {
                agrees(&text);
            }
        }
    }
}
