//! `create`, `list` and `revoke`: the M2M token endpoints of the Backend API.

use std::time::Duration;

use clap::{Args, ValueEnum};
use clerk_m2m::{
    CreateM2MTokenParams, Expiration, ListM2MTokensParams, RevokeM2MTokenParams, TokenFormat,
};
use serde_json::json;

use super::keys::{KeyArgs, build};
use super::{Exit, Failure, print_json};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// An opaque `mt_…` token, verified by the Backend API.
    Opaque,
    /// A JWT, verifiable locally.
    Jwt,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    keys: KeyArgs,
    /// Token format.
    #[arg(long, value_enum, default_value = "opaque")]
    format: Format,
    /// Lifetime in seconds, or `never` [default: the machine's default TTL].
    #[arg(long, value_name = "SECONDS|never")]
    expires_in: Option<String>,
    /// Custom claims, a JSON object.
    #[arg(long, value_name = "JSON")]
    claims: Option<String>,
    /// Reuse a live opaque token with at least this many seconds left (server-side).
    #[arg(long, value_name = "SECONDS")]
    min_remaining_ttl: Option<u64>,
}

pub(crate) async fn create(a: CreateArgs) -> Result<Exit, Failure> {
    a.keys.require_machine_key()?;
    let auth = build(a.keys.builder()?)?;
    let expiration = match a.expires_in.as_deref() {
        None => Expiration::MachineDefault,
        Some("never") => Expiration::Never,
        Some(s) => Expiration::After(Duration::from_secs(s.parse().map_err(|_| {
            Failure::usage(format!(
                "--expires-in: expected seconds or `never`, got {s:?}"
            ))
        })?)),
    };
    let claims = match a.claims.as_deref() {
        None => None,
        Some(c) => {
            let v: serde_json::Value = serde_json::from_str(c)
                .map_err(|e| Failure::usage(format!("--claims: not JSON: {e}")))?;
            if !v.is_object() {
                return Err(Failure::usage("--claims: expected a JSON object"));
            }
            Some(v)
        }
    };
    let mut params = CreateM2MTokenParams::new()
        .token_format(match a.format {
            Format::Opaque => TokenFormat::Opaque,
            Format::Jwt => TokenFormat::Jwt,
        })
        .expiration(expiration);
    if let Some(claims) = claims {
        params = params.claims(claims);
    }
    if let Some(secs) = a.min_remaining_ttl {
        params = params.min_remaining_ttl(Duration::from_secs(secs));
    }
    let token = auth.create_m2m_token(params).await?;
    print_json(&serde_json::to_value(&token).unwrap_or_default())?;
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    keys: KeyArgs,
    /// The machine whose tokens to list (mch_…).
    #[arg(long, value_name = "MACHINE_ID")]
    subject: String,
    /// Only revoked tokens.
    #[arg(long)]
    revoked: bool,
    /// Only expired tokens.
    #[arg(long)]
    expired: bool,
    /// Page size (1..=100).
    #[arg(long)]
    limit: Option<u32>,
    /// Offset.
    #[arg(long)]
    offset: Option<u32>,
}

pub(crate) async fn list(a: ListArgs) -> Result<Exit, Failure> {
    a.keys.require_any_key()?;
    let auth = build(a.keys.builder()?)?;
    let mut params = ListM2MTokensParams::new(a.subject);
    params.revoked = a.revoked.then_some(true);
    params.expired = a.expired.then_some(true);
    params.limit = a.limit;
    params.offset = a.offset;
    let list = auth.list_m2m_tokens(params).await?;
    print_json(&json!({ "m2m_tokens": list.m2m_tokens, "total_count": list.total_count }))?;
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    keys: KeyArgs,
    /// The token id (mt_…), not the token itself.
    id: String,
    /// Why (stored with the token).
    #[arg(long)]
    reason: Option<String>,
}

pub(crate) async fn revoke(a: RevokeArgs) -> Result<Exit, Failure> {
    a.keys.require_any_key()?;
    let auth = build(a.keys.builder()?)?;
    let params = match a.reason {
        Some(reason) => RevokeM2MTokenParams::new().reason(reason),
        None => RevokeM2MTokenParams::new(),
    };
    let token = auth.revoke_m2m_token(&a.id, params).await?;
    print_json(&serde_json::to_value(&token).unwrap_or_default())?;
    Ok(Exit::Ok)
}
