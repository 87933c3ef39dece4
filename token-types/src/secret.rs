//! Secret key newtypes that never print their secret.

use std::fmt;

use crate::Error;

/// Checks a key and returns it.
fn check(s: String) -> Result<String, Error> {
    if s.is_empty() {
        return Err(Error::InvalidSecretKey {
            detail: "it is empty",
        });
    }
    // Keys travel in `Authorization: Bearer <key>`: only visible ASCII is safe there.
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidSecretKey {
            detail: "it contains whitespace, control or non-ASCII characters",
        });
    }
    Ok(s)
}

/// The non-secret prefix of a Clerk key, e.g. `sk_test_` or `ak_`: one of `sk`, `ak`, `pk`,
/// optionally followed by `test` or `live`. Anything else shows nothing.
fn public_prefix(s: &str) -> &str {
    let mut end = 0;
    let mut parts = s.split('_');
    if let (Some(kind @ ("sk" | "ak" | "pk")), Some(_)) = (parts.next(), s.find('_')) {
        end = kind.len() + 1;
        if let Some(env @ ("test" | "live")) = parts.next()
            && s.len() > end + env.len()
        {
            end += env.len() + 1;
        }
    }
    &s[..end.min(s.len())]
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a key; rejects an empty key and text that is not safe in an HTTP header
            /// (anything but visible ASCII).
            ///
            /// ```rust
            #[doc = concat!("use clerk_token_types::", stringify!($name), ";")]
            #[doc = concat!("let key = ", stringify!($name), "::new(\"", $example, "\")?;")]
            #[doc = concat!("assert_eq!(key.expose_secret(), \"", $example, "\");")]
            /// assert!(!format!("{key:?} {key}").contains("abc123"));
            #[doc = concat!("assert!(", stringify!($name), "::new(\"\").is_err());")]
            #[doc = concat!("assert!(", stringify!($name), "::new(\"a b\").is_err());")]
            /// # Ok::<(), clerk_token_types::Error>(())
            /// ```
            pub fn new(s: impl Into<String>) -> Result<Self, Error> {
                check(s.into()).map(Self)
            }

            /// The key itself, for the `Authorization` header. Do not log it.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({}***)", stringify!($name), public_prefix(&self.0))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}***", public_prefix(&self.0))
            }
        }
    };
}

secret_type!(
    /// A Clerk instance secret key (`sk_test_...`, `sk_live_...`). `Debug` and `Display` show only
    /// the prefix, e.g. `sk_test_***`.
    SecretKey,
    "sk_test_abc123"
);

secret_type!(
    /// A machine secret key (`ak_...`), used to create M2M tokens. `Debug` and `Display` show only
    /// the prefix, e.g. `ak_***`.
    MachineSecretKey,
    "ak_abc123"
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_only() {
        let cases = [
            ("sk_test_s3cr3t", "sk_test_***"),
            ("sk_live_s3cr3t", "sk_live_***"),
            ("ak_s3cr3t", "ak_***"),
            ("ak_test_s3cr3t", "ak_test_***"),
            ("ak_s3cr3t_more", "ak_***"),
            ("s3cr3t", "***"),
            ("s3cr3t_x", "***"),
            ("sk_test", "sk_***"),
            ("sk_test_", "sk_test_***"),
            ("sk_", "sk_***"),
            ("sk", "***"),
        ];
        for (key, shown) in cases {
            let k = SecretKey::new(key).unwrap();
            assert_eq!(k.to_string(), shown, "{key}");
            assert_eq!(format!("{k:?}"), format!("SecretKey({shown})"));
            let m = MachineSecretKey::new(key).unwrap();
            assert_eq!(m.to_string(), shown);
            assert_eq!(m.expose_secret(), key);
        }
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        for bad in [
            "",
            " ",
            "sk_test_a b",
            "sk_test_a\n",
            "sk_test_é",
            "sk_test_\u{0}",
            "\tsk",
        ] {
            let err = SecretKey::new(bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::SecretKeyInvalid);
            assert_eq!(err.reason(), crate::Reason::SecretKeyInvalid);
            if bad.len() > 3 {
                assert!(!err.to_string().contains(bad));
            }
            assert!(MachineSecretKey::new(bad).is_err());
        }
    }

    #[test]
    fn equality_and_hash_by_value() {
        use std::collections::HashSet;
        let a = SecretKey::new("sk_test_1").unwrap();
        let set: HashSet<_> = [a.clone(), SecretKey::new("sk_test_1").unwrap()].into();
        assert_eq!(set.len(), 1);
        assert_ne!(a, SecretKey::new("sk_test_2").unwrap());
    }
}
