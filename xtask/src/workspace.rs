//! The workspace as `cargo metadata` describes it (through `cargo_metadata`): members, versions,
//! library targets, path dependencies between members and the target directory.

use crate::util::{Result, err, read};
use crate::version::check_release;
use cargo_metadata::{DependencyKind, MetadataCommand};
use semver::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How a dependency is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DepKind {
    Normal,
    Dev,
    Build,
}

/// A dependency of a member on another member (through a `path`).
#[derive(Clone, Debug)]
pub(crate) struct InternalDep {
    pub(crate) name: String,
    pub(crate) kind: DepKind,
}

/// A workspace member.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: Version,
    pub(crate) manifest_path: PathBuf,
    pub(crate) dir: PathBuf,
    /// `publish = false` members are never released.
    pub(crate) publish: bool,
    /// The library target's crate name (`clerk_token_types`); `None` for a binary-only package,
    /// which has no API listing.
    pub(crate) lib_name: Option<String>,
    /// `version.workspace = true`: the version lives in `[workspace.package]`, shared in lockstep.
    pub(crate) inherits_version: bool,
    pub(crate) deps: Vec<InternalDep>,
}

/// The members of a workspace.
#[derive(Clone, Debug)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    /// Where cargo builds: `CARGO_TARGET_DIR`, `build.target-dir` or `<root>/target`, as cargo
    /// resolves it.
    pub(crate) target_dir: PathBuf,
    pub(crate) packages: Vec<Package>,
}

impl Workspace {
    /// Loads the workspace whose root manifest is `root/Cargo.toml` (`cargo metadata --no-deps`,
    /// run with `$CARGO` so the toolchain matches).
    pub(crate) fn load(root: &Path) -> Result<Self> {
        let meta = MetadataCommand::new()
            .manifest_path(root.join("Cargo.toml"))
            .no_deps()
            .exec()
            .map_err(|e| err!("cargo metadata for {}: {e}", root.display()))?;
        Self::from_metadata(root, &meta)
    }

    fn from_metadata(root: &Path, meta: &cargo_metadata::Metadata) -> Result<Self> {
        let members = meta.workspace_packages();
        // Each member's directory, to recognise path dependencies on members.
        let by_dir: BTreeMap<&Path, &str> = members
            .iter()
            .filter_map(|p| Some((p.manifest_path.parent()?.as_std_path(), p.name.as_str())))
            .collect();
        let mut packages = Vec::new();
        for p in members {
            let name = p.name.to_string();
            check_release(&p.version).map_err(|e| err!("{name}: {e}"))?;
            let manifest_path = p.manifest_path.clone().into_std_path_buf();
            let dir = manifest_path.parent().unwrap_or(Path::new("")).to_owned();
            let lib_name = p
                .targets
                .iter()
                .find(|t| t.is_lib() || t.is_rlib() || t.is_dylib() || t.is_proc_macro())
                .map(|t| t.name.replace('-', "_"));
            let deps = p
                .dependencies
                .iter()
                .filter_map(|d| {
                    let dep_name = by_dir.get(d.path.as_ref()?.as_std_path())?;
                    let kind = match d.kind {
                        DependencyKind::Development => DepKind::Dev,
                        DependencyKind::Build => DepKind::Build,
                        _ => DepKind::Normal,
                    };
                    Some(InternalDep {
                        name: (*dep_name).to_owned(),
                        kind,
                    })
                })
                .collect();
            packages.push(Package {
                name,
                version: p.version.clone(),
                inherits_version: manifest_inherits_version(&manifest_path)?,
                manifest_path,
                dir,
                // `publish`: absent means any registry, `[]` means `publish = false`.
                publish: p.publish.as_ref().is_none_or(|r| !r.is_empty()),
                lib_name,
                deps,
            });
        }
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            root: root.to_owned(),
            target_dir: meta.target_directory.clone().into_std_path_buf(),
            packages,
        })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// Members in dependency order (a crate after everything it needs to build), over normal and
    /// build dependencies: dev-dependencies may form cycles and do not constrain publishing.
    pub(crate) fn topo_order(&self) -> Result<Vec<String>> {
        let mut done: Vec<String> = Vec::new();
        let mut remaining: Vec<&Package> = self.packages.iter().collect();
        while !remaining.is_empty() {
            let before = remaining.len();
            let mut i = 0;
            while i < remaining.len() {
                let ready = remaining[i]
                    .deps
                    .iter()
                    .filter(|d| d.kind != DepKind::Dev && d.name != remaining[i].name)
                    .all(|d| done.contains(&d.name));
                if ready {
                    done.push(remaining.remove(i).name.clone());
                } else {
                    i += 1;
                }
            }
            if remaining.len() == before {
                let names: Vec<&str> = remaining.iter().map(|p| p.name.as_str()).collect();
                return Err(err!("dependency cycle among {}", names.join(", ")));
            }
        }
        Ok(done)
    }
}

/// Whether a member manifest says `version.workspace = true` (`cargo metadata` reports only the
/// resolved version, not where it came from).
fn manifest_inherits_version(manifest: &Path) -> Result<bool> {
    let doc: toml_edit::DocumentMut = read(manifest)?
        .parse()
        .map_err(|e| err!("{}: {e}", manifest.display()))?;
    Ok(doc
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.get("workspace"))
        .and_then(toml_edit::Item::as_bool)
        .unwrap_or(false))
}
