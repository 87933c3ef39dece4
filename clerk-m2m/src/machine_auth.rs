//! [`MachineAuth`]: one configured value that creates M2M tokens and verifies machine tokens,
//! routing each token as `@clerk/backend`'s `verifyMachineAuthToken` (`tokens/verify.ts`).

use std::sync::Arc;

use clerk_backend_api::{
    BackendApi, CreateM2MTokenParams, ListM2MTokensParams, M2MTokenList, RevokeM2MTokenParams,
};
use clerk_jwks_cache::{Algorithm, KeyError, KeyResolver, VerifyingKey};
use clerk_token_types::{
    AcceptsToken, Jwt, M2M_TOKEN_PREFIX, M2MToken, Reason, TokenType, classify_decoded,
    classify_jwt, is_jwt_format, machine_token_type_by_prefix,
};
use clerk_token_verify::{
    M2m, OAuth, Session, VerifiedTokenCache, VerifiedTokenCacheStats, Verifier, VerifyError,
};
use tracing::Instrument;

use crate::{Error, MachineAuthBuilder, VerifiedToken};

/// Creates and verifies Clerk machine tokens with one configuration.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: build it once and share it across tasks.
/// Its JWKS cache belongs to it: clones share the fetched keys, another `build()` has its own
/// (see [`MachineAuthBuilder::build`]). There is no process-wide state.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clerk_m2m::Error> {
/// use clerk_m2m::{MachineAuth, SecretKey};
///
/// let auth = MachineAuth::builder()
///     .secret_key(SecretKey::new("sk_test_example").expect("a well-formed key"))
///     .expected_machine("mch_this_service")
///     .build()?;
/// // A token that is neither a JWT nor has a machine prefix is a typed error, never a panic.
/// let err = auth.verify_machine_token("not a token").await.unwrap_err();
/// assert_eq!(err.to_string(), "Unknown machine token type");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MachineAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) api: BackendApi,
    pub(crate) resolver: Arc<dyn KeyResolver>,
    pub(crate) m2m: Verifier<M2m>,
    pub(crate) oauth: Verifier<OAuth>,
    pub(crate) session: Verifier<Session>,
    pub(crate) accepts: AcceptsToken,
    pub(crate) key_source: KeySource,
    pub(crate) expected_machine: Option<String>,
    /// Guards every opaque-token verify call (shape, cache, single flight, cap, budget).
    pub(crate) opaque: crate::opaque::OpaqueGuard,
}

/// Where JWT verification keys come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeySource {
    Pem,
    Jwks,
    Custom,
    None,
}

/// The resolver used when there is neither a PEM key nor a secret key: every JWT fails with
/// `@clerk/backend`'s "Failed to resolve JWK during verification." (after the `cat` check, which
/// runs before any key resolution).
#[derive(Debug)]
pub(crate) struct NoKeyResolver;

#[async_trait::async_trait]
impl KeyResolver for NoKeyResolver {
    async fn resolve(
        &self,
        _kid: Option<&str>,
        _alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        Err(KeyError::RemoteFailedToLoad {
            message: "Failed to resolve JWK during verification.".to_owned(),
        })
    }
}

impl std::fmt::Debug for MachineAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineAuth")
            .field("api_url", &self.inner.api.api_url())
            .field("key_source", &self.inner.key_source)
            .field("accepts_token", &self.inner.accepts)
            .field("expected_machine", &self.inner.expected_machine)
            .finish_non_exhaustive()
    }
}

impl MachineAuth {
    /// Starts a [`MachineAuthBuilder`].
    pub fn builder() -> MachineAuthBuilder {
        MachineAuthBuilder::default()
    }

    /// The Backend API client (for the calls this facade does not wrap, e.g. machines).
    pub fn backend_api(&self) -> &BackendApi {
        &self.inner.api
    }

    /// The key resolution of JWT verification: the PEM key, the JWKS cache or your own
    /// resolver. Pass it to another builder's
    /// [`key_resolver`](MachineAuthBuilder::key_resolver) to share one JWKS cache.
    ///
    /// ```rust
    /// # fn main() -> Result<(), clerk_m2m::Error> {
    /// use std::time::Duration;
    /// use clerk_m2m::{MachineAuth, SecretKey};
    /// let sk = SecretKey::new("sk_test_example").expect("well-formed");
    /// let fast = MachineAuth::builder().secret_key(sk.clone()).timeout(Duration::from_secs(1)).build()?;
    /// // Same keys, other Backend API settings for its own calls.
    /// let patient = MachineAuth::builder()
    ///     .secret_key(sk)
    ///     .timeout(Duration::from_secs(30))
    ///     .key_resolver(fast.key_resolver())
    ///     .build()?;
    /// assert!(std::sync::Arc::ptr_eq(&fast.key_resolver(), &patient.key_resolver()));
    /// # Ok(()) }
    /// ```
    pub fn key_resolver(&self) -> Arc<dyn KeyResolver> {
        Arc::clone(&self.inner.resolver)
    }

    /// The token types [`authenticate_request`](Self::authenticate_request) accepts.
    pub fn accepts_token(&self) -> &AcceptsToken {
        &self.inner.accepts
    }

    /// The verified-token cache's counters (hits, misses, evictions...), `None` when it is off
    /// ([`MachineAuthBuilder::no_verified_token_cache`](crate::MachineAuthBuilder::no_verified_token_cache)).
    pub fn verified_token_cache_stats(&self) -> Option<VerifiedTokenCacheStats> {
        self.inner.m2m.cache().map(VerifiedTokenCache::stats)
    }

    /// Creates an M2M token for the machine of the machine secret key (`POST /m2m_tokens`).
    ///
    /// # Errors
    /// [`Error::Api`] with the Backend API's error (401 without a machine secret key, ...).
    pub async fn create_m2m_token(&self, params: CreateM2MTokenParams) -> Result<M2MToken, Error> {
        let span = tracing::info_span!("clerk_m2m.create_m2m_token", ok = tracing::field::Empty);
        async {
            let r = self.inner.api.m2m_tokens().create(params).await;
            tracing::Span::current().record("ok", r.is_ok());
            Ok(r?)
        }
        .instrument(span)
        .await
    }

    /// Lists a machine's opaque M2M tokens (`GET /m2m_tokens`).
    ///
    /// # Errors
    /// [`Error::Api`] with the Backend API's error.
    pub async fn list_m2m_tokens(
        &self,
        params: ListM2MTokensParams,
    ) -> Result<M2MTokenList, Error> {
        let span = tracing::info_span!("clerk_m2m.list_m2m_tokens");
        async { Ok(self.inner.api.m2m_tokens().list(params).await?) }
            .instrument(span)
            .await
    }

    /// Revokes an opaque M2M token by id (`POST /m2m_tokens/{id}/revoke`), with the same
    /// parameter-struct convention as [`create_m2m_token`](Self::create_m2m_token) and
    /// [`list_m2m_tokens`](Self::list_m2m_tokens).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_m2m::{CreateM2MTokenParams, MachineAuth, RevokeM2MTokenParams};
    /// let emu = clerk_m2m::emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let auth = MachineAuth::builder()
    ///     .api_url(emu.api_url())
    ///     .machine_secret_key(m.secret_key)
    ///     .build()?;
    /// let token = auth.create_m2m_token(CreateM2MTokenParams::opaque()).await?;
    /// let revoked = auth
    ///     .revoke_m2m_token(&token.id, RevokeM2MTokenParams::new().reason("rotated"))
    ///     .await?;
    /// assert!(revoked.revoked);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] with the Backend API's error (404 for an unknown id, ...).
    pub async fn revoke_m2m_token(
        &self,
        id: &str,
        params: RevokeM2MTokenParams,
    ) -> Result<M2MToken, Error> {
        let span = tracing::info_span!("clerk_m2m.revoke_m2m_token");
        async { Ok(self.inner.api.m2m_tokens().revoke(id, params).await?) }
            .instrument(span)
            .await
    }

    /// Verifies an M2M token: a JWT (`sub` `mch_…`) locally with the PEM key or the cached JWKS,
    /// an opaque `mt_…` token through the Backend API.
    ///
    /// Any other token is refused without a network call ([`Error::TokenTypeMismatch`]);
    /// `@clerk/backend` would send a JWT-shaped non-M2M token to the Backend API.
    ///
    /// # Errors
    /// The codes and messages of Clerk's JavaScript SDK, e.g. `token-invalid` "Invalid M2M JWT
    /// category.", `token-verification-failed` "JWT is expired. …", `token-invalid` "Machine
    /// token not found".
    pub async fn verify_m2m_token(&self, token: &str) -> Result<M2MToken, Error> {
        let span = tracing::info_span!(
            "clerk_m2m.verify_m2m_token",
            route = tracing::field::Empty,
            ok = tracing::field::Empty
        );
        async {
            let presented = Presented::new(token);
            let r = if let Some(jwt) = presented.decoded_jwt() {
                tracing::Span::current().record("route", "jwt");
                let jwt = jwt?;
                match classify_jwt(jwt) {
                    Some(TokenType::M2MToken) => self.verify_m2m_jwt(jwt).await,
                    found => Err(Error::TokenTypeMismatch {
                        expected: TokenType::M2MToken,
                        found,
                    }),
                }
            } else if token.starts_with(M2M_TOKEN_PREFIX) {
                tracing::Span::current().record("route", "backend_api");
                self.verify_opaque_m2m(token).await
            } else {
                Err(Error::TokenTypeMismatch {
                    expected: TokenType::M2MToken,
                    found: machine_token_type_by_prefix(token),
                })
            };
            tracing::Span::current().record("ok", r.is_ok());
            r
        }
        .instrument(span)
        .await
    }

    /// Verifies any machine token, routed as `@clerk/backend`'s `verifyMachineAuthToken` (`tokens/verify.ts`):
    ///
    /// | token | route | error type |
    /// | --- | --- | --- |
    /// | JWT-shaped, does not decode | — | `m2m_token`, `token-invalid` |
    /// | JWT, `sub` starts with `mch_` | local M2M verification | `m2m_token` |
    /// | JWT, `typ` `at+jwt` / `application/at+jwt` | local OAuth verification | `oauth_token` |
    /// | other JWT | — | `oauth_token`, `token-verification-failed` "Invalid JWT type: …" |
    /// | `mt_…` | `POST /m2m_tokens/verify` | `m2m_token` |
    /// | `oat_…` | `POST /oauth_applications/access_tokens/verify` | `oauth_token` |
    /// | `ak_…` | `POST /api_keys/verify` | `api_key` |
    /// | anything else | — | [`Error::UnknownTokenType`] |
    ///
    /// The result carries the token type on both sides: [`VerifiedToken::token_type`] and
    /// [`Error::token_type`].
    ///
    /// # Errors
    /// As in the table, with `@clerk/backend`'s messages.
    pub async fn verify_machine_token(&self, token: &str) -> Result<VerifiedToken, Error> {
        self.verify_presented(&Presented::new(token)).await
    }

    /// [`Self::verify_machine_token`] for a token already looked at (and decoded) by the caller.
    pub(crate) async fn verify_presented(
        &self,
        presented: &Presented<'_>,
    ) -> Result<VerifiedToken, Error> {
        let span = tracing::info_span!(
            "clerk_m2m.verify_machine_token",
            token_type = tracing::field::Empty,
            ok = tracing::field::Empty
        );
        async {
            let r = self.route_machine_token(presented).await;
            let tt = match &r {
                Ok(v) => Some(v.token_type()),
                Err(e) => e.token_type(),
            };
            tracing::Span::current().record("token_type", tt.map_or("unknown", TokenType::as_str));
            tracing::Span::current().record("ok", r.is_ok());
            if let Err(e) = &r {
                tracing::debug!(code = %e.code(), reason = %e.reason(), "machine token rejected");
            }
            r
        }
        .instrument(span)
        .await
    }

    async fn route_machine_token(&self, presented: &Presented<'_>) -> Result<VerifiedToken, Error> {
        let token = presented.token;
        if let Some(jwt) = presented.decoded_jwt() {
            let jwt = jwt?;
            return match classify_jwt(jwt) {
                Some(TokenType::M2MToken) => self.verify_m2m_jwt(jwt).await.map(VerifiedToken::M2M),
                Some(TokenType::OAuthToken) => self
                    .inner
                    .oauth
                    .verify_jwt(jwt)
                    .await
                    .map(VerifiedToken::OAuthJwt)
                    .map_err(|source| Error::Verify {
                        token_type: TokenType::OAuthToken,
                        source,
                    }),
                _ => Err(Error::invalid_jwt_type(jwt)),
            };
        }
        let guard = &self.inner.opaque;
        match machine_token_type_by_prefix(token) {
            Some(TokenType::M2MToken) => {
                self.verify_opaque_m2m(token).await.map(VerifiedToken::M2M)
            }
            Some(tt @ (TokenType::OAuthToken | TokenType::ApiKey)) => {
                guard.verify_sibling(tt, token).await
            }
            _ => Err(Error::UnknownTokenType),
        }
    }

    pub(crate) async fn verify_m2m_jwt(&self, jwt: &Jwt) -> Result<M2MToken, Error> {
        let span = tracing::debug_span!(
            "clerk_m2m.verify_m2m_jwt",
            kid = jwt.header().kid.as_deref().map(short),
            verified_token_cache = tracing::field::Empty
        );
        self.inner
            .m2m
            .verify_jwt(jwt)
            .instrument(span)
            .await
            .map_err(|source| Error::Verify {
                token_type: TokenType::M2MToken,
                source,
            })
    }

    async fn verify_opaque_m2m(&self, token: &str) -> Result<M2MToken, Error> {
        let t = self.inner.opaque.verify_m2m(token).await?;
        if t.revoked {
            return Err(Error::Inactive { state: "revoked" });
        }
        if t.expired {
            return Err(Error::Inactive { state: "expired" });
        }
        if let Some(mch) = &self.inner.expected_machine
            && !t.scopes.iter().any(|s| s == mch)
        {
            return Err(Error::Verify {
                token_type: TokenType::M2MToken,
                source: VerifyError::custom(
                    Reason::TokenVerificationFailed,
                    format!("The M2M token is not scoped to machine {mch:?}."),
                ),
            });
        }
        Ok(t)
    }

    pub(crate) async fn verify_session(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        let span = tracing::info_span!("clerk_m2m.verify_session_token");
        self.inner
            .session
            .verify(token)
            .instrument(span)
            .await
            .map(|s| VerifiedToken::Session(Box::new(s)))
    }
}

/// A presented token, decoded at most once: request routing, the type rules and the verifier
/// all read the same decode instead of decoding the token again at each step.
pub(crate) struct Presented<'t> {
    pub(crate) token: &'t str,
    /// The decode, when the token is JWT-shaped.
    pub(crate) decoded: Option<Result<Jwt, clerk_token_types::Error>>,
}

impl<'t> Presented<'t> {
    pub(crate) fn new(token: &'t str) -> Self {
        Self {
            token,
            decoded: is_jwt_format(token)
                .then(|| clerk_token_types::dangerous::insecure_decode(token)),
        }
    }

    /// The decoded JWT, if the token is one.
    pub(crate) fn jwt(&self) -> Option<&Jwt> {
        self.decoded.as_ref().and_then(|d| d.as_ref().ok())
    }

    /// The decode when the token is JWT-shaped; a failure is `token-invalid`, typed
    /// `m2m_token` (as `verifyMachineAuthToken` types it).
    pub(crate) fn decoded_jwt(&self) -> Option<Result<&Jwt, Error>> {
        self.decoded.as_ref().map(|d| {
            d.as_ref().map_err(|source| Error::Decode {
                token_type: TokenType::M2MToken,
                source: source.clone(),
            })
        })
    }

    /// `@clerk/backend`'s `getMachineTokenType` when `isMachineToken`, else `None`.
    pub(crate) fn machine_type(&self) -> Option<TokenType> {
        classify_decoded(self.token, self.jwt()).filter(|t| t.is_machine())
    }
}

/// A kid for logs: attacker-controlled, so bounded.
fn short(s: &str) -> String {
    s.chars().take(40).collect()
}
