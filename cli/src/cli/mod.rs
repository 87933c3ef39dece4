//! Argument parsing and dispatch of the `clerk-m2m` commands.

mod demo;
mod inspect;
mod keys;
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
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Ok => Self::SUCCESS,
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
    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Rejected,
            message: message.into(),
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
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub(crate) fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage.into();
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(a) => demo::run(a).await,
            Command::Serve(a) => serve::run(a).await,
            Command::Create(a) => tokens::create(a).await,
            Command::List(a) => tokens::list(a).await,
            Command::Revoke(a) => tokens::revoke(a).await,
            Command::Inspect(a) => inspect::run(a),
            Command::Verify(a) => verify::run(a).await,
        }
    });
    match result {
        Ok(exit) => exit.into(),
        Err(f) => {
            eprintln!("error: {}", f.message);
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

/// Reads a token argument: the value itself, or the first non-empty line of stdin for `-`.
pub(crate) fn read_one_token(arg: Option<&str>) -> Result<String, Failure> {
    match arg {
        Some(t) if t != "-" => Ok(t.trim().to_owned()),
        _ => {
            let mut line = String::new();
            loop {
                line.clear();
                let n = std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
                if n == 0 {
                    return Err(Failure::usage("no token given (argument or stdin)"));
                }
                if !line.trim().is_empty() {
                    return Ok(line.trim().to_owned());
                }
            }
        }
    }
}

/// Prints one JSON value on a line.
pub(crate) fn print_json(v: &serde_json::Value) {
    println!("{v}");
}
