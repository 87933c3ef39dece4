//! A user-written crypto provider plugged into the verifier, and the pipeline's independence of
//! the provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clerk_jwks_cache::{
    Algorithm, CryptoProvider, KeyError, PemKeyResolver, RsaPublicNumbers, SignatureVerifier,
    StaticJwksResolver, default_provider,
};
use clerk_token_verify::{Reason, Verifier};

use crate::common::*;

/// Wraps another provider and counts the verifiers it builds and the signatures they check.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn CryptoProvider>,
    built: AtomicUsize,
    verified: Arc<AtomicUsize>,
}

struct CountingVerifier {
    inner: Box<dyn SignatureVerifier>,
    verified: Arc<AtomicUsize>,
}

impl SignatureVerifier for CountingVerifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        self.verified.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(message, signature)
    }
}

impl CryptoProvider for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }

    fn rsa_verifier(
        &self,
        key: RsaPublicNumbers<'_>,
        alg: Algorithm,
    ) -> Result<Box<dyn SignatureVerifier>, KeyError> {
        self.built.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(CountingVerifier {
            inner: self.inner.rsa_verifier(key, alg)?,
            verified: Arc::clone(&self.verified),
        }))
    }
}

fn counting() -> Arc<Counting> {
    Arc::new(Counting {
        inner: default_provider().unwrap(),
        built: AtomicUsize::new(0),
        verified: Arc::new(AtomicUsize::new(0)),
    })
}

#[tokio::test]
async fn a_user_provider_verifies_tokens_through_the_pipeline() {
    let provider = counting();
    let resolver = PemKeyResolver::with_provider(SIGNING_PUB, &*provider).unwrap();
    assert_eq!(resolver.key().provider_name(), "counting");
    assert_eq!(provider.built.load(Ordering::SeqCst), 1);
    let v = Verifier::m2m(Arc::new(resolver)).with_clock(clock());

    let m2m = v
        .verify(&sign(&m2m_header(), &m2m_payload()))
        .await
        .unwrap();
    assert_eq!(m2m.subject, m2m_payload()["sub"].as_str().unwrap());
    assert_eq!(provider.verified.load(Ordering::SeqCst), 1);

    let forged = sign_with(OTHER_KEY, &m2m_header(), &m2m_payload());
    let err = v.verify(&forged).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalidSignature, "{err}");
    assert_eq!(provider.verified.load(Ordering::SeqCst), 2);
    // Keys are built once, never per token.
    assert_eq!(provider.built.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_user_provider_serves_a_jwks_resolver() {
    let provider = counting();
    let set = serde_json::json!({ "keys": [public_jwk("RS256")] }).to_string();
    let set = clerk_jwks_cache::JwkSet::from_json(&set).unwrap();
    let resolver = StaticJwksResolver::with_provider(&set, &*provider).unwrap();
    let v = Verifier::m2m(Arc::new(resolver)).with_clock(clock());
    v.verify(&sign(&m2m_header(), &m2m_payload()))
        .await
        .unwrap();
    assert_eq!(provider.verified.load(Ordering::SeqCst), 1);
}

/// The pipeline gives the same answer, error for error, whichever provider checks signatures.
#[cfg(all(feature = "josekit", feature = "aws-lc-rs"))]
#[tokio::test]
async fn both_shipped_providers_give_the_same_answers() {
    use clerk_jwks_cache::{AwsLcRsProvider, JosekitProvider};

    let mut truncated = sign(&m2m_header(), &m2m_payload());
    truncated.truncate(truncated.len() - 4);
    let tokens = [
        sign(&m2m_header(), &m2m_payload()),
        sign_with(OTHER_KEY, &m2m_header(), &m2m_payload()),
        truncated,
        sign(
            &m2m_header(),
            &with(m2m_payload(), &[("exp", Some(1.into()))]),
        ),
    ];
    let verifier = |p: &dyn CryptoProvider| {
        Verifier::m2m(Arc::new(
            PemKeyResolver::with_provider(SIGNING_PUB, p).unwrap(),
        ))
        .with_clock(clock())
    };
    let (jose, aws) = (
        verifier(&JosekitProvider::new()),
        verifier(&AwsLcRsProvider::new()),
    );
    for token in &tokens {
        let a = jose.verify(token).await.map_err(|e| e.to_string());
        let b = aws.verify(token).await.map_err(|e| e.to_string());
        assert_eq!(a, b, "{token}");
    }
}
