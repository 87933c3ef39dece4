//! Shared setup: an emulator with two machines (`worker` may call `api`).
#![allow(dead_code, unreachable_pub)]

use clerk_bapi_emulator::{Emulator, EmulatorHandle, MachineInfo};

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
}
