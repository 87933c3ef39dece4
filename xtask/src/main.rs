//! Workspace automation for clerk-m2m, run as `cargo xtask <command>`: the CI checks, changesets,
//! releases (versions, changelogs, packages) and public API listings. It is not published and
//! not a library; see docs/RELEASING.md for the release flow.

#![forbid(unsafe_code)]

mod api;
mod bench;
mod changeset;
mod ci;
mod release;
mod util;
mod version;
mod workspace;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::process::ExitCode;
use util::{Result, err};
use version::Level;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci                                  fmt --check, clippy -D warnings, tests, docs -Dwarnings, api --check
  api [--check]                       write api/<crate>.txt listings, or check them
  api --json FILE                     print the listing of one rustdoc JSON file
  changeset add --crate NAME=LEVEL [--crate ...] --message TEXT [--slug SLUG]
                                      LEVEL is major, minor or patch
  changeset status                    list pending changesets and the release they make
  release [--dry-run] [--allow-dirty] bump versions, write changelogs, run cargo package
  bench [--summary-only] [-- ARGS]    run the criterion benches and print one summary table
  bench cli [--tokens N] [--rss-tokens N] [--runs N] [--bin PATH]
            [--repeat-distinct N] [--repeat-lines N]
                                      time `clerk-m2m verify --json -` against openssl speed
                                      rsa2048 on one pinned core and on all cores; peak RSS;
                                      repeated tokens (20,000 over 1,000,000 lines) on one core
  bench pipeline [--rounds N] [--batch N]
                                      the verifier pipeline's throughput over its provider's bare
                                      RSA check, each provider, in interleaved rounds on one
                                      pinned core (target >= 0.90x)

The workspace root is the parent of xtask/, or $XTASK_WORKSPACE_ROOT when set.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    if let Some(r) = std::env::var_os("XTASK_WORKSPACE_ROOT") {
        return PathBuf::from(r);
    }
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), PathBuf::from)
}

fn run(args: &[String]) -> Result<()> {
    let root = root();
    let (cmd, rest) = args
        .split_first()
        .ok_or_else(|| err!("no command\n\n{USAGE}"))?;
    match cmd.as_str() {
        "ci" => {
            no_more(rest)?;
            ci::command(&root)
        }
        // Lists one rustdoc JSON file: for looking at what the listing makes of a crate.
        "api" if rest.first().is_some_and(|a| a == "--json") => {
            let file = rest.get(1).ok_or_else(|| err!("--json needs a file"))?;
            no_more(&rest[2..])?;
            print!(
                "{}",
                api::to_text(&api::listing(std::path::Path::new(file))?.lines)
            );
            Ok(())
        }
        "api" => {
            let check = flags(rest, &["--check"])?.contains(&"--check");
            api::command(&root, check)
        }
        "changeset" => changeset_command(&root, rest),
        "release" => {
            let f = flags(rest, &["--dry-run", "--allow-dirty"])?;
            release::command(
                &root,
                &release::Options {
                    dry_run: f.contains(&"--dry-run"),
                    allow_dirty: f.contains(&"--allow-dirty"),
                    date: util::today_utc(),
                    package: true,
                },
            )
        }
        "bench" if rest.first().is_some_and(|a| a == "pipeline") => {
            bench::pipeline_command(&root, &rest[1..])
        }
        "bench" if rest.first().is_some_and(|a| a == "cli") => {
            bench::cli_command(&root, &bench_cli_options(&rest[1..])?)
        }
        "bench" => {
            let (ours, extra) = match rest.iter().position(|a| a == "--") {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let summary_only = flags(ours, &["--summary-only"])?.contains(&"--summary-only");
            bench::command(&root, extra, summary_only)
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(err!("unknown command {other:?}\n\n{USAGE}")),
    }
}

fn bench_cli_options(args: &[String]) -> Result<bench::CliOptions> {
    let mut o = bench::CliOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| err!("{a} needs a value"));
        let mut number = || -> Result<usize> {
            let v = value()?;
            v.parse().map_err(|_| err!("{a}: not a number: {v:?}"))
        };
        match a.as_str() {
            "--tokens" => o.tokens = number()?.max(1),
            "--rss-tokens" => o.rss_tokens = number()?,
            "--runs" => o.runs = number()?.max(1),
            "--bin" => o.bin = Some(PathBuf::from(value()?)),
            "--repeat-distinct" => o.repeat_distinct = number()?,
            "--repeat-lines" => o.repeat_lines = number()?,
            other => return Err(err!("unexpected argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(o)
}

fn no_more(rest: &[String]) -> Result<()> {
    match rest.first() {
        Some(a) => Err(err!("unexpected argument {a:?}\n\n{USAGE}")),
        None => Ok(()),
    }
}

/// Boolean flags only; anything else is an error.
fn flags<'a>(rest: &[String], known: &[&'a str]) -> Result<Vec<&'a str>> {
    rest.iter()
        .map(|a| {
            known
                .iter()
                .find(|k| **k == a)
                .copied()
                .ok_or_else(|| err!("unexpected argument {a:?}\n\n{USAGE}"))
        })
        .collect()
}

fn changeset_command(root: &std::path::Path, args: &[String]) -> Result<()> {
    let dir = root.join(".changeset");
    match args.split_first() {
        Some((sub, rest)) if sub == "add" => {
            let mut releases = Vec::new();
            let mut message = None;
            let mut slug = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                let mut value = |name: &str| {
                    it.next()
                        .cloned()
                        .ok_or_else(|| err!("{name} needs a value"))
                };
                match a.as_str() {
                    "--crate" => {
                        let v = value("--crate")?;
                        let (name, level) = v.split_once('=').ok_or_else(|| {
                            err!("--crate takes NAME=major|minor|patch, not {v:?}")
                        })?;
                        releases.push((name.trim().to_owned(), Level::parse(level)?));
                    }
                    "--message" | "-m" => message = Some(value("--message")?),
                    "--slug" => slug = Some(value("--slug")?),
                    other => return Err(err!("unexpected argument {other:?}\n\n{USAGE}")),
                }
            }
            let message = message.ok_or_else(|| err!("--message TEXT is required"))?;
            let ws = workspace::Workspace::load(root)?;
            for (name, _) in &releases {
                check_releasable(&ws, name)?;
            }
            let path = changeset::add(&dir, &releases, &message, slug.as_deref())?;
            println!("wrote {}", path.display());
            Ok(())
        }
        Some((sub, rest)) if sub == "status" => {
            no_more(rest)?;
            let ws = workspace::Workspace::load(root)?;
            let all = changeset::load_all(&dir)?;
            if all.is_empty() {
                println!("no pending changesets");
                return Ok(());
            }
            println!("{} pending changesets:", all.len());
            for cs in &all {
                let crates: Vec<String> = cs
                    .releases
                    .iter()
                    .map(|(n, l)| format!("{n} {}", l.as_str()))
                    .collect();
                let first = cs.body.lines().next().unwrap_or("");
                println!("  {}: {} - {first}", cs.slug, crates.join(", "));
            }
            // plan() validates every crate name against the workspace.
            print!("{}", release::render_plan(&release::plan(&ws, &all)?));
            Ok(())
        }
        _ => Err(err!("usage: cargo xtask changeset add|status\n\n{USAGE}")),
    }
}

fn check_releasable(ws: &workspace::Workspace, name: &str) -> Result<()> {
    match ws.get(name) {
        Some(p) if p.publish => Ok(()),
        Some(_) => Err(err!("{name} has `publish = false` and is never released")),
        None => {
            let names: Vec<&str> = ws
                .packages
                .iter()
                .filter(|p| p.publish)
                .map(|p| p.name.as_str())
                .collect();
            Err(err!(
                "no workspace crate {name:?}; crates: {}",
                names.join(", ")
            ))
        }
    }
}
