//! Create and verify Clerk machine-to-machine (M2M) tokens from Rust.
//!
//! `clerk-m2m` is the crate SDK authors and services depend on. A [`MachineAuth`] value holds one
//! configuration (secret key, machine secret key, PEM public key, API URL, clock skew, audience,
//! authorized parties, expected machine, accepted token types): it creates M2M tokens through the
//! Clerk Backend API, verifies M2M JWTs locally (networkless with a PEM key, or with a cached
//! JWKS fetched once), verifies opaque `mt_…`, `oat_…` and `ak_…` tokens through the Backend API,
//! routes any machine token as Clerk's JavaScript SDK does, and authenticates HTTP requests by
//! their `Authorization` header. Behind the `axum` feature it gives a tower [`Layer`](MachineAuthLayer)
//! and an axum extractor; behind `emulator`, a local Backend API emulator for tests and demos.
//!
//! It is **not** a session-management SDK: it reads no cookies, runs no handshake and does not
//! wrap the Backend API beyond M2M tokens (use [`BackendApi`] for machines). Session JWTs are
//! verified only when you accept them explicitly.
//!
//! ```rust
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_bapi_emulator::Emulator;
//! use clerk_m2m::{CreateM2MTokenParams, MachineAuth, TokenFormat};
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
//! let params = CreateM2MTokenParams { token_format: Some(TokenFormat::Jwt), ..Default::default() };
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
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth_object;
mod auth_state;
mod bearer;
mod builder;
mod error;
#[cfg(feature = "axum")]
mod layer;
mod machine_auth;
mod opaque;
mod request;

pub use auth_object::{AuthObject, VerifiedToken, redact};
pub use auth_state::{
    AUTH_MESSAGE_HEADER, AUTH_REASON_HEADER, AUTH_STATUS_HEADER, AuthState, SignedOut,
    SignedOutReason,
};
pub use bearer::{bearer_token, parse_authorization};
pub use builder::MachineAuthBuilder;
pub use error::Error;
#[cfg(feature = "axum")]
pub use layer::{MachineAuthLayer, MachineAuthService, MissingAuthLayer};
pub use machine_auth::MachineAuth;
pub use opaque::{
    CachedVerdict, InProcessOpaqueCache, OpaqueGuardConfig, OpaqueGuardStats, OpaqueTokenCache,
    TokenKey,
};

// The lower crates, item by item (sqlx style).
pub use clerk_backend_api::{
    API_VERSION, ApiError, BackendApi, BackendApiBuilder, ClerkApiError, CreateM2MTokenParams,
    CreateMachineParams, DEFAULT_API_URL, Expiration, ListM2MTokensParams, M2MTokenList, M2MTokens,
    Machine, Machines, RetryPolicy, TokenFormat,
};
pub use clerk_jwks_cache::{
    Jwk, JwkSet, JwksSource, KeyError, KeyResolver, PemKeyResolver, RemoteJwksResolver,
    StaticJwksResolver, VerifyingKey,
};
pub use clerk_token_types::{
    API_KEY_PREFIX, AcceptsToken, Algorithm, ErrorCode, Jwt, JwtCategory, JwtClaims, JwtHeader,
    M2M_TOKEN_PREFIX, M2MToken, MACHINE_ID_PREFIX, MachineSecretKey, OAUTH_TOKEN_PREFIX, Reason,
    SecretKey, TokenType, classify, classify_jwt, is_jwt_format, machine_token_type_by_prefix,
};
pub use clerk_token_verify::{
    Check, Clock, DEFAULT_CLOCK_SKEW_MS, DecodeOptions, FixedClock, M2m, OAuth, OAuthAccessToken,
    Session, SessionClaims, Stage, SystemClock, Verifier, VerifyError,
};

/// The local Backend API emulator (crate `clerk-bapi-emulator`), for tests and demos.
#[cfg(feature = "emulator")]
pub use clerk_bapi_emulator as emulator;
