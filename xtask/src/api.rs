//! Public API listings: each library crate's public items, one per line, from rustdoc JSON.
//!
//! Rustdoc's JSON output is unstable (its `format_version` changes), so the walker reads only the
//! long-standing parts (`root`, `index`, item `name`/`visibility`/`inner` and the kinds below) and
//! treats anything unexpected as absent rather than failing.

use crate::util::{Result, err, read, run_output, write};
use crate::workspace::{Package, Workspace};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// `cargo xtask api [--check]`.
pub(crate) fn command(root: &Path, check: bool) -> Result<()> {
    let ws = Workspace::load(root)?;
    let dir = root.join("api");
    let mut drift = Vec::new();
    let mut expected = BTreeSet::new();
    for pkg in listed_packages(&ws) {
        let file = dir.join(format!("{}.txt", pkg.name));
        expected.insert(file.clone());
        let lines = generate(&ws, pkg)?;
        let text = to_text(&lines);
        if check {
            let old = if file.exists() {
                read(&file)?
            } else {
                String::new()
            };
            if old != text {
                let (removed, added) = diff(&from_text(&old), &lines);
                drift.push(format_diff(&pkg.name, &removed, &added, !file.exists()));
            }
        } else {
            write(&file, &text)?;
            println!("wrote {} ({} items)", file.display(), lines.len());
        }
    }
    // A listing without a crate is stale too.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") && !expected.contains(&p) {
                if check {
                    drift.push(format!("{}: no such library crate any more\n", p.display()));
                } else {
                    std::fs::remove_file(&p)?;
                    println!("removed stale {}", p.display());
                }
            }
        }
    }
    if drift.is_empty() {
        if check {
            println!("api: listings match");
        }
        Ok(())
    } else {
        print!("{}", drift.concat());
        Err(err!(
            "public API listings drifted; review the lines above and run `cargo xtask api`"
        ))
    }
}

/// The members whose API is listed: publishable libraries.
pub(crate) fn listed_packages(ws: &Workspace) -> impl Iterator<Item = &Package> {
    ws.packages
        .iter()
        .filter(|p| p.publish && p.lib_name.is_some())
}

/// Renders a crate's listing diff for people.
pub(crate) fn format_diff(name: &str, removed: &[String], added: &[String], new: bool) -> String {
    let mut s = format!(
        "api/{name}.txt{}: {} removed, {} added\n",
        if new { " (missing)" } else { "" },
        removed.len(),
        added.len()
    );
    for l in removed {
        s.push_str(&format!("- {l}\n"));
    }
    for l in added {
        s.push_str(&format!("+ {l}\n"));
    }
    s
}

pub(crate) fn to_text(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

pub(crate) fn from_text(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `(removed, added)` between two listings.
pub(crate) fn diff(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let o: BTreeSet<&String> = old.iter().collect();
    let n: BTreeSet<&String> = new.iter().collect();
    (
        o.difference(&n).map(|s| (*s).clone()).collect(),
        n.difference(&o).map(|s| (*s).clone()).collect(),
    )
}

/// Builds the crate's rustdoc JSON (stable rustdoc, unlocked with `RUSTC_BOOTSTRAP=1`) in the
/// shared target directory and lists it.
pub(crate) fn generate(ws: &Workspace, pkg: &Package) -> Result<Vec<String>> {
    let lib = pkg
        .lib_name
        .as_deref()
        .ok_or_else(|| err!("{} has no library", pkg.name))?;
    let json_path = ws.target_dir.join("doc").join(format!("{lib}.json"));
    // A stale file from an earlier run must not pass for this one.
    let _ = std::fs::remove_file(&json_path);
    run_output(
        crate::util::cargo()
            .current_dir(&ws.root)
            .env("RUSTC_BOOTSTRAP", "1")
            .env_remove("RUSTDOCFLAGS")
            .args([
                "rustdoc",
                "--quiet",
                "--lib",
                "-p",
                &pkg.name,
                "--manifest-path",
            ])
            .arg(ws.root.join("Cargo.toml"))
            .args(["--", "-Z", "unstable-options", "--output-format", "json"]),
    )?;
    let json: Value = serde_json::from_str(&read(&json_path)?)?;
    listing(&json).map_err(|e| err!("{}: {e}", pkg.name))
}

/// The sorted listing of a rustdoc JSON document.
pub(crate) fn listing(doc: &Value) -> Result<Vec<String>> {
    let index = doc
        .get("index")
        .and_then(Value::as_object)
        .ok_or_else(|| err!("rustdoc JSON has no index"))?;
    let root_key = doc
        .get("root")
        .and_then(key)
        .ok_or_else(|| err!("rustdoc JSON has no root"))?;
    let root = index
        .get(&root_key)
        .ok_or_else(|| err!("rustdoc JSON root item is missing from the index"))?;
    let name = root
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| err!("rustdoc JSON root has no name"))?;
    let mut w = Walker {
        index,
        out: BTreeSet::new(),
        seen: HashSet::new(),
    };
    w.out.insert(format!("pub mod {name}"));
    w.module(root, name, 0);
    Ok(w.out.into_iter().collect())
}

/// Item ids are numbers in recent formats and strings in older ones.
fn key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The single key of an `inner` object (`"function"`, `"struct"`, ...) and its payload.
fn inner(item: &Value) -> Option<(&str, &Value)> {
    match item.get("inner")? {
        Value::Object(m) => m.iter().next().map(|(k, v)| (k.as_str(), v)),
        Value::String(s) => Some((s.as_str(), &Value::Null)),
        _ => None,
    }
}

fn is_public(item: &Value) -> bool {
    item.get("visibility").and_then(Value::as_str) == Some("public")
}

fn ids(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

const STABLE_AUTO_TRAITS: [&str; 5] = ["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

/// Guards the walk against re-export cycles (`pub use self::*` and friends).
const MAX_DEPTH: usize = 32;

struct Walker<'a> {
    index: &'a serde_json::Map<String, Value>,
    out: BTreeSet<String>,
    seen: HashSet<(String, String)>,
}

impl<'a> Walker<'a> {
    fn item(&self, id: &Value) -> Option<&'a Value> {
        self.index.get(&key(id)?)
    }

    fn module(&mut self, module: &'a Value, path: &str, depth: usize) {
        let Some(("module", m)) = inner(module) else {
            return;
        };
        let marker = (
            module.get("id").and_then(key).unwrap_or_default(),
            path.to_owned(),
        );
        if depth > MAX_DEPTH || !self.seen.insert(marker) {
            return;
        }
        for child in ids(m.get("items")) {
            let Some(item) = self.item(child) else {
                continue;
            };
            if !is_public(item) {
                continue;
            }
            if let Some(("use", u)) = inner(item) {
                self.reexport(u, path, depth);
                continue;
            }
            if let Some(name) = item.get("name").and_then(Value::as_str) {
                self.item_at(item, &format!("{path}::{name}"), depth);
            }
        }
    }

    fn reexport(&mut self, u: &'a Value, path: &str, depth: usize) {
        let name = u.get("name").and_then(Value::as_str).unwrap_or("_");
        let source = u.get("source").and_then(Value::as_str).unwrap_or("?");
        let target = u.get("id").and_then(|id| self.item(id));
        let glob = u.get("is_glob").and_then(Value::as_bool).unwrap_or(false);
        match (target, glob) {
            (Some(t), true) => match inner(t) {
                Some(("module", _)) => self.module(t, path, depth + 1),
                Some(("enum", e)) => {
                    for v in ids(e.get("variants")) {
                        if let Some(v) = self.item(v) {
                            let vn = v.get("name").and_then(Value::as_str).unwrap_or("_");
                            self.out
                                .insert(format!("pub use {path}::{vn} = {source}::{vn}"));
                        }
                    }
                }
                _ => {
                    self.out.insert(format!("pub use {path}::* = {source}::*"));
                }
            },
            (Some(t), false) => self.item_at(t, &format!("{path}::{name}"), depth + 1),
            // Items of other crates are not in the index: the re-export itself is the API.
            (None, true) => {
                self.out.insert(format!("pub use {path}::* = {source}::*"));
            }
            (None, false) => {
                self.out
                    .insert(format!("pub use {path}::{name} = {source}"));
            }
        }
    }

    fn item_at(&mut self, item: &'a Value, path: &str, depth: usize) {
        let Some((kind, body)) = inner(item) else {
            return;
        };
        match kind {
            "module" => {
                self.out.insert(format!("pub mod {path}"));
                self.module(item, path, depth + 1);
            }
            "struct" | "union" => {
                self.out.insert(format!(
                    "pub {kind} {path}{}",
                    generics(body.get("generics"))
                ));
                match body.get("kind") {
                    Some(Value::Object(k)) => {
                        if let Some(p) = k.get("plain") {
                            self.fields(ids(p.get("fields")), path, false);
                        } else if let Some(t) = k.get("tuple") {
                            self.fields(ids(Some(t)), path, true);
                        }
                    }
                    _ => self.fields(ids(body.get("fields")), path, false),
                }
                self.impls(body, path);
            }
            "enum" => {
                self.out
                    .insert(format!("pub enum {path}{}", generics(body.get("generics"))));
                for v in ids(body.get("variants")) {
                    if let Some(v) = self.item(v) {
                        self.variant(v, path);
                    }
                }
                self.impls(body, path);
            }
            "trait" => {
                let unsafety = if flag(body, "is_unsafe") {
                    "unsafe "
                } else {
                    ""
                };
                self.out.insert(format!(
                    "pub {unsafety}trait {path}{}",
                    generics(body.get("generics"))
                ));
                for it in ids(body.get("items")) {
                    if let Some(it) = self.item(it) {
                        self.assoc(it, path);
                    }
                }
            }
            "function" => {
                self.out.insert(format!("pub {}", function(body, path)));
            }
            "constant" => {
                self.out
                    .insert(format!("pub const {path}: {}", ty(body.get("type"))));
            }
            "static" => {
                let m = if flag(body, "is_mutable") { "mut " } else { "" };
                self.out
                    .insert(format!("pub static {m}{path}: {}", ty(body.get("type"))));
            }
            "type_alias" => {
                self.out.insert(format!(
                    "pub type {path}{} = {}",
                    generics(body.get("generics")),
                    ty(body.get("type"))
                ));
            }
            "macro" | "proc_macro" => {
                self.out.insert(format!("pub macro {path}"));
            }
            // A re-export of a re-export: follow it, keeping the name it is reached by.
            "use" => match body.get("id").and_then(|id| self.item(id)) {
                Some(t) if depth < MAX_DEPTH => self.item_at(t, path, depth + 1),
                _ => {
                    let source = body.get("source").and_then(Value::as_str).unwrap_or("?");
                    self.out.insert(format!("pub use {path} = {source}"));
                }
            },
            other => {
                self.out.insert(format!("pub {other} {path}"));
            }
        }
    }

    fn fields<I: Iterator<Item = &'a Value>>(&mut self, fields: I, path: &str, tuple: bool) {
        for (i, f) in fields.enumerate() {
            // Tuple structs list hidden fields as null.
            let Some(f) = self.item(f) else { continue };
            if !is_public(f) {
                continue;
            }
            let name = if tuple {
                i.to_string()
            } else {
                f.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("_")
                    .to_owned()
            };
            let t = inner(f).map(|(_, t)| ty(Some(t))).unwrap_or_default();
            self.out.insert(format!("pub field {path}::{name}: {t}"));
        }
    }

    fn variant(&mut self, v: &'a Value, path: &str) {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("_");
        let Some(("variant", body)) = inner(v) else {
            return;
        };
        let field_types = |fs: Option<&'a Value>| -> Vec<String> {
            ids(fs)
                .map(|f| match self.item(f).and_then(inner) {
                    Some((_, t)) => {
                        let n = self
                            .item(f)
                            .and_then(|f| f.get("name"))
                            .and_then(Value::as_str)
                            .unwrap_or("_");
                        (n.to_owned(), ty(Some(t)))
                    }
                    None => ("_".to_owned(), "_".to_owned()),
                })
                .map(|(n, t)| {
                    if n.parse::<usize>().is_ok() {
                        t
                    } else {
                        format!("{n}: {t}")
                    }
                })
                .collect()
        };
        let shape = match body.get("kind") {
            Some(Value::Object(k)) if k.contains_key("tuple") => {
                format!("({})", field_types(k.get("tuple")).join(", "))
            }
            Some(Value::Object(k)) if k.contains_key("struct") => {
                let s = &k["struct"];
                let mut fs = field_types(s.get("fields"));
                if flag(s, "has_stripped_fields") {
                    fs.push("..".into());
                }
                format!(" {{ {} }}", fs.join(", "))
            }
            _ => String::new(),
        };
        self.out
            .insert(format!("pub variant {path}::{name}{shape}"));
    }

    fn impls(&mut self, body: &'a Value, path: &str) {
        for id in ids(body.get("impls")) {
            let Some(imp) = self.item(id) else { continue };
            let Some(("impl", i)) = inner(imp) else {
                continue;
            };
            // Blanket impls (`impl<T> From<T> for T`, ...) say nothing about this crate.
            if i.get("blanket_impl").is_some_and(|b| !b.is_null()) {
                continue;
            }
            let trait_ = i.get("trait").filter(|t| !t.is_null());
            // Of the auto traits only the stable ones are API; `Freeze` and friends would make
            // the listing change with the toolchain.
            if flag(i, "is_synthetic")
                && !trait_
                    .and_then(|t| t.get("path"))
                    .and_then(Value::as_str)
                    .is_some_and(|p| {
                        STABLE_AUTO_TRAITS.contains(&p.rsplit("::").next().unwrap_or(p))
                    })
            {
                continue;
            }
            match trait_ {
                None => {
                    for it in ids(i.get("items")) {
                        if let Some(it) = self.item(it).filter(|it| is_public(it)) {
                            self.assoc(it, path);
                        }
                    }
                }
                Some(t) => {
                    let neg = if flag(i, "is_negative") { "!" } else { "" };
                    let unsafety = if flag(i, "is_unsafe") { "unsafe " } else { "" };
                    self.out.insert(format!(
                        "{unsafety}impl{} {neg}{} for {path}",
                        generics(i.get("generics")),
                        path_ty(t)
                    ));
                }
            }
        }
    }

    /// Trait items and inherent impl items.
    fn assoc(&mut self, it: &'a Value, path: &str) {
        let name = it.get("name").and_then(Value::as_str).unwrap_or("_");
        let full = format!("{path}::{name}");
        let line = match inner(it) {
            Some(("function", f)) => function(f, &full),
            Some(("assoc_const" | "constant", c)) => format!("const {full}: {}", ty(c.get("type"))),
            Some(("assoc_type", t)) => {
                let b = bounds(t.get("bounds"));
                let d = t
                    .get("type")
                    .filter(|d| !d.is_null())
                    .map(|d| format!(" = {}", ty(Some(d))))
                    .unwrap_or_default();
                format!(
                    "type {full}{}{}{d}",
                    generics(t.get("generics")),
                    if b.is_empty() {
                        String::new()
                    } else {
                        format!(": {b}")
                    }
                )
            }
            Some((other, _)) => format!("{other} {full}"),
            None => return,
        };
        self.out.insert(format!("pub {line}"));
    }
}

fn flag(v: &Value, name: &str) -> bool {
    v.get(name).and_then(Value::as_bool).unwrap_or(false)
}

/// `fn path<G>(args) -> ret`, with `const`/`async`/`unsafe` qualifiers.
fn function(f: &Value, path: &str) -> String {
    let header = f.get("header").unwrap_or(&Value::Null);
    let mut q = String::new();
    for (k, word) in [
        ("is_const", "const "),
        ("is_async", "async "),
        ("is_unsafe", "unsafe "),
    ] {
        if flag(header, k) {
            q.push_str(word);
        }
    }
    let sig = f
        .get("sig")
        .or_else(|| f.get("decl"))
        .unwrap_or(&Value::Null);
    let args: Vec<String> = ids(sig.get("inputs"))
        .map(|a| {
            let n = a.get(0).and_then(Value::as_str).unwrap_or("_");
            let t = a.get(1);
            if n == "self" {
                let self_ty = |v: Option<&Value>| {
                    v.and_then(|v| v.get("generic")).and_then(Value::as_str) == Some("Self")
                };
                if self_ty(t) {
                    return "self".to_owned();
                }
                if let Some(r) = t.and_then(|t| t.get("borrowed_ref"))
                    && self_ty(r.get("type"))
                {
                    let lt = r
                        .get("lifetime")
                        .and_then(Value::as_str)
                        .map(|l| format!("{l} "))
                        .unwrap_or_default();
                    let m = if flag(r, "is_mutable") { "mut " } else { "" };
                    return format!("&{lt}{m}self");
                }
            }
            format!("{n}: {}", ty(t))
        })
        .collect();
    let ret = sig
        .get("output")
        .filter(|o| !o.is_null())
        .map(|o| format!(" -> {}", ty(Some(o))))
        .unwrap_or_default();
    format!(
        "{q}fn {path}{}({}){ret}{}",
        generics(f.get("generics")),
        args.join(", "),
        where_clause(f.get("generics"))
    )
}

/// `<'a, T: Bound, const N: usize>`; parameters rustdoc synthesised for `impl Trait` are left out.
fn generics(g: Option<&Value>) -> String {
    let params: Vec<String> = ids(g.and_then(|g| g.get("params")))
        .filter_map(|p| {
            let name = p.get("name").and_then(Value::as_str)?;
            let kind = p.get("kind")?;
            if let Some(t) = kind.get("type") {
                if flag(t, "is_synthetic") {
                    return None;
                }
                let b = bounds(t.get("bounds"));
                Some(if b.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {b}")
                })
            } else if let Some(c) = kind.get("const") {
                Some(format!("const {name}: {}", ty(c.get("type"))))
            } else {
                Some(name.to_owned())
            }
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn where_clause(g: Option<&Value>) -> String {
    let preds: Vec<String> = ids(g.and_then(|g| g.get("where_predicates")))
        .filter_map(|p| {
            let b = p.get("bound_predicate")?;
            Some(format!(
                "{}: {}",
                ty(b.get("type")),
                bounds(b.get("bounds"))
            ))
        })
        .collect();
    if preds.is_empty() {
        String::new()
    } else {
        format!(" where {}", preds.join(", "))
    }
}

fn bounds(b: Option<&Value>) -> String {
    ids(b)
        .filter_map(|b| {
            if let Some(t) = b.get("trait_bound") {
                let m = if t.get("modifier").and_then(Value::as_str) == Some("maybe") {
                    "?"
                } else {
                    ""
                };
                Some(format!("{m}{}", path_ty(t.get("trait")?)))
            } else {
                b.get("outlives").and_then(Value::as_str).map(str::to_owned)
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A path with its generic arguments; only the last segment of the path is kept, so moving an
/// import does not change the listing.
fn path_ty(p: &Value) -> String {
    let full = p
        .get("path")
        .or_else(|| p.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("_");
    let last = full.rsplit("::").next().unwrap_or(full);
    format!("{last}{}", args(p.get("args")))
}

fn args(a: Option<&Value>) -> String {
    let Some(a) = a.filter(|a| !a.is_null()) else {
        return String::new();
    };
    if let Some(ab) = a.get("angle_bracketed") {
        let mut parts: Vec<String> = ids(ab.get("args"))
            .map(|g| {
                if let Some(t) = g.get("type") {
                    ty(Some(t))
                } else if let Some(l) = g.get("lifetime").and_then(Value::as_str) {
                    l.to_owned()
                } else if let Some(c) = g.get("const") {
                    c.get("expr")
                        .and_then(Value::as_str)
                        .unwrap_or("_")
                        .to_owned()
                } else {
                    "_".to_owned()
                }
            })
            .collect();
        for c in ids(ab.get("constraints").or_else(|| ab.get("bindings"))) {
            let n = c.get("name").and_then(Value::as_str).unwrap_or("_");
            let binding = c.get("binding");
            if let Some(t) = binding.and_then(|b| b.get("equality")) {
                parts.push(format!("{n} = {}", ty(t.get("type").or(Some(t)))));
            } else if let Some(b) = binding.and_then(|b| b.get("constraint")) {
                parts.push(format!("{n}: {}", bounds(Some(b))));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    } else if let Some(p) = a.get("parenthesized") {
        let ins: Vec<String> = ids(p.get("inputs")).map(|t| ty(Some(t))).collect();
        let out = p
            .get("output")
            .filter(|o| !o.is_null())
            .map(|o| format!(" -> {}", ty(Some(o))))
            .unwrap_or_default();
        format!("({}){out}", ins.join(", "))
    } else {
        String::new()
    }
}

/// A type as Rust source, or `_` for shapes this walker does not know.
fn ty(t: Option<&Value>) -> String {
    let Some(t) = t else { return "_".into() };
    if t.as_str() == Some("infer") {
        return "_".into();
    }
    let Some(obj) = t.as_object() else {
        return "_".into();
    };
    let Some((k, v)) = obj.iter().next() else {
        return "_".into();
    };
    match k.as_str() {
        "primitive" | "generic" => v.as_str().unwrap_or("_").to_owned(),
        "resolved_path" => path_ty(v),
        "borrowed_ref" => {
            let lt = v
                .get("lifetime")
                .and_then(Value::as_str)
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let m = if flag(v, "is_mutable") { "mut " } else { "" };
            format!("&{lt}{m}{}", ty(v.get("type")))
        }
        "raw_pointer" => {
            let m = if flag(v, "is_mutable") {
                "mut"
            } else {
                "const"
            };
            format!("*{m} {}", ty(v.get("type")))
        }
        "slice" => format!("[{}]", ty(Some(v))),
        "array" => format!(
            "[{}; {}]",
            ty(v.get("type")),
            v.get("len").and_then(Value::as_str).unwrap_or("_")
        ),
        "tuple" => {
            let ts: Vec<String> = ids(Some(v)).map(|t| ty(Some(t))).collect();
            if ts.len() == 1 {
                format!("({},)", ts[0])
            } else {
                format!("({})", ts.join(", "))
            }
        }
        "impl_trait" => format!("impl {}", bounds(Some(v))),
        "dyn_trait" => {
            let mut ts: Vec<String> = ids(v.get("traits"))
                .filter_map(|p| p.get("trait").map(path_ty))
                .collect();
            if let Some(l) = v.get("lifetime").and_then(Value::as_str) {
                ts.push(l.to_owned());
            }
            format!("dyn {}", ts.join(" + "))
        }
        "qualified_path" => {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("_");
            let self_ty = ty(v.get("self_type"));
            match v.get("trait").filter(|t| !t.is_null()) {
                Some(tr) => format!("<{self_ty} as {}>::{name}", path_ty(tr)),
                None => format!("{self_ty}::{name}"),
            }
        }
        "function_pointer" => {
            let sig = v
                .get("sig")
                .or_else(|| v.get("decl"))
                .unwrap_or(&Value::Null);
            let ins: Vec<String> = ids(sig.get("inputs")).map(|a| ty(a.get(1))).collect();
            let out = sig
                .get("output")
                .filter(|o| !o.is_null())
                .map(|o| format!(" -> {}", ty(Some(o))))
                .unwrap_or_default();
            format!("fn({}){out}", ins.join(", "))
        }
        _ => "_".into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A hand-written document in the shape of rustdoc's JSON (format 57), covering each kind the
    /// walker reads and the things it must leave out.
    fn fixture() -> Value {
        let unit = |t: &str| json!({"resolved_path": {"path": t, "id": 900, "args": null}});
        json!({
            "format_version": 57,
            "root": 0,
            "index": {
                "0": {"id": 0, "name": "demo", "visibility": "public",
                      "inner": {"module": {"is_crate": true, "items": [1, 6, 7, 8, 11, 12, 16, 17], "is_stripped": false}}},
                "1": {"id": 1, "name": "S", "visibility": "public",
                      "inner": {"struct": {"kind": {"plain": {"fields": [2, 18], "has_stripped_fields": false}},
                                           "generics": {"params": [], "where_predicates": []},
                                           "impls": [3, 4, 5, 14, 15]}}},
                "2": {"id": 2, "name": "x", "visibility": "public", "inner": {"struct_field": {"primitive": "u32"}}},
                "18": {"id": 18, "name": "secret", "visibility": "crate", "inner": {"struct_field": {"primitive": "u8"}}},
                "3": {"id": 3, "name": null, "visibility": "default",
                      "inner": {"impl": {"trait": null, "for": unit("S"), "items": [13, 19], "is_synthetic": false, "blanket_impl": null,
                                         "generics": {"params": [], "where_predicates": []}}}},
                "13": {"id": 13, "name": "new", "visibility": "public",
                       "inner": {"function": {"sig": {"inputs": [["v", {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"primitive": "str"}}}]],
                                                      "output": {"resolved_path": {"path": "Result", "id": 901, "args": {"angle_bracketed": {"args": [{"type": {"generic": "Self"}}, {"type": unit("Error")}], "constraints": []}}}}},
                                              "generics": {"params": [], "where_predicates": []},
                                              "header": {"is_const": false, "is_unsafe": false, "is_async": false}}}},
                "19": {"id": 19, "name": "hidden_helper", "visibility": "crate",
                       "inner": {"function": {"sig": {"inputs": [], "output": null}, "generics": {"params": [], "where_predicates": []}, "header": {}}}},
                "4": {"id": 4, "name": null, "visibility": "default",
                      "inner": {"impl": {"trait": {"path": "Clone", "id": 902, "args": null}, "for": unit("S"), "items": [], "is_synthetic": false, "blanket_impl": null}}},
                "5": {"id": 5, "name": null, "visibility": "default",
                      "inner": {"impl": {"trait": {"path": "From", "id": 903, "args": null}, "for": {"generic": "T"}, "items": [], "is_synthetic": false, "blanket_impl": {"generic": "T"}}}},
                "14": {"id": 14, "name": null, "visibility": "default",
                       "inner": {"impl": {"trait": {"path": "Freeze", "id": 904, "args": null}, "for": unit("S"), "items": [], "is_synthetic": true, "blanket_impl": null}}},
                "15": {"id": 15, "name": null, "visibility": "default",
                       "inner": {"impl": {"trait": {"path": "Send", "id": 905, "args": null}, "for": unit("S"), "items": [], "is_synthetic": true, "blanket_impl": null}}},
                "6": {"id": 6, "name": "decode", "visibility": "public",
                      "inner": {"function": {"sig": {"inputs": [["token", {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"primitive": "str"}}}]],
                                                     "output": unit("S")},
                                             "generics": {"params": [], "where_predicates": []},
                                             "header": {"is_const": false, "is_unsafe": false, "is_async": true}}}},
                "7": {"id": 7, "name": null, "visibility": "public",
                      "inner": {"use": {"source": "inner", "name": "inner", "id": 8, "is_glob": true}}},
                "8": {"id": 8, "name": "inner", "visibility": "public",
                      "inner": {"module": {"is_crate": false, "items": [9, 7], "is_stripped": false}}},
                "9": {"id": 9, "name": "Kind", "visibility": "public",
                      "inner": {"enum": {"variants": [10, 20], "impls": [], "generics": {"params": [], "where_predicates": []}}}},
                "10": {"id": 10, "name": "Other", "visibility": "default",
                       "inner": {"variant": {"kind": {"tuple": [21]}, "discriminant": null}}},
                "21": {"id": 21, "name": "0", "visibility": "default", "inner": {"struct_field": unit("String")}},
                "20": {"id": 20, "name": "Jwt", "visibility": "default", "inner": {"variant": {"kind": "plain", "discriminant": null}}},
                "11": {"id": 11, "name": "private_fn", "visibility": "default",
                       "inner": {"function": {"sig": {"inputs": [], "output": null}, "generics": {"params": [], "where_predicates": []}, "header": {}}}},
                "12": {"id": 12, "name": null, "visibility": "public",
                       "inner": {"use": {"source": "other_crate::Thing", "name": "Thing", "id": 906, "is_glob": false}}},
                "16": {"id": 16, "name": "LIMIT", "visibility": "public",
                       "inner": {"constant": {"type": {"primitive": "usize"}, "const": {"expr": "3"}}}},
                "17": {"id": 17, "name": "Tr", "visibility": "public",
                       "inner": {"trait": {"items": [22], "generics": {"params": [], "where_predicates": []}, "is_unsafe": false}}},
                "22": {"id": 22, "name": "check", "visibility": "default",
                       "inner": {"function": {"sig": {"inputs": [["self", {"borrowed_ref": {"lifetime": null, "is_mutable": true, "type": {"generic": "Self"}}}],
                                                                 ["t", {"slice": {"primitive": "u8"}}]],
                                                      "output": {"tuple": []}},
                                              "generics": {"params": [{"name": "T", "kind": {"type": {"bounds": [{"trait_bound": {"trait": {"path": "std::fmt::Debug", "id": 907, "args": null}, "modifier": "none"}}], "is_synthetic": false}}}], "where_predicates": []},
                                              "header": {}}}}
            },
            "paths": {}
        })
    }

    #[test]
    fn walks_public_items_and_reexports() {
        let got = listing(&fixture()).unwrap();
        let want = [
            "impl Clone for demo::S",
            "impl Send for demo::S",
            "pub async fn demo::decode(token: &str) -> S",
            "pub const demo::LIMIT: usize",
            "pub enum demo::Kind",
            "pub enum demo::inner::Kind",
            "pub field demo::S::x: u32",
            "pub fn demo::S::new(v: &str) -> Result<Self, Error>",
            "pub fn demo::Tr::check<T: Debug>(&mut self, t: [u8]) -> ()",
            "pub mod demo",
            "pub mod demo::inner",
            "pub struct demo::S",
            "pub trait demo::Tr",
            "pub use demo::Thing = other_crate::Thing",
            "pub variant demo::Kind::Jwt",
            "pub variant demo::Kind::Other(String)",
            "pub variant demo::inner::Kind::Jwt",
            "pub variant demo::inner::Kind::Other(String)",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn string_ids_of_older_formats_work_too() {
        let doc = json!({"root": "0:0", "index": {
            "0:0": {"id": "0:0", "name": "old", "visibility": "public", "inner": {"module": {"items": ["0:1"]}}},
            "0:1": {"id": "0:1", "name": "f", "visibility": "public", "inner": {"function": {"sig": {"inputs": [], "output": null}}}}
        }});
        assert_eq!(listing(&doc).unwrap(), ["pub fn old::f()", "pub mod old"]);
    }

    #[test]
    fn malformed_documents_are_errors_not_panics() {
        for doc in [
            json!({}),
            json!({"index": {}}),
            json!({"index": {}, "root": 5}),
            json!({"index": [], "root": 0}),
        ] {
            assert!(listing(&doc).is_err(), "{doc}");
        }
        // Unknown shapes inside items degrade to `_` instead of failing.
        let doc = json!({"root": 0, "index": {
            "0": {"name": "k", "visibility": "public", "inner": {"module": {"items": [1, 2, "x", null]}}},
            "1": {"name": "c", "visibility": "public", "inner": {"constant": {"type": {"brand_new_kind": 1}}}},
            "2": {"name": "w", "visibility": "public", "inner": {"weird_future_kind": {}}}
        }});
        assert_eq!(
            listing(&doc).unwrap(),
            [
                "pub const k::c: _",
                "pub mod k",
                "pub weird_future_kind k::w"
            ]
        );
    }

    #[test]
    fn diff_and_text_round_trip() {
        let old = from_text("a\nb\nc\n");
        let new = vec!["b".to_owned(), "c".to_owned(), "d".to_owned()];
        assert_eq!(
            diff(&old, &new),
            (vec!["a".to_owned()], vec!["d".to_owned()])
        );
        assert_eq!(from_text(&to_text(&new)), new);
        assert_eq!(
            format_diff("x", &["a".to_owned()], &["d".to_owned()], false),
            "api/x.txt: 1 removed, 1 added\n- a\n+ d\n"
        );
    }
}
