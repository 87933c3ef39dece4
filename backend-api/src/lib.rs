//! A typed client for Clerk's Backend API, the part machine-to-machine (M2M) authentication
//! needs: create, list, revoke and verify M2M tokens, manage machines and their scopes and
//! secret keys, fetch the instance JWKS (and serve it to `clerk-jwks-cache` as a
//! [`JwksSource`](clerk_jwks_cache::JwksSource)), and verify API keys and OAuth access tokens.
//! It speaks the wire format of Backend API version 2026-05-12 at the paths Clerk's JavaScript
//! SDK uses, maps Clerk's error bodies to [`ApiError`], retries transient failures with jittered
//! exponential backoff (never retrying a create unless asked), bounds every attempt with a
//! timeout and every response with a size cap, and checks ids and arguments before any I/O.
//!
//! It is not a verifier of JWTs (that is `clerk-token-verify`, fed by `clerk-jwks-cache`), not
//! a request authenticator (`clerk-m2m`), and not a general Clerk SDK: users, sessions and
//! organisations are out of scope.
//!
//! TLS comes from reqwest, chosen by a feature: `rustls` (default) or `native-tls`. With
//! neither, the client speaks plain HTTP only (enough for an emulator on loopback); that build
//! is allowed rather than a compile error because [`BackendApiBuilder::http_client`] accepts
//! your own `reqwest::Client`, and a TLS feature of your own `reqwest` dependency turns TLS on
//! for it (features unify).
//!
//! ```rust
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_backend_api::{BackendApi, CreateM2MTokenParams};
//!
//! // A local emulator of the Backend API stands in for https://api.clerk.com here.
//! let emu = clerk_bapi_emulator::Emulator::start().await?;
//! let callee = emu.create_machine("orders-api", &[]);
//! let caller = emu.create_machine("billing-worker", &[&callee.id]);
//!
//! let worker = BackendApi::builder().api_url(emu.api_url()).machine_secret_key(caller.secret_key).build()?;
//! let token = worker.m2m_tokens().create(CreateM2MTokenParams::new()).await?;
//!
//! let service = BackendApi::builder().api_url(emu.api_url()).machine_secret_key(callee.secret_key).build()?;
//! let verified = service.m2m_tokens().verify(token.token.as_deref().unwrap_or_default(), None).await?;
//! assert_eq!(verified.subject, caller.id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod client;
mod error;
mod jwks;
mod m2m;
mod machines;
mod num;
mod path;
mod retry;
mod sibling_verify;
mod transport;

pub use client::{
    API_VERSION, API_VERSION_HEADER, BackendApi, BackendApiBuilder, DEFAULT_API_URL,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{ApiError, ClerkApiError, InactiveState};
pub use m2m::{
    CreateM2MTokenParams, Expiration, ListM2MTokensParams, M2MTokenList, M2MTokens,
    RevokeM2MTokenParams, TokenFormat,
};
pub use machines::{
    CreateMachineParams, DeletedObject, ListMachinesParams, Machine, MachineList, MachineScope,
    MachineSecret, Machines, ScopedMachine, UpdateMachineParams,
};
pub use retry::RetryPolicy;
pub use sibling_verify::{ApiKey, IdPOAuthAccessToken};
