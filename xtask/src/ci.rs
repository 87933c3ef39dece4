//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use crate::util::{Result, cargo, describe, run_status};
use std::path::Path;
use std::process::Command;

/// The steps, as `(title, command)`.
fn steps(root: &Path) -> Vec<(&'static str, Command)> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]);
    let mut test = cargo();
    test.args(["test", "--workspace", "--locked"]);
    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-Dwarnings");
    let mut all = vec![
        ("format", fmt),
        ("clippy", clippy),
        ("tests", test),
        ("docs", doc),
    ];
    for (_, c) in &mut all {
        c.current_dir(root);
    }
    all
}

pub(crate) fn command(root: &Path) -> Result<()> {
    for (title, mut cmd) in steps(root) {
        println!("== {title}: {}", describe(&cmd));
        run_status(&mut cmd)?;
    }
    println!("== public API listings: cargo xtask api --check");
    crate::api::command(root, true)?;
    println!("ci: all checks passed");
    Ok(())
}
