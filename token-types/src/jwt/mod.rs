//! Strict compact-JWS decoding ([`Jwt`]) and the typed header and claims.

mod b64;
pub(crate) use b64::all_url_safe;
mod claims;
mod decode;
mod flat;
mod header;
mod member;

pub(crate) use claims::known_mask;
pub use claims::{Audience, ClaimValue, JwtClaims, NumericDate};
pub use decode::{DEFAULT_MAX_TOKEN_BYTES, DecodeOptions, Jwt, encode_segment};
pub use header::JwtHeader;
