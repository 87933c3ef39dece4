//! Object member names as serde_json hands them out: borrowed when the text has no escapes.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

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

/// The error for a header member that must be a string.
pub(super) fn not_a_string<E: serde::de::Error>(what: &str, name: &str) -> E {
    E::custom(format_args!("{what} member {name:?} must be a string"))
}

/// A member value read straight into its typed form, JSON shape by JSON shape, so the common
/// shapes (strings, numbers) never go through a [`Value`]. Shapes a type does not take are
/// handed over as the [`Value`] serde_json would have built, so "kept as it was" stays exact.
pub(super) trait Shape: Sized {
    /// Any value that no other method took.
    fn of_value(v: Value) -> Self;

    fn of_str(s: &str) -> Self {
        Self::of_value(Value::String(s.to_owned()))
    }

    fn of_string(s: String) -> Self {
        Self::of_value(Value::String(s))
    }

    fn of_number(n: Number) -> Self {
        Self::of_value(Value::Number(n))
    }

    fn of_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Self::of_value)
    }
}

/// Deserialises any JSON value through [`Shape`].
pub(super) struct Shaped<T>(pub(super) T);

impl<'de, T: Shape> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData)).map(Shaped)
    }
}

struct ShapeVisitor<T>(PhantomData<T>);

// Each method builds what serde_json's own `Value` visitor would, then hands it to the shape.
impl<'de, T: Shape> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        Ok(T::of_value(Value::Bool(v)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::of_number(v.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::of_number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        Ok(Number::from_f64(v).map_or_else(|| T::of_value(Value::Null), T::of_number))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::of_str(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::of_string(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Ok(T::of_value(Value::Null))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<T, E> {
        Ok(T::of_value(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::of_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(T::of_value)
    }
}

/// A header member that must be a string: `None` when it is not.
pub(super) struct MaybeString(pub(super) Option<String>);

impl Shape for MaybeString {
    fn of_value(_: Value) -> Self {
        Self(None)
    }
    fn of_str(s: &str) -> Self {
        Self(Some(s.to_owned()))
    }
    fn of_string(s: String) -> Self {
        Self(Some(s))
    }
}

/// A value read in place: decoding fills the token's own header and claims instead of building
/// them on the stack and moving them (several hundred bytes each) through every caller.
pub(super) trait ReadInto: Default {
    /// Reads into `self`, which is empty (`Default`) when called.
    fn read_from<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

/// [`ReadInto`] as a [`DeserializeSeed`], for deserializers that take seeds.
pub(super) struct InPlace<'a, T>(pub(super) &'a mut T);

impl<'de, T: ReadInto> DeserializeSeed<'de> for InPlace<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.read_from(d)
    }
}
