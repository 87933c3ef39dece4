//! An immutable, pre-built set of verifying keys, indexed by kid and algorithm.

use std::collections::HashMap;
use std::sync::Arc;

use crate::{Algorithm, CryptoProvider, JwkSet, KeyError, VerifyingKey};

#[derive(Debug, Clone, Default)]
enum Slot {
    #[default]
    Empty,
    Key(Arc<VerifyingKey>),
    /// Two usable keys share this kid for this algorithm.
    Ambiguous,
}

/// The answer of a lookup.
pub(crate) enum Lookup<'a> {
    Found(&'a Arc<VerifyingKey>),
    Ambiguous,
    Missing,
}

const fn index(alg: Algorithm) -> usize {
    match alg {
        Algorithm::RS256 => 0,
        Algorithm::RS384 => 1,
        Algorithm::RS512 => 2,
    }
}

/// Up to this many kids are scanned linearly: comparing a few short strings beats hashing the
/// kid with SipHash, and Clerk's JWKS holds one or two keys.
const LINEAR_SCAN_MAX: usize = 8;

/// Keys by kid; each kid has one slot per algorithm, because a key is bound to one algorithm.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    /// Insertion order; the index of record while building and for small sets.
    entries: Vec<(String, [Slot; 3])>,
    /// kid -> position in `entries`, only for sets larger than `LINEAR_SCAN_MAX`.
    by_kid: Option<HashMap<String, usize>>,
    usable: usize,
}

impl KeySet {
    /// Builds every usable (kid, alg) key of a JWKS once. Keys that fail the filter are skipped
    /// with a warning naming the kid and the reason, never key material.
    pub(crate) fn build(set: &JwkSet, provider: &dyn CryptoProvider) -> Self {
        let mut out = Self::default();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.kid.as_deref() else {
                tracing::warn!(kty = %jwk.kty, "skipping a JWK without kid: it can never be selected");
                continue;
            };
            let mut first_err: Option<KeyError> = None;
            let mut built = 0usize;
            for alg in Algorithm::SUPPORTED {
                // A JWK with an `alg` only serves that algorithm; skip the others silently.
                if jwk.alg.as_deref().is_some_and(|a| a != alg.as_str()) {
                    continue;
                }
                match VerifyingKey::from_jwk_with(jwk, alg, provider) {
                    Ok(key) => {
                        built += 1;
                        let pos = *positions.entry(kid.to_owned()).or_insert_with(|| {
                            out.entries.push((kid.to_owned(), Default::default()));
                            out.entries.len() - 1
                        });
                        let slot = &mut out.entries[pos].1[index(alg)];
                        *slot = match slot {
                            Slot::Empty => Slot::Key(Arc::new(key)),
                            Slot::Key(_) | Slot::Ambiguous => Slot::Ambiguous,
                        };
                    }
                    Err(err) => {
                        first_err.get_or_insert(err);
                    }
                }
            }
            if built == 0 {
                let reason = match first_err {
                    Some(KeyError::InvalidKey { detail }) => detail,
                    Some(other) => other.to_string(),
                    None => format!(
                        "alg '{}' is not supported",
                        jwk.alg.as_deref().unwrap_or_default()
                    ),
                };
                tracing::warn!(kid = %kid, %reason, "skipping unusable JWK");
            }
            out.usable += built;
        }
        if out.entries.len() > LINEAR_SCAN_MAX {
            out.by_kid = Some(positions);
        }
        out
    }

    /// True when no JWK gave a usable key for any algorithm.
    pub(crate) fn is_empty(&self) -> bool {
        self.usable == 0
    }

    pub(crate) fn lookup(&self, kid: &str, alg: Algorithm) -> Lookup<'_> {
        let pos = match &self.by_kid {
            Some(map) => map.get(kid).copied(),
            None => self.entries.iter().position(|(k, _)| k == kid),
        };
        match pos
            .and_then(|p| self.entries.get(p))
            .map(|(_, slots)| &slots[index(alg)])
        {
            Some(Slot::Key(k)) => Lookup::Found(k),
            Some(Slot::Ambiguous) => Lookup::Ambiguous,
            Some(Slot::Empty) | None => Lookup::Missing,
        }
    }

    /// The answer for a resolver: the key, or `@clerk/backend`'s error.
    pub(crate) fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        let Some(kid) = kid else {
            return Err(KeyError::kid_mismatch(None));
        };
        match self.lookup(kid, alg) {
            Lookup::Found(k) => Ok(Arc::clone(k)),
            Lookup::Ambiguous => Err(KeyError::AmbiguousKid {
                kid: kid.to_owned(),
            }),
            Lookup::Missing => Err(KeyError::kid_mismatch(Some(kid))),
        }
    }

    pub(crate) fn get(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        match self.lookup(kid?, alg) {
            Lookup::Found(k) => Some(Arc::clone(k)),
            _ => None,
        }
    }
}
