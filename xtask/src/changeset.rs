//! Changesets: `.changeset/<slug>.md` files naming the crates a change touches and how.
//!
//! ```text
//! ---
//! "clerk-token-types": minor
//! "clerk-m2m": patch
//! ---
//!
//! The changelog text, markdown.
//! ```

use crate::util::{Result, err};
use crate::version::Level;
use std::path::{Path, PathBuf};

/// One pending changeset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Changeset {
    pub(crate) slug: String,
    pub(crate) path: PathBuf,
    pub(crate) releases: Vec<(String, Level)>,
    pub(crate) body: String,
}

/// Parses a changeset file's text.
pub(crate) fn parse(slug: &str, path: &Path, text: &str) -> Result<Changeset> {
    let ctx = |m: String| err!("{}: {m}", path.display());
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return Err(ctx("must start with a `---` line".into()));
    }
    let mut front = Vec::new();
    let mut closed = false;
    for line in lines.by_ref() {
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        front.push(line);
    }
    if !closed {
        return Err(ctx("front matter is not closed by a `---` line".into()));
    }
    let body = lines.collect::<Vec<_>>().join("\n");
    let mut releases: Vec<(String, Level)> = Vec::new();
    for line in front.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let (name, level) = line.rsplit_once(':').ok_or_else(|| {
            ctx(format!(
                "front matter line {line:?} is not `\"crate\": level`"
            ))
        })?;
        let name = name
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_owned();
        if name.is_empty() {
            return Err(ctx(format!("front matter line {line:?} has no crate name")));
        }
        let level = Level::parse(level).map_err(|e| ctx(e.0))?;
        if releases.iter().any(|(n, _)| *n == name) {
            return Err(ctx(format!("crate {name:?} is listed twice")));
        }
        releases.push((name, level));
    }
    if releases.is_empty() {
        return Err(ctx("names no crate".into()));
    }
    let body = body.trim().to_owned();
    if body.is_empty() {
        return Err(ctx("has no changelog text".into()));
    }
    Ok(Changeset {
        slug: slug.to_owned(),
        path: path.to_owned(),
        releases,
        body,
    })
}

/// The file text for a changeset.
pub(crate) fn render(releases: &[(String, Level)], body: &str) -> String {
    let mut s = String::from("---\n");
    for (name, level) in releases {
        s.push_str(&format!("\"{name}\": {}\n", level.as_str()));
    }
    s.push_str("---\n\n");
    s.push_str(body.trim());
    s.push('\n');
    s
}

/// Every pending changeset in `dir`, sorted by slug. `README.md` and non-`.md` files are ignored.
pub(crate) fn load_all(dir: &Path) -> Result<Vec<Changeset>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err!("cannot read {}: {e}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(slug) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".md"))
        else {
            continue;
        };
        if slug.eq_ignore_ascii_case("README") || !path.is_file() {
            continue;
        }
        out.push(parse(slug, &path, &crate::util::read(&path)?)?);
    }
    out.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(out)
}

/// A slug from the first words of a message: lowercase ASCII letters and digits joined by `-`.
pub(crate) fn slugify(message: &str) -> String {
    let words: Vec<String> = message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "change".to_owned()
    } else {
        words.join("-")
    }
}

/// Checks a user-given slug: it becomes a file name.
pub(crate) fn check_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 80
        && !slug.starts_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !slug.eq_ignore_ascii_case("readme");
    if ok {
        Ok(())
    } else {
        Err(err!(
            "slug {slug:?} must be 1-80 characters of a-z, 0-9, '-' and '_' (and not README)"
        ))
    }
}

/// Writes a new changeset; with no slug one is made from the message, made unique with a suffix.
pub(crate) fn add(
    dir: &Path,
    releases: &[(String, Level)],
    message: &str,
    slug: Option<&str>,
) -> Result<PathBuf> {
    if releases.is_empty() {
        return Err(err!(
            "name at least one crate with --crate NAME=major|minor|patch"
        ));
    }
    if message.trim().is_empty() {
        return Err(err!("the --message text is empty"));
    }
    let path = match slug {
        Some(s) => {
            check_slug(s)?;
            let p = dir.join(format!("{s}.md"));
            if p.exists() {
                return Err(err!("{} already exists", p.display()));
            }
            p
        }
        None => {
            let base = slugify(message);
            let mut p = dir.join(format!("{base}.md"));
            let mut n = 2;
            while p.exists() {
                p = dir.join(format!("{base}-{n}.md"));
                n += 1;
            }
            p
        }
    };
    crate::util::write(&path, &render(releases, message))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let releases = vec![
            ("clerk-token-types".to_owned(), Level::Minor),
            ("clerk-m2m".to_owned(), Level::Patch),
        ];
        let text = render(&releases, "Add things.\n\nMore detail.");
        assert_eq!(
            text,
            "---\n\"clerk-token-types\": minor\n\"clerk-m2m\": patch\n---\n\nAdd things.\n\nMore detail.\n"
        );
        let cs = parse("x", Path::new("x.md"), &text).unwrap();
        assert_eq!(cs.releases, releases);
        assert_eq!(cs.body, "Add things.\n\nMore detail.");
    }

    #[test]
    fn parse_accepts_unquoted_and_crlf() {
        let cs = parse(
            "x",
            Path::new("x.md"),
            "---\r\nfoo: major\r\n---\r\nBody\r\n",
        )
        .unwrap();
        assert_eq!(cs.releases, vec![("foo".to_owned(), Level::Major)]);
        assert_eq!(cs.body, "Body");
    }

    #[test]
    fn parse_rejects_bad_files() {
        for (text, why) in [
            ("no front matter", "start"),
            ("---\nfoo: minor\nbody", "not closed"),
            ("---\nfoo: huge\n---\nbody", "unknown bump level"),
            ("---\n---\nbody", "names no crate"),
            ("---\nfoo: minor\n---\n\n", "no changelog text"),
            ("---\nfoo: minor\nfoo: patch\n---\nb", "twice"),
            ("---\nfoo minor\n---\nb", "is not"),
        ] {
            let e = parse("x", Path::new("x.md"), text).unwrap_err();
            assert!(e.0.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Add the `Jwt::decode` API!"),
            "add-the-jwt-decode-api"
        );
        assert_eq!(slugify("!!!"), "change");
        assert!(check_slug("ok-slug_1").is_ok());
        for bad in ["", "../x", "A", "-x", "readme", "a b"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn add_makes_unique_files_and_load_all_reads_them() {
        let dir = crate::util::temp_dir("cs").unwrap();
        std::fs::write(dir.join("README.md"), "not a changeset").unwrap();
        let r = vec![("a".to_owned(), Level::Patch)];
        let p1 = add(&dir, &r, "Fix it", None).unwrap();
        let p2 = add(&dir, &r, "Fix it", None).unwrap();
        assert_eq!(p1.file_name().unwrap(), "fix-it.md");
        assert_eq!(p2.file_name().unwrap(), "fix-it-2.md");
        assert!(add(&dir, &r, "x", Some("fix-it")).is_err());
        assert!(add(&dir, &[], "x", None).is_err());
        assert!(add(&dir, &r, "  ", None).is_err());
        let all = load_all(&dir).unwrap();
        assert_eq!(
            all.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(),
            ["fix-it", "fix-it-2"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
