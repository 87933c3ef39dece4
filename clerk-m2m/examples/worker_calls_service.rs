//! A worker creates a short-lived M2M token with its machine secret key and calls another
//! service with it.
//!
//! ```text
//! CLERK_MACHINE_SECRET_KEY=ak_… cargo run -p clerk-m2m --example worker_calls_service -- http://127.0.0.1:3000/internal/report
//! ```

use clerk_m2m::{CreateM2MTokenParams, Expiration, MachineAuth, TokenFormat};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000/internal/report".into());

    let auth = MachineAuth::builder().from_env()?.build()?; // CLERK_MACHINE_SECRET_KEY

    let params = CreateM2MTokenParams {
        token_format: Some(TokenFormat::Jwt), // verifiable locally by the receiver
        seconds_until_expiration: Expiration::Seconds(300),
        ..Default::default()
    };
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
