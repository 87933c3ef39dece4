//! The credential flags shared by the commands, and turning them into a `MachineAuth`.

use clap::Args;
use clerk_m2m::{MachineAuth, MachineAuthBuilder, MachineSecretKey, SecretKey};

use super::Failure;

/// Backend API credentials. Values from flags or the environment are never printed (not even by
/// `--help`).
#[derive(Debug, Args, Clone)]
pub(crate) struct KeyArgs {
    /// The instance secret key (sk_…).
    #[arg(
        long,
        env = "CLERK_SECRET_KEY",
        hide_env_values = true,
        value_name = "SK"
    )]
    pub(crate) secret_key: Option<String>,
    /// The machine secret key (ak_…).
    #[arg(
        long,
        env = "CLERK_MACHINE_SECRET_KEY",
        hide_env_values = true,
        value_name = "AK"
    )]
    pub(crate) machine_secret_key: Option<String>,
    /// The Backend API URL [default: https://api.clerk.com].
    #[arg(long, env = "CLERK_API_URL", value_name = "URL")]
    pub(crate) api_url: Option<String>,
}

impl KeyArgs {
    /// A builder with these credentials (parsed, never echoed).
    pub(crate) fn builder(&self) -> Result<MachineAuthBuilder, Failure> {
        let mut b = super::machine_auth();
        if let Some(k) = self.secret_key.as_deref().filter(|k| !k.is_empty()) {
            let key = SecretKey::new(k)
                .map_err(|e| Failure::usage(format!("--secret-key / CLERK_SECRET_KEY: {e}")))?;
            b = b.secret_key(key);
        }
        if let Some(k) = self.machine_secret_key.as_deref().filter(|k| !k.is_empty()) {
            let key = MachineSecretKey::new(k).map_err(|e| {
                Failure::usage(format!(
                    "--machine-secret-key / CLERK_MACHINE_SECRET_KEY: {e}"
                ))
            })?;
            b = b.machine_secret_key(key);
        }
        if let Some(url) = self.api_url.as_deref().filter(|u| !u.is_empty()) {
            b = b.api_url(url);
        }
        Ok(b)
    }

    /// The machine secret key, required (for `create`).
    pub(crate) fn require_machine_key(&self) -> Result<(), Failure> {
        if self.machine_secret_key.as_deref().is_none_or(str::is_empty) {
            return Err(Failure::usage(
                "creating a token needs the machine secret key: --machine-secret-key or CLERK_MACHINE_SECRET_KEY",
            ));
        }
        Ok(())
    }

    /// Either key, required (for `list` and `revoke`).
    pub(crate) fn require_any_key(&self) -> Result<(), Failure> {
        let set = |k: &Option<String>| k.as_deref().is_some_and(|k| !k.is_empty());
        if !set(&self.secret_key) && !set(&self.machine_secret_key) {
            return Err(Failure::usage(
                "this command needs --secret-key (CLERK_SECRET_KEY) or --machine-secret-key (CLERK_MACHINE_SECRET_KEY)",
            ));
        }
        Ok(())
    }
}

/// Builds, mapping a configuration error to exit code 2.
pub(crate) fn build(b: MachineAuthBuilder) -> Result<MachineAuth, Failure> {
    b.build().map_err(|e| Failure::usage(e.to_string()))
}
