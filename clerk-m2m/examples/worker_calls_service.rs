//! A worker creates a short-lived M2M token with its machine secret key and calls another
//! service with it.
//!
//! ```text
//! CLERK_MACHINE_SECRET_KEY=ak_… cargo run -p clerk-m2m --example worker_calls_service -- http://127.0.0.1:3000/internal/report
//! ```

use std::time::Duration;

use clerk_m2m::{CreateM2MTokenParams, MachineAuth};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000/internal/report".into());

    let auth = MachineAuth::builder().from_env()?.build()?; // CLERK_MACHINE_SECRET_KEY

    // A JWT is verifiable locally by the receiver.
    let params = CreateM2MTokenParams::jwt().expires_in(Duration::from_secs(300));
    let created = auth.create_m2m_token(params).await?;
    let token = created.token.ok_or("the Backend API returned no token")?;

    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await?;
    println!("{} {}", resp.status(), resp.text().await?);
    Ok(())
}
