//! Bump levels and the version arithmetic of a release, on the `semver` crate's `Version` (the
//! type `cargo metadata` reports), so "breaking" means exactly what Cargo's `^` requirements mean.

use crate::util::{Result, err};
use semver::{Comparator, Op, Version, VersionReq};

/// The kind of change a changeset declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// A fix: nothing added, nothing broken.
    Patch,
    /// Something added, nothing broken.
    Minor,
    /// Something broken.
    Major,
}

impl Level {
    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "patch" => Ok(Self::Patch),
            "minor" => Ok(Self::Minor),
            "major" => Ok(Self::Major),
            other => Err(err!(
                "unknown bump level {other:?} (expected major, minor or patch)"
            )),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
        }
    }
}

/// Refuses a version with a pre-release or build part: we do not publish them, and the bump rules
/// below would not know what to do with them.
pub(crate) fn check_release(v: &Version) -> Result<()> {
    if v.pre.is_empty() && v.build.is_empty() {
        Ok(())
    } else {
        Err(err!(
            "version {v} is not MAJOR.MINOR.PATCH (pre-releases and build metadata are not supported)"
        ))
    }
}

/// The version after a change of `level`, by Cargo's rules: in `0.y.z` a breaking change bumps
/// `y` and anything else bumps `z`; in `0.0.z` every change bumps `z` (each is breaking).
pub(crate) fn bump(v: &Version, level: Level) -> Version {
    let (major, minor, patch) = (v.major, v.minor, v.patch);
    match (major, minor, level) {
        (0, 0, _) => Version::new(0, 0, patch + 1),
        (0, _, Level::Major) => Version::new(0, minor + 1, 0),
        (0, _, _) => Version::new(0, minor, patch + 1),
        (_, _, Level::Major) => Version::new(major + 1, 0, 0),
        (_, _, Level::Minor) => Version::new(major, minor + 1, 0),
        (_, _, Level::Patch) => Version::new(major, minor, patch + 1),
    }
}

/// Whether `new` is semver-incompatible with `old` in Cargo's sense: the requirement `^old`
/// (what `old = "x.y.z"` means in a manifest) does not accept it.
pub(crate) fn is_breaking(old: &Version, new: &Version) -> bool {
    let caret = VersionReq {
        comparators: vec![Comparator {
            op: Op::Caret,
            major: old.major,
            minor: Some(old.minor),
            patch: Some(old.patch),
            pre: old.pre.clone(),
        }],
    };
    !caret.matches(new)
}

/// Rewrites a version requirement to point at `new`, keeping its operator as written
/// (`=0.1.0` -> `=0.2.0`, `0.1` -> `0.2.0`, `^1.2` -> `^1.3.0`). A requirement of several
/// comparators (`>=1, <2`) has no one operator to keep and is refused.
pub(crate) fn rewrite_req(req: &str, new: &Version) -> Result<String> {
    let parsed = VersionReq::parse(req).map_err(|e| err!("version requirement {req:?}: {e}"))?;
    if parsed.comparators.len() != 1 {
        return Err(err!(
            "version requirement {req:?} has {} comparators; xtask rewrites only a single one",
            parsed.comparators.len()
        ));
    }
    let req = req.trim();
    let op_len = req.find(|c: char| c.is_ascii_digit()).unwrap_or(req.len());
    Ok(format!("{}{new}", req[..op_len].trim()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn bumps_follow_cargo_semver() {
        for (old, level, new) in [
            ("0.1.0", Level::Major, "0.2.0"),
            ("0.1.3", Level::Minor, "0.1.4"),
            ("0.1.3", Level::Patch, "0.1.4"),
            ("0.0.3", Level::Major, "0.0.4"),
            ("0.0.3", Level::Patch, "0.0.4"),
            ("1.2.3", Level::Major, "2.0.0"),
            ("1.2.3", Level::Minor, "1.3.0"),
            ("1.2.3", Level::Patch, "1.2.4"),
        ] {
            assert_eq!(bump(&v(old), level), v(new), "{old} {level:?}");
        }
    }

    #[test]
    fn breaking_detection() {
        assert!(is_breaking(&v("0.1.0"), &v("0.2.0")));
        assert!(!is_breaking(&v("0.1.0"), &v("0.1.1")));
        assert!(is_breaking(&v("0.0.1"), &v("0.0.2")));
        assert!(is_breaking(&v("1.2.0"), &v("2.0.0")));
        assert!(!is_breaking(&v("1.2.0"), &v("1.3.0")));
        for (old, level) in [
            ("0.3.1", Level::Major),
            ("1.0.0", Level::Major),
            ("0.0.1", Level::Patch),
        ] {
            assert!(
                is_breaking(&v(old), &bump(&v(old), level)),
                "{old} {level:?}"
            );
        }
        assert!(!is_breaking(&v("0.3.1"), &bump(&v("0.3.1"), Level::Minor)));
    }

    #[test]
    fn only_plain_release_versions_are_accepted() {
        assert!(check_release(&v("1.2.3")).is_ok());
        for bad in ["1.2.3-alpha", "1.2.3+build", "0.1.0-rc.1+x"] {
            assert!(check_release(&v(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn requirement_rewrite_keeps_operator() {
        let r = |req: &str, new: &str| rewrite_req(req, &v(new)).unwrap();
        assert_eq!(r("=0.1.0", "0.2.0"), "=0.2.0");
        assert_eq!(r("0.1", "0.2.0"), "0.2.0");
        assert_eq!(r("^1.2", "1.3.0"), "^1.3.0");
        assert_eq!(r("= 0.1.0", "0.1.1"), "=0.1.1");
        assert!(rewrite_req(">=1, <2", &v("2.0.0")).is_err());
        assert!(rewrite_req("not a req", &v("2.0.0")).is_err());
    }
}
