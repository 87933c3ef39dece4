//! `bench-tokens` (hidden): mints distinct signed M2M JWTs with the emulator's key, for
//! `cargo xtask bench cli`. Every token is distinct so that no cache can answer for the
//! signature check being measured.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;
use clerk_bapi_emulator::{Emulator, MintSpec};

use super::out::stdout_error;
use super::{Exit, Failure};

#[derive(Debug, Args)]
pub(crate) struct BenchTokensArgs {
    /// How many tokens to print, one per line.
    #[arg(long, value_name = "N")]
    count: usize,
    /// Where to write the public key PEM that verifies them.
    #[arg(long, value_name = "FILE")]
    key_out: PathBuf,
}

pub(crate) async fn run(a: BenchTokensArgs) -> Result<Exit, Failure> {
    let emu = Emulator::start()
        .await
        .map_err(|e| Failure::usage(format!("cannot start the emulator: {e}")))?;
    let machine = emu.create_machine("bench", &[]);
    let keyed = emu.clone();
    // The first use generates the RSA key: off the runtime's threads.
    let pem = tokio::task::spawn_blocking(move || keyed.jwt_public_key_pem())
        .await
        .map_err(|e| Failure::usage(format!("cannot generate the signing key: {e}")))?;
    if pem.is_empty() {
        return Err(Failure::usage("cannot generate the signing key"));
    }
    std::fs::write(&a.key_out, pem)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", a.key_out.display())))?;

    // RSA signing is ~1 ms a token: sign on every core.
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let (emu2, id) = (emu.clone(), machine.id.clone());
    let tokens = tokio::task::spawn_blocking(move || {
        std::thread::scope(|s| {
            let parts: Vec<_> = (0..threads)
                .map(|t| {
                    let (emu, id) = (&emu2, &id);
                    let n = a.count / threads + usize::from(t < a.count % threads);
                    s.spawn(move || {
                        (0..n)
                            .map(|_| emu.mint_jwt(MintSpec::for_machine(id).expires_in(86_400)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_default())
                .collect::<Vec<_>>()
        })
    })
    .await
    .map_err(|e| Failure::usage(format!("minting failed: {e}")))?;
    emu.shutdown().await;
    if tokens.len() != a.count || tokens.iter().any(String::is_empty) {
        return Err(Failure::usage("minting failed"));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for t in &tokens {
        writeln!(out, "{t}").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(Exit::Ok)
}
