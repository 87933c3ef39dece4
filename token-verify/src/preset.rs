//! The presets: which header rules, subject rule and output each kind of token gets.

use clerk_token_types::{Jwt, M2MToken, MACHINE_ID_PREFIX, TokenType};

use crate::steps::header::HeaderRules;
use crate::{ClockSkew, OAuthAccessToken, SessionClaims, VerifyError};

mod sealed {
    // The usual sealed-trait pattern: nameable only inside this crate.
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// A kind of token the [`Verifier`](crate::Verifier) is set up for: [`M2m`], [`OAuth`] or
/// [`Session`]. Sealed: the three presets are the only ones.
pub trait Preset: sealed::Sealed + Send + Sync + 'static {
    /// What a successful verification returns.
    type Output;
    /// The token type stamped on this preset's errors.
    const TOKEN_TYPE: TokenType;
    /// Step 2's rules.
    const HEADER_RULES: HeaderRules;
    /// A prefix `sub` must start with.
    const SUBJECT_PREFIX: Option<&'static str>;
    /// Step 6: maps verified claims to the output.
    fn map(jwt: &Jwt, now_ms: i64, skew: ClockSkew) -> Result<Self::Output, VerifyError>;
    /// Step 6 for a token the verifier decoded itself and drops afterwards: the same result as
    /// [`map`](Self::map), moving the claims instead of copying them where the preset can.
    fn map_owned(jwt: Jwt, now_ms: i64, skew: ClockSkew) -> Result<Self::Output, VerifyError> {
        Self::map(&jwt, now_ms, skew)
    }
}

/// Clerk M2M JWTs: `cat` absent or M2M (checked before any key lookup), `typ` absent or `JWT`,
/// `sub` a machine id (`mch_...`). Output: [`M2MToken`].
#[derive(Clone, Copy, Debug)]
pub struct M2m;

/// OAuth access tokens (RFC 9068): `typ` `at+jwt` or `application/at+jwt`.
/// Output: [`OAuthAccessToken`].
#[derive(Clone, Copy, Debug)]
pub struct OAuth;

/// Clerk session tokens: any category but M2M (and see
/// [`CategoryRule::Session`](crate::steps::header::CategoryRule::Session)), `typ` absent or `JWT`.
/// Output: [`SessionClaims`].
#[derive(Clone, Copy, Debug)]
pub struct Session;

impl sealed::Sealed for M2m {}
impl sealed::Sealed for OAuth {}
impl sealed::Sealed for Session {}

impl Preset for M2m {
    type Output = M2MToken;
    const TOKEN_TYPE: TokenType = TokenType::M2MToken;
    const HEADER_RULES: HeaderRules = HeaderRules::M2M;
    const SUBJECT_PREFIX: Option<&'static str> = Some(MACHINE_ID_PREFIX);

    fn map(jwt: &Jwt, now_ms: i64, skew: ClockSkew) -> Result<M2MToken, VerifyError> {
        M2MToken::from_jwt_claims(jwt.claims(), now_ms, skew.ceil_ms()).map_err(mapping)
    }

    fn map_owned(jwt: Jwt, now_ms: i64, skew: ClockSkew) -> Result<M2MToken, VerifyError> {
        M2MToken::from_jwt_claims_owned(jwt.into_claims(), now_ms, skew.ceil_ms()).map_err(mapping)
    }
}

impl Preset for OAuth {
    type Output = OAuthAccessToken;
    const TOKEN_TYPE: TokenType = TokenType::OAuthToken;
    const HEADER_RULES: HeaderRules = HeaderRules::OAUTH;
    const SUBJECT_PREFIX: Option<&'static str> = None;

    fn map(jwt: &Jwt, now_ms: i64, skew: ClockSkew) -> Result<OAuthAccessToken, VerifyError> {
        OAuthAccessToken::from_jwt_claims(jwt.claims(), now_ms, skew).map_err(mapping)
    }
}

impl Preset for Session {
    type Output = SessionClaims;
    const TOKEN_TYPE: TokenType = TokenType::SessionToken;
    const HEADER_RULES: HeaderRules = HeaderRules::SESSION;
    const SUBJECT_PREFIX: Option<&'static str> = None;

    fn map(jwt: &Jwt, _now_ms: i64, _skew: ClockSkew) -> Result<SessionClaims, VerifyError> {
        Ok(SessionClaims {
            claims: jwt.claims().clone(),
        })
    }

    fn map_owned(jwt: Jwt, _now_ms: i64, _skew: ClockSkew) -> Result<SessionClaims, VerifyError> {
        Ok(SessionClaims {
            claims: jwt.into_claims(),
        })
    }
}

fn mapping(source: clerk_token_types::Error) -> VerifyError {
    VerifyError::Mapping {
        token_type: None,
        source,
    }
}
