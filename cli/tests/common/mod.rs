//! Shared setup: an emulator with two machines (`worker` may call `api`).
#![allow(dead_code, unreachable_pub)]

use clerk_bapi_emulator::{Emulator, EmulatorHandle, MachineInfo};
use tokio::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_clerk-m2m");

/// The binary with `args`, none of the user's `CLERK_*` settings, and `env` set; killed when
/// dropped so a failing test leaves no process behind.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for v in [
        "CLERK_SECRET_KEY",
        "CLERK_MACHINE_SECRET_KEY",
        "CLERK_JWT_KEY",
        "CLERK_API_URL",
        "CLERK_M2M_LOG",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.kill_on_drop(true);
    c
}

pub struct World {
    pub emu: EmulatorHandle,
    pub api: MachineInfo,
    pub worker: MachineInfo,
}

impl World {
    pub async fn new() -> Self {
        let emu = Emulator::start().await.expect("emulator starts");
        let api = emu.create_machine("api", &[]);
        let worker = emu.create_machine("worker", &[api.id.as_str()]);
        Self { emu, api, worker }
    }

    /// The emulator's URL and instance secret key, as the CLI reads them from the environment.
    pub fn instance_env(&self) -> InstanceEnv {
        InstanceEnv {
            api_url: self.emu.api_url(),
            secret_key: self.emu.secret_key().expose_secret().to_owned(),
        }
    }
}

/// Owns the values of [`World::instance_env`]; [`pairs`](Self::pairs) borrows them for `command`.
pub struct InstanceEnv {
    pub api_url: String,
    pub secret_key: String,
}

impl InstanceEnv {
    pub fn pairs(&self) -> [(&str, &str); 2] {
        [
            ("CLERK_API_URL", self.api_url.as_str()),
            ("CLERK_SECRET_KEY", self.secret_key.as_str()),
        ]
    }
}
