//! Shared test helpers: RSA keys generated once per test binary, signing, JWK/PEM forms.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clerk_jwks_cache::{Algorithm, Jwk, JwkSet};
use josekit::jwk::KeyPair as _;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::JwsSigner as _;
use josekit::jws::alg::rsassa::RsassaJwsAlgorithm;

pub struct TestKey {
    pair: RsaKeyPair,
}

impl TestKey {
    /// Loads a vendored test key from tests/data (generating keys costs seconds on a busy box).
    pub fn load(name: &str) -> Self {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read(&path).unwrap();
        Self {
            pair: RsaKeyPair::from_pem(pem).unwrap(),
        }
    }

    fn param(&self, name: &str) -> Vec<u8> {
        let jwk = self.pair.to_jwk_public_key();
        let v = jwk.parameter(name).unwrap().as_str().unwrap();
        URL_SAFE_NO_PAD.decode(v).unwrap()
    }

    pub fn n(&self) -> Vec<u8> {
        self.param("n")
    }

    pub fn e(&self) -> Vec<u8> {
        self.param("e")
    }

    /// SPKI PEM ("BEGIN PUBLIC KEY").
    pub fn spki_pem(&self) -> String {
        String::from_utf8(self.pair.to_pem_public_key()).unwrap()
    }

    /// PKCS#1 PEM ("BEGIN RSA PUBLIC KEY").
    pub fn pkcs1_pem(&self) -> String {
        String::from_utf8(self.pair.to_traditional_pem_public_key()).unwrap()
    }

    /// The bare base64 SPKI body, as Clerk's dashboard shows it.
    pub fn bare_body(&self) -> String {
        STANDARD.encode(self.pair.to_der_public_key())
    }

    pub fn jwk(&self, kid: &str, alg: Algorithm) -> Jwk {
        Jwk::rsa(kid, alg, &self.n(), &self.e())
    }

    pub fn sign(&self, alg: Algorithm, input: &[u8]) -> Vec<u8> {
        let a = match alg {
            Algorithm::RS256 => RsassaJwsAlgorithm::Rs256,
            Algorithm::RS384 => RsassaJwsAlgorithm::Rs384,
            Algorithm::RS512 => RsassaJwsAlgorithm::Rs512,
        };
        a.signer_from_der(self.pair.to_der_private_key())
            .unwrap()
            .sign(input)
            .unwrap()
    }
}

/// Three 2048-bit keys, generated once per test binary.
pub fn keys() -> &'static [TestKey; 3] {
    static KEYS: OnceLock<[TestKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            TestKey::load("test_rsa_2048_1.pem"),
            TestKey::load("test_rsa_2048_2.pem"),
            TestKey::load("test_rsa_2048_3.pem"),
        ]
    })
}

pub fn set(keys: Vec<Jwk>) -> JwkSet {
    JwkSet { keys }
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let b = len.to_be_bytes();
        let start = b.iter().position(|&x| x != 0).unwrap();
        out.push(0x80 | (b.len() - start) as u8);
        out.extend_from_slice(&b[start..]);
    }
}

fn der_uint(out: &mut Vec<u8>, v: &[u8]) {
    out.push(0x02);
    let pad = v[0] & 0x80 != 0;
    der_len(out, v.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

/// A PKCS#1 PEM for arbitrary numbers (josekit refuses to make small keys).
pub fn pkcs1_pem_from(n: &[u8], e: &[u8]) -> String {
    let mut body = Vec::new();
    der_uint(&mut body, n);
    der_uint(&mut body, e);
    let mut der = vec![0x30];
    der_len(&mut der, body.len());
    der.extend_from_slice(&body);
    format!(
        "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

/// An odd modulus of exactly `bits` bits (not a real key; fine for size checks).
pub fn synthetic_modulus(bits: usize) -> Vec<u8> {
    let mut n = vec![0x9Du8; bits.div_ceil(8)];
    let top_bits = bits - (n.len() - 1) * 8;
    n[0] = 1u8 << (top_bits - 1) | 0x01;
    let last = n.len() - 1;
    n[last] |= 1;
    n
}
