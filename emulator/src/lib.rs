//! A local emulator of Clerk's Backend API for machine-to-machine (M2M) tokens: a real axum HTTP
//! server on loopback that serves machines, M2M tokens (opaque and JWT, at both `/m2m_tokens` and
//! `/v1/m2m_tokens`), the instance JWKS, and minimal API key and OAuth token verification, with
//! Clerk's error bodies. It lets the SDK, its tests, its benchmarks and your own services' tests
//! run the whole M2M flow offline, and it adds what a test needs: fault injection per endpoint,
//! request counters, a movable clock and direct minting of deliberately wrong JWTs.
//!
//! It is not Clerk: state lives in memory for one process, only the endpoints this SDK uses
//! exist, and behaviour the Backend API spec leaves open is decided here and documented on the
//! item concerned (for example `revoked`/`expired` list filters select by equality).
//!
//! ```rust
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use clerk_bapi_emulator::{Emulator, Endpoint, Fault, MintSpec};
//!
//! let emu = Emulator::start().await.unwrap();
//! let callee = emu.create_machine("callee", &[]);
//! let caller = emu.create_machine("caller", &[&callee.id]);
//! // Point a Backend API client at emu.api_url() with caller.secret_key, or verify JWTs
//! // offline with emu.jwt_public_key_pem().
//! let expired = emu.mint_jwt(MintSpec::for_machine(&caller.id).expired());
//! emu.faults().set(Endpoint::Jwks, Fault::status(503).times(1));
//! assert_eq!(emu.counters().get(Endpoint::Jwks), 0);
//! # let _ = expired;
//! # }
//! ```
//!
//! Starting is instant. Every emulator has its own instance secret key, instance id, `kid`,
//! machines, tokens and secrets, but the RSA-2048 key material is shared by the emulators of a
//! process and generated once, when first needed (0.1 to 1 s of CPU). A test that needs signing
//! keys no other emulator has asks for them with [`EmulatorBuilder::fresh_signing_key`]; a
//! known key is set with [`EmulatorBuilder::signing_key_pem`].

#![forbid(unsafe_code)]

mod api_error;
mod error;
mod extract;
mod faults;
mod handle;
mod ids;
mod keys;
mod listen;
mod mint;
mod server;
mod state;

use clerk_token_types as tt;

pub use error::EmulatorError;
pub use faults::{Counters, Endpoint, Fault, FaultKind, Faults};
pub use handle::{
    Emulator, EmulatorBuilder, EmulatorHandle, MachineInfo, ServeInfo, generate_signing_key_pem,
};
pub use mint::MintSpec;
