//! [`Verifier`]: the pipeline, configured once, shared cheaply.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use std::time::Duration;

use clerk_jwks_cache::{KeyResolver, VerifyingKey};
use clerk_token_types::{Algorithm, ClaimValue, DecodeOptions, Jwt};

use crate::cache::{Entry, Outcome};
use crate::steps::{self, claims::ClaimRules};
use crate::{
    Check, Clock, ClockSkew, M2m, OAuth, Preset, Session, Stage, SystemClock, VerifiedTokenCache,
    VerifiedTokenCacheConfig, VerifyError,
};

/// Verifies tokens of one preset ([`M2m`], [`OAuth`], [`Session`]) against the keys of one
/// [`KeyResolver`]. Cheap to clone (one `Arc`), `Send + Sync`.
///
/// The pipeline, in order (see [`steps`]): decode, header rules, key, signature, user checks
/// ([`Stage::BeforeClaims`]), claim rules, user checks ([`Stage::AfterClaims`]), mapping.
/// The first failure is returned. With a [cache](Self::with_cache), a token seen before with the
/// same key skips the decode and the signature check; everything else runs every time.
///
/// ```rust
/// use std::sync::Arc;
/// use clerk_jwks_cache::PemKeyResolver;
/// use clerk_token_verify::{ErrorCode, Reason, Verifier};
///
/// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
/// let verifier = Verifier::m2m(Arc::new(PemKeyResolver::new(pem)?))
///     .with_clock_skew_ms(2000.0)
///     .with_expected_machine("mch_me");
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// let err = verifier.verify("not.a.jwt").await.unwrap_err();
/// assert_eq!(err.code(), ErrorCode::TokenInvalid);
/// assert_eq!(err.reason(), Reason::TokenInvalid);
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<P: Preset> {
    inner: Arc<Inner>,
    preset: PhantomData<fn() -> P>,
}

#[derive(Clone)]
struct Inner {
    resolver: Arc<dyn KeyResolver>,
    clock: Arc<dyn Clock>,
    claims: ClaimRules,
    decode: DecodeOptions,
    before_claims: Vec<Arc<dyn Check>>,
    after_claims: Vec<Arc<dyn Check>>,
    /// Shared by clones and by reconfigured copies: entries hold nothing configuration-specific.
    cache: Option<VerifiedTokenCache>,
}

impl<P: Preset> Clone for Verifier<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            preset: PhantomData,
        }
    }
}

impl<P: Preset> fmt::Debug for Verifier<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Verifier")
            .field("token_type", &P::TOKEN_TYPE)
            .field("claim_rules", &i.claims)
            .field("decode", &i.decode)
            .field("clock", &i.clock)
            .field("checks", &(i.before_claims.len() + i.after_claims.len()))
            .field("cache", &i.cache)
            .finish_non_exhaustive()
    }
}

impl Verifier<M2m> {
    /// An M2M token verifier (Clerk's `verifyM2MJwt`) with Clerk's defaults: 5000 ms skew, no
    /// audience, no authorized parties, no issuer check, the system clock, no cache.
    pub fn m2m(resolver: Arc<dyn KeyResolver>) -> Self {
        Self::new(resolver)
    }
}

impl Verifier<OAuth> {
    /// An OAuth access token verifier (Clerk's `verifyOAuthJwt`).
    pub fn oauth(resolver: Arc<dyn KeyResolver>) -> Self {
        Self::new(resolver)
    }
}

impl Verifier<Session> {
    /// A session token verifier (the JWT part of Clerk's `verifyToken`).
    pub fn session(resolver: Arc<dyn KeyResolver>) -> Self {
        Self::new(resolver)
    }
}

impl<P: Preset> Verifier<P> {
    fn new(resolver: Arc<dyn KeyResolver>) -> Self {
        let claims = ClaimRules {
            subject_prefix: P::SUBJECT_PREFIX,
            ..ClaimRules::default()
        };
        Self {
            inner: Arc::new(Inner {
                resolver,
                clock: Arc::new(SystemClock),
                claims,
                decode: DecodeOptions::default(),
                before_claims: Vec::new(),
                after_claims: Vec::new(),
                cache: None,
            }),
            preset: PhantomData,
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// The clock skew allowed by the time rules (`exp`, `nbf`, `iat`). Default 5 s.
    ///
    /// ```rust
    /// # use std::sync::Arc;
    /// # use clerk_jwks_cache::PemKeyResolver;
    /// use std::time::Duration;
    /// use clerk_token_verify::Verifier;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
    /// let v = Verifier::m2m(Arc::new(PemKeyResolver::new(pem)?)).with_clock_skew(Duration::from_secs(2));
    /// assert_eq!(v.claim_rules().clock_skew.as_ms(), 2000.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_clock_skew(self, skew: Duration) -> Self {
        self.edit(|i| i.claims.clock_skew = ClockSkew::from_duration(skew))
    }

    /// The clock skew in ms, as Clerk's JavaScript SDK takes it (`clockSkewInMs`): used as given
    /// when finite (a negative one narrows the window, as there); a non-finite value means the
    /// default, 5000.
    pub fn with_clock_skew_ms(self, ms: f64) -> Self {
        self.edit(|i| i.claims.clock_skew = ClockSkew::from_ms(ms))
    }

    /// Accepted audiences: the token's `aud` must name one of them. Empty strings are ignored;
    /// an empty list turns the rule off. Once on, a token without `aud` fails (stricter than
    /// `@clerk/backend`, see [`steps::claims::check_audience`]).
    pub fn with_audience<I, S>(self, aud: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list: Vec<String> = aud
            .into_iter()
            .map(Into::into)
            .filter(|a| !a.is_empty())
            .collect();
        self.edit(|i| i.claims.audience = list)
    }

    /// Accepted `azp` values; an empty list turns the rule off.
    pub fn with_authorized_parties<I, S>(self, azp: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list: Vec<String> = azp.into_iter().map(Into::into).collect();
        self.edit(|i| i.claims.authorized_parties = list)
    }

    /// Requires `iss` to equal `iss` exactly (off by default, as in `@clerk/backend`).
    pub fn with_issuer(self, iss: impl Into<String>) -> Self {
        let iss = iss.into();
        self.edit(|i| i.claims.issuer = Some(iss))
    }

    /// Requires the machine `mch` (this service's machine id) in the token's `aud` or `scopes`.
    pub fn with_expected_machine(self, mch: impl Into<String>) -> Self {
        let mch = mch.into();
        self.edit(|i| i.claims.expected_machine = Some(mch))
    }

    /// Verifies as of the given clock's time.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.edit(|i| i.clock = clock)
    }

    /// Adds a user step at `stage`. Checks of one stage run in the order they were added.
    pub fn with_check(self, stage: Stage, check: Arc<dyn Check>) -> Self {
        self.edit(|i| match stage {
            Stage::BeforeClaims => i.before_claims.push(check),
            Stage::AfterClaims => i.after_claims.push(check),
        })
    }

    /// Decoding limits (the token size cap).
    pub fn with_decode_options(self, opts: DecodeOptions) -> Self {
        self.edit(|i| i.decode = opts)
    }

    /// Remembers verified tokens in a new [`VerifiedTokenCache`] with these limits, so a token
    /// presented again skips the decode and the signature check (every other rule still runs on
    /// each presentation; see [`VerifiedTokenCache`] for what is cached and the revocation
    /// bounds). Off by default on a bare `Verifier`; the `clerk-m2m` facade turns it on.
    ///
    /// ```rust
    /// use std::sync::Arc;
    /// use clerk_jwks_cache::PemKeyResolver;
    /// use clerk_token_verify::{VerifiedTokenCacheConfig, Verifier};
    ///
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
    /// let verifier = Verifier::m2m(Arc::new(PemKeyResolver::new(pem)?))
    ///     .with_cache(VerifiedTokenCacheConfig::default().with_max_entries(4096));
    /// assert_eq!(verifier.cache().map(|c| c.config().max_entries), Some(4096));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_cache(self, config: VerifiedTokenCacheConfig) -> Self {
        self.with_shared_cache(VerifiedTokenCache::new(config))
    }

    /// Uses `cache`, which other verifiers may share (one memory bound for all of them).
    pub fn with_shared_cache(self, cache: VerifiedTokenCache) -> Self {
        self.edit(|i| i.cache = Some(cache))
    }

    /// Verifies every presentation in full (the default).
    pub fn without_cache(self) -> Self {
        self.edit(|i| i.cache = None)
    }

    /// The verified-token cache, if one is on.
    pub fn cache(&self) -> Option<&VerifiedTokenCache> {
        self.inner.cache.as_ref()
    }

    /// The claim rules in force.
    pub fn claim_rules(&self) -> &ClaimRules {
        &self.inner.claims
    }

    /// Verifies a compact token.
    ///
    /// With a cache on, the outcome (`hit`, `negative_hit`, `miss`) is recorded as the field
    /// `verified_token_cache` of the current tracing span, when that span declares it.
    pub async fn verify(&self, token: &str) -> Result<P::Output, VerifyError> {
        let result = match self.local_token(token) {
            Local::Done(r) => r,
            Local::NeedKey(t, alg) => self.resume(t, alg).await,
        };
        result.map_err(Self::rejected)
    }

    /// Verifies an already decoded token (every step but the decode).
    pub async fn verify_jwt(&self, jwt: &Jwt) -> Result<P::Output, VerifyError> {
        let result = match self.local_jwt(jwt) {
            Local::Done(r) => r,
            Local::NeedKey(t, alg) => self.resume(t, alg).await,
        };
        result.map_err(Self::rejected)
    }

    /// [`verify`](Self::verify) without I/O and without an async runtime: `None` when the key
    /// cannot be had without I/O (a cold JWKS cache, an unknown `kid`, a key the resolver must
    /// fetch or refuse asynchronously); the caller then awaits `verify`. Otherwise the full
    /// result, the same `verify` would give. The cache (if on) is used as by `verify`.
    ///
    /// ```rust
    /// use std::sync::Arc;
    /// use clerk_jwks_cache::PemKeyResolver;
    /// use clerk_token_verify::{Reason, Verifier};
    ///
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-signing.pub.pem"));
    /// let verifier = Verifier::m2m(Arc::new(PemKeyResolver::new(pem)?));
    /// // A PEM key needs no I/O, so every token gets an answer here; a bad one is an error.
    /// let err = verifier.try_verify_local("a.b.c").expect("no I/O needed").unwrap_err();
    /// assert_eq!(err.reason(), Reason::TokenInvalid);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_verify_local(&self, token: &str) -> Option<Result<P::Output, VerifyError>> {
        match self.local_token(token) {
            Local::Done(r) => Some(r.map_err(Self::rejected)),
            Local::NeedKey(..) => None,
        }
    }

    /// [`try_verify_local`](Self::try_verify_local) for an already decoded token.
    pub fn try_verify_jwt_local(&self, jwt: &Jwt) -> Option<Result<P::Output, VerifyError>> {
        match self.local_jwt(jwt) {
            Local::Done(r) => Some(r.map_err(Self::rejected)),
            Local::NeedKey(..) => None,
        }
    }

    /// [`try_verify_local`](Self::try_verify_local) for a token the [cache](Self::with_cache)
    /// holds as verified, answered from its entry without decoding the token; `None` for any
    /// other token (not cached, cached as a wrong signature, longer than the decode cap, no
    /// cache), which the caller then verifies the ordinary way. An answer is the one
    /// `try_verify_local` would give: the header rules, the key lookup and every claim rule run
    /// as on every hit.
    ///
    /// A front end that must look at the decoded token before choosing a verifier (the
    /// `clerk-m2m` facade classifies M2M and OAuth JWTs) asks this first, so that a cache hit
    /// costs no decode: the decode was a fifth of a cached `clerk-m2m verify -` line (perf).
    pub fn try_verify_cached(&self, token: &str) -> Option<Result<P::Output, VerifyError>> {
        if token.len() > self.inner.decode.max_token_bytes {
            return None;
        }
        let t = self.cached(token)?;
        if !matches!(t, Token::Cached(_, true)) {
            return None;
        }
        match self.local(t) {
            Local::Done(r) => Some(r.map_err(Self::rejected)),
            Local::NeedKey(..) => None,
        }
    }

    fn rejected(e: VerifyError) -> VerifyError {
        tracing::debug!(token_type = %P::TOKEN_TYPE, reason = %e.reason(), "token rejected");
        e.with_token_type(P::TOKEN_TYPE)
    }

    /// The cache entry for exactly `token`, if there is one.
    fn cached(&self, token: &str) -> Option<Token<'static>> {
        let cache = self.inner.cache.as_ref()?;
        if !cache.accepts(token) {
            return None;
        }
        let (entry, valid) = cache.get(token)?;
        Some(Token::Cached(entry, valid))
    }

    /// Step 1 (or the cache), then the synchronous steps.
    fn local_token<'a>(&self, token: &'a str) -> Local<'a, P::Output> {
        let i = &*self.inner;
        // The size cap first, as decoding applies it: an entry never bypasses it.
        if token.len() <= i.decode.max_token_bytes
            && let Some(t) = self.cached(token)
        {
            return self.local(t);
        }
        match steps::decode(token, &i.decode) {
            Ok(jwt) => self.local(Token::Owned(jwt)),
            Err(e) => Local::Done(Err(e)),
        }
    }

    fn local_jwt<'a>(&self, jwt: &'a Jwt) -> Local<'a, P::Output> {
        let t = self.cached(jwt.as_str()).unwrap_or(Token::Borrowed(jwt));
        self.local(t)
    }

    /// Step 2 and the resolver's I/O-free path: the answer, or the key still to resolve.
    fn local<'a>(&self, t: Token<'a>) -> Local<'a, P::Output> {
        let header = t.jwt().header();
        let alg = match steps::header::check(header, &P::HEADER_RULES) {
            Ok(alg) => alg,
            Err(e) => return Local::Done(Err(e)),
        };
        match self
            .inner
            .resolver
            .resolve_cached(header.kid.as_deref(), alg)
        {
            Some(key) => Local::Done(self.with_key(t, alg, key)),
            None => Local::NeedKey(t, alg),
        }
    }

    /// Step 3's asynchronous path, then the rest.
    async fn resume(&self, t: Token<'_>, alg: Algorithm) -> Result<P::Output, VerifyError> {
        let kid = t.jwt().header().kid.as_deref();
        let key = self
            .inner
            .resolver
            .resolve(kid, alg)
            .await
            .map_err(VerifyError::key)?;
        self.with_key(t, alg, key)
    }

    /// Steps 4 to 6 with the resolved key; a cache entry checked with this very key skips step 4.
    fn with_key(
        &self,
        t: Token<'_>,
        alg: Algorithm,
        key: Arc<VerifyingKey>,
    ) -> Result<P::Output, VerifyError> {
        let i = &*self.inner;
        if let (Token::Cached(entry, valid), Some(cache)) = (&t, &i.cache) {
            let now_ms = i.clock.now_ms();
            let young = entry.is_young(now_ms);
            if !young {
                cache.expire(entry, *valid);
            }
            if young && Arc::ptr_eq(&key, &entry.key) {
                return if *valid {
                    Self::record(cache, Outcome::Hit);
                    self.finish(&entry.jwt, now_ms)
                } else {
                    Self::record(cache, Outcome::NegativeHit);
                    Err(VerifyError::InvalidSignature { token_type: None })
                };
            }
            // The key changed, or the entry is too old: check the stored decode again.
        }
        let jwt = t.jwt();
        let signature = steps::signature::check(&key, alg, jwt.signing_input(), jwt.signature());
        let now_ms = i.clock.now_ms();
        if let Some(cache) = &i.cache
            && cache.accepts(jwt.as_str())
        {
            Self::record(cache, Outcome::Miss);
            match signature {
                Ok(()) => {
                    let until = valid_until(jwt, now_ms, i.claims.clock_skew);
                    let jwt = t.into_owned();
                    let result = self.finish(&jwt, now_ms);
                    cache.insert(jwt, key, now_ms, true, Some(until));
                    return result;
                }
                Err(e @ VerifyError::InvalidSignature { .. }) => {
                    // Only a definite "wrong signature": a backend failure may not repeat.
                    cache.insert(t.into_owned(), key, now_ms, false, None);
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        signature?;
        match t {
            // The token is ours: the mapping may move its claims instead of copying them.
            Token::Owned(jwt) => {
                self.claim_steps(&jwt, now_ms)?;
                P::map_owned(jwt, now_ms, i.claims.clock_skew)
            }
            Token::Borrowed(jwt) => self.finish(jwt, now_ms),
            Token::Cached(entry, _) => self.finish(&entry.jwt, now_ms),
        }
    }

    fn record(cache: &VerifiedTokenCache, outcome: Outcome) {
        cache.count(outcome);
        tracing::Span::current().record("verified_token_cache", outcome.as_str());
    }

    /// Steps 5 and 6 on a token whose signature holds.
    fn finish(&self, jwt: &Jwt, now_ms: i64) -> Result<P::Output, VerifyError> {
        self.claim_steps(jwt, now_ms)?;
        P::map(jwt, now_ms, self.inner.claims.clock_skew)
    }

    /// The user checks and the claim rules (step 5), as of `now_ms`.
    fn claim_steps(&self, jwt: &Jwt, now_ms: i64) -> Result<(), VerifyError> {
        let i = &*self.inner;
        for c in &i.before_claims {
            c.check(jwt, now_ms)?;
        }
        steps::claims::check(jwt.claims(), &i.claims, now_ms)?;
        for c in &i.after_claims {
            c.check(jwt, now_ms)?;
        }
        Ok(())
    }
}

/// The last ms (exclusive) at which the expiry rule still passes: `exp_ms + ceil(skew)`; `now`
/// (nothing worth caching) when `exp` is missing or invalid, which the claim rules reject anyway.
fn valid_until(jwt: &Jwt, now_ms: i64, skew: ClockSkew) -> i64 {
    match &jwt.claims().exp {
        Some(ClaimValue::Valid(d)) => d.to_millis().saturating_add(skew.ceil_ms()),
        _ => now_ms,
    }
}

/// A token on its way through the pipeline.
// A decoded token is large (about 800 bytes) but moved only a few times per verification, and
// only on the paths that also pay a decode or a signature check; boxing it would add an
// allocation to every verification instead.
#[allow(clippy::large_enum_variant)]
enum Token<'a> {
    /// Decoded by `verify`: ours to move.
    Owned(Jwt),
    /// Decoded by the caller of `verify_jwt`.
    Borrowed(&'a Jwt),
    /// A cache entry for the same bytes (`true`: its signature held).
    Cached(Arc<Entry>, bool),
}

impl Token<'_> {
    fn jwt(&self) -> &Jwt {
        match self {
            Token::Owned(jwt) => jwt,
            Token::Borrowed(jwt) => jwt,
            Token::Cached(entry, _) => &entry.jwt,
        }
    }

    fn into_owned(self) -> Jwt {
        match self {
            Token::Owned(jwt) => jwt,
            Token::Borrowed(jwt) => jwt.clone(),
            Token::Cached(entry, _) => {
                Arc::try_unwrap(entry).map_or_else(|shared| shared.jwt.clone(), |e| e.jwt)
            }
        }
    }
}

/// Where the synchronous part of the pipeline stopped (large for the same reason as `Token`).
#[allow(clippy::large_enum_variant)]
enum Local<'a, O> {
    /// The answer.
    Done(Result<O, VerifyError>),
    /// The key needs the resolver's asynchronous path (`alg` already checked).
    NeedKey(Token<'a>, Algorithm),
}
