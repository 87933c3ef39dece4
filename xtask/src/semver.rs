//! Versions and bump levels with Cargo's semver rules (the leftmost non-zero part is the breaking one).

use crate::util::{Result, err};
use std::fmt;

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

/// A release version `MAJOR.MINOR.PATCH` (pre-releases are refused: we do not publish them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
}

impl Version {
    pub(crate) fn parse(s: &str) -> Result<Self> {
        let bad =
            || err!("version {s:?} is not MAJOR.MINOR.PATCH (pre-releases are not supported)");
        let mut parts = s.trim().split('.');
        let mut next = || -> Result<u64> {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        let v = Self {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }

    /// The version after a change of `level`, by Cargo's rules: in `0.y.z` a breaking change bumps
    /// `y` and anything else bumps `z`; in `0.0.z` every change bumps `z` (each is breaking).
    pub(crate) fn bump(self, level: Level) -> Self {
        let Self {
            major,
            minor,
            patch,
        } = self;
        match (major, minor, level) {
            (0, 0, _) => Self::new(0, 0, patch + 1),
            (0, _, Level::Major) => Self::new(0, minor + 1, 0),
            (0, _, _) => Self::new(0, minor, patch + 1),
            (_, _, Level::Major) => Self::new(major + 1, 0, 0),
            (_, _, Level::Minor) => Self::new(major, minor + 1, 0),
            (_, _, Level::Patch) => Self::new(major, minor, patch + 1),
        }
    }

    /// Whether `new` is semver-incompatible with `self` in Cargo's sense (a `^self` requirement
    /// would not accept it).
    pub(crate) fn is_breaking(self, new: Self) -> bool {
        match (self.major, self.minor) {
            (0, 0) => new != self,
            (0, m) => new.major != 0 || new.minor != m,
            (m, _) => new.major != m,
        }
    }

    pub(crate) const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Rewrites a version requirement to point at `new`, keeping its operator (`=0.1.0` -> `=0.2.0`,
/// `0.1` -> `0.2.0`, `^1.2` -> `^1.3.0`).
pub(crate) fn rewrite_req(req: &str, new: Version) -> String {
    let req = req.trim();
    let op_len = req.find(|c: char| c.is_ascii_digit()).unwrap_or(req.len());
    format!("{}{new}", req[..op_len].trim())
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
        assert_eq!(v("0.1.0").bump(Level::Major), v("0.2.0"));
        assert_eq!(v("0.1.3").bump(Level::Minor), v("0.1.4"));
        assert_eq!(v("0.1.3").bump(Level::Patch), v("0.1.4"));
        assert_eq!(v("0.0.3").bump(Level::Major), v("0.0.4"));
        assert_eq!(v("0.0.3").bump(Level::Patch), v("0.0.4"));
        assert_eq!(v("1.2.3").bump(Level::Major), v("2.0.0"));
        assert_eq!(v("1.2.3").bump(Level::Minor), v("1.3.0"));
        assert_eq!(v("1.2.3").bump(Level::Patch), v("1.2.4"));
    }

    #[test]
    fn breaking_detection() {
        assert!(v("0.1.0").is_breaking(v("0.2.0")));
        assert!(!v("0.1.0").is_breaking(v("0.1.1")));
        assert!(v("0.0.1").is_breaking(v("0.0.2")));
        assert!(v("1.2.0").is_breaking(v("2.0.0")));
        assert!(!v("1.2.0").is_breaking(v("1.3.0")));
        for (old, level) in [
            ("0.3.1", Level::Major),
            ("1.0.0", Level::Major),
            ("0.0.1", Level::Patch),
        ] {
            assert!(v(old).is_breaking(v(old).bump(level)), "{old} {level:?}");
        }
        assert!(!v("0.3.1").is_breaking(v("0.3.1").bump(Level::Minor)));
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.2.3-alpha",
            "a.b.c",
            "1..2",
            "+1.2.3",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requirement_rewrite_keeps_operator() {
        assert_eq!(rewrite_req("=0.1.0", v("0.2.0")), "=0.2.0");
        assert_eq!(rewrite_req("0.1", v("0.2.0")), "0.2.0");
        assert_eq!(rewrite_req("^1.2", v("1.3.0")), "^1.3.0");
        assert_eq!(rewrite_req("= 0.1.0", v("0.1.1")), "=0.1.1");
    }
}
