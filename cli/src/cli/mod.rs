//! Argument parsing and dispatch of the `clerk-m2m` commands.

mod batch;
mod bench_tokens;
mod demo;
mod inspect;
mod keys;
mod lines;
mod out;
mod serve;
mod tokens;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes: 0 success, 1 a token was rejected (or a Backend API call failed), 2 usage or
/// configuration error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok,
    Rejected,
    Usage,
    /// stdout was closed (`clerk-m2m verify - | head -1`): stop quietly with success, as
    /// ripgrep does.
    BrokenPipe,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Ok | Exit::BrokenPipe => Self::SUCCESS,
            Exit::Rejected => Self::from(1),
            Exit::Usage => Self::from(2),
        }
    }
}

/// A failure of a command: what to print on stderr and how to exit.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }
    pub(crate) fn broken_pipe() -> Self {
        Self {
            exit: Exit::BrokenPipe,
            message: String::new(),
        }
    }
}

impl From<clerk_m2m::Error> for Failure {
    fn from(e: clerk_m2m::Error) -> Self {
        let exit = if e.is_rejection() {
            Exit::Rejected
        } else {
            Exit::Usage
        };
        Self {
            exit,
            message: format!("{} (code={}, reason={})", e, e.code(), e.reason()),
        }
    }
}

/// Create and verify Clerk machine-to-machine (M2M) tokens.
///
/// Secrets come from flags or the environment (CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY,
/// CLERK_JWT_KEY, CLERK_API_URL) and are never printed. Try `clerk-m2m demo` first: it needs no
/// configuration.
#[derive(Debug, Parser)]
#[command(name = "clerk-m2m", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole job against an in-process emulator: create machines, mint opaque and JWT
    /// tokens, verify them (JWTs networklessly), reject bad ones, revoke; print a summary.
    Demo(demo::DemoArgs),
    /// Run the Backend API emulator until Ctrl-C, after printing one JSON line with its URL,
    /// keys and two machines that may call each other.
    Serve(serve::ServeArgs),
    /// Create an M2M token (needs the machine secret key) and print it as JSON.
    Create(tokens::CreateArgs),
    /// List a machine's opaque M2M tokens as JSON.
    List(tokens::ListArgs),
    /// Revoke an opaque M2M token by id.
    Revoke(tokens::RevokeArgs),
    /// Decode a token WITHOUT verifying it: detected type, header, claims, and what
    /// verification would check.
    Inspect(inspect::InspectArgs),
    /// Verify tokens (argument, or one per line on stdin); exit 0 if all verified, 1 if any was
    /// rejected, 2 on a usage or configuration error.
    Verify(verify::VerifyArgs),
    /// Mint distinct signed M2M JWTs and write their public key (for `cargo xtask bench cli`).
    #[command(hide = true)]
    BenchTokens(bench_tokens::BenchTokensArgs),
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
/// Every `MachineAuth` of the CLI: the aws-lc-rs provider, the fastest measured here
/// (`cargo xtask bench`: raw RS256 verify 21.7 µs against josekit's 26.3 µs on one core). Named
/// explicitly so that a workspace build, where features unify and josekit is on, verifies with
/// aws-lc-rs too.
pub(crate) fn machine_auth() -> clerk_m2m::MachineAuthBuilder {
    clerk_m2m::MachineAuth::builder()
        .crypto_provider(std::sync::Arc::new(clerk_m2m::AwsLcRsProvider::new()))
}

pub(crate) fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out::error_line(&format!("error: cannot start the async runtime: {e}"));
            return Exit::Usage.into();
        }
    };
    let result = match cli.command {
        Command::Demo(a) => runtime.block_on(demo::run(a)),
        Command::Serve(a) => runtime.block_on(serve::run(a)),
        Command::Create(a) => runtime.block_on(tokens::create(a)),
        Command::List(a) => runtime.block_on(tokens::list(a)),
        Command::Revoke(a) => runtime.block_on(tokens::revoke(a)),
        Command::Inspect(a) => inspect::run(a),
        Command::BenchTokens(a) => runtime.block_on(bench_tokens::run(a)),
        // Batch verification runs its own threads and uses the runtime only for network calls.
        Command::Verify(a) => verify::run(a, &runtime),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(f) if f.exit == Exit::BrokenPipe => Exit::BrokenPipe.into(),
        Err(f) => {
            // Messages carry Backend API text (message, code, trace id): escaped.
            out::error_line(&format!("error: {}", out::escape(&f.message)));
            f.exit.into()
        }
    }
}

/// Logs go to stderr, filtered by `CLERK_M2M_LOG` (e.g. `clerk_m2m=debug`); off by default.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLERK_M2M_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Reads a token argument: the value itself, or the first non-empty line of stdin for `-`
/// (at most [`lines::DEFAULT_MAX_LINE`] bytes: a longer line is not a token).
pub(crate) fn read_one_token(arg: Option<&str>) -> Result<String, Failure> {
    if let Some(t) = arg.filter(|t| *t != "-") {
        return Ok(t.trim().to_owned());
    }
    let mut lines =
        lines::LineReader::new(std::io::stdin().lock(), lines::DEFAULT_MAX_LINE as usize);
    loop {
        let line = lines
            .next_line(|| Ok(()))
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        match line {
            None => return Err(Failure::usage("no token given (argument or stdin)")),
            Some(lines::Line::TooLong) => {
                return Err(Failure::usage(format!(
                    "the stdin line is longer than {} bytes: not a token",
                    lines::DEFAULT_MAX_LINE
                )));
            }
            Some(lines::Line::Bytes(b)) => {
                let s = std::str::from_utf8(b)
                    .map_err(|_| Failure::usage("the token on stdin is not valid UTF-8"))?;
                if !s.trim().is_empty() {
                    return Ok(s.trim().to_owned());
                }
            }
        }
    }
}

/// Prints one JSON value on a line.
pub(crate) fn print_json(v: &serde_json::Value) -> Result<(), Failure> {
    out::line(&v.to_string())
}
