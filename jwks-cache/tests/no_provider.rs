//! A build without the `josekit` and `aws-lc-rs` features: keys and resolvers fail to build with
//! a typed error unless a provider is passed, and a passed provider works.
#![cfg(not(any(feature = "josekit", feature = "aws-lc-rs")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_jwks_cache::{
    Algorithm, CryptoProvider, JwkSet, JwksSource, KeyError, KeyResolver, PemKeyResolver,
    RemoteJwksResolver, RsaPublicNumbers, SignatureVerifier, StaticJwksResolver, VerifyingKey,
    default_provider,
};
use common::keys;

#[derive(Debug)]
struct AcceptAll;

struct Yes;

impl SignatureVerifier for Yes {
    fn verify(&self, _message: &[u8], _signature: &[u8]) -> Result<bool, KeyError> {
        Ok(true)
    }
}

impl CryptoProvider for AcceptAll {
    fn name(&self) -> &'static str {
        "accept-all"
    }
    fn rsa_verifier(
        &self,
        _key: RsaPublicNumbers<'_>,
        _alg: Algorithm,
    ) -> Result<Box<dyn SignatureVerifier>, KeyError> {
        Ok(Box::new(Yes))
    }
}

struct Set(JwkSet);

#[async_trait::async_trait]
impl JwksSource for Set {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn without_a_provider_building_fails_with_a_typed_error() {
    let k = &keys()[0];
    assert_eq!(default_provider().unwrap_err(), KeyError::NoCryptoProvider);
    assert_eq!(
        VerifyingKey::from_pem(&k.spki_pem()).unwrap_err(),
        KeyError::NoCryptoProvider
    );
    // A bad PEM still says what is wrong with it.
    assert_eq!(
        VerifyingKey::from_pem("").unwrap_err(),
        KeyError::LocalMissing
    );
    assert_eq!(
        PemKeyResolver::new(&k.spki_pem()).unwrap_err(),
        KeyError::NoCryptoProvider
    );
    let set = JwkSet {
        keys: vec![k.jwk("ins_1", Algorithm::RS256)],
    };
    assert_eq!(
        StaticJwksResolver::new(&set).unwrap_err(),
        KeyError::NoCryptoProvider
    );
    let remote = RemoteJwksResolver::new(Set(set));
    assert_eq!(
        remote
            .resolve(Some("ins_1"), Algorithm::RS256)
            .await
            .unwrap_err(),
        KeyError::NoCryptoProvider
    );
}

#[tokio::test]
async fn a_passed_provider_is_used() {
    let k = &keys()[0];
    let key = VerifyingKey::from_pem_with(&k.spki_pem(), &AcceptAll).unwrap();
    assert_eq!(key.provider_name(), "accept-all");
    assert!(key.verify(b"x", &[0; 256]).unwrap());
    // The length rule holds whatever the provider says.
    assert!(!key.verify(b"x", &[0; 255]).unwrap());
    let set = JwkSet {
        keys: vec![k.jwk("ins_1", Algorithm::RS256)],
    };
    let remote = RemoteJwksResolver::builder(Set(set))
        .crypto_provider(std::sync::Arc::new(AcceptAll))
        .build();
    let key = remote
        .resolve(Some("ins_1"), Algorithm::RS256)
        .await
        .unwrap();
    assert_eq!(key.provider_name(), "accept-all");
}
