//! Fixtures: fixed test keys, token signing with josekit, a resolver that counts its calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use clerk_jwks_cache::{Algorithm, KeyError, KeyResolver, StaticJwksResolver, VerifyingKey};
use clerk_token_verify::{FixedClock, M2m, OAuth, Session, Verifier};
use josekit::jwk::KeyPair as _;
use josekit::jws::{JwsSigner as _, RS256, RS384, RS512};
use serde_json::{Value, json};

/// The time of `@clerk/backend`'s test fixtures: `iat` of `mockM2MJwtPayload`.
pub const IAT: i64 = 1_666_648_250;
pub const NOW_MS: i64 = IAT * 1000;
pub const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";
pub const CAT_M2M: &str = "cl_B7d4PD333AAA";
pub const CAT_SESSION: &str = "cl_B7d4PD111AAA";
pub const CAT_TEMPLATE: &str = "cl_B7d4PD222AAA";
pub const CAT_IGNORE: &str = "cl_I7d4PD111III";

pub const SIGNING_KEY: &str = include_str!("../data/test-signing.key.pem");
pub const SIGNING_PUB: &str = include_str!("../data/test-signing.pub.pem");
pub const OTHER_KEY: &str = include_str!("../data/test-other.key.pem");

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header.payload` with `key_pem`, using the RSA algorithm the header names (RS256 for
/// anything else, so tokens with a bad `alg` still carry a real signature).
pub fn sign_with(key_pem: &str, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let sig = sign_input(
        key_pem,
        header["alg"].as_str().unwrap_or("RS256"),
        input.as_bytes(),
    );
    format!("{input}.{}", b64(&sig))
}

pub fn sign_input(key_pem: &str, alg: &str, input: &[u8]) -> Vec<u8> {
    let signer = match alg {
        "RS384" => RS384.signer_from_pem(key_pem),
        "RS512" => RS512.signer_from_pem(key_pem),
        _ => RS256.signer_from_pem(key_pem),
    }
    .unwrap();
    signer.sign(input).unwrap()
}

pub fn sign(header: &Value, payload: &Value) -> String {
    sign_with(SIGNING_KEY, header, payload)
}

/// `mockM2MJwtPayload` of `@clerk/backend`'s test fixtures.
pub fn m2m_payload() -> Value {
    json!({
        "iss": "https://clerk.m2m.example.test",
        "sub": "mch_2vYVtestTESTtestTESTtestTESTtest",
        "aud": ["mch_1xxxxx", "mch_2xxxxx"],
        "exp": IAT + 300,
        "iat": IAT,
        "nbf": IAT - 10,
        "jti": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        "scopes": "mch_1xxxxx mch_2xxxxx",
    })
}

pub fn m2m_header() -> Value {
    json!({"alg": "RS256", "kid": KID, "typ": "JWT", "cat": CAT_M2M})
}

pub fn session_payload() -> Value {
    json!({
        "azp": "https://accounts.inspired.puma-74.lcl.dev",
        "exp": IAT + 60,
        "iat": IAT,
        "iss": "https://clerk.inspired.puma-74.lcl.dev",
        "nbf": IAT - 10,
        "sid": "sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9",
        "sub": "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr",
    })
}

pub fn session_header() -> Value {
    json!({"alg": "RS256", "kid": KID, "typ": "JWT", "cat": CAT_SESSION})
}

pub fn oauth_payload() -> Value {
    json!({
        "iss": "https://clerk.oauth.example.test",
        "sub": "user_2vYVtestTESTtestTESTtestTESTtest",
        "client_id": "client_2VTWUzvGC5UhdJCNx6xG1D98edc",
        "scope": "read:foo write:bar",
        "jti": "oat_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        "exp": IAT + 300,
        "iat": IAT,
        "nbf": IAT - 10,
    })
}

pub fn oauth_header() -> Value {
    json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"})
}

/// The signing key's public JWK, with the fixtures' kid.
pub fn public_jwk(alg: &str) -> Value {
    let pair = RS256.key_pair_from_pem(SIGNING_KEY).unwrap();
    let mut jwk: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    jwk.insert("kid".into(), json!(KID));
    jwk.insert("alg".into(), json!(alg));
    jwk.insert("use".into(), json!("sig"));
    Value::Object(jwk)
}

/// A JWKS resolver over the signing key (RS256) that counts every call, cached or not.
#[derive(Debug)]
pub struct Counting<R> {
    pub inner: R,
    pub calls: AtomicUsize,
}

impl<R> Counting<R> {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl<R: KeyResolver> KeyResolver for Counting<R> {
    async fn resolve(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.resolve(kid, alg).await
    }
    fn resolve_cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.resolve_cached(kid, alg)
    }
}

pub fn jwks_resolver() -> Arc<Counting<StaticJwksResolver>> {
    let set = json!({"keys": [public_jwk("RS256")]}).to_string();
    Arc::new(Counting {
        inner: StaticJwksResolver::from_json(&set).unwrap(),
        calls: AtomicUsize::new(0),
    })
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(NOW_MS))
}

pub fn m2m() -> (Verifier<M2m>, Arc<Counting<StaticJwksResolver>>) {
    let r = jwks_resolver();
    (Verifier::m2m(r.clone()).with_clock(clock()), r)
}

pub fn oauth() -> (Verifier<OAuth>, Arc<Counting<StaticJwksResolver>>) {
    let r = jwks_resolver();
    (Verifier::oauth(r.clone()).with_clock(clock()), r)
}

pub fn session() -> (Verifier<Session>, Arc<Counting<StaticJwksResolver>>) {
    let r = jwks_resolver();
    (Verifier::session(r.clone()).with_clock(clock()), r)
}

/// Replaces (or with `Value::Null` under `remove`, deletes) members of a JSON object.
pub fn with(mut v: Value, changes: &[(&str, Option<Value>)]) -> Value {
    let obj = v.as_object_mut().unwrap();
    for (k, change) in changes {
        match change {
            Some(x) => {
                obj.insert((*k).to_owned(), x.clone());
            }
            None => {
                obj.remove(*k);
            }
        }
    }
    v
}
