//! The JWT claims set, typed where Clerk reads a claim and kept as JSON otherwise.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::header::string_array;
use super::{MemberName, Seen, insert_new};

/// A claim that is present: either of the expected JSON type, or kept as it was (JSON `null` too)
/// so the verifier can report it the way Clerk's JS SDK does.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimValue<T> {
    /// The expected type.
    Valid(T),
    /// Present but of the wrong JSON type.
    ///
    /// Boxed: a wrongly typed claim is rare, and an unboxed `Value` made every claim as large
    /// as one (72 bytes; [`JwtClaims`] 720), which the verified-token cache pays per entry.
    Invalid(Box<Value>),
}

impl<T> ClaimValue<T> {
    /// The value when it has the expected type.
    ///
    /// ```rust
    /// use clerk_token_types::ClaimValue;
    /// assert_eq!(ClaimValue::Valid(3).valid(), Some(&3));
    /// assert_eq!(ClaimValue::<i32>::Invalid(Box::new(serde_json::Value::Null)).valid(), None);
    /// ```
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(t) => Some(t),
            Self::Invalid(_) => None,
        }
    }

    /// The claim as JSON, as it was on the wire (numbers may be normalised, e.g. `1.0` to `1`).
    ///
    /// ```rust
    /// use clerk_token_types::ClaimValue;
    /// assert_eq!(ClaimValue::Valid("a".to_owned()).to_json(), serde_json::json!("a"));
    /// ```
    pub fn to_json(&self) -> Value
    where
        T: Serialize,
    {
        match self {
            Self::Valid(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Self::Invalid(v) => (**v).clone(),
        }
    }
}

impl<T: Serialize> Serialize for ClaimValue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Valid(t) => t.serialize(s),
            Self::Invalid(v) => v.serialize(s),
        }
    }
}

/// The `aud` claim: one string or an array made only of strings.
#[derive(Clone, Debug, PartialEq)]
pub enum Audience {
    /// `"aud": "x"`
    One(String),
    /// `"aud": ["x", "y"]` (every element a string; may be empty)
    Many(Vec<String>),
}

impl Audience {
    /// Every audience value.
    ///
    /// ```rust
    /// use clerk_token_types::Audience;
    /// let a = Audience::Many(vec!["mch_1".into(), "mch_2".into()]);
    /// assert_eq!(a.iter().collect::<Vec<_>>(), ["mch_1", "mch_2"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::One(s) => std::slice::from_ref(s),
            Self::Many(v) => v,
        };
        slice.iter().map(String::as_str)
    }

    /// Whether `s` is one of the values (exact match).
    ///
    /// ```rust
    /// use clerk_token_types::Audience;
    /// assert!(Audience::One("mch_1".into()).contains("mch_1"));
    /// assert!(!Audience::One("mch_12".into()).contains("mch_1"));
    /// ```
    pub fn contains(&self, s: &str) -> bool {
        self.iter().any(|a| a == s)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(a) => a.serialize(s),
            Self::Many(v) => v.serialize(s),
        }
    }
}

/// A JWT NumericDate: seconds since the epoch as a JSON number, fractions allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumericDate(pub f64);

impl NumericDate {
    /// Milliseconds as Clerk's JS SDK compares times when it verifies a JWT: whole seconds
    /// times 1000 (its `assertions.ts` builds the date with `setUTCSeconds`, which truncates
    /// toward zero), saturating at the `i64` range. For the verifier's time rules (`exp`, `nbf`,
    /// `iat`); for the millisecond timestamps of an [`M2MToken`](crate::M2MToken) see
    /// [`to_millis_with_fraction`](Self::to_millis_with_fraction).
    ///
    /// ```rust
    /// use clerk_token_types::NumericDate;
    /// assert_eq!(NumericDate(1666648250.9).to_millis(), 1_666_648_250_000);
    /// assert_eq!(NumericDate(-1.5).to_millis(), -1000);
    /// assert_eq!(NumericDate(1e300).to_millis(), i64::MAX);
    /// ```
    pub fn to_millis(self) -> i64 {
        // `as` saturates (and maps NaN, which JSON cannot carry, to 0).
        (self.0.trunc() * 1000.0) as i64
    }

    /// Milliseconds as Clerk's JS SDK maps a verified JWT to a token object
    /// (`M2MToken.fromJwtPayload`: `expiration: payload.exp * 1000`): the product in `f64`, so a
    /// fractional second is kept, then truncated toward zero to whole milliseconds as a JS `Date`
    /// does (`TimeClip`), saturating at the `i64` range.
    ///
    /// ```rust
    /// use clerk_token_types::NumericDate;
    /// assert_eq!(NumericDate(1790003600.5).to_millis_with_fraction(), 1_790_003_600_500);
    /// assert_eq!(NumericDate(-1.5).to_millis_with_fraction(), -1500);
    /// assert_eq!(NumericDate(1e300).to_millis_with_fraction(), i64::MAX);
    /// assert_eq!(NumericDate(-1e300).to_millis_with_fraction(), i64::MIN);
    /// ```
    pub fn to_millis_with_fraction(self) -> i64 {
        // `as` truncates toward zero and saturates (NaN, which JSON cannot carry, gives 0).
        (self.0 * 1000.0) as i64
    }
}

impl NumericDate {
    /// The value as an integer when it is one that JSON writers print without a fraction.
    fn as_integer(self) -> Option<i64> {
        // Integral values go out as integers so `1666648250` does not become `1666648250.0`.
        const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53: exact in both f64 and i64
        (self.0.fract() == 0.0 && self.0.abs() <= LIMIT).then_some(self.0 as i64)
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_integer() {
            Some(i) => s.serialize_i64(i),
            None => s.serialize_f64(self.0),
        }
    }
}

/// The claims of a JWT payload.
///
/// The claims Clerk reads are typed; a claim of the wrong JSON type is kept as
/// [`ClaimValue::Invalid`] (decoding does not fail, the verifier reports it). Every other claim
/// is kept in `extra`, in wire order. Duplicate claim names make decoding fail.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct JwtClaims {
    /// `iss` (string)
    pub iss: Option<ClaimValue<String>>,
    /// `sub` (string)
    pub sub: Option<ClaimValue<String>>,
    /// `aud` (string or array of strings)
    pub aud: Option<ClaimValue<Audience>>,
    /// `exp` (number)
    pub exp: Option<ClaimValue<NumericDate>>,
    /// `nbf` (number)
    pub nbf: Option<ClaimValue<NumericDate>>,
    /// `iat` (number)
    pub iat: Option<ClaimValue<NumericDate>>,
    /// `jti` (string)
    pub jti: Option<ClaimValue<String>>,
    /// `scopes` (space-separated string; Clerk's M2M scopes)
    pub scopes: Option<ClaimValue<String>>,
    /// `azp` (string)
    pub azp: Option<ClaimValue<String>>,
    /// Every other claim, in wire order.
    pub extra: Map<String, Value>,
}

/// Names of the typed claims, in [`JwtClaims::to_json`] order.
const KNOWN: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scopes", "azp",
];

impl JwtClaims {
    /// Any claim by name, as JSON (typed claims included).
    ///
    /// ```rust
    /// use clerk_token_types::{ClaimValue, JwtClaims};
    /// use serde_json::json;
    /// let mut c = JwtClaims { sub: Some(ClaimValue::Valid("mch_1".into())), ..Default::default() };
    /// c.extra.insert("role".into(), json!("service"));
    /// assert_eq!(c.get("sub"), Some(json!("mch_1")));
    /// assert_eq!(c.get("role"), Some(json!("service")));
    /// assert_eq!(c.get("exp"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<Value> {
        match KNOWN.iter().position(|k| *k == name) {
            Some(i) => self.typed_json(i),
            None => self.extra.get(name).cloned(),
        }
    }

    /// The typed claim `KNOWN[i]` as JSON, built directly rather than through serde.
    fn typed_json(&self, i: usize) -> Option<Value> {
        fn json<T: ToJson>(c: Option<&ClaimValue<T>>) -> Option<Value> {
            c.map(|c| match c {
                ClaimValue::Valid(t) => t.to_json(),
                ClaimValue::Invalid(v) => (**v).clone(),
            })
        }
        match i {
            0 => json(self.iss.as_ref()),
            1 => json(self.sub.as_ref()),
            2 => json(self.aud.as_ref()),
            3 => json(self.exp.as_ref()),
            4 => json(self.nbf.as_ref()),
            5 => json(self.iat.as_ref()),
            6 => json(self.jti.as_ref()),
            7 => json(self.scopes.as_ref()),
            8 => json(self.azp.as_ref()),
            _ => None,
        }
    }

    /// Every claim as a JSON object: the typed claims first (`iss, sub, aud, exp, nbf, iat, jti,
    /// scopes, azp`, those present), then `extra` in wire order. Members of `extra` that shadow a
    /// typed claim are left out.
    ///
    /// ```rust
    /// use clerk_token_types::{ClaimValue, JwtClaims, NumericDate};
    /// let c = JwtClaims { exp: Some(ClaimValue::Valid(NumericDate(10.0))), ..Default::default() };
    /// assert_eq!(serde_json::Value::Object(c.to_json()), serde_json::json!({"exp": 10}));
    /// ```
    pub fn to_json(&self) -> Map<String, Value> {
        self.to_json_without(0)
    }

    /// [`to_json`](Self::to_json) leaving out the typed claims whose bits are set in `skip`
    /// (bit `i` is `KNOWN[i]`; see [`known_mask`]).
    pub(crate) fn to_json_without(&self, skip: u16) -> Map<String, Value> {
        let present = [
            self.iss.is_some(),
            self.sub.is_some(),
            self.aud.is_some(),
            self.exp.is_some(),
            self.nbf.is_some(),
            self.iat.is_some(),
            self.jti.is_some(),
            self.scopes.is_some(),
            self.azp.is_some(),
        ];
        let wanted = |i: usize| present[i] && skip & (1 << i) == 0;
        let typed = (0..KNOWN.len()).filter(|&i| wanted(i)).count();
        let mut m = Map::with_capacity(typed + self.extra.len());
        for (i, name) in KNOWN.into_iter().enumerate() {
            if wanted(i)
                && let Some(v) = self.typed_json(i)
            {
                m.insert(name.to_owned(), v);
            }
        }
        for (k, v) in &self.extra {
            if !KNOWN.contains(&k.as_str()) {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }

    /// [`to_json_without`](Self::to_json_without) for claims that are no longer needed: values
    /// are moved into the map, not copied.
    pub(crate) fn into_json_without(self, skip: u16) -> Map<String, Value> {
        let Self {
            iss,
            sub,
            aud,
            exp,
            nbf,
            iat,
            jti,
            scopes,
            azp,
            extra,
        } = self;
        let wanted = |i: usize, present: bool| present && skip & (1 << i) == 0;
        let typed = [
            iss.is_some(),
            sub.is_some(),
            aud.is_some(),
            exp.is_some(),
            nbf.is_some(),
            iat.is_some(),
            jti.is_some(),
            scopes.is_some(),
            azp.is_some(),
        ]
        .into_iter()
        .enumerate()
        .filter(|&(i, present)| wanted(i, present))
        .count();
        let mut m = Map::with_capacity(typed + extra.len());
        // Each claim is converted only when it is kept; the others are just dropped.
        fn put<T: ToJson>(
            m: &mut Map<String, Value>,
            skip: u16,
            i: usize,
            c: Option<ClaimValue<T>>,
        ) {
            if skip & (1 << i) == 0
                && let Some(c) = c
            {
                let v = match c {
                    ClaimValue::Valid(t) => t.into_json(),
                    ClaimValue::Invalid(v) => *v,
                };
                m.insert(KNOWN[i].to_owned(), v);
            }
        }
        put(&mut m, skip, 0, iss);
        put(&mut m, skip, 1, sub);
        put(&mut m, skip, 2, aud);
        put(&mut m, skip, 3, exp);
        put(&mut m, skip, 4, nbf);
        put(&mut m, skip, 5, iat);
        put(&mut m, skip, 6, jti);
        put(&mut m, skip, 7, scopes);
        put(&mut m, skip, 8, azp);
        for (k, v) in extra {
            if !KNOWN.contains(&k.as_str()) {
                m.insert(k, v);
            }
        }
        m
    }
}

/// The bit mask of the typed claims named in `names`, for [`JwtClaims::to_json_without`].
/// A `const fn` so callers compute their masks at compile time.
pub(crate) const fn known_mask(names: &[&str]) -> u16 {
    const fn eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut mask = 0;
    let mut i = 0;
    while i < KNOWN.len() {
        let mut j = 0;
        while j < names.len() {
            if eq(KNOWN[i], names[j]) {
                mask |= 1 << i;
            }
            j += 1;
        }
        i += 1;
    }
    mask
}

/// A typed claim's JSON form, equal to `serde_json::to_value` of it, without the serializer.
trait ToJson: Sized {
    fn to_json(&self) -> Value;
    /// The same, reusing the claim's allocations.
    fn into_json(self) -> Value;
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
    fn into_json(self) -> Value {
        Value::String(self)
    }
}

impl ToJson for Audience {
    fn to_json(&self) -> Value {
        match self {
            Self::One(a) => Value::String(a.clone()),
            Self::Many(v) => Value::Array(v.iter().cloned().map(Value::String).collect()),
        }
    }
    fn into_json(self) -> Value {
        match self {
            Self::One(a) => Value::String(a),
            Self::Many(v) => Value::Array(v.into_iter().map(Value::String).collect()),
        }
    }
}

impl ToJson for NumericDate {
    fn to_json(&self) -> Value {
        match self.as_integer() {
            Some(i) => Value::from(i),
            None => Value::from(self.0),
        }
    }
    fn into_json(self) -> Value {
        self.to_json()
    }
}

impl Serialize for JwtClaims {
    /// Serialises as [`to_json`](Self::to_json) does, without building the map first.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let strings = [("iss", &self.iss), ("sub", &self.sub)];
        for (k, v) in strings {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        if let Some(v) = &self.aud {
            m.serialize_entry("aud", v)?;
        }
        for (k, v) in [("exp", &self.exp), ("nbf", &self.nbf), ("iat", &self.iat)] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        for (k, v) in [
            ("jti", &self.jti),
            ("scopes", &self.scopes),
            ("azp", &self.azp),
        ] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        for (k, v) in &self.extra {
            if !KNOWN.contains(&k.as_str()) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for JwtClaims {
    /// One pass over the object; duplicate claim names are errors, mistyped claims are kept as
    /// [`ClaimValue::Invalid`].
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut c = Self::default();
        ClaimsInPlace(&mut c).deserialize(d)?;
        Ok(c)
    }
}

/// A typed claim read from the JSON value serde_json built for it (crate-private: not a public
/// conversion, so it does not become API).
pub(super) trait FromClaimJson {
    fn from_json(v: Value) -> Self;
}

impl FromClaimJson for ClaimValue<String> {
    fn from_json(v: Value) -> Self {
        match v {
            Value::String(s) => Self::Valid(s),
            other => Self::Invalid(Box::new(other)),
        }
    }
}

impl FromClaimJson for ClaimValue<NumericDate> {
    /// A finite JSON number is a date; serde_json never yields a non-finite one, but the check
    /// keeps that an explicit rule rather than an assumption.
    fn from_json(v: Value) -> Self {
        match v.as_f64() {
            Some(f) if v.is_number() && f.is_finite() => Self::Valid(NumericDate(f)),
            _ => Self::Invalid(Box::new(v)),
        }
    }
}

impl FromClaimJson for ClaimValue<Audience> {
    fn from_json(v: Value) -> Self {
        match v {
            Value::String(s) => Self::Valid(Audience::One(s)),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                match string_array(Value::Array(items)) {
                    Some(list) => Self::Valid(Audience::Many(list)),
                    // Unreachable: every item was checked to be a string.
                    None => Self::Invalid(Box::new(Value::Null)),
                }
            }
            other => Self::Invalid(Box::new(other)),
        }
    }
}

/// Reads a typed claim (or a header member) straight from the parser's events instead of first
/// building a `serde_json::Value`: a string goes to [`ClaimSeed::string`] (borrowed when it has no
/// escapes), an array to [`ClaimSeed::seq`]; everything else, and any fallback, is handed to
/// `Value`'s own visitor (through serde's value deserializers), so an `Invalid` claim is exactly the
/// `Value` serde_json would have built. Measured with callgrind on the bench token (20,000
/// decodes): this seed plus one shared scratch `Vec` for the header and payload bytes (see
/// `decode.rs`) took `Jwt::decode` from 20,280 to 19,230 instructions per decode, by not
/// building `aud` as a `Vec<Value>` then a `Vec<String>` and `cat` as an owned string.
pub(super) trait ClaimSeed: FromClaimJson + Sized {
    /// A JSON string.
    fn string(s: Cow<'_, str>) -> Self {
        Self::from_json(Value::String(s.into_owned()))
    }

    /// A JSON array.
    fn seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        Ok(Self::from_json(Value::deserialize(
            SeqAccessDeserializer::new(seq),
        )?))
    }

    /// A JSON number serde_json read as a `u64`, an `i64` or an `f64` (`Value::from` builds the
    /// `Value` its own visitor would).
    fn number(n: Number) -> Self {
        Self::from_json(match n {
            Number::U64(v) => Value::from(v),
            Number::I64(v) => Value::from(v),
            Number::F64(v) => Value::from(v),
        })
    }
}

/// A number as serde_json hands it to a visitor.
#[derive(Clone, Copy)]
pub(super) enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl ClaimSeed for ClaimValue<String> {}

impl ClaimSeed for ClaimValue<NumericDate> {
    /// `Value::as_f64` of the number, without building the `Value` (three per Clerk token); a
    /// non-finite `f64` (serde_json yields none) takes the `Value` path, as before.
    fn number(n: Number) -> Self {
        match n {
            Number::U64(v) => Self::Valid(NumericDate(v as f64)),
            Number::I64(v) => Self::Valid(NumericDate(v as f64)),
            Number::F64(v) if v.is_finite() => Self::Valid(NumericDate(v)),
            Number::F64(v) => Self::from_json(Value::from(v)),
        }
    }
}

/// An array element of `aud`: a string, or any other value as serde_json read it.
impl FromClaimJson for Result<String, Value> {
    fn from_json(v: Value) -> Self {
        match v {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}
impl ClaimSeed for Result<String, Value> {}

impl ClaimSeed for ClaimValue<Audience> {
    /// Strings straight into the `Vec<String>`; at the first other element the array is rebuilt
    /// as the `Vec<Value>` serde_json would have built, and read on as values.
    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut strings = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed::<Result<String, Value>>::new())? {
            match item {
                Ok(s) => strings.push(s),
                Err(v) => {
                    let mut items: Vec<Value> = strings.into_iter().map(Value::String).collect();
                    items.push(v);
                    while let Some(v) = seq.next_element::<Value>()? {
                        items.push(v);
                    }
                    return Ok(Self::Invalid(Box::new(Value::Array(items))));
                }
            }
        }
        Ok(Self::Valid(Audience::Many(strings)))
    }
}

/// The [`DeserializeSeed`] and [`Visitor`] reading a [`ClaimSeed`] type.
pub(super) struct Seed<T>(PhantomData<T>);

impl<T> Seed<T> {
    pub(super) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: ClaimSeed> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<T: ClaimSeed> Seed<T> {
    /// Anything but a string or an array: `Value`'s own visitor reads it.
    fn value<'de, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        Ok(T::from_json(Value::deserialize(d)?))
    }
}

impl<'de, T: ClaimSeed> Visitor<'de> for Seed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::string(Cow::Borrowed(v)))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::string(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        Self::value(MapAccessDeserializer::new(map))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        Self::value(v.into_deserializer())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::number(Number::I64(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::number(Number::U64(v)))
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<T, E> {
        Self::value(v.into_deserializer())
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<T, E> {
        Self::value(v.into_deserializer())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        Ok(T::number(Number::F64(v)))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Self::value(().into_deserializer())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<T, E> {
        Self::value(().into_deserializer())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        Self::value(d)
    }
}

/// Reads claims into a `JwtClaims::default()` in place (the decoder's own, inside the `Jwt` it
/// builds), so the claims set (hundreds of bytes) is not moved through serde_json's layers.
pub(super) struct ClaimsInPlace<'a>(pub(super) &'a mut JwtClaims);

impl<'de> DeserializeSeed<'de> for ClaimsInPlace<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsInPlace<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Each typed claim is read through its `Seed`, so a mistyped one is kept exactly as
        // serde_json read it.
        fn claim<'de, T, A>(
            seen: &mut Seen,
            bit: u8,
            name: &str,
            map: &mut A,
        ) -> Result<Option<T>, A::Error>
        where
            T: ClaimSeed,
            A: MapAccess<'de>,
        {
            seen.mark(bit, name)?;
            Ok(Some(map.next_value_seed(Seed::<T>::new())?))
        }
        let c = self.0;
        let mut seen = Seen::default();
        while let Some(MemberName(name)) = map.next_key()? {
            let (s, m) = (&mut seen, &mut map);
            match &*name {
                "iss" => c.iss = claim(s, 0, &name, m)?,
                "sub" => c.sub = claim(s, 1, &name, m)?,
                "aud" => c.aud = claim(s, 2, &name, m)?,
                "exp" => c.exp = claim(s, 3, &name, m)?,
                "nbf" => c.nbf = claim(s, 4, &name, m)?,
                "iat" => c.iat = claim(s, 5, &name, m)?,
                "jti" => c.jti = claim(s, 6, &name, m)?,
                "scopes" => c.scopes = claim(s, 7, &name, m)?,
                "azp" => c.azp = claim(s, 8, &name, m)?,
                _ => insert_new(&mut c.extra, name, map.next_value()?)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(s: &str) -> Result<JwtClaims, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn typed_claims_and_extra_in_order() {
        let c = parse(
            r#"{"role":"service","iss":"https://clerk.m2m.example.test","sub":"mch_2vYV","aud":["mch_1xxxxx","mch_2xxxxx"],"exp":1666648550,"iat":1666648250,"nbf":1666648240.5,"jti":"mt_2xKa","scopes":"mch_1xxxxx mch_2xxxxx","azp":"https://a","permissions":["read"]}"#,
        )
        .unwrap();
        assert_eq!(
            c.iss,
            Some(ClaimValue::Valid("https://clerk.m2m.example.test".into()))
        );
        assert_eq!(
            c.sub
                .as_ref()
                .and_then(ClaimValue::valid)
                .map(String::as_str),
            Some("mch_2vYV")
        );
        assert_eq!(
            c.aud,
            Some(ClaimValue::Valid(Audience::Many(vec![
                "mch_1xxxxx".into(),
                "mch_2xxxxx".into()
            ])))
        );
        assert_eq!(c.exp, Some(ClaimValue::Valid(NumericDate(1666648550.0))));
        assert_eq!(c.nbf, Some(ClaimValue::Valid(NumericDate(1666648240.5))));
        assert_eq!(c.iat, Some(ClaimValue::Valid(NumericDate(1666648250.0))));
        assert_eq!(c.jti, Some(ClaimValue::Valid("mt_2xKa".into())));
        assert_eq!(
            c.scopes,
            Some(ClaimValue::Valid("mch_1xxxxx mch_2xxxxx".into()))
        );
        assert_eq!(c.azp, Some(ClaimValue::Valid("https://a".into())));
        assert_eq!(c.extra.keys().collect::<Vec<_>>(), ["role", "permissions"]);
        assert_eq!(c.get("nbf"), Some(json!(1666648240.5)));
        assert_eq!(c.get("exp"), Some(json!(1666648550)));
        let back: JwtClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            Value::Object(c.to_json()),
            serde_json::to_value(&c).unwrap()
        );
    }

    #[test]
    fn wrong_types_are_kept_as_invalid() {
        let c = parse(
            r#"{"iss":1,"sub":null,"aud":["a",1],"exp":"1666648550","nbf":true,"iat":[],"jti":{},"scopes":["a"],"azp":null}"#,
        )
        .unwrap();
        assert_eq!(c.iss, Some(ClaimValue::Invalid(Box::new(json!(1)))));
        assert_eq!(c.sub, Some(ClaimValue::Invalid(Box::new(Value::Null))));
        assert_eq!(c.aud, Some(ClaimValue::Invalid(Box::new(json!(["a", 1])))));
        assert_eq!(
            c.exp,
            Some(ClaimValue::Invalid(Box::new(json!("1666648550"))))
        );
        assert_eq!(c.nbf, Some(ClaimValue::Invalid(Box::new(json!(true)))));
        assert_eq!(c.iat, Some(ClaimValue::Invalid(Box::new(json!([])))));
        assert_eq!(c.jti, Some(ClaimValue::Invalid(Box::new(json!({})))));
        assert_eq!(c.scopes, Some(ClaimValue::Invalid(Box::new(json!(["a"])))));
        assert_eq!(c.azp, Some(ClaimValue::Invalid(Box::new(Value::Null))));
        assert!(c.extra.is_empty());
        let back: JwtClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn audience_shapes() {
        assert_eq!(
            parse(r#"{"aud":"x"}"#).unwrap().aud,
            Some(ClaimValue::Valid(Audience::One("x".into())))
        );
        assert_eq!(
            parse(r#"{"aud":[]}"#).unwrap().aud,
            Some(ClaimValue::Valid(Audience::Many(vec![])))
        );
        assert_eq!(
            parse(r#"{"aud":{"a":1}}"#).unwrap().aud,
            Some(ClaimValue::Invalid(Box::new(json!({"a":1}))))
        );
        let a = Audience::Many(vec!["a".into(), "b".into()]);
        assert!(a.contains("b") && !a.contains("ab") && !a.contains(""));
    }

    #[test]
    fn duplicate_claims_are_rejected() {
        for dup in [
            r#"{"exp":1,"exp":2}"#,
            r#"{"sub":"a","iss":"x","sub":"a"}"#,
            r#"{"aud":"a","aud":["a"]}"#,
            r#"{"scopes":"a","scopes":"a"}"#,
            r#"{"role":1,"role":1}"#,
            r#"{"iat":1,"i\u0061t":1}"#,
        ] {
            assert!(
                parse(dup)
                    .unwrap_err()
                    .to_string()
                    .contains("duplicate member"),
                "{dup}"
            );
        }
    }

    #[test]
    fn non_objects_and_huge_numbers_are_errors() {
        for bad in ["null", "[]", "1", "\"x\"", r#"{"exp":1e400}"#, "{", "{}x"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numeric_date_millis_truncate_toward_zero() {
        assert_eq!(NumericDate(1.999).to_millis(), 1000);
        assert_eq!(NumericDate(-1.999).to_millis(), -1000);
        assert_eq!(NumericDate(-1e300).to_millis(), i64::MIN);
        assert_eq!(serde_json::to_string(&NumericDate(5.0)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&NumericDate(5.25)).unwrap(), "5.25");
        assert_eq!(serde_json::to_string(&NumericDate(1e20)).unwrap(), "1e+20");
    }
}
