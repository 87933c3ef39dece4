//! JWK and JWK Set models (RFC 7517) and the filter that decides whether a JWK may verify a token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::der::RsaNumbers;
use crate::{Algorithm, KeyError};

/// JWK members that hold private key material (RFC 7518 §6.3.2, §6.4).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One JSON Web Key. Members this crate does not model are kept in `other`.
///
/// `Debug` prints the names of `other` members but not their values, since a misconfigured set
/// may carry private key material there.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Jwk {
    /// Key type, e.g. `RSA`.
    pub kty: String,
    /// Key id; Clerk uses the instance id (`ins_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The algorithm the key is meant for, e.g. `RS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Public key use: `sig` or `enc`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations, e.g. `["verify"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Every other member, as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("use", &self.use_)
            .field("key_ops", &self.key_ops)
            .field("n", &self.n.as_ref().map(|n| n.len()))
            .field("other", &self.other.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Jwk {
    /// An RSA JWK from big-endian modulus and exponent, with `kty` `RSA`, `use` `sig` and the
    /// given `kid` and `alg`. Handy for tests and emulators.
    ///
    /// ```rust
    /// use clerk_jwks_cache::{Algorithm, Jwk};
    /// let jwk = Jwk::rsa("ins_1", Algorithm::RS256, &[0xC1; 256], &[1, 0, 1]);
    /// assert_eq!(jwk.e.as_deref(), Some("AQAB"));
    /// ```
    pub fn rsa(kid: impl Into<String>, alg: Algorithm, n: &[u8], e: &[u8]) -> Self {
        Self {
            kty: "RSA".to_owned(),
            kid: Some(kid.into()),
            alg: Some(alg.as_str().to_owned()),
            use_: Some("sig".to_owned()),
            key_ops: None,
            n: Some(URL_SAFE_NO_PAD.encode(crate::der::strip_leading_zeros(n))),
            e: Some(URL_SAFE_NO_PAD.encode(crate::der::strip_leading_zeros(e))),
            other: Map::new(),
        }
    }
}

/// A JWK Set: `{"keys": [...]}`.
///
/// Deserialising is lenient per key: an entry that is not a JWK object (say, no `kty`) is
/// skipped with a warning instead of failing the whole set, and a missing `keys` is an empty set
/// (which the resolvers then report with `@clerk/backend`'s "did not contain any signing keys").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(try_from = "Map<String, Value>")]
pub struct JwkSet {
    /// The keys, in document order.
    pub keys: Vec<Jwk>,
}

impl TryFrom<Map<String, Value>> for JwkSet {
    type Error = String;

    fn try_from(mut doc: Map<String, Value>) -> Result<Self, String> {
        let entries = match doc.remove("keys") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err("the JWKS member 'keys' is not an array".to_owned()),
        };
        let keys = entries
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| match serde_json::from_value::<Jwk>(v) {
                Ok(jwk) => Some(jwk),
                Err(err) => {
                    // serde's message names the member and type only, never values.
                    tracing::warn!(index = i, error = %err, "skipping a JWKS entry that is not a JWK");
                    None
                }
            })
            .collect();
        Ok(Self { keys })
    }
}

impl JwkSet {
    /// Parses a JWKS JSON document.
    ///
    /// ```rust
    /// use clerk_jwks_cache::JwkSet;
    /// let set = JwkSet::from_json(r#"{"keys":[{"kty":"RSA","kid":"ins_1","n":"AQAB","e":"AQAB"},{"no":"kty"}]}"#)?;
    /// assert_eq!(set.keys.len(), 1);
    /// assert!(JwkSet::from_json("[]").is_err());
    /// # Ok::<(), clerk_jwks_cache::KeyError>(())
    /// ```
    pub fn from_json(s: &str) -> Result<Self, KeyError> {
        serde_json::from_str(s).map_err(|err| {
            KeyError::invalid(format!("the JWKS is not a JSON object with keys: {err}"))
        })
    }
}

fn decode_b64url(value: Option<&str>, member: &str) -> Result<Vec<u8>, KeyError> {
    let value = value.ok_or_else(|| KeyError::invalid(format!("RSA JWK has no '{member}'")))?;
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| KeyError::invalid(format!("RSA JWK '{member}' is not base64url")))
}

/// The alg-independent part of the JWK filter plus the token-alg check; returns the numbers.
/// Size and exponent checks happen when the key is built.
pub(crate) fn rsa_numbers_from_jwk(jwk: &Jwk, alg: Algorithm) -> Result<RsaNumbers, KeyError> {
    if jwk.kty != "RSA" {
        return Err(KeyError::invalid(format!(
            "kty '{}' does not fit {}",
            jwk.kty,
            alg.as_str()
        )));
    }
    if let Some(u) = jwk.use_.as_deref()
        && u != "sig"
    {
        return Err(KeyError::invalid(format!("JWK use is '{u}', not 'sig'")));
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        return Err(KeyError::invalid("JWK key_ops does not contain 'verify'"));
    }
    if let Some(a) = jwk.alg.as_deref()
        && a != alg.as_str()
    {
        return Err(KeyError::invalid(format!(
            "JWK alg '{a}' does not match the token's {}",
            alg.as_str()
        )));
    }
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.other.contains_key(**m)) {
        return Err(KeyError::invalid(format!(
            "JWK carries private key material ('{member}'); publish public keys only"
        )));
    }
    let n = decode_b64url(jwk.n.as_deref(), "n")?;
    let e = decode_b64url(jwk.e.as_deref(), "e")?;
    Ok(RsaNumbers { n, e })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn base() -> Jwk {
        Jwk::rsa("ins_1", Algorithm::RS256, &[0xC1; 256], &[1, 0, 1])
    }

    #[test]
    fn filter_rules() {
        assert!(rsa_numbers_from_jwk(&base(), Algorithm::RS256).is_ok());
        assert!(rsa_numbers_from_jwk(&base(), Algorithm::RS384).is_err());
        let mut no_alg = base();
        no_alg.alg = None;
        assert!(rsa_numbers_from_jwk(&no_alg, Algorithm::RS512).is_ok());

        type Mutation = Box<dyn Fn(&mut Jwk)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|j| j.kty = "EC".into()),
            Box::new(|j| j.kty = "rsa".into()),
            Box::new(|j| j.use_ = Some("enc".into())),
            Box::new(|j| j.key_ops = Some(vec!["encrypt".into()])),
            Box::new(|j| j.key_ops = Some(vec![])),
            Box::new(|j| j.alg = Some("PS256".into())),
            Box::new(|j| j.n = None),
            Box::new(|j| j.e = Some("AQAB=".into())),
            Box::new(|j| j.n = Some("***".into())),
            Box::new(|j| {
                j.other.insert("d".into(), Value::String("secret".into()));
            }),
        ];
        for (i, mutate) in cases.iter().enumerate() {
            let mut j = base();
            mutate(&mut j);
            let err = rsa_numbers_from_jwk(&j, Algorithm::RS256).unwrap_err();
            assert!(matches!(err, KeyError::InvalidKey { .. }), "case {i}");
            assert!(!err.to_string().contains("secret"));
        }
        let mut ops = base();
        ops.key_ops = Some(vec!["sign".into(), "verify".into()]);
        assert!(rsa_numbers_from_jwk(&ops, Algorithm::RS256).is_ok());
    }

    #[test]
    fn set_parsing_is_lenient_per_key_and_keeps_unknown_members() {
        let set = JwkSet::from_json(
            r#"{"keys":[{"kty":"RSA","kid":"a","x5t":"abc","n":"AQ","e":"AQAB"},{"kid":"no-kty"},7,{"kty":"RSA","key_ops":"verify"}],"extra":1}"#,
        )
        .unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(
            set.keys[0].other.get("x5t"),
            Some(&Value::String("abc".into()))
        );
        assert_eq!(JwkSet::from_json("{}").unwrap(), JwkSet::default());
        assert!(JwkSet::from_json("{\"keys\":").is_err());
        assert!(JwkSet::from_json("[]").is_err());
        assert!(JwkSet::from_json(r#"{"keys":{"kty":"RSA"}}"#).is_err());
        assert_eq!(
            JwkSet::from_json(r#"{"keys":null}"#).unwrap(),
            JwkSet::default()
        );
        let back: JwkSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn debug_hides_private_values() {
        let mut j = base();
        j.other
            .insert("d".into(), Value::String("TOPSECRET".into()));
        let dbg = format!("{j:?}");
        assert!(!dbg.contains("TOPSECRET"));
        assert!(dbg.contains("\"d\""));
    }
}
