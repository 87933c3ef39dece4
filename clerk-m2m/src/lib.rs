//! Create and verify Clerk machine-to-machine (M2M) tokens from Rust.
//!
//! `clerk-m2m` is the crate SDK authors and services depend on. A [`MachineAuth`] value holds one
//! configuration (secret key, machine secret key, PEM public key, API URL, clock skew, audience,
//! authorized parties, expected machine, accepted token types): it creates M2M tokens through the
//! Clerk Backend API, verifies M2M JWTs locally (networkless with a PEM key, or with a cached
//! JWKS fetched once), verifies opaque `mt_…`, `oat_…` and `ak_…` tokens through the Backend API,
//! routes any machine token as Clerk's JavaScript SDK does, and authenticates HTTP requests by
//! their `Authorization` header. Behind the `tower` feature it gives a tower `Layer`
//! (`MachineAuthLayer`) for any `http` service, behind `axum` the axum extractors, and behind
//! `emulator` a local Backend API emulator for tests and demos.
//!
//! It is **not** a session-management SDK: it reads no cookies, runs no handshake and does not
//! wrap the Backend API beyond M2M tokens (use [`BackendApi`] for machines). Session JWTs are
//! verified only when you accept them explicitly.
//!
//! ```rust
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_bapi_emulator::Emulator;
//! use clerk_m2m::{CreateM2MTokenParams, MachineAuth};
//!
//! // A local Backend API: an instance with two machines, "worker" may call "api".
//! let emu = Emulator::start().await?;
//! let api_machine = emu.create_machine("api", &[]);
//! let worker = emu.create_machine("worker", &[api_machine.id.as_str()]);
//!
//! // The worker mints a JWT-format token with its machine secret key.
//! let worker_auth = MachineAuth::builder()
//!     .api_url(emu.api_url())
//!     .machine_secret_key(worker.secret_key.clone())
//!     .build()?;
//! let params = CreateM2MTokenParams::jwt();
//! let created = worker_auth.create_m2m_token(params).await?;
//! let token = created.token.expect("create returns the token");
//!
//! // The API verifies it locally, with the instance's PEM public key: no network at all.
//! let api_auth = MachineAuth::builder()
//!     .jwt_key(emu.jwt_public_key_pem())
//!     .expected_machine(api_machine.id.clone())
//!     .build()?;
//! let verified = api_auth.verify_m2m_token(&token).await?;
//! assert_eq!(verified.subject, worker.id);
//! # Ok(()) }
//! ```
//!
//! The lower crates are re-exported item by item, so one dependency is enough.
//!
//! # Cargo features
//!
//! The defaults, `josekit` and `rustls`, are what every user needs: verify JWT signatures and
//! call the Backend API over HTTPS. Nothing else is on by default, so a service that only
//! verifies tokens pulls no HTTP server, no CLI parser and no log subscriber.
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `josekit` | yes | The josekit (OpenSSL) [`CryptoProvider`]; the default provider when on. |
//! | `aws-lc-rs` | no | The aws-lc-rs provider: faster, and no OpenSSL with `default-features = false`. |
//! | `rustls` | yes | HTTPS to the Backend API through rustls (aws-lc-rs), reqwest's default. |
//! | `native-tls` | no | HTTPS through the platform's TLS (OpenSSL on Linux) instead. |
//! | `tower` | no | `MachineAuthLayer`, a tower `Layer` for any `http` service (axum, tonic, hyper). |
//! | `axum` | no | `tower`, plus the [`AuthObject`] and `Option<AuthObject>` axum extractors. |
//! | `emulator` | no | `clerk_m2m::emulator`, the local Backend API emulator, for your tests. |
//!
//! **Crypto provider.** With `josekit` on, josekit verifies signatures; with only `aws-lc-rs`,
//! aws-lc-rs does. [`MachineAuthBuilder::crypto_provider`] takes your own [`CryptoProvider`].
//! With neither feature the crate still compiles, and [`MachineAuthBuilder::build`] fails with
//! [`KeyError::NoCryptoProvider`] if it has JWTs to verify (PEM key or secret key) and no
//! provider: an error when the verifier is built, not at compile time.
//!
//! **TLS.** With neither `rustls` nor `native-tls`, the Backend API client speaks plain HTTP
//! only (enough for the emulator on loopback). To use HTTPS anyway, enable a TLS feature of
//! your own `reqwest` dependency (features unify) and pass your client with
//! [`BackendApiBuilder::http_client`].
//!
//! ```toml
//! # No OpenSSL at all: aws-lc-rs for signatures, rustls for HTTPS.
//! clerk-m2m = { version = "0.1", default-features = false, features = ["aws-lc-rs", "rustls"] }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The README's programs are compiled as doctests (the root README repeats them verbatim:
// tests/readme.rs checks that).
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod auth_object;
mod auth_state;
mod bearer;
mod builder;
mod error;
#[cfg(feature = "axum")]
mod extractor;
#[cfg(feature = "tower")]
mod layer;
mod local;
mod machine_auth;
mod opaque;
mod options;
mod request;

pub use auth_object::{AuthObject, VerifiedToken};
pub use auth_state::{
    AUTH_MESSAGE_HEADER, AUTH_REASON_HEADER, AUTH_STATUS_HEADER, AuthState, SignedOut,
    SignedOutReason,
};
pub use bearer::bearer_token;
pub use builder::MachineAuthBuilder;
pub use error::Error;
#[cfg(feature = "axum")]
pub use extractor::MissingAuthLayer;
#[cfg(feature = "tower")]
pub use layer::{MachineAuthLayer, MachineAuthService};
pub use machine_auth::MachineAuth;
pub use opaque::{
    CachedVerdict, InProcessOpaqueCache, OpaqueGuardConfig, OpaqueGuardStats, OpaqueTokenCache,
    TokenKey,
};
pub use options::AuthenticateOptions;

// The lower crates, item by item (sqlx style).
pub use clerk_backend_api::{
    API_VERSION, ApiError, ApiKey, BackendApi, BackendApiBuilder, ClerkApiError,
    CreateM2MTokenParams, CreateMachineParams, DEFAULT_API_URL, Expiration, IdPOAuthAccessToken,
    InactiveState, ListM2MTokensParams, M2MTokenList, M2MTokens, Machine, Machines, RetryPolicy,
    RevokeM2MTokenParams, TokenFormat,
};
#[cfg(feature = "aws-lc-rs")]
pub use clerk_jwks_cache::AwsLcRsProvider;
#[cfg(feature = "josekit")]
pub use clerk_jwks_cache::JosekitProvider;
pub use clerk_jwks_cache::{
    CryptoProvider, Jwk, JwkSet, JwksSource, KeyError, KeyResolver, PemKeyResolver,
    RemoteJwksResolver, RsaPublicNumbers, SignatureVerifier, StaticJwksResolver, VerifyingKey,
    default_provider,
};
pub use clerk_token_types::{
    API_KEY_PREFIX, AcceptsToken, Algorithm, ErrorCode, JwtCategory, JwtClaims, JwtHeader,
    M2M_TOKEN_PREFIX, M2MToken, MACHINE_ID_PREFIX, MachineSecretKey, OAUTH_TOKEN_PREFIX, Reason,
    SecretKey, TokenType, classify, classify_jwt, is_jwt_format, machine_token_type_by_prefix,
};
pub use clerk_token_verify::{
    CacheAdmission, Check, Clock, DEFAULT_CLOCK_SKEW_MS, DecodeOptions, FixedClock, M2m, OAuth,
    OAuthAccessToken, Session, SessionClaims, Stage, SystemClock, VerifiedTokenCache,
    VerifiedTokenCacheConfig, VerifiedTokenCacheStats, Verifier, VerifyError,
};

/// Reading a token **without verifying it**: its header and claims as the token says, with no
/// signature, key or claim check. For logs, routing and debugging tools, never for an access
/// decision; the name is there so that nobody reaches for it by accident (jsonwebtoken's
/// `dangerous` module has the same purpose). To verify, use [`MachineAuth`] or [`Verifier`].
pub mod dangerous {
    pub use clerk_token_types::Jwt;
    pub use clerk_token_types::dangerous::{
        insecure_decode, insecure_decode_owned, insecure_decode_with,
    };
}

/// The local Backend API emulator (crate `clerk-bapi-emulator`), for tests and demos.
#[cfg(feature = "emulator")]
pub use clerk_bapi_emulator as emulator;
