//! The workspace as `cargo metadata` and the manifests describe it: members, versions, path deps.

use crate::semver::Version;
use crate::util::{Result, err, read, run_output};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
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
    /// The library target's crate name (`clerk_token_types`), if the package has a library.
    pub(crate) lib_name: Option<String>,
    /// `version.workspace = true`: the version lives in `[workspace.package]`, shared in lockstep.
    pub(crate) inherits_version: bool,
    pub(crate) deps: Vec<InternalDep>,
}

/// The members of a workspace.
#[derive(Clone, Debug)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    pub(crate) target_dir: PathBuf,
    pub(crate) packages: Vec<Package>,
}

impl Workspace {
    /// Loads the workspace whose root manifest is `root/Cargo.toml`.
    pub(crate) fn load(root: &Path) -> Result<Self> {
        let out = run_output(
            crate::util::cargo()
                .args([
                    "metadata",
                    "--format-version",
                    "1",
                    "--no-deps",
                    "--manifest-path",
                ])
                .arg(root.join("Cargo.toml")),
        )?;
        Self::from_metadata(root, &serde_json::from_str(&out)?)
    }

    pub(crate) fn from_metadata(root: &Path, meta: &Value) -> Result<Self> {
        let target_dir = meta["target_directory"]
            .as_str()
            .map_or_else(|| root.join("target"), PathBuf::from);
        let members: BTreeSet<&str> = meta["workspace_members"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let raw = meta["packages"]
            .as_array()
            .ok_or_else(|| err!("cargo metadata has no packages"))?;
        let raw: Vec<&Value> = raw
            .iter()
            .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
            .collect();
        // Map each member's directory to its name, to recognise path dependencies on members.
        let mut by_dir = BTreeMap::new();
        for p in &raw {
            let (Some(name), Some(manifest)) = (p["name"].as_str(), p["manifest_path"].as_str())
            else {
                return Err(err!("cargo metadata package without name or manifest_path"));
            };
            let dir = Path::new(manifest)
                .parent()
                .unwrap_or(Path::new(""))
                .to_owned();
            by_dir.insert(dir, name.to_owned());
        }
        let mut packages = Vec::new();
        for p in raw {
            let name = p["name"].as_str().unwrap_or_default().to_owned();
            let manifest_path = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
            let dir = manifest_path.parent().unwrap_or(Path::new("")).to_owned();
            let version = Version::parse(p["version"].as_str().unwrap_or_default())
                .map_err(|e| err!("{name}: {e}"))?;
            // `publish`: null means any registry, [] means `publish = false`.
            let publish = p["publish"].as_array().is_none_or(|a| !a.is_empty());
            let lib_name = p["targets"].as_array().and_then(|ts| {
                ts.iter()
                    .find(|t| {
                        t["kind"].as_array().is_some_and(|k| {
                            k.iter().any(|k| {
                                matches!(k.as_str(), Some("lib" | "rlib" | "dylib" | "proc-macro"))
                            })
                        })
                    })
                    .and_then(|t| t["name"].as_str())
                    .map(|n| n.replace('-', "_"))
            });
            let mut deps = Vec::new();
            for d in p["dependencies"].as_array().into_iter().flatten() {
                let Some(path) = d["path"].as_str() else {
                    continue;
                };
                let Some(dep_name) = by_dir.get(Path::new(path)) else {
                    continue;
                };
                let kind = match d["kind"].as_str() {
                    Some("dev") => DepKind::Dev,
                    Some("build") => DepKind::Build,
                    _ => DepKind::Normal,
                };
                deps.push(InternalDep {
                    name: dep_name.clone(),
                    kind,
                });
            }
            let inherits_version = manifest_inherits_version(&manifest_path)?;
            packages.push(Package {
                name,
                version,
                manifest_path,
                dir,
                publish,
                lib_name,
                inherits_version,
                deps,
            });
        }
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            root: root.to_owned(),
            target_dir,
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

/// Whether a member manifest says `version.workspace = true`.
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
