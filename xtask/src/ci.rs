//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.
//!
//! After the workspace-wide steps comes the feature matrix, read from `cargo metadata` so a new
//! feature is covered without editing this file: every published library with features is
//! linted with no default features, with each crypto provider alone and with all features, and
//! every library offering a choice of provider runs its tests with the aws-lc-rs provider alone
//! (the no-OpenSSL build). `cargo test --workspace --locked` stays the plain test command.

use crate::util::{Result, cargo, describe, run_output, run_status};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The crypto provider features: a build picks one, so each is checked alone.
const PROVIDERS: [&str; 2] = ["josekit", "aws-lc-rs"];
/// The provider whose build has no OpenSSL; its tests run in CI.
const NO_OPENSSL_PROVIDER: &str = "aws-lc-rs";

/// The workspace-wide steps, as `(title, command)`.
fn steps() -> Vec<(String, Command)> {
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
    vec![
        ("format".to_owned(), fmt),
        ("clippy".to_owned(), clippy),
        ("tests".to_owned(), test),
        ("docs".to_owned(), doc),
    ]
}

/// A published library and the features it declares (without `default`).
#[derive(Debug, PartialEq, Eq)]
struct Features {
    package: String,
    features: Vec<String>,
}

/// The published workspace libraries that declare features, from `cargo metadata` JSON.
fn libraries_with_features(meta: &Value) -> Vec<Features> {
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let is_lib = |p: &Value| {
        p["targets"].as_array().is_some_and(|ts| {
            ts.iter().any(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k.as_str() == Some("lib")))
            })
        })
    };
    let mut out: Vec<Features> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        // `publish = false` (an empty list) marks tools such as xtask.
        .filter(|p| p["publish"].as_array().is_none_or(|a| !a.is_empty()))
        .filter(|p| is_lib(p))
        .filter_map(|p| {
            let mut features: Vec<String> = p["features"]
                .as_object()?
                .keys()
                .filter(|f| *f != "default")
                .cloned()
                .collect();
            features.sort();
            (!features.is_empty()).then(|| Features {
                package: p["name"].as_str().unwrap_or_default().to_owned(),
                features,
            })
        })
        .collect();
    out.sort_by(|a, b| a.package.cmp(&b.package));
    out
}

/// The feature-matrix steps for `libs`: clippy per feature set, then the no-OpenSSL tests.
fn matrix(libs: &[Features]) -> Vec<(String, Command)> {
    let mut out = Vec::new();
    let mut clippy = |package: &str, title: &str, args: &[&str]| {
        let mut c = cargo();
        c.args(["clippy", "--locked", "--all-targets", "-p", package]);
        c.args(args);
        c.args(["--", "-D", "warnings"]);
        out.push((format!("clippy {package} {title}"), c));
    };
    for lib in libs {
        clippy(
            &lib.package,
            "(no default features)",
            &["--no-default-features"],
        );
        for provider in PROVIDERS
            .iter()
            .filter(|p| lib.features.iter().any(|f| f == *p))
        {
            clippy(
                &lib.package,
                &format!("({provider} alone)"),
                &["--no-default-features", "--features", provider],
            );
        }
        clippy(&lib.package, "(all features)", &["--all-features"]);
    }
    // Every library that offers a choice of provider, tested with the no-OpenSSL one alone.
    let choosers: Vec<&str> = libs
        .iter()
        .filter(|l| PROVIDERS.iter().all(|p| l.features.iter().any(|f| f == p)))
        .map(|l| l.package.as_str())
        .collect();
    if !choosers.is_empty() {
        let mut test = cargo();
        test.args(["test", "--locked", "--lib", "--tests"]);
        for p in &choosers {
            test.args(["-p", p]);
        }
        test.args(["--no-default-features", "--features", NO_OPENSSL_PROVIDER]);
        out.push((format!("tests ({NO_OPENSSL_PROVIDER} alone)"), test));
    }
    out
}

pub(crate) fn command(root: &Path) -> Result<()> {
    let meta = run_output(
        cargo()
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
            .current_dir(root),
    )?;
    let libs = libraries_with_features(&serde_json::from_str(&meta)?);
    let mut all = steps();
    all.extend(matrix(&libs));
    for (title, mut cmd) in all {
        cmd.current_dir(root);
        println!("== {title}: {}", describe(&cmd));
        let started = Instant::now();
        run_status(&mut cmd)?;
        println!("== {title}: ok in {:.0?}", started.elapsed());
    }
    println!("== public API listings: cargo xtask api --check");
    crate::api::command(root, true)?;
    println!("ci: all checks passed");
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn meta() -> Value {
        serde_json::json!({
            "workspace_members": ["a 0.1", "b 0.1", "tool 0", "bin 0.1", "plain 0.1"],
            "packages": [
                {"id": "a 0.1", "name": "a", "publish": null, "targets": [{"kind": ["lib"]}],
                 "features": {"default": ["josekit"], "josekit": [], "aws-lc-rs": [], "rustls": []}},
                {"id": "b 0.1", "name": "b", "publish": null, "targets": [{"kind": ["lib"]}],
                 "features": {"default": ["rustls"], "rustls": [], "native-tls": []}},
                {"id": "tool 0", "name": "tool", "publish": [], "targets": [{"kind": ["lib"]}],
                 "features": {"x": []}},
                {"id": "bin 0.1", "name": "bin", "publish": null, "targets": [{"kind": ["bin"]}],
                 "features": {"x": []}},
                {"id": "plain 0.1", "name": "plain", "publish": null, "targets": [{"kind": ["lib"]}],
                 "features": {}},
                {"id": "dep 1", "name": "dep", "publish": null, "targets": [{"kind": ["lib"]}],
                 "features": {"x": []}}
            ]
        })
    }

    #[test]
    fn only_published_member_libraries_with_features_are_in_the_matrix() {
        let libs = libraries_with_features(&meta());
        let names: Vec<&str> = libs.iter().map(|l| l.package.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(libs[0].features, ["aws-lc-rs", "josekit", "rustls"]);
    }

    #[test]
    fn the_matrix_checks_each_provider_alone_and_tests_the_no_openssl_build() {
        let steps = matrix(&libraries_with_features(&meta()));
        let lines: Vec<String> = steps.iter().map(|(_, c)| describe(c)).collect();
        let has = |needle: &str| lines.iter().any(|l| l.ends_with(needle));
        assert!(has(
            "clippy --locked --all-targets -p a --no-default-features -- -D warnings"
        ));
        assert!(has(
            "clippy --locked --all-targets -p a --no-default-features --features josekit -- -D warnings"
        ));
        assert!(has(
            "clippy --locked --all-targets -p a --no-default-features --features aws-lc-rs -- -D warnings"
        ));
        assert!(has(
            "clippy --locked --all-targets -p a --all-features -- -D warnings"
        ));
        assert!(has(
            "clippy --locked --all-targets -p b --all-features -- -D warnings"
        ));
        // b offers no provider choice: no provider-alone lint, and no no-OpenSSL test run.
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("-p b --no-default-features --features"))
        );
        assert_eq!(
            lines.last().map(|l| l.ends_with(
                "test --locked --lib --tests -p a --no-default-features --features aws-lc-rs"
            )),
            Some(true),
            "{lines:#?}"
        );
        assert_eq!(steps.len(), 4 + 2 + 1);
    }
}
