//! `clerk-m2m`: create, inspect and verify Clerk M2M tokens from the shell, run a local Backend
//! API emulator (`serve`), or see the whole job end to end (`demo`, no configuration needed).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
