//! `serve`: the Backend API emulator as a process, for trying the CLI or another SDK against it.

use std::net::SocketAddr;

use clap::Args;
use clerk_bapi_emulator::Emulator;

use super::{Exit, Failure, out};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the JSON line says which).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
}

pub(crate) async fn run(a: ServeArgs) -> Result<Exit, Failure> {
    let emu = Emulator::builder()
        .addr(a.addr)
        .start()
        .await
        .map_err(|e| Failure::usage(format!("cannot start the emulator on {}: {e}", a.addr)))?;
    // The emulator's own warning is a tracing event, which the CLI does not show unless
    // CLERK_M2M_LOG asks; anyone exposing it to the network must see this one.
    if !a.addr.ip().is_loopback() {
        eprintln!(
            "clerk-m2m: WARNING: the emulator is listening on {}, reachable from the network. \
             Its secret keys, API key, OAuth token and signing keys are TEST KEYS printed in \
             clear, anyone who can reach it can mint tokens, and nothing is persisted. Bind \
             127.0.0.1 unless you know why not.",
            emu.api_url()
        );
    }
    emu.bootstrap_demo_machines();
    // The one line a script reads: URL, instance keys, the two machines, an API key and an
    // OAuth token (secrets included: they are the emulator's throwaway keys, printed on
    // purpose).
    let line = emu.serve_info().to_json().to_string();
    out::line(&line)?;
    out::error_line(&format!(
        "clerk-m2m: emulator listening on {} (Ctrl-C to stop)",
        emu.api_url()
    ));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::usage(format!("cannot wait for Ctrl-C: {e}")))?;
    emu.shutdown().await;
    Ok(Exit::Ok)
}
