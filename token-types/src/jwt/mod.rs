//! Strict compact-JWS decoding ([`Jwt`]) and the typed header and claims.

mod claims;
mod decode;
mod header;
mod member;

pub use claims::{Audience, ClaimValue, JwtClaims, NumericDate};
pub use decode::{DEFAULT_MAX_TOKEN_BYTES, DecodeOptions, Jwt, encode_segment};
pub use header::JwtHeader;
