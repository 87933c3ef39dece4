//! The JWS algorithms Clerk tokens may use.

use std::fmt;

/// A supported JWS algorithm: RSASSA-PKCS1-v1_5 with SHA-256/384/512, the set Clerk's JS SDK
/// accepts ([`jwt/algorithms.ts`](https://github.com/clerk/javascript/blob/main/packages/backend/src/jwt/algorithms.ts)).
///
/// Deliberately exhaustive: a new algorithm needs new key handling in every verifier backend, and
/// exhaustive matches there make the compiler list each place that must learn it.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `RS256`
    RS256,
    /// `RS384`
    RS384,
    /// `RS512`
    RS512,
}

impl Algorithm {
    /// All supported algorithms, in the JS SDK's order (`RS256,RS384,RS512`).
    pub const SUPPORTED: [Self; 3] = [Self::RS256, Self::RS384, Self::RS512];

    /// Parses a header `alg` exactly (case-sensitive); `None` for anything else, `none` included.
    ///
    /// ```rust
    /// use clerk_token_types::Algorithm;
    /// assert_eq!(Algorithm::from_name("RS384"), Some(Algorithm::RS384));
    /// assert_eq!(Algorithm::from_name("rs256"), None);
    /// assert_eq!(Algorithm::from_name("none"), None);
    /// ```
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::RS256),
            "RS384" => Some(Self::RS384),
            "RS512" => Some(Self::RS512),
            _ => None,
        }
    }

    /// The JWS name.
    ///
    /// ```rust
    /// assert_eq!(clerk_token_types::Algorithm::RS512.as_str(), "RS512");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_rejected() {
        for a in Algorithm::SUPPORTED {
            assert_eq!(Algorithm::from_name(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
        }
        let joined: Vec<_> = Algorithm::SUPPORTED.iter().map(|a| a.as_str()).collect();
        assert_eq!(joined.join(","), "RS256,RS384,RS512");
        for bad in [
            "", "none", "HS256", "ES256", "PS512", "rs256", "RS256 ", "Aloha",
        ] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad}");
        }
    }
}
