//! [`Verifier`]: the pipeline, configured once, shared cheaply.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use clerk_jwks_cache::KeyResolver;
use clerk_token_types::{DecodeOptions, Jwt};

use crate::steps::{self, claims::ClaimRules};
use crate::{
    Check, Clock, ClockSkew, M2m, OAuth, Preset, Session, Stage, SystemClock, VerifyError,
};

/// Verifies tokens of one preset ([`M2m`], [`OAuth`], [`Session`]) against the keys of one
/// [`KeyResolver`]. Cheap to clone (one `Arc`), `Send + Sync`.
///
/// The pipeline, in order (see [`steps`]): decode, header rules, key, signature, user checks
/// ([`Stage::BeforeClaims`]), claim rules, user checks ([`Stage::AfterClaims`]), mapping.
/// The first failure is returned.
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
            .finish_non_exhaustive()
    }
}

impl Verifier<M2m> {
    /// An M2M token verifier (reference §6.1) with the reference defaults: 5000 ms skew, no
    /// audience, no authorized parties, no issuer check, the system clock.
    pub fn m2m(resolver: Arc<dyn KeyResolver>) -> Self {
        Self::new(resolver)
    }
}

impl Verifier<OAuth> {
    /// An OAuth access token verifier (reference §6.2).
    pub fn oauth(resolver: Arc<dyn KeyResolver>) -> Self {
        Self::new(resolver)
    }
}

impl Verifier<Session> {
    /// A session token verifier (reference §8.2).
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
            }),
            preset: PhantomData,
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// The clock skew in ms, used as given when finite (a negative one narrows the window, as in
    /// the reference); a non-finite value means the default, 5000.
    pub fn with_clock_skew_ms(self, ms: f64) -> Self {
        self.edit(|i| i.claims.clock_skew = ClockSkew::from_ms(ms))
    }

    /// Accepted audiences: the token's `aud` must name one of them. Empty strings are ignored;
    /// an empty list turns the rule off. Once on, a token without `aud` fails (stricter than the
    /// reference, see [`steps::claims::check_audience`]).
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

    /// Requires `iss` to equal `iss` exactly (off by default, as in the reference).
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

    /// The claim rules in force.
    pub fn claim_rules(&self) -> &ClaimRules {
        &self.inner.claims
    }

    /// Verifies a compact token.
    pub async fn verify(&self, token: &str) -> Result<P::Output, VerifyError> {
        let jwt = steps::decode(token, &self.inner.decode)
            .map_err(|e| e.with_token_type(P::TOKEN_TYPE))?;
        // The token is ours: the mapping may move its claims instead of copying them.
        let result = match self.run(&jwt).await {
            Ok(now_ms) => P::map_owned(jwt, now_ms, self.inner.claims.clock_skew),
            Err(e) => Err(e),
        };
        result.map_err(Self::rejected)
    }

    /// Verifies an already decoded token (steps 2 to 6).
    pub async fn verify_jwt(&self, jwt: &Jwt) -> Result<P::Output, VerifyError> {
        let result = match self.run(jwt).await {
            Ok(now_ms) => P::map(jwt, now_ms, self.inner.claims.clock_skew),
            Err(e) => Err(e),
        };
        result.map_err(Self::rejected)
    }

    fn rejected(e: VerifyError) -> VerifyError {
        tracing::debug!(token_type = %P::TOKEN_TYPE, reason = %e.reason(), "token rejected");
        e.with_token_type(P::TOKEN_TYPE)
    }

    /// Steps 2 to 5 and the user checks; the time they ran at, for the mapping.
    async fn run(&self, jwt: &Jwt) -> Result<i64, VerifyError> {
        let i = &*self.inner;
        let header = jwt.header();
        let alg = steps::header::check(header, &P::HEADER_RULES)?;
        let key = steps::key::resolve(&*i.resolver, header.kid.as_deref(), alg).await?;
        steps::signature::check(&key, alg, jwt.signing_input(), jwt.signature())?;
        let now_ms = i.clock.now_ms();
        for c in &i.before_claims {
            c.check(jwt, now_ms)?;
        }
        steps::claims::check(jwt.claims(), &i.claims, now_ms)?;
        for c in &i.after_claims {
            c.check(jwt, now_ms)?;
        }
        Ok(now_ms)
    }
}
