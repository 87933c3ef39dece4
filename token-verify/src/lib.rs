//! The Clerk token verifier: a pipeline of small, named steps that turns a token string into a
//! verified [`M2MToken`], [`OAuthAccessToken`] or [`SessionClaims`], or into a [`VerifyError`]
//! that says exactly why not, with the codes, reasons and message texts of Clerk's JavaScript
//! SDK. The steps, in order: decode (with a size cap), header rules (`cat`, `typ`, the RS256/384/512
//! allow-list, and no `crit`, embedded keys or nested JWTs), key ([`KeyResolver`]), signature,
//! claim rules (`sub`, `aud`, `azp`, `exp`, `nbf`, `iat`, optional `iss` and machine scoping),
//! mapping. Each is a public function in [`steps`]; [`Check`]s add the user's own.
//!
//! It is not a key store or an HTTP client (keys come from `clerk-jwks-cache`), it does not route
//! opaque `mt_`/`oat_`/`ak_` tokens to the Backend API, and it decides nothing about requests
//! (that is `clerk-m2m`).
//!
//! Where Clerk's JavaScript SDK is unsound we are stricter, and say so on the item: header rules
//! all run before any key lookup; any `crit`, `jku`, `x5u`, `x5c`, `jwk` or `cty: JWT` is rejected;
//! a configured audience requires an `aud`; the session preset accepts only session (or IGNORE)
//! categories; the M2M preset requires a `mch_` subject.
//!
//! ```rust
//! use std::sync::Arc;
//! use clerk_jwks_cache::PemKeyResolver;
//! use clerk_token_verify::{FixedClock, Reason, Verifier};
//!
//! # fn sign(claims: &str) -> String {
//! #     use base64::Engine as _;
//! #     use josekit::jws::{JwsSigner as _, RS256};
//! #     let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
//! #     let input = format!("{}.{}", b64(br#"{"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD333AAA"}"#), b64(claims.as_bytes()));
//! #     let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.key.pem"));
//! #     let sig = RS256.signer_from_pem(key).unwrap().sign(input.as_bytes()).unwrap();
//! #     format!("{input}.{}", b64(&sig))
//! # }
//! let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
//! let verifier = Verifier::m2m(Arc::new(PemKeyResolver::new(pem)?))
//!     .with_clock(Arc::new(FixedClock(1_666_648_250_000)));
//!
//! let token = sign(r#"{"sub":"mch_2vYV","aud":["mch_1"],"exp":1666648550,"iat":1666648250,"jti":"mt_1"}"#);
//! # let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! # rt.block_on(async {
//! let m2m = verifier.verify(&token).await.unwrap();
//! assert_eq!((m2m.id.as_str(), m2m.subject.as_str()), ("mt_1", "mch_2vYV"));
//! assert_eq!(m2m.scopes, ["mch_1"]);
//!
//! let expired = sign(r#"{"sub":"mch_2vYV","exp":1666648240,"iat":1666648000}"#);
//! let err = verifier.verify(&expired).await.unwrap_err();
//! assert_eq!(err.reason(), Reason::TokenExpired);
//! assert_eq!(
//!     err.to_string(),
//!     "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:40 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
//! );
//! # });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod cache;
mod check;
mod clock;
mod error;
mod js_json;
mod output;
mod preset;
pub mod steps;
mod verifier;

pub use cache::{
    CacheAdmission, DEFAULT_CACHE_MAX_ENTRIES, DEFAULT_CACHE_MAX_LIFETIME,
    DEFAULT_CACHE_MAX_TOKEN_BYTES, DEFAULT_NEGATIVE_CACHE_LIFETIME,
    DEFAULT_NEGATIVE_CACHE_MAX_ENTRIES, VerifiedTokenCache, VerifiedTokenCacheConfig,
    VerifiedTokenCacheStats,
};
pub use check::{Check, Stage};
pub use clerk_jwks_cache::{CryptoProvider, KeyResolver};
pub use clerk_token_types::{DecodeOptions, ErrorCode, Jwt, M2MToken, Reason, TokenType};
pub use clock::{Clock, ClockSkew, DEFAULT_CLOCK_SKEW_MS, FixedClock, SystemClock};
pub use error::VerifyError;
pub use output::{OAuthAccessToken, SessionClaims};
pub use preset::{M2m, OAuth, Preset, Session};
pub use verifier::Verifier;
