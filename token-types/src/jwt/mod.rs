//! Strict compact-JWS decoding ([`Jwt`]) and the typed header and claims.
//!
//! Decoding is serde_json and the `base64` crate: the header and claims have hand-written
//! visitors only to refuse a member name that appears twice (serde_json's own maps keep the last
//! one) and to keep mistyped claims for the verifier to report.

mod claims;
mod decode;
mod header;

use std::borrow::Cow;

use serde::Deserialize;

pub(crate) use claims::known_mask;
pub use claims::{Audience, ClaimValue, JwtClaims, NumericDate};
pub(crate) use decode::decode_with;
pub use decode::{DEFAULT_MAX_TOKEN_BYTES, DecodeOptions, Jwt, encode_segment};
pub use header::JwtHeader;

/// A member name: borrowed from the JSON text unless it has escapes (`"t\u0079p"`), so reading
/// the names a visitor matches on costs no allocation.
#[derive(Deserialize)]
struct MemberName<'a>(#[serde(borrow)] Cow<'a, str>);

/// The error for a member that appears twice. Names are cut short: they come from the token.
fn duplicate<E: serde::de::Error>(name: &str) -> E {
    let mut short: String = name.chars().take(32).collect();
    if short.len() < name.len() {
        short.push('…');
    }
    E::custom(format_args!("duplicate member {short:?}"))
}

/// The members of an object seen so far, among the first 16 known ones (a bit each), to refuse
/// duplicates without allocating; unknown members are checked by their map's own entry.
#[derive(Default)]
struct Seen(u16);

impl Seen {
    /// Marks member `bit`; an error if it was already seen.
    fn mark<E: serde::de::Error>(&mut self, bit: u8, name: &str) -> Result<(), E> {
        let mask = 1u16 << bit;
        if self.0 & mask != 0 {
            return Err(duplicate(name));
        }
        self.0 |= mask;
        Ok(())
    }
}

/// Inserts an unknown member, refusing a name already present.
fn insert_new<E: serde::de::Error>(
    map: &mut serde_json::Map<String, serde_json::Value>,
    name: Cow<'_, str>,
    value: serde_json::Value,
) -> Result<(), E> {
    match map.entry(name.into_owned()) {
        serde_json::map::Entry::Vacant(e) => {
            e.insert(value);
            Ok(())
        }
        serde_json::map::Entry::Occupied(e) => Err(duplicate(e.key())),
    }
}
