//! Protect an axum route so that only Clerk M2M tokens scoped to this machine get in.
//!
//! ```text
//! CLERK_SECRET_KEY=sk_… CLERK_MACHINE_ID=mch_… cargo run -p clerk-m2m --example protect_axum_route
//! ```
//! Set `CLERK_JWT_KEY` (the instance PEM public key) as well and JWT tokens verify with no
//! network at all. Try it locally against `clerk-m2m serve`.

use axum::{Router, routing::get};
use clerk_m2m::{AuthObject, MachineAuth};

/// The handler gets the verified caller; unauthenticated requests never reach it (they get 401
/// with the `x-clerk-auth-*` headers).
async fn report(caller: AuthObject) -> String {
    format!("hello, {} (token {})", caller.subject(), caller.id())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = MachineAuth::builder()
        .from_env()? // CLERK_SECRET_KEY, CLERK_JWT_KEY, CLERK_MACHINE_SECRET_KEY, CLERK_API_URL
        .expected_machine(std::env::var("CLERK_MACHINE_ID")?) // refuse tokens minted for others
        .build()?;

    let app = Router::new()
        .route("/internal/report", get(report))
        .layer(auth.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
