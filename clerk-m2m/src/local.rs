//! Synchronous verification: the tokens this value can decide with what it already holds in
//! memory (a PEM key, a static JWKS, a warm JWKS cache), with no I/O and no async runtime, for
//! sync programs and CPU-bound worker pools.

use clerk_token_types::{
    M2M_TOKEN_PREFIX, M2MToken, TokenType, classify_jwt, machine_token_type_by_prefix,
};

use crate::machine_auth::Presented;
use crate::{Error, MachineAuth, VerifiedToken};

impl MachineAuth {
    /// Verifies an M2M JWT synchronously: no async runtime, no I/O. With a PEM key
    /// ([`jwt_key`](crate::MachineAuthBuilder::jwt_key)) every M2M JWT is decided here; with a
    /// JWKS, once its keys are cached.
    ///
    /// ```rust
    /// # fn main() -> Result<(), clerk_m2m::Error> {
    /// use clerk_m2m::{Error, MachineAuth, SecretKey};
    ///
    /// let auth = MachineAuth::builder()
    ///     .secret_key(SecretKey::new("sk_test_example").expect("well-formed"))
    ///     .build()?;
    /// // Opaque tokens are decided by the Backend API: not here.
    /// let err = auth.verify_m2m_token_local("mt_0123456789abcdef0123456789abcdef").unwrap_err();
    /// assert!(matches!(err, Error::NotLocal { .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`verify_m2m_token`](Self::verify_m2m_token), and [`Error::NotLocal`] when deciding
    /// needs the network: an opaque `mt_` token, or a JWT whose key is not cached yet (the async
    /// method fetches it, after which this one can decide).
    pub fn verify_m2m_token_local(&self, token: &str) -> Result<M2MToken, Error> {
        let presented = Presented::new(token);
        let Some(jwt) = presented.decoded_jwt() else {
            return Err(if token.starts_with(M2M_TOKEN_PREFIX) {
                Error::NotLocal {
                    token_type: TokenType::M2MToken,
                    needs: "the Backend API",
                }
            } else {
                Error::TokenTypeMismatch {
                    expected: TokenType::M2MToken,
                    found: machine_token_type_by_prefix(token),
                }
            });
        };
        let jwt = jwt?;
        match classify_jwt(jwt) {
            Some(TokenType::M2MToken) => {}
            found => {
                return Err(Error::TokenTypeMismatch {
                    expected: TokenType::M2MToken,
                    found,
                });
            }
        }
        match self.inner.m2m.try_verify_jwt_local(jwt) {
            Some(r) => r.map_err(|source| Error::Verify {
                token_type: TokenType::M2MToken,
                source,
            }),
            None => Err(Error::NotLocal {
                token_type: TokenType::M2MToken,
                needs: "a JWKS fetch",
            }),
        }
    }

    /// Routes and verifies any machine token as
    /// [`verify_machine_token`](Self::verify_machine_token) does, when that needs no I/O;
    /// `None` when it does (opaque `mt_`/`oat_`/`ak_` tokens, a JWT whose key is not cached).
    /// A batch verifier calls this first and awaits the async method only for the `None`s.
    ///
    /// ```rust
    /// # fn main() -> Result<(), clerk_m2m::Error> {
    /// use clerk_m2m::{Error, MachineAuth, SecretKey};
    /// let auth = MachineAuth::builder()
    ///     .secret_key(SecretKey::new("sk_test_example").expect("well-formed"))
    ///     .build()?;
    /// assert!(auth.try_verify_local("ak_an_api_key").is_none()); // the Backend API decides
    /// let unknown = auth.try_verify_local("not a token").expect("decided locally");
    /// assert!(matches!(unknown, Err(Error::UnknownTokenType)));
    /// # Ok(()) }
    /// ```
    pub fn try_verify_local(&self, token: &str) -> Option<Result<VerifiedToken, Error>> {
        // A token the verified-token cache holds as a valid M2M JWT needs neither the JWT-shape
        // scan nor the decode below (together a third of a cached `clerk-m2m verify -` line in
        // perf). Only a success is taken from here: the M2M rules passed, `sub` is a machine id,
        // so the classification below would have chosen the M2M verifier too. Anything else goes
        // the ordinary way, which gives every error exactly as before.
        if let Some(Ok(m)) = self.inner.m2m.try_verify_cached(token) {
            return Some(Ok(VerifiedToken::M2M(m)));
        }
        let presented = Presented::new(token);
        let Some(jwt) = presented.decoded_jwt() else {
            return match machine_token_type_by_prefix(token) {
                Some(_) => None,
                None => Some(Err(Error::UnknownTokenType)),
            };
        };
        let jwt = match jwt {
            Ok(jwt) => jwt,
            Err(e) => return Some(Err(e)),
        };
        let verified = match classify_jwt(jwt) {
            Some(TokenType::M2MToken) => self
                .inner
                .m2m
                .try_verify_jwt_local(jwt)?
                .map(VerifiedToken::M2M)
                .map_err(|source| (TokenType::M2MToken, source)),
            Some(TokenType::OAuthToken) => self
                .inner
                .oauth
                .try_verify_jwt_local(jwt)?
                .map(VerifiedToken::OAuthJwt)
                .map_err(|source| (TokenType::OAuthToken, source)),
            _ => return Some(Err(Error::invalid_jwt_type(jwt))),
        };
        Some(verified.map_err(|(token_type, source)| Error::Verify { token_type, source }))
    }
}
