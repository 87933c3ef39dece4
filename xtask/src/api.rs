//! Public API listings: each library crate's public items, one per line, from rustdoc JSON.
//!
//! The `public-api` crate (the library behind `cargo public-api`) walks rustdoc's JSON and renders
//! each item; we add two things the release gate needs (see docs/RELEASING.md): a ` { .. }` mark
//! on structs and struct variants with fields users cannot see, and, per listing, the variants and
//! fields whose appearance in an existing exhaustive type breaks users ([`Listing::guarded`]).
//!
//! Rustdoc's JSON format is unstable: `public-api` and `rustdoc-types` read one `format_version`,
//! the one the pinned toolchain (`rust-toolchain.toml`) writes. A toolchain update that changes it
//! fails here with both numbers until those two dependencies are moved along.

use crate::util::{Result, err, read, run_output, write};
use crate::workspace::{Package, Workspace};
use public_api::tokens::Token;
use rustdoc_types::{Attribute, Crate, Id, ItemEnum, StructKind, VariantKind};
use std::collections::{BTreeSet, HashMap};
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
        let lines = generate(&ws, pkg)?.lines;
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

/// The members whose API is listed: publishable packages with a library (a binary-only package
/// such as the CLI has no Rust API).
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

/// `(removed, added)` between two listings, each in the order of its listing.
pub(crate) fn diff(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let o: BTreeSet<&String> = old.iter().collect();
    let n: BTreeSet<&String> = new.iter().collect();
    (
        old.iter().filter(|l| !n.contains(l)).cloned().collect(),
        new.iter().filter(|l| !o.contains(l)).cloned().collect(),
    )
}

/// A crate's listing and what the release gate needs to judge lines that appear in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// One line per public item, in `public-api`'s order (a type, then its members).
    pub(crate) lines: Vec<String>,
    /// Members (variants, fields) of exhaustive types: adding one to a type users already had
    /// breaks their exhaustive `match`es or struct literals.
    pub(crate) guarded: Vec<Guarded>,
}

/// A variant or field whose parent type is exhaustive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Guarded {
    /// The member's line.
    pub(crate) line: String,
    /// Its parent's line (the enum, struct or struct variant, under the same path).
    pub(crate) parent: String,
    /// What the member is, for messages: "variant of the exhaustive enum", ...
    pub(crate) what: &'static str,
}

/// What in a crate's API breaks users of an earlier listing of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Breaking {
    /// Lines of the earlier listing that are gone (a changed signature is one of these).
    pub(crate) removed: Vec<String>,
    /// Members new to an exhaustive type the earlier listing had unchanged, as
    /// `(line, explanation)` (a changed or removed type is a removed line already).
    pub(crate) added: Vec<(String, String)>,
}

impl Breaking {
    pub(crate) fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

impl Listing {
    /// What breaks users of `baseline` (an earlier listing of the crate `own`, its library name).
    /// Lines are compared with the paths of other crates' items cut to their last segment
    /// ([`gate_key`]): `cargo update` moving `serde::Serialize` to `serde_core::ser::Serialize`
    /// is not a change of ours, and must not pass for a breaking one.
    pub(crate) fn breaking_since(&self, baseline: &[String], own: &str) -> Breaking {
        let key = |l: &String| gate_key(l, own);
        let base: BTreeSet<String> = baseline.iter().map(key).collect();
        let now: BTreeSet<String> = self.lines.iter().map(key).collect();
        // Dropping `#[non_exhaustive]` or making every field public only gives users more.
        let loosened = |l: &String| {
            let l = l.strip_prefix("#[non_exhaustive] ").unwrap_or(l);
            l.strip_suffix(" { .. }").unwrap_or(l).to_owned()
        };
        Breaking {
            removed: baseline
                .iter()
                .filter(|l| !now.contains(&key(l)) && !now.contains(&key(&loosened(l))))
                .cloned()
                .collect(),
            added: self
                .guarded
                .iter()
                .filter(|g| !base.contains(&key(&g.line)) && base.contains(&key(&g.parent)))
                .map(|g| (g.line.clone(), format!("a new {} `{}`", g.what, g.parent)))
                .collect(),
        }
    }
}

/// A listing line with every path that does not start at the crate `own` cut to its last
/// segment (`core::option::Option<serde_json::value::Value>` -> `Option<Value>`), keeping our
/// own item paths whole: moving one of our items is a change, moving a dependency's is not.
pub(crate) fn gate_key(line: &str, own: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let after_ident = out.chars().next_back().is_some_and(is_ident);
        if !(c.is_ascii_alphabetic() || c == '_') || after_ident {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        // A path: identifiers joined by `::` (a `::` before `<` or `{` ends it).
        let mut segments = Vec::new();
        loop {
            let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
            segments.push(&rest[..len]);
            rest = &rest[len..];
            match rest.strip_prefix("::") {
                Some(r) if r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                    rest = r;
                }
                _ => break,
            }
        }
        match segments.as_slice() {
            [first, .., last] if *first != own => out.push_str(last),
            _ => out.push_str(&segments.join("::")),
        }
    }
    out
}

/// Builds the crate's rustdoc JSON (stable rustdoc, unlocked with `RUSTC_BOOTSTRAP=1`) in the
/// workspace's target directory and lists it.
pub(crate) fn generate(ws: &Workspace, pkg: &Package) -> Result<Listing> {
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
    listing(&json_path).map_err(|e| err!("{}: {e}", pkg.name))
}

/// The auto traits whose impls are API. Rustdoc also reports unstable ones (`Freeze`,
/// `UnsafeUnpin`) that users cannot name and toolchains add or drop.
const STABLE_AUTO_TRAITS: [&str; 5] = ["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

/// The listing of one rustdoc JSON file.
pub(crate) fn listing(json_path: &Path) -> Result<Listing> {
    let text = read(json_path)?;
    let krate: Crate = serde_json::from_str(&text).map_err(|e| {
        // A format this xtask was not built for fails somewhere in the middle: say so instead.
        let found = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("format_version")?.as_u64());
        match found {
            Some(v) if v != u64::from(rustdoc_types::FORMAT_VERSION) => err!(
                "{} is rustdoc JSON format {v}, but xtask reads format {} (move the public-api \
                 and rustdoc-types dependencies to versions for format {v})",
                json_path.display(),
                rustdoc_types::FORMAT_VERSION
            ),
            _ => err!(
                "{} is not rustdoc JSON xtask can read: {e}",
                json_path.display()
            ),
        }
    })?;
    if krate.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(err!(
            "{} is rustdoc JSON format {}, but xtask reads format {}",
            json_path.display(),
            krate.format_version,
            rustdoc_types::FORMAT_VERSION
        ));
    }
    let api = public_api::Builder::from_rustdoc_json(json_path)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| err!("public-api cannot list {}: {e}", json_path.display()))?;
    let items: Vec<Item> = api
        .items()
        .filter(|i| keep(&krate, i.id()))
        .map(|i| Item {
            line: format!("{i}{}", hidden_fields_mark(&krate, i.id())),
            path: item_path(i.tokens()),
            id: i.id(),
            parent: i.parent_id(),
        })
        .collect();
    // An item reachable by several paths is listed under each: pair members with the parent
    // listed under their own path.
    let by_path: HashMap<(Id, &str), &str> = items
        .iter()
        .map(|i| ((i.id, i.path.as_str()), i.line.as_str()))
        .collect();
    let mut guarded = Vec::new();
    for i in &items {
        let (Some(parent_id), Some((parent_path, _))) = (i.parent, i.path.rsplit_once("::")) else {
            continue;
        };
        let Some(what) = guarded_member(&krate, i.id, parent_id) else {
            continue;
        };
        if let Some(parent) = by_path.get(&(parent_id, parent_path)) {
            guarded.push(Guarded {
                line: i.line.clone(),
                parent: (*parent).to_owned(),
                what,
            });
        }
    }
    let mut lines = Vec::with_capacity(items.len());
    let mut seen = BTreeSet::new();
    for i in items {
        if seen.insert(i.line.clone()) {
            lines.push(i.line);
        }
    }
    Ok(Listing { lines, guarded })
}

struct Item {
    line: String,
    path: String,
    id: Id,
    parent: Option<Id>,
}

/// Leaves out the impls of unstable auto traits.
fn keep(krate: &Crate, id: Id) -> bool {
    match krate.index.get(&id).map(|i| &i.inner) {
        Some(ItemEnum::Impl(imp)) if imp.is_synthetic => imp.trait_.as_ref().is_some_and(|t| {
            let name = t.path.rsplit("::").next().unwrap_or(&t.path);
            STABLE_AUTO_TRAITS.contains(&name)
        }),
        _ => true,
    }
}

/// ` { .. }` for a struct or struct variant with fields users cannot see (private or hidden).
/// `public-api` shows those of tuple structs as `_` but says nothing for braced ones, and they
/// decide whether users can build the value or match it without `..`: whether a new public
/// field breaks them.
fn hidden_fields_mark(krate: &Crate, id: Id) -> &'static str {
    let hidden = match krate.index.get(&id).map(|i| &i.inner) {
        Some(ItemEnum::Struct(s)) => matches!(
            s.kind,
            StructKind::Plain {
                has_stripped_fields: true,
                ..
            }
        ),
        Some(ItemEnum::Variant(v)) => matches!(
            v.kind,
            VariantKind::Struct {
                has_stripped_fields: true,
                ..
            }
        ),
        _ => false,
    };
    if hidden { " { .. }" } else { "" }
}

/// What a member is, when its parent is exhaustive: users can match every variant of an enum
/// without a wildcard and build a struct or variant whose fields they all see.
fn guarded_member(krate: &Crate, id: Id, parent: Id) -> Option<&'static str> {
    let (item, parent) = (krate.index.get(&id)?, krate.index.get(&parent)?);
    if parent.attrs.contains(&Attribute::NonExhaustive) {
        return None;
    }
    match (&item.inner, &parent.inner) {
        (ItemEnum::Variant(_), ItemEnum::Enum(_)) => Some("variant of the exhaustive enum"),
        (ItemEnum::StructField(_), ItemEnum::Struct(s)) => {
            let all_visible = match &s.kind {
                StructKind::Unit => true,
                StructKind::Tuple(fields) => fields.iter().all(Option::is_some),
                StructKind::Plain {
                    has_stripped_fields,
                    ..
                } => !has_stripped_fields,
            };
            all_visible.then_some("public field of the exhaustive struct")
        }
        (ItemEnum::StructField(_), ItemEnum::Variant(v)) => {
            let all_visible = match &v.kind {
                VariantKind::Plain => true,
                VariantKind::Tuple(fields) => fields.iter().all(Option::is_some),
                VariantKind::Struct {
                    has_stripped_fields,
                    ..
                } => !has_stripped_fields,
            };
            all_visible.then_some("field of the exhaustive variant")
        }
        _ => None,
    }
}

/// The item's path as `public-api` renders it (`krate::module::Type::field`): the name tokens
/// after the leading attributes, `pub` and kind keywords, up to the first other symbol.
fn item_path<'a>(tokens: impl Iterator<Item = &'a Token>) -> String {
    let mut path = String::new();
    let mut started = false;
    for t in tokens {
        match t {
            Token::Identifier(s) | Token::Type(s) | Token::Function(s) => {
                started = true;
                path.push_str(s);
            }
            Token::Symbol(s) if started && s == "::" => path.push_str(s),
            Token::Annotation(_) | Token::Qualifier(_) | Token::Kind(_) | Token::Whitespace
                if !started => {}
            _ => break,
        }
    }
    path
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

    #[test]
    fn item_paths_stop_at_the_signature() {
        let t = |s: &str| s.to_owned();
        let field = [
            Token::Qualifier(t("pub")),
            Token::Whitespace,
            Token::Identifier(t("k")),
            Token::Symbol(t("::")),
            Token::Type(t("S")),
            Token::Symbol(t("::")),
            Token::Identifier(t("x")),
            Token::Symbol(t(":")),
            Token::Whitespace,
            Token::Primitive(t("u8")),
        ];
        assert_eq!(item_path(field.iter()), "k::S::x");
        let generic_enum = [
            Token::Annotation(t("#[non_exhaustive]")),
            Token::Whitespace,
            Token::Qualifier(t("pub")),
            Token::Whitespace,
            Token::Kind(t("enum")),
            Token::Whitespace,
            Token::Identifier(t("k")),
            Token::Symbol(t("::")),
            Token::Type(t("E")),
            Token::Symbol(t("<")),
            Token::Generic(t("T")),
            Token::Symbol(t(">")),
        ];
        assert_eq!(item_path(generic_enum.iter()), "k::E");
    }

    #[test]
    fn only_new_members_of_types_the_baseline_had_unchanged_break() {
        let g = |line: &str, parent: &str| Guarded {
            line: line.to_owned(),
            parent: parent.to_owned(),
            what: "variant of the exhaustive enum",
        };
        let listing = Listing {
            lines: from_text(
                "pub enum k::E\npub k::E::A\npub k::E::B\npub enum k::New\npub k::New::A\n\
                 pub enum k::F\npub k::F::A\n",
            ),
            guarded: vec![
                g("pub k::E::A", "pub enum k::E"),
                g("pub k::E::B", "pub enum k::E"),
                g("pub k::New::A", "pub enum k::New"),
                g("pub k::F::A", "pub enum k::F"),
            ],
        };
        let baseline = from_text("pub enum k::E\npub k::E::A\n#[non_exhaustive] pub enum k::F\n");
        assert_eq!(
            listing.breaking_since(&baseline, "k"),
            Breaking {
                // `F` lost `#[non_exhaustive]`, so its new variant breaks no one.
                removed: Vec::new(),
                added: vec![(
                    "pub k::E::B".to_owned(),
                    "a new variant of the exhaustive enum `pub enum k::E`".to_owned()
                )]
            }
        );
    }

    #[test]
    fn the_gate_ignores_where_other_crates_keep_their_items() {
        let own = "k";
        assert_eq!(
            gate_key(
                "pub fn k::S::serialize<__S>(&self, __S) -> core::result::Result<<__S as \
                 serde_core::ser::Serializer>::Ok, k::m::E> where __S: serde::Serializer",
                own
            ),
            "pub fn k::S::serialize<__S>(&self, __S) -> Result<<__S as Serializer>::Ok, \
             k::m::E> where __S: Serializer"
        );
        assert_eq!(
            gate_key("pub k::S::x: &'static str", own),
            "pub k::S::x: &'static str"
        );
        assert_eq!(
            gate_key("impl<T> x::Tr for k::S<T>", own),
            "impl<T> Tr for k::S<T>"
        );
        let listing = Listing {
            lines: from_text(
                "pub struct k::S\nimpl serde_core::ser::Serialize for k::S\npub struct k::n::Moved\n",
            ),
            guarded: Vec::new(),
        };
        let baseline = from_text(
            "pub struct k::S\nimpl serde::ser::Serialize for k::S\npub struct k::Moved\n",
        );
        // A dependency's move is no change; one of ours is.
        assert_eq!(
            listing.breaking_since(&baseline, own).removed,
            ["pub struct k::Moved"]
        );
    }
}
