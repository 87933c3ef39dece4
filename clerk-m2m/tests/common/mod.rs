//! Shared setup: an emulator with two machines (`worker` may call `api`) and configured
//! `MachineAuth` values.
#![allow(dead_code, unreachable_pub)]

use clerk_bapi_emulator::{Emulator, EmulatorHandle, MachineInfo};
use clerk_m2m::{AcceptsToken, MachineAuth, MachineAuthBuilder, RetryPolicy};

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

    /// The verifying side: instance secret key (JWKS) + the api machine's key, no retries.
    pub fn verifier_builder(&self) -> MachineAuthBuilder {
        MachineAuth::builder()
            .api_url(self.emu.api_url())
            .secret_key(self.emu.secret_key())
            .machine_secret_key(self.api.secret_key.clone())
            .retry(RetryPolicy::none())
    }

    pub fn verifier(&self) -> MachineAuth {
        self.verifier_builder().build().expect("builds")
    }

    pub fn verifier_accepting(&self, accepts: impl Into<AcceptsToken>) -> MachineAuth {
        self.verifier_builder()
            .accepts_token(accepts)
            .build()
            .expect("builds")
    }

    /// The minting side: the worker machine's key.
    pub fn worker_auth(&self) -> MachineAuth {
        MachineAuth::builder()
            .api_url(self.emu.api_url())
            .machine_secret_key(self.worker.secret_key.clone())
            .retry(RetryPolicy::none())
            .build()
            .expect("builds")
    }

    /// A new opaque M2M token of the worker, through the Backend API.
    pub async fn opaque(&self) -> String {
        self.worker_auth()
            .create_m2m_token(clerk_m2m::CreateM2MTokenParams::default())
            .await
            .expect("created")
            .token
            .expect("create returns the token")
    }
}
