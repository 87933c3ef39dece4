//! `cargo xtask release`: turn pending changesets into version bumps, changelogs and packages.

use crate::changeset::{self, Changeset};
use crate::util::{Result, err, read, run_output, write};
use crate::version::{Level, bump, is_breaking, rewrite_req};
use crate::workspace::{DepKind, Package, Workspace};
use semver::Version;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `release` was asked to do.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) dry_run: bool,
    pub(crate) allow_dirty: bool,
    /// The date written in changelog headings (`YYYY-MM-DD`).
    pub(crate) date: String,
    /// Run `cargo package` for the released crates (off only in tests that check the files).
    pub(crate) package: bool,
}

/// One crate of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) name: String,
    pub(crate) old: Version,
    pub(crate) new: Version,
    pub(crate) level: Level,
    /// Never released before: ships at its current version.
    pub(crate) first_release: bool,
    pub(crate) reasons: Vec<String>,
    /// Changelog entries from changesets: `(level, text)`.
    pub(crate) notes: Vec<(Level, String)>,
    /// Member dependencies whose version changes in this release: `(name, old, new)`.
    pub(crate) dep_bumps: Vec<(String, Version, Version)>,
}

/// A crate counts as released once its CHANGELOG.md has a version section.
pub(crate) fn is_released(pkg: &Package) -> bool {
    std::fs::read_to_string(pkg.dir.join("CHANGELOG.md"))
        .map(|t| t.lines().any(is_version_heading))
        .unwrap_or(false)
}

fn is_version_heading(line: &str) -> bool {
    line.strip_prefix("## ")
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '['))
}

/// Computes the release plan, in publish (dependency) order.
pub(crate) fn plan(ws: &Workspace, changesets: &[Changeset]) -> Result<Vec<Planned>> {
    let order = ws.topo_order()?;
    let mut levels: BTreeMap<String, Level> = BTreeMap::new();
    let mut notes: BTreeMap<String, Vec<(Level, String)>> = BTreeMap::new();
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for cs in changesets {
        for (name, level) in &cs.releases {
            let pkg = ws.get(name).ok_or_else(|| {
                err!(
                    "changeset {} names {name:?}, which is not a workspace member",
                    cs.path.display()
                )
            })?;
            if !pkg.publish {
                return Err(err!(
                    "changeset {} names {name:?}, which has `publish = false`",
                    cs.path.display()
                ));
            }
            let l = levels.entry(name.clone()).or_insert(*level);
            *l = (*l).max(*level);
            notes
                .entry(name.clone())
                .or_default()
                .push((*level, cs.body.clone()));
            reasons.entry(name.clone()).or_default().push(format!(
                "changeset {} ({})",
                cs.slug,
                level.as_str()
            ));
        }
    }
    // Members with `version.workspace = true` share one version: they move together.
    let group: Vec<&Package> = ws
        .packages
        .iter()
        .filter(|p| p.publish && p.inherits_version)
        .collect();
    let group_released = group.iter().any(|p| is_released(p));
    let released = |p: &Package| {
        if p.inherits_version {
            group_released
        } else {
            is_released(p)
        }
    };
    let new_version = |p: &Package, l: Level| {
        if released(p) {
            bump(&p.version, l)
        } else {
            p.version.clone()
        }
    };
    let changes = |levels: &BTreeMap<String, Level>, name: &str| -> bool {
        match (ws.get(name), levels.get(name)) {
            (Some(p), Some(l)) => new_version(p, *l) != p.version,
            _ => false,
        }
    };
    loop {
        let mut changed = false;
        if let Some(max) = group
            .iter()
            .filter_map(|p| levels.get(&p.name))
            .max()
            .copied()
        {
            for p in &group {
                if levels.get(&p.name) != Some(&max) {
                    levels.insert(p.name.clone(), max);
                    changed = true;
                }
            }
        }
        for name in &order {
            let Some(pkg) = ws.get(name).filter(|p| p.publish) else {
                continue;
            };
            let dep_changes = pkg
                .deps
                .iter()
                .any(|d| d.kind != DepKind::Dev && changes(&levels, &d.name));
            if dep_changes && !levels.contains_key(name) {
                levels.insert(name.clone(), Level::Patch);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::new();
    for name in &order {
        let (Some(pkg), Some(&level)) = (ws.get(name), levels.get(name)) else {
            continue;
        };
        let mut why = reasons.remove(name).unwrap_or_default();
        let mut dep_bumps = Vec::new();
        for d in pkg.deps.iter().filter(|d| d.kind != DepKind::Dev) {
            if let (Some(dp), Some(&dl)) = (ws.get(&d.name), levels.get(&d.name)) {
                let dn = new_version(dp, dl);
                if dn != dp.version && !dep_bumps.iter().any(|(n, _, _)| *n == d.name) {
                    why.push(format!("depends on {} ({} -> {dn})", d.name, dp.version));
                    dep_bumps.push((d.name.clone(), dp.version.clone(), dn));
                }
            }
        }
        if pkg.inherits_version && why.is_empty() {
            why.push("lockstep: shares the workspace version".to_owned());
        }
        out.push(Planned {
            name: name.clone(),
            old: pkg.version.clone(),
            new: new_version(pkg, level),
            level,
            first_release: !released(pkg),
            reasons: why,
            notes: notes.remove(name).unwrap_or_default(),
            dep_bumps,
        });
    }
    Ok(out)
}

/// The plan as a table for people.
pub(crate) fn render_plan(plan: &[Planned]) -> String {
    let w = plan.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut s = format!("Release plan ({} crates, in publish order):\n", plan.len());
    for p in plan {
        let change = if p.first_release {
            format!("{} (first release)", p.new)
        } else {
            format!("{} -> {}", p.old, p.new)
        };
        let _ = writeln!(
            s,
            "  {:w$}  {:28}  {:5}  {}",
            p.name,
            change,
            p.level.as_str(),
            p.reasons.join("; ")
        );
    }
    s
}

/// `cargo xtask release`.
pub(crate) fn command(root: &Path, opts: &Options) -> Result<()> {
    let changesets = changeset::load_all(&root.join(".changeset"))?;
    if changesets.is_empty() {
        return Err(err!(
            "no changesets in .changeset/: nothing to release (add one with `cargo xtask changeset add`)"
        ));
    }
    if !opts.allow_dirty {
        match git_dirty(root) {
            Ok(None) => {}
            Ok(Some(files)) if opts.dry_run => {
                eprintln!("warning: the git tree is dirty (a real release would refuse):\n{files}");
            }
            Err(e) if opts.dry_run => eprintln!("warning: {e}"),
            Ok(Some(files)) => {
                return Err(err!(
                    "the git tree is dirty; commit first or pass --allow-dirty:\n{files}"
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let ws = Workspace::load(root)?;
    let plan = plan(&ws, &changesets)?;
    print!("{}", render_plan(&plan));
    check_api(&ws, &plan)?;
    if opts.dry_run {
        println!("dry run: nothing written");
        return Ok(());
    }
    apply(&ws, &plan, &changesets, &opts.date)?;
    if let Err(e) = run_output(
        crate::util::cargo()
            .current_dir(root)
            .args(["update", "--workspace", "--offline", "--manifest-path"])
            .arg(root.join("Cargo.toml")),
    ) {
        return Err(err!(
            "manifests and changelogs are written, but Cargo.lock could not be updated: {e}"
        ));
    }
    if opts.package {
        package(&ws, &plan)?;
    }
    println!(
        "released {} crates: review the diff, commit it, and tag each crate as NAME-vVERSION",
        plan.len()
    );
    Ok(())
}

/// `Some(porcelain listing)` when the git tree has changes; an error outside a git repository.
pub(crate) fn git_dirty(root: &Path) -> Result<Option<String>> {
    let out = run_output(std::process::Command::new("git").arg("-C").arg(root).args([
        "status",
        "--porcelain",
        "--untracked-files=normal",
    ]))
    .map_err(|e| err!("cannot check the git tree (use --allow-dirty outside git): {e}"))?;
    Ok((!out.trim().is_empty()).then_some(out))
}

/// Refuses a release whose bump is not breaking while a crate's public API changed in a way that
/// breaks users since its last release: a lost (or changed) item, or a new variant or field in a
/// type users could match exhaustively or build.
fn check_api(ws: &Workspace, plan: &[Planned]) -> Result<()> {
    let mut problems = String::new();
    for p in plan {
        if p.first_release || is_breaking(&p.old, &p.new) {
            continue;
        }
        // A binary-only package (the CLI) has no Rust API to break.
        let Some((pkg, lib)) = ws
            .get(&p.name)
            .and_then(|pkg| Some((pkg, pkg.lib_name.as_deref()?)))
        else {
            continue;
        };
        let Some((baseline, from)) = baseline_listing(ws, &p.name, &p.old)? else {
            println!(
                "  {}: no api/{}.txt baseline, API check skipped",
                p.name, p.name
            );
            continue;
        };
        let breaking = crate::api::generate(ws, pkg)?.breaking_since(&baseline, lib);
        if breaking.is_empty() {
            continue;
        }
        let crate::api::Breaking { removed, added } = breaking;
        let _ = writeln!(
            problems,
            "{} {} -> {} is not a breaking bump, but since {from} its public API",
            p.name, p.old, p.new
        );
        if !removed.is_empty() {
            let _ = writeln!(problems, "lost {} items:", removed.len());
            for l in removed {
                let _ = writeln!(problems, "- {l}");
            }
        }
        if !added.is_empty() {
            let _ = writeln!(problems, "gained {} items that break users:", added.len());
            for (l, why) in added {
                let _ = writeln!(problems, "+ {l}    ({why})");
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(err!(
            "{problems}refusing: mark the change `major` in a changeset (a breaking bump: minor before 1.0)"
        ))
    }
}

/// The listing the crate was last released with: at tag `NAME-vOLD`, else at the last commit that
/// wrote its CHANGELOG.md (the release commit), else the committed `api/NAME.txt` as it is now.
fn baseline_listing(
    ws: &Workspace,
    name: &str,
    old: &Version,
) -> Result<Option<(Vec<String>, String)>> {
    let root = &ws.root;
    let file = format!("api/{name}.txt");
    let git = |args: &[&str]| {
        run_output(
            std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args),
        )
        .ok()
    };
    let tag = format!("{name}-v{old}");
    if let Some(text) = git(&["show", &format!("{tag}:{file}")]) {
        return Ok(Some((crate::api::from_text(&text), format!("tag {tag}"))));
    }
    if let Some(pkg) = ws.get(name) {
        let changelog = pkg.dir.join("CHANGELOG.md");
        if let Some(commit) = git(&[
            "log",
            "-n1",
            "--format=%H",
            "--",
            &changelog.to_string_lossy(),
        ])
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
            && let Some(text) = git(&["show", &format!("{commit}:{file}")])
        {
            return Ok(Some((
                crate::api::from_text(&text),
                format!("the release commit {}", &commit[..commit.len().min(12)]),
            )));
        }
    }
    let path = root.join(&file);
    if path.exists() {
        return Ok(Some((crate::api::from_text(&read(&path)?), file)));
    }
    Ok(None)
}

/// Writes versions, requirements, changelogs and consumes the changesets.
pub(crate) fn apply(
    ws: &Workspace,
    plan: &[Planned],
    changesets: &[Changeset],
    date: &str,
) -> Result<()> {
    // Member directory -> new version, for every member whose version changes.
    let mut bumped: BTreeMap<PathBuf, &Version> = BTreeMap::new();
    let mut group_version = None;
    for p in plan.iter().filter(|p| p.new != p.old) {
        if let Some(pkg) = ws.get(&p.name) {
            bumped.insert(canonical(&pkg.dir), &p.new);
            if pkg.inherits_version {
                group_version = Some(&p.new);
            }
        }
    }
    let root_manifest = ws.root.join("Cargo.toml");
    edit_manifest(&root_manifest, |doc| {
        if let Some(v) = group_version
            && let Some(item) = doc
                .get_mut("workspace")
                .and_then(|w| w.get_mut("package"))
                .and_then(|p| p.get_mut("version"))
        {
            set_str(item, &v.to_string());
        }
        if let Some(deps) = doc
            .get_mut("workspace")
            .and_then(|w| w.get_mut("dependencies"))
            .and_then(toml_edit::Item::as_table_like_mut)
        {
            update_reqs(deps, &ws.root, &bumped)?;
        }
        Ok(())
    })?;
    for pkg in &ws.packages {
        let own = (!pkg.inherits_version)
            .then(|| bumped.get(&canonical(&pkg.dir)))
            .flatten();
        edit_manifest(&pkg.manifest_path, |doc| {
            if let Some(v) = own
                && let Some(item) = doc.get_mut("package").and_then(|p| p.get_mut("version"))
            {
                set_str(item, &v.to_string());
            }
            for_each_dep_table(doc, |t| update_reqs(t, &pkg.dir, &bumped))
        })?;
    }
    for p in plan {
        if let Some(pkg) = ws.get(&p.name) {
            let path = pkg.dir.join("CHANGELOG.md");
            let existing = path.exists().then(|| read(&path)).transpose()?;
            write(
                &path,
                &prepend_section(existing.as_deref(), &p.name, &changelog_section(p, date)),
            )?;
        }
    }
    for cs in changesets {
        std::fs::remove_file(&cs.path)
            .map_err(|e| err!("cannot remove {}: {e}", cs.path.display()))?;
    }
    Ok(())
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned())
}

fn edit_manifest(
    path: &Path,
    f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<()>,
) -> Result<()> {
    let text = read(path)?;
    let mut doc: toml_edit::DocumentMut =
        text.parse().map_err(|e| err!("{}: {e}", path.display()))?;
    f(&mut doc).map_err(|e| err!("{}: {e}", path.display()))?;
    let new = doc.to_string();
    if new != text {
        write(path, &new)?;
    }
    Ok(())
}

/// Replaces a string value, keeping its surrounding whitespace and comments.
fn set_str(item: &mut toml_edit::Item, s: &str) {
    if let Some(v) = item.as_value_mut() {
        let decor = v.decor().clone();
        *v = toml_edit::Value::from(s);
        *v.decor_mut() = decor;
    }
}

/// Calls `f` on every dependency table of a member manifest, target-specific ones included.
fn for_each_dep_table(
    doc: &mut toml_edit::DocumentMut,
    mut f: impl FnMut(&mut dyn toml_edit::TableLike) -> Result<()>,
) -> Result<()> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    for k in KINDS {
        if let Some(t) = doc.get_mut(k).and_then(toml_edit::Item::as_table_like_mut) {
            f(t)?;
        }
    }
    if let Some(targets) = doc
        .get_mut("target")
        .and_then(toml_edit::Item::as_table_like_mut)
    {
        for (_, target) in targets.iter_mut() {
            for k in KINDS {
                if let Some(t) = target
                    .get_mut(k)
                    .and_then(toml_edit::Item::as_table_like_mut)
                {
                    f(t)?;
                }
            }
        }
    }
    Ok(())
}

/// Points the `version` of each path dependency on a bumped member at its new version.
fn update_reqs(
    deps: &mut dyn toml_edit::TableLike,
    base: &Path,
    bumped: &BTreeMap<PathBuf, &Version>,
) -> Result<()> {
    for (_, dep) in deps.iter_mut() {
        let Some(t) = dep.as_table_like_mut() else {
            continue;
        };
        let Some(path) = t.get("path").and_then(toml_edit::Item::as_str) else {
            continue;
        };
        let Some(new) = bumped.get(&canonical(&base.join(path))) else {
            continue;
        };
        if let Some(v) = t.get_mut("version") {
            let req = v.as_str().unwrap_or_default().to_owned();
            set_str(v, &rewrite_req(&req, new)?);
        }
    }
    Ok(())
}

/// The changelog section for one crate.
pub(crate) fn changelog_section(p: &Planned, date: &str) -> String {
    let mut s = format!("## {} - {date}\n", p.new);
    for (level, title) in [
        (Level::Major, "Breaking changes"),
        (Level::Minor, "Features"),
        (Level::Patch, "Fixes"),
    ] {
        let entries: Vec<&String> = p
            .notes
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, t)| t)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let _ = write!(s, "\n### {title}\n\n");
        for e in entries {
            s.push_str(&bullet(e));
        }
    }
    if !p.dep_bumps.is_empty() {
        s.push_str("\n### Dependencies\n\n");
        for (n, o, v) in &p.dep_bumps {
            let _ = writeln!(s, "- `{n}` {o} -> {v}");
        }
    }
    if p.notes.is_empty() && p.dep_bumps.is_empty() {
        s.push_str(
            "\nNo changes of its own: released in lockstep with the other workspace crates.\n",
        );
    }
    s
}

/// A markdown list item; later lines are indented under it (blank lines stay blank).
fn bullet(text: &str) -> String {
    let mut s = String::new();
    for (i, line) in text.trim().lines().enumerate() {
        let line = line.trim_end();
        if i == 0 {
            let _ = writeln!(s, "- {line}");
        } else if line.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "  {line}");
        }
    }
    s
}

/// Inserts `section` above the newest version section, creating the file's header if needed.
pub(crate) fn prepend_section(existing: Option<&str>, name: &str, section: &str) -> String {
    let header = format!(
        "# Changelog\n\nAll notable changes to `{name}` are recorded here. Entries are written by\n\
         `cargo xtask release` from the changesets in `.changeset/` (see docs/RELEASING.md).\n\n"
    );
    let Some(text) = existing.filter(|t| !t.trim().is_empty()) else {
        return format!("{header}{section}");
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if is_version_heading(line) {
            return format!("{}{section}\n{}", &text[..offset], &text[offset..]);
        }
        offset += line.len();
    }
    format!("{}\n\n{section}", text.trim_end())
}

/// `cargo package` for every released crate in one invocation, so cargo resolves the unpublished
/// versions of their path dependencies from its local overlay of the crates being packaged.
fn package(ws: &Workspace, plan: &[Planned]) -> Result<()> {
    let mut cmd = crate::util::cargo();
    cmd.current_dir(&ws.root)
        .args([
            "package",
            "--no-verify",
            "--allow-dirty",
            "--offline",
            "--manifest-path",
        ])
        .arg(ws.root.join("Cargo.toml"));
    for p in plan {
        cmd.args(["-p", &p.name]);
    }
    crate::util::run_status(&mut cmd).map_err(|e| {
        err!("{e}\n(the files are written; `cargo fetch` first if a dependency was not cached)")
    })?;
    // Where cargo put them: the target directory cargo resolved (CARGO_TARGET_DIR included).
    println!("packaged into {}", package_dir(ws).display());
    Ok(())
}

/// The directory `cargo package` writes `.crate` files to.
pub(crate) fn package_dir(ws: &Workspace) -> PathBuf {
    ws.target_dir.join("package")
}
