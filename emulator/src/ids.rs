//! Random identifiers and secrets in Clerk's formats.

use rand::RngExt;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// `prefix` followed by `len` base62 characters.
pub(crate) fn base62(prefix: &str, len: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.push_str(&random_from(BASE62, len));
    s
}

/// `prefix` followed by `len` lowercase hex characters.
pub(crate) fn hex(prefix: &str, len: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.push_str(&random_from(HEX, len));
    s
}

/// Machine ids match the spec's `^mch_\w{27}$`.
pub(crate) fn machine_id() -> String {
    base62("mch_", 27)
}

/// Instance ids double as JWKS kids (`ins_...`), as on Clerk.
pub(crate) fn instance_id() -> String {
    base62("ins_", 27)
}

/// M2M token ids match the spec's `^mt_[0-9A-Fa-f]{32}$`.
pub(crate) fn m2m_token_id() -> String {
    hex("mt_", 32)
}

/// The opaque token secret: same shape as an id, but a different random value.
pub(crate) fn m2m_token_secret() -> String {
    hex("mt_", 32)
}

pub(crate) fn instance_secret_key() -> String {
    base62("sk_test_", 40)
}

pub(crate) fn machine_secret_key() -> String {
    base62("ak_", 40)
}

pub(crate) fn trace_id() -> String {
    hex("", 32)
}

/// `true` when `s` is `prefix` followed by exactly `len` characters of `[A-Za-z0-9_]`.
pub(crate) fn is_word_id(s: &str, prefix: &str, len: usize) -> bool {
    s.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == len && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The spec's `^mt_[0-9A-Fa-f]{32}$`.
pub(crate) fn is_m2m_token_id(s: &str) -> bool {
    s.strip_prefix("mt_")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_spec_patterns() {
        assert!(is_word_id(&machine_id(), "mch_", 27));
        assert!(is_word_id(&instance_id(), "ins_", 27));
        assert!(is_m2m_token_id(&m2m_token_id()));
        assert!(is_m2m_token_id(&m2m_token_secret()));
        assert!(instance_secret_key().starts_with("sk_test_"));
        assert!(machine_secret_key().starts_with("ak_"));
        assert_ne!(m2m_token_id(), m2m_token_id());
        assert!(!is_m2m_token_id("mt_xyz"));
        assert!(!is_word_id("mch_short", "mch_", 27));
        assert!(!is_word_id("mch_aaaaaaaaaaaaaaaaaaaaaaaaaa-", "mch_", 27));
    }
}
