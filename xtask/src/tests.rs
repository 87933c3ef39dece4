//! The version, dependency and release logic on temporary workspaces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::changeset;
use crate::release::{self, Options, Planned};
use crate::util::temp_dir;
use crate::version::Level;
use crate::workspace::Workspace;
use semver::Version;
use std::path::{Path, PathBuf};
use std::process::Command;

const DATE: &str = "2026-05-01";

fn put(root: &Path, rel: &str, text: &str) {
    crate::util::write(&root.join(rel), text).unwrap();
}

fn get(root: &Path, rel: &str) -> String {
    crate::util::read(&root.join(rel)).unwrap()
}

fn released_changelog(version: &str) -> String {
    format!("# Changelog\n\n## {version} - 2026-01-01\n\n### Features\n\n- First.\n")
}

/// Crates with their own versions:
/// `a` 0.1.0 <- `b` 0.3.2 (direct path dep, caret req) <- `c` 1.2.0 (workspace dep `=0.3.2`)
/// <- `cli` 0.5.0 (binary only, like the facade's CLI package);
/// `d` 0.1.0 never released, dev-depends on `a`; `tool` is `publish = false` and depends on `a`.
fn independent() -> PathBuf {
    let root = temp_dir("ws").unwrap();
    put(
        &root,
        "Cargo.toml",
        r#"[workspace]
resolver = "3"
members = ["a", "b", "c", "cli", "d", "tool"]

[workspace.package]
edition = "2024"
license = "MIT"

[workspace.dependencies]
# Internal crates, pinned.
b = { path = "b", version = "=0.3.2" } # keep this comment
c = { path = "c", version = "=1.2.0" }
"#,
    );
    let krate = |name: &str, version: &str, deps: &str, extra: &str| {
        put(
            &root,
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\" # the version\nedition.workspace = true\n\
                 license.workspace = true\ndescription = \"{name}\"\n{extra}\n{deps}"
            ),
        );
        put(
            &root,
            &format!("{name}/src/lib.rs"),
            "//! Doc.\n\n/// Doc.\npub fn kept() {}\n",
        );
    };
    krate("a", "0.1.0", "", "");
    krate(
        "b",
        "0.3.2",
        "[dependencies]\na = { path = \"../a\", version = \"0.1.0\" }\n",
        "",
    );
    krate("c", "1.2.0", "[dependencies]\nb.workspace = true\n", "");
    krate(
        "d",
        "0.1.0",
        "[dev-dependencies]\na = { path = \"../a\" }\n",
        "",
    );
    krate(
        "tool",
        "0.0.0",
        "[dependencies]\na = { path = \"../a\", version = \"=0.1.0\" }\n",
        "publish = false",
    );
    put(
        &root,
        "cli/Cargo.toml",
        "[package]\nname = \"cli\"\nversion = \"0.5.0\"\nedition.workspace = true\n\
         license.workspace = true\ndescription = \"cli\"\n\n[dependencies]\nc.workspace = true\n",
    );
    put(&root, "cli/src/main.rs", "fn main() {}\n");
    put(&root, "a/CHANGELOG.md", &released_changelog("0.1.0"));
    put(&root, "b/CHANGELOG.md", &released_changelog("0.3.2"));
    put(&root, "c/CHANGELOG.md", &released_changelog("1.2.0"));
    put(&root, "cli/CHANGELOG.md", &released_changelog("0.5.0"));
    root
}

/// Crates sharing `[workspace.package] version` (lockstep): `x` <- `y`, and `z` alone.
fn lockstep(released: bool) -> PathBuf {
    let root = temp_dir("lock").unwrap();
    put(
        &root,
        "Cargo.toml",
        r#"[workspace]
resolver = "3"
members = ["x", "y", "z"]

[workspace.package]
version = "0.1.0"
edition = "2024"
license = "MIT"

[workspace.dependencies]
x = { path = "x", version = "=0.1.0" }
"#,
    );
    for (name, deps) in [
        ("x", ""),
        ("y", "[dependencies]\nx.workspace = true\n"),
        ("z", ""),
    ] {
        put(
            &root,
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion.workspace = true\nedition.workspace = true\n\
                 license.workspace = true\ndescription = \"{name}\"\n\n{deps}"
            ),
        );
        put(&root, &format!("{name}/src/lib.rs"), "//! Doc.\n");
    }
    if released {
        put(&root, "x/CHANGELOG.md", &released_changelog("0.1.0"));
    }
    root
}

fn add(root: &Path, crates: &[(&str, Level)], msg: &str) {
    let releases: Vec<(String, Level)> =
        crates.iter().map(|(n, l)| ((*n).to_owned(), *l)).collect();
    changeset::add(&root.join(".changeset"), &releases, msg, None).unwrap();
}

fn plan_of(root: &Path) -> Vec<Planned> {
    let ws = Workspace::load(root).unwrap();
    release::plan(&ws, &changeset::load_all(&root.join(".changeset")).unwrap()).unwrap()
}

fn summary(plan: &[Planned]) -> Vec<String> {
    plan.iter()
        .map(|p| format!("{} {} -> {}", p.name, p.old, p.new))
        .collect()
}

fn git(root: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

fn commit_all(root: &Path) {
    put(root, ".gitignore", "/target\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "init"]);
}

/// Held by the tests that build rustdoc JSON: with `CARGO_TARGET_DIR` set, every temporary
/// workspace writes `<target>/doc/a.json`, and one test must not read another's.
fn rustdoc_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn opts(dry_run: bool, allow_dirty: bool, package: bool) -> Options {
    Options {
        dry_run,
        allow_dirty,
        date: DATE.to_owned(),
        package,
    }
}

#[test]
fn topological_order_puts_dependencies_first() {
    let root = independent();
    let ws = Workspace::load(&root).unwrap();
    let order = ws.topo_order().unwrap();
    let pos = |n: &str| order.iter().position(|o| o == n).unwrap();
    assert!(pos("a") < pos("b") && pos("b") < pos("c") && pos("a") < pos("tool"));
    assert!(pos("c") < pos("cli"));
    assert_eq!(ws.get("cli").unwrap().lib_name, None);
    assert_eq!(ws.get("a").unwrap().lib_name.as_deref(), Some("a"));
    assert!(ws.get("b").unwrap().version == Version::new(0, 3, 2));
    assert!(!ws.get("tool").unwrap().publish);
    assert!(!ws.get("a").unwrap().inherits_version);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_breaking_change_propagates_patch_bumps_to_dependents_only() {
    let root = independent();
    add(&root, &[("a", Level::Major)], "Remove `a::old`.");
    let plan = plan_of(&root);
    // d only dev-depends on a, tool is not published: neither is released.
    assert_eq!(
        summary(&plan),
        [
            "a 0.1.0 -> 0.2.0",
            "b 0.3.2 -> 0.3.3",
            "c 1.2.0 -> 1.2.1",
            "cli 0.5.0 -> 0.5.1"
        ]
    );
    assert_eq!(plan[1].level, Level::Patch);
    assert_eq!(plan[1].reasons, ["depends on a (0.1.0 -> 0.2.0)"]);
    assert_eq!(plan[2].reasons, ["depends on b (0.3.2 -> 0.3.3)"]);
    assert_eq!(plan[3].reasons, ["depends on c (1.2.0 -> 1.2.1)"]);
    let text = release::render_plan(&plan);
    assert!(text.contains("changeset remove-a-old (major)"), "{text}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn several_changesets_take_the_highest_level() {
    let root = independent();
    add(&root, &[("c", Level::Patch)], "Fix c.");
    add(
        &root,
        &[("c", Level::Minor), ("b", Level::Patch)],
        "Add c::more.",
    );
    let plan = plan_of(&root);
    assert_eq!(
        summary(&plan),
        ["b 0.3.2 -> 0.3.3", "c 1.2.0 -> 1.3.0", "cli 0.5.0 -> 0.5.1"]
    );
    assert_eq!(plan[1].notes.len(), 2);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_first_release_keeps_its_version_and_bumps_nothing_else() {
    let root = independent();
    add(&root, &[("d", Level::Minor)], "Initial release.");
    let plan = plan_of(&root);
    assert_eq!(summary(&plan), ["d 0.1.0 -> 0.1.0"]);
    assert!(plan[0].first_release);
    assert!(release::render_plan(&plan).contains("0.1.0 (first release)"));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn lockstep_crates_move_together() {
    let root = lockstep(true);
    add(&root, &[("x", Level::Minor)], "Add x::new.");
    let plan = plan_of(&root);
    assert_eq!(
        summary(&plan),
        ["x 0.1.0 -> 0.1.1", "y 0.1.0 -> 0.1.1", "z 0.1.0 -> 0.1.1"]
    );
    assert_eq!(plan[1].reasons, ["depends on x (0.1.0 -> 0.1.1)"]);
    assert_eq!(plan[2].reasons, ["lockstep: shares the workspace version"]);

    release::apply(
        &Workspace::load(&root).unwrap(),
        &plan,
        &changeset::load_all(&root.join(".changeset")).unwrap(),
        DATE,
    )
    .unwrap();
    let manifest = get(&root, "Cargo.toml");
    assert!(
        manifest.contains("[workspace.package]\nversion = \"0.1.1\"\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains("x = { path = \"x\", version = \"=0.1.1\" }"),
        "{manifest}"
    );
    assert_eq!(
        get(&root, "z/CHANGELOG.md").split_once("## ").unwrap().1,
        "0.1.1 - 2026-05-01\n\nNo changes of its own: released in lockstep with the other workspace crates.\n"
    );
    let ws = Workspace::load(&root).unwrap();
    assert!(
        ws.packages
            .iter()
            .all(|p| p.version == Version::new(0, 1, 1))
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn an_unreleased_lockstep_group_ships_its_current_version() {
    let root = lockstep(false);
    add(
        &root,
        &[
            ("x", Level::Minor),
            ("y", Level::Minor),
            ("z", Level::Minor),
        ],
        "Initial release.",
    );
    let plan = plan_of(&root);
    assert_eq!(
        summary(&plan),
        ["x 0.1.0 -> 0.1.0", "y 0.1.0 -> 0.1.0", "z 0.1.0 -> 0.1.0"]
    );
    assert!(
        plan.iter()
            .all(|p| p.first_release && p.dep_bumps.is_empty())
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn apply_rewrites_versions_requirements_changelogs_and_consumes_changesets() {
    let root = independent();
    add(
        &root,
        &[("a", Level::Major)],
        "Remove `a::old`.\n\nUse `a::kept` instead.",
    );
    add(&root, &[("b", Level::Patch)], "Fix b.");
    let changesets = changeset::load_all(&root.join(".changeset")).unwrap();
    let ws = Workspace::load(&root).unwrap();
    let plan = release::plan(&ws, &changesets).unwrap();
    release::apply(&ws, &plan, &changesets, DATE).unwrap();

    // Formatting and comments survive; the versions and the requirements move.
    assert!(get(&root, "a/Cargo.toml").contains("version = \"0.2.0\" # the version\n"));
    assert!(get(&root, "b/Cargo.toml").contains("a = { path = \"../a\", version = \"0.2.0\" }"));
    assert!(
        get(&root, "tool/Cargo.toml").contains("a = { path = \"../a\", version = \"=0.2.0\" }")
    );
    assert!(get(&root, "tool/Cargo.toml").contains("version = \"0.0.0\""));
    assert!(get(&root, "d/Cargo.toml").contains("a = { path = \"../a\" }"));
    assert!(get(&root, "Cargo.toml").contains(
        "# Internal crates, pinned.\nb = { path = \"b\", version = \"=0.3.3\" } # keep this comment\n"
    ));
    assert_eq!(
        get(&root, "a/CHANGELOG.md"),
        "# Changelog\n\n## 0.2.0 - 2026-05-01\n\n### Breaking changes\n\n- Remove `a::old`.\n\n  \
         Use `a::kept` instead.\n\n## 0.1.0 - 2026-01-01\n\n### Features\n\n- First.\n"
    );
    assert_eq!(
        get(&root, "b/CHANGELOG.md")
            .split("## 0.3.2")
            .next()
            .unwrap(),
        "# Changelog\n\n## 0.3.3 - 2026-05-01\n\n### Fixes\n\n- Fix b.\n\n### Dependencies\n\n- `a` 0.1.0 -> 0.2.0\n\n"
    );
    assert!(
        get(&root, "c/CHANGELOG.md")
            .contains("## 1.2.1 - 2026-05-01\n\n### Dependencies\n\n- `b` 0.3.2 -> 0.3.3\n")
    );
    // The binary-only package that depends on `c` moves with it.
    assert!(get(&root, "Cargo.toml").contains("c = { path = \"c\", version = \"=1.2.1\" }\n"));
    assert!(get(&root, "cli/Cargo.toml").contains("version = \"0.5.1\""));
    assert!(
        get(&root, "cli/CHANGELOG.md")
            .contains("## 0.5.1 - 2026-05-01\n\n### Dependencies\n\n- `c` 1.2.0 -> 1.2.1\n")
    );
    assert!(
        changeset::load_all(&root.join(".changeset"))
            .unwrap()
            .is_empty()
    );
    // cargo agrees with the result.
    let ws = Workspace::load(&root).unwrap();
    assert_eq!(ws.get("c").unwrap().version, Version::new(1, 2, 1));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_new_changelog_gets_a_header() {
    let text = release::prepend_section(None, "d", "## 0.1.0 - 2026-05-01\n\n- x\n");
    assert!(text.starts_with("# Changelog\n\nAll notable changes to `d`"));
    assert!(text.ends_with("\n\n## 0.1.0 - 2026-05-01\n\n- x\n"));
    // A changelog without version sections yet gets the section at its end.
    let text = release::prepend_section(Some("# Log\n\nIntro.\n"), "d", "## 0.1.0 - x\n");
    assert_eq!(text, "# Log\n\nIntro.\n\n## 0.1.0 - x\n");
}

#[test]
fn refuses_without_changesets() {
    let root = independent();
    let e = release::command(&root, &opts(false, true, false)).unwrap_err();
    assert!(e.0.contains("no changesets"), "{e}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn refuses_changesets_naming_unknown_or_unpublished_crates() {
    let root = independent();
    add(&root, &[("nope", Level::Patch)], "Typo.");
    let e = release::command(&root, &opts(true, true, false)).unwrap_err();
    assert!(
        e.0.contains("\"nope\", which is not a workspace member"),
        "{e}"
    );
    std::fs::remove_dir_all(root.join(".changeset")).unwrap();
    add(&root, &[("tool", Level::Patch)], "Tool.");
    let e = release::command(&root, &opts(true, true, false)).unwrap_err();
    assert!(e.0.contains("publish = false"), "{e}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn refuses_a_dirty_tree_unless_allowed_and_dry_run_writes_nothing() {
    let root = independent();
    add(&root, &[("b", Level::Patch)], "Fix b.");
    commit_all(&root);
    put(
        &root,
        "b/src/lib.rs",
        "//! Changed.\n\n/// Doc.\npub fn kept() {}\n",
    );
    let e = release::command(&root, &opts(false, false, false)).unwrap_err();
    assert!(e.0.contains("dirty") && e.0.contains("b/src/lib.rs"), "{e}");

    release::command(&root, &opts(true, false, false)).unwrap();
    assert_eq!(get(&root, "b/Cargo.toml").matches("0.3.2").count(), 1);
    assert_eq!(
        changeset::load_all(&root.join(".changeset")).unwrap().len(),
        1
    );

    release::command(&root, &opts(false, true, false)).unwrap();
    assert!(get(&root, "b/Cargo.toml").contains("version = \"0.3.3\""));
    assert!(get(&root, "Cargo.lock").contains("name = \"b\"\nversion = \"0.3.3\""));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn refuses_outside_git_unless_allowed() {
    let root = independent();
    add(&root, &[("b", Level::Patch)], "Fix b.");
    let e = release::command(&root, &opts(false, false, false)).unwrap_err();
    assert!(e.0.contains("cannot check the git tree"), "{e}");
    std::fs::remove_dir_all(root).unwrap();
}

/// Builds rustdoc JSON for a tiny crate (a few seconds) and packages the released crates into
/// the target directory cargo uses (`CARGO_TARGET_DIR` when set).
#[test]
fn refuses_lost_api_items_without_a_breaking_bump_then_releases_and_packages() {
    let _lock = rustdoc_lock();
    let root = independent();
    // The listing as released: `a` had `gone` too.
    put(
        &root,
        "api/a.txt",
        "pub mod a\npub fn a::gone()\npub fn a::kept()\n",
    );
    add(&root, &[("a", Level::Minor)], "Tidy a.");
    commit_all(&root);
    let e = release::command(&root, &opts(false, false, false)).unwrap_err();
    assert!(
        e.0.contains("a 0.1.0 -> 0.1.1 is not a breaking bump"),
        "{e}"
    );
    assert!(e.0.contains("lost 1 items:\n- pub fn a::gone()\n"), "{e}");
    assert!(!e.0.contains("a::kept"), "{e}");

    // Declared breaking: the same removal is fine, and every released crate is packaged offline,
    // `c` against the unpublished new `b` it now pins, and the binary-only `cli` too.
    std::fs::remove_dir_all(root.join(".changeset")).unwrap();
    add(&root, &[("a", Level::Major)], "Remove a::gone.");
    let dir = release::package_dir(&Workspace::load(&root).unwrap());
    let crates = [
        "a-0.2.0.crate",
        "b-0.3.3.crate",
        "c-1.2.1.crate",
        "cli-0.5.1.crate",
    ];
    // The target directory may be shared with earlier runs: only this run's files count.
    for f in crates {
        let _ = std::fs::remove_file(dir.join(f));
    }
    release::command(&root, &opts(false, true, true)).unwrap();
    for f in crates {
        assert!(dir.join(f).exists(), "{f} in {}", dir.display());
    }
    std::fs::remove_dir_all(root).unwrap();
}

/// The crate `a` of [`independent`] with types whose members the release gate watches.
const SHAPES: &str = "//! Doc.

/// Doc.
pub fn kept() {}

/// Users may match it without a wildcard.
pub enum Closed {
    /// Doc.
    A,
}

/// Users must match it with a wildcard.
#[non_exhaustive]
pub enum Open {
    /// Doc.
    A,
}

/// Users may build it and match it without `..`.
pub struct Point {
    /// Doc.
    pub x: u8,
}

/// Users can neither build it nor match it without `..`.
pub struct Sealed {
    /// Doc.
    pub x: u8,
    #[allow(dead_code)]
    y: u8,
}

/// Users may build and match its variant's fields.
#[non_exhaustive]
pub enum Event {
    /// Doc.
    Moved {
        /// Doc.
        x: u8,
    },
}
";

/// `a::Closed` gains a variant: `(old, new)` source text.
const CLOSED_GAINS_B: (&str, &str) = (
    "    A,\n}\n\n/// Users must",
    "    A,\n    /// Doc.\n    B,\n}\n\n/// Users must",
);

/// Releases `a` at `level` after replacing `old` by `new` in its source (dry run: the API check
/// is all that runs), then restores the source.
fn release_a_with(root: &Path, old: &str, new: &str, level: Level) -> crate::util::Result<()> {
    assert!(SHAPES.contains(old), "{old}");
    put(root, "a/src/lib.rs", &SHAPES.replacen(old, new, 1));
    std::fs::remove_dir_all(root.join(".changeset")).ok();
    add(root, &[("a", level)], "Change a.");
    let r = release::command(root, &opts(true, true, false));
    put(root, "a/src/lib.rs", SHAPES);
    r
}

/// Rustdoc JSON of a tiny crate per case (about a second each).
#[test]
fn refuses_new_variants_and_fields_of_exhaustive_types_without_a_breaking_bump() {
    let _lock = rustdoc_lock();
    let root = independent();
    put(&root, "a/src/lib.rs", SHAPES);
    let ws = Workspace::load(&root).unwrap();
    let listing = crate::api::generate(&ws, ws.get("a").unwrap()).unwrap();
    put(&root, "api/a.txt", &crate::api::to_text(&listing.lines));
    commit_all(&root);

    // A variant of an exhaustive enum.
    let (old, new) = CLOSED_GAINS_B;
    let e = release_a_with(&root, old, new, Level::Minor).unwrap_err();
    assert!(
        e.0.contains("a 0.1.0 -> 0.1.1 is not a breaking bump"),
        "{e}"
    );
    assert!(
        e.0.contains("gained 1 items that break users:\n+ pub a::Closed::B    (a new variant of the exhaustive enum `pub enum a::Closed`)\n"),
        "{e}"
    );
    assert!(!e.0.contains("lost"), "{e}");

    // A public field of a struct whose fields users all see.
    let e = release_a_with(
        &root,
        "    pub x: u8,\n}\n\n/// Users can",
        "    pub x: u8,\n    /// Doc.\n    pub y: u8,\n}\n\n/// Users can",
        Level::Patch,
    )
    .unwrap_err();
    assert!(
        e.0.contains("+ pub a::Point::y: u8    (a new public field of the exhaustive struct `pub struct a::Point`)"),
        "{e}"
    );

    // A field of a variant without `#[non_exhaustive]` (its enum's attribute does not cover it).
    let e = release_a_with(
        &root,
        "        x: u8,\n    },",
        "        x: u8,\n        /// Doc.\n        y: u8,\n    },",
        Level::Minor,
    )
    .unwrap_err();
    assert!(
        e.0.contains("+ pub a::Event::Moved::y: u8    (a new field of the exhaustive variant `pub a::Event::Moved`)"),
        "{e}"
    );

    // Additions users cannot depend on the absence of: a variant of a `#[non_exhaustive]` enum,
    // a field of a struct with private fields, a new type with its variants.
    release_a_with(
        &root,
        "    A,\n}\n\n/// Users may build",
        "    A,\n    /// Doc.\n    B,\n}\n\n/// Doc.\npub enum New {\n    /// Doc.\n    A,\n}\n\n/// Users may build",
        Level::Minor,
    )
    .unwrap();
    release_a_with(
        &root,
        "    pub x: u8,\n    #[allow",
        "    pub x: u8,\n    /// Doc.\n    pub z: u8,\n    #[allow",
        Level::Minor,
    )
    .unwrap();

    // Declared breaking, the exhaustive enum may grow.
    release_a_with(&root, old, new, Level::Major).unwrap();
    std::fs::remove_dir_all(root).unwrap();
}

/// The listing is `public-api`'s, with hidden fields marked and unstable auto traits left out;
/// binary-only packages get none. Builds rustdoc JSON for the libraries of [`independent`].
#[test]
fn api_lists_each_library_with_public_api() {
    let _lock = rustdoc_lock();
    let root = independent();
    put(
        &root,
        "a/src/lib.rs",
        &format!(
            "{SHAPES}
/// Doc.
pub trait Preset {{
    /// Doc.
    type Output;
}}

/// Doc.
pub struct Verifier<P>(pub P);

impl<P: Preset> Verifier<P> {{
    /// Doc.
    pub fn verify(&self) -> Result<<P as Preset>::Output, Sealed> {{
        Err(Sealed {{ x: 0, y: 0 }})
    }}
}}
"
        ),
    );
    put(&root, "api/gone.txt", "pub mod gone\n");
    crate::api::command(&root, false).unwrap();
    let files: Vec<String> = std::fs::read_dir(root.join("api"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // `cli` has no library and `tool` is not published; the stale listing is removed.
    assert_eq!(files, ["a.txt", "b.txt", "c.txt", "d.txt"]);
    let a = get(&root, "api/a.txt");
    for line in [
        "pub mod a",
        "pub fn a::kept()",
        "pub enum a::Closed",
        "pub a::Closed::A",
        "#[non_exhaustive] pub enum a::Open",
        "pub struct a::Point",
        "pub a::Point::x: u8",
        "pub struct a::Sealed { .. }",
        "pub a::Sealed::x: u8",
        "impl core::marker::Send for a::Point",
        "pub fn a::Verifier<P>::verify(&self) -> core::result::Result<<P as a::Preset>::Output, a::Sealed>",
    ] {
        assert!(a.lines().any(|l| l == line), "{line:?} not in\n{a}");
    }
    assert!(!a.contains("Freeze"), "{a}");
    assert!(!a.contains("Sealed::y"), "{a}");
    // Blanket impls (`impl<T> From<T> for T`, ...) say nothing about this crate.
    assert!(!a.contains("impl<T"), "{a}");
    crate::api::command(&root, true).unwrap();
    put(&root, "a/src/lib.rs", SHAPES);
    let e = crate::api::command(&root, true).unwrap_err();
    assert!(e.0.contains("drifted"), "{e}");
    std::fs::remove_dir_all(root).unwrap();
}
