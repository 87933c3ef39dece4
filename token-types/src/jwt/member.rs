//! Object member names as serde_json hands them out: borrowed when the text has no escapes.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// A member name, borrowed from the input when possible so known names cost no allocation.
pub(super) enum MemberName<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl MemberName<'_> {
    pub(super) fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }

    pub(super) fn into_string(self) -> String {
        match self {
            Self::Borrowed(s) => s.to_owned(),
            Self::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MemberName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(MemberName::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MemberName::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MemberName::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// The error for a member that appears twice. Names are cut short: they come from the token.
pub(super) fn duplicate<E: serde::de::Error>(name: &str) -> E {
    E::custom(format_args!("duplicate member {:?}", short(name)))
}

/// At most 32 characters of attacker-controlled text, for messages.
pub(super) fn short(s: &str) -> String {
    let mut out: String = s.chars().take(32).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// A set of up to 16 known members, to reject duplicates without allocating.
#[derive(Default)]
pub(super) struct Seen(u16);

impl Seen {
    /// Marks member `bit`; an error if it was already seen.
    pub(super) fn mark<E: serde::de::Error>(&mut self, bit: u8, name: &str) -> Result<(), E> {
        let mask = 1u16 << bit;
        if self.0 & mask != 0 {
            return Err(duplicate(name));
        }
        self.0 |= mask;
        Ok(())
    }
}

/// Takes a string member or fails with a clear message.
pub(super) fn expect_string<E: serde::de::Error>(
    what: &str,
    name: &str,
    v: serde_json::Value,
) -> Result<String, E> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        _ => Err(E::custom(format_args!(
            "{what} member {name:?} must be a string"
        ))),
    }
}
