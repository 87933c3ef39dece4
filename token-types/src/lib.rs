//! The vocabulary every `clerk-m2m` crate speaks about Clerk machine tokens: token types and
//! prefixes, JWT categories, the supported algorithms, strict decoding of compact JWTs into a
//! typed header and claims, the Backend API's [`M2MToken`] object (and its mapping from verified
//! claims), redacting secret-key newtypes, and the shared [`ErrorCode`]/[`Reason`] vocabulary.
//! Behaviour and message texts follow Clerk's JavaScript backend SDK, stricter where it is loose.
//!
//! It is not a verifier: [`dangerous::insecure_decode`] checks form, never signatures or time
//! claims (that is `clerk-token-verify`), and the crate does no I/O and holds no keys.
//!
//! ```rust
//! use clerk_token_types::{classify, dangerous, encode_segment, JwtCategory, TokenType};
//! let token = format!(
//!     "{}.{}.{}",
//!     encode_segment(br#"{"alg":"RS256","cat":"cl_B7d4PD333AAA"}"#),
//!     encode_segment(br#"{"sub":"mch_2vYV","iat":1666648250}"#),
//!     encode_segment(b"signature"),
//! );
//! assert_eq!(classify(&token), Some(TokenType::M2MToken));
//! assert_eq!(dangerous::insecure_decode(&token)?.header().cat, JwtCategory::M2M);
//! # Ok::<(), clerk_token_types::Error>(())
//! ```
#![forbid(unsafe_code)]

mod algorithm;
mod category;
pub mod dangerous;
mod error;
mod jwt;
mod m2m_token;
mod prefix;
mod secret;
mod time;
mod token_type;

pub use algorithm::Algorithm;
pub use category::{
    JWT_CATEGORY_IGNORE, JWT_CATEGORY_JWT_TEMPLATE, JWT_CATEGORY_M2M_TOKEN,
    JWT_CATEGORY_SESSION_TOKEN, JwtCategory,
};
pub use error::{Error, ErrorCode, Reason, Segment, action};
pub use jwt::{
    Audience, ClaimValue, DEFAULT_MAX_TOKEN_BYTES, DecodeOptions, Jwt, JwtClaims, JwtHeader,
    NumericDate, encode_segment,
};
pub use m2m_token::M2MToken;
pub use prefix::{
    API_KEY_PREFIX, M2M_TOKEN_PREFIX, MACHINE_ID_PREFIX, OAUTH_ACCESS_TOKEN_TYPES,
    OAUTH_TOKEN_PREFIX, classify, classify_decoded, classify_jwt, is_jwt_format,
    machine_token_type_by_prefix,
};
pub use secret::{MachineSecretKey, SecretKey};
pub use time::format_utc;
pub use token_type::{AcceptsToken, TokenType};
