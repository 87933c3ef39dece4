//! The JOSE protected header.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::claims::{ClaimSeed, FromClaimJson, Seed};
use super::{MemberName, Seen, insert_new};
use crate::JwtCategory;

/// The protected header of a compact JWS.
///
/// `alg`, `kid`, `typ` and `cty` must be strings and `crit` an array of strings, otherwise decoding
/// fails (stricter than Clerk's JS SDK, which reads them loosely). Duplicate member names are
/// rejected. Every other member (`jku`, `x5u`, `x5c`, `jwk`, ...) is kept in `other`, in wire order;
/// this crate does not act on them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct JwtHeader {
    /// `alg`: the signing algorithm name; check it with [`Algorithm::from_name`](crate::Algorithm).
    pub alg: Option<String>,
    /// `kid`: the key id (Clerk puts the instance id here).
    pub kid: Option<String>,
    /// `typ`: `JWT` for session and M2M tokens, `at+jwt` for OAuth access tokens.
    pub typ: Option<String>,
    /// `cty`: content type (unused by Clerk).
    pub cty: Option<String>,
    /// `cat`: Clerk's token category.
    pub cat: JwtCategory,
    /// `crit`: extensions the verifier must understand (Clerk never sets it).
    pub crit: Option<Vec<String>>,
    /// Every other member, in wire order.
    pub other: Map<String, Value>,
}

impl JwtHeader {
    /// The header as a JSON object: known members first (`alg, kid, typ, cty, cat, crit`), then
    /// `other` in order.
    ///
    /// ```rust
    /// use clerk_token_types::JwtHeader;
    /// let h = JwtHeader { alg: Some("RS256".into()), ..Default::default() };
    /// assert_eq!(serde_json::Value::Object(h.to_json()), serde_json::json!({"alg": "RS256"}));
    /// ```
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = Map::with_capacity(6 + self.other.len());
        for (k, v) in [
            ("alg", &self.alg),
            ("kid", &self.kid),
            ("typ", &self.typ),
            ("cty", &self.cty),
        ] {
            if let Some(s) = v {
                m.insert(k.to_owned(), Value::String(s.clone()));
            }
        }
        if let Some(cat) = self.cat.to_json() {
            m.insert("cat".to_owned(), cat);
        }
        if let Some(crit) = &self.crit {
            m.insert(
                "crit".to_owned(),
                Value::Array(crit.iter().cloned().map(Value::String).collect()),
            );
        }
        for (k, v) in &self.other {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    }
}

impl Serialize for JwtHeader {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in [
            ("alg", &self.alg),
            ("kid", &self.kid),
            ("typ", &self.typ),
            ("cty", &self.cty),
        ] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        if let Some(cat) = self.cat.to_json() {
            m.serialize_entry("cat", &cat)?;
        }
        if let Some(crit) = &self.crit {
            m.serialize_entry("crit", crit)?;
        }
        for (k, v) in &self.other {
            if !matches!(k.as_str(), "alg" | "kid" | "typ" | "cty" | "cat" | "crit") {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for JwtHeader {
    /// One pass over the object; duplicates and mistyped known members are errors.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut h = Self::default();
        HeaderInPlace(&mut h).deserialize(d)?;
        Ok(h)
    }
}

/// Reads a header into a `JwtHeader::default()` in place (the decoder's own, inside the `Jwt`
/// it builds): the header is then not moved through serde_json's layers on its way out.
pub(super) struct HeaderInPlace<'a>(pub(super) &'a mut JwtHeader);

impl<'de> DeserializeSeed<'de> for HeaderInPlace<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderInPlace<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let h = self.0;
        let mut seen = Seen::default();
        while let Some(MemberName(name)) = map.next_key()? {
            let slot = match &*name {
                "alg" => Some((0, &mut h.alg)),
                "kid" => Some((1, &mut h.kid)),
                "typ" => Some((2, &mut h.typ)),
                "cty" => Some((3, &mut h.cty)),
                _ => None,
            };
            if let Some((bit, slot)) = slot {
                seen.mark(bit, &name)?;
                // A string straight from the parser; any other value is read whole (so the error
                // comes after it, as before) and refused.
                match map.next_value_seed(Seed::<Result<String, Value>>::new())? {
                    Ok(s) => *slot = Some(s),
                    Err(_) => {
                        return Err(A::Error::custom(format_args!(
                            "header member {name:?} must be a string"
                        )));
                    }
                }
                continue;
            }
            match &*name {
                "cat" => {
                    seen.mark(4, &name)?;
                    h.cat = map.next_value_seed(Seed::<JwtCategory>::new())?;
                }
                "crit" => {
                    seen.mark(5, &name)?;
                    h.crit = Some(string_array(map.next_value()?).ok_or_else(|| {
                        A::Error::custom("header member \"crit\" must be an array of strings")
                    })?);
                }
                _ => insert_new(&mut h.other, name, map.next_value()?)?,
            }
        }
        Ok(())
    }
}

impl FromClaimJson for JwtCategory {
    fn from_json(v: Value) -> Self {
        Self::from_value(v)
    }
}

impl ClaimSeed for JwtCategory {
    /// As [`JwtCategory::from_value`] reads a string, but a known category (the usual case) is
    /// matched on the borrowed text, without an owned copy.
    fn string(s: Cow<'_, str>) -> Self {
        Self::from_str_value(&s).unwrap_or_else(|| Self::Other(s.into_owned()))
    }
}

/// `Some` when `v` is an array made only of strings.
pub(super) fn string_array(v: Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(s: &str) -> Result<JwtHeader, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn reads_known_members_and_keeps_the_rest_in_order() {
        let h = parse(
            r#"{"zz":1,"alg":"RS256","kid":"ins_1","typ":"JWT","cty":"x","cat":"cl_B7d4PD333AAA","crit":["b64"],"jku":"https://e","aa":null}"#,
        )
        .unwrap();
        assert_eq!(h.alg.as_deref(), Some("RS256"));
        assert_eq!(h.kid.as_deref(), Some("ins_1"));
        assert_eq!(h.typ.as_deref(), Some("JWT"));
        assert_eq!(h.cty.as_deref(), Some("x"));
        assert_eq!(h.cat, JwtCategory::M2M);
        assert_eq!(h.crit, Some(vec!["b64".to_owned()]));
        let keys: Vec<_> = h.other.keys().cloned().collect();
        assert_eq!(keys, ["zz", "jku", "aa"]);
        let again: JwtHeader = serde_json::from_value(serde_json::to_value(&h).unwrap()).unwrap();
        assert_eq!(again, h);
        assert_eq!(
            Value::Object(h.to_json()),
            serde_json::to_value(&h).unwrap()
        );
    }

    #[test]
    fn duplicates_are_rejected_known_or_not() {
        for dup in [
            r#"{"alg":"RS256","alg":"RS256"}"#,
            r#"{"kid":"a","alg":"RS256","kid":"b"}"#,
            r#"{"cat":null,"cat":null}"#,
            r#"{"crit":[],"crit":[]}"#,
            r#"{"x5u":"a","x5u":"a"}"#,
            r#"{"typ":"JWT","t\u0079p":"JWT"}"#,
        ] {
            let e = parse(dup).unwrap_err().to_string();
            assert!(e.contains("duplicate member"), "{dup}: {e}");
        }
    }

    #[test]
    fn mistyped_known_members_are_rejected() {
        for bad in [
            r#"{"alg":null}"#,
            r#"{"alg":256}"#,
            r#"{"kid":["a"]}"#,
            r#"{"typ":{}}"#,
            r#"{"cty":true}"#,
            r#"{"crit":"b64"}"#,
            r#"{"crit":["b64",1]}"#,
            "[]",
            "null",
            "\"alg\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // cat keeps every shape; the verifiers decide.
        assert_eq!(
            parse(r#"{"cat":7}"#).unwrap().cat,
            JwtCategory::NotAString(json!(7))
        );
        assert_eq!(parse(r#"{"cat":null}"#).unwrap().cat, JwtCategory::Null);
        assert_eq!(parse("{}").unwrap(), JwtHeader::default());
    }
}
