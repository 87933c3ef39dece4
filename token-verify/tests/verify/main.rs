//! Integration tests of the whole pipeline: one test binary (one link) for every suite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod attacks;
mod cache;
mod categories;
mod common;
mod deviations;
mod extension;
mod m2m;
mod messages;
mod oauth;
mod properties;
mod provider;
mod reference_verify_jwt;
mod session;
mod wycheproof;
