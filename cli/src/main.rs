//! `clerk-m2m`: create, inspect and verify Clerk M2M tokens from the shell, run a local Backend
//! API emulator (`serve`), or see the whole job end to end (`demo`, no configuration needed).
#![forbid(unsafe_code)]
// The doc comments of this binary are clap's help text, printed to a terminal as written: a bare
// URL reads better there than rustdoc's `<...>` autolink syntax.
#![allow(rustdoc::bare_urls)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
