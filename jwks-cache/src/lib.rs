//! Key resolution for Clerk JWT verification.
//!
//! The verifier asks one question: which public key verifies a token with this `kid` and `alg`?
//! [`KeyResolver`] answers it. [`PemKeyResolver`] serves a configured PEM key (networkless,
//! RS256, kid ignored), [`StaticJwksResolver`] a fixed JWKS document, and [`RemoteJwksResolver`]
//! a JWKS fetched through a [`JwksSource`] and cached for one instance: an immutable key set
//! swapped atomically, a 5-minute TTL, single-flight fetches, a cooldown against unknown-kid
//! floods, and stale-if-error with a bounded grace. [`VerifyingKey`] is one RSA key bound to one
//! [`Algorithm`], its verifier built once by a [`CryptoProvider`].
//!
//! # Crypto providers
//!
//! Signature checks go through the object-safe [`CryptoProvider`] trait. Two providers ship,
//! each behind its own cargo feature: `josekit` (OpenSSL; on by default) and `aws-lc-rs` (the
//! fastest, and already linked by reqwest's rustls). [`default_provider`] is josekit when its
//! feature is on, else aws-lc-rs. With neither feature the crate still compiles, and building a
//! key or resolver without an explicit provider fails with [`KeyError::NoCryptoProvider`]: a
//! run-time error when the verifier is built, not a compile error. Pass your own provider to the
//! `*_with` constructors, `with_provider` and [`RemoteJwksResolverBuilder::crypto_provider`].
//!
//! ```toml
//! # No OpenSSL: verify with aws-lc-rs only.
//! clerk-jwks-cache = { version = "0.1", default-features = false, features = ["aws-lc-rs"] }
//! ```
//!
//! Every JWKS resolver filters keys the same way: `kty` must be `RSA`; `use`, if present, `sig`;
//! `key_ops`, if present, must contain `verify`; the JWK's `alg`, if present, must equal the
//! token's; no private members; a modulus of 2048..=8192 bits, an odd exponent above 1 and below
//! 2^32, and no ROCA fingerprint. A key that fails is skipped with a `tracing` warning; two usable
//! keys with the token's kid are [`KeyError::AmbiguousKid`]. A token without a `kid` never matches
//! a JWKS key (Clerk's JavaScript SDK looks up the string `"undefined"`); it fails with
//! `jwk-kid-mismatch` for kid `undefined` and causes no fetch.
//!
//! This crate does not speak HTTP (`clerk-backend-api` implements [`JwksSource`]), does not
//! decode tokens or check claims (`clerk-token-verify` does), and keeps nothing process-wide.
//!
//! ```rust
//! use clerk_jwks_cache::{Algorithm, KeyError, KeyResolver, StaticJwksResolver};
//!
//! let json = r#"{"keys":[{"kty":"RSA","kid":"ins_1","use":"enc","n":"AQAB","e":"AQAB"}]}"#;
//! // The only key is for encryption, so the set cannot verify anything.
//! assert!(matches!(StaticJwksResolver::from_json(json), Err(KeyError::InvalidKey { .. })));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod der;
mod error;
mod jwk;
mod key;
mod key_set;
mod provider;
mod remote;
mod resolvers;
mod rsa_checks;

pub use clerk_token_types::{Algorithm, ErrorCode, Reason};

pub use crate::error::{KeyError, MISSING_KID, NO_SIGNING_KEYS_MESSAGE};
pub use crate::jwk::{Jwk, JwkSet};
pub use crate::key::VerifyingKey;
#[cfg(feature = "aws-lc-rs")]
pub use crate::provider::AwsLcRsProvider;
#[cfg(feature = "josekit")]
pub use crate::provider::JosekitProvider;
pub use crate::provider::{CryptoProvider, RsaPublicNumbers, SignatureVerifier, default_provider};
pub use crate::remote::{
    DEFAULT_STALE_GRACE, DEFAULT_TTL, DEFAULT_UNKNOWN_KID_COOLDOWN, JwksSource, RemoteJwksResolver,
    RemoteJwksResolverBuilder,
};
pub use crate::resolvers::{KeyResolver, PemKeyResolver, StaticJwksResolver};
pub use crate::rsa_checks::{MAX_RSA_BITS, MIN_RSA_BITS};
