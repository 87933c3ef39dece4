//! [`Check`]: the user's own pipeline steps, and where they run ([`Stage`]).

use clerk_token_types::Jwt;

use crate::VerifyError;

/// Where a [`Check`] runs. Both stages run only after the signature holds, so a check never
/// sees claims an attacker could have written.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// After the signature, before the built-in claim rules (`sub`, `aud`, `azp`, `exp`, ...).
    BeforeClaims,
    /// After the built-in claim rules, before the token is mapped to the preset's output.
    AfterClaims,
}

/// A user-defined verification step: a required claim, a scope rule, a tenant rule...
///
/// Return [`VerifyError::custom`] to reject; the verifier stamps its token type on the error.
/// Closures `Fn(&Jwt, i64) -> Result<(), VerifyError>` are checks too.
///
/// ```rust
/// use clerk_token_verify::{Check, Reason, VerifyError};
/// use clerk_token_types::Jwt;
///
/// /// Requires a `role` claim equal to "service".
/// struct ServiceRole;
/// impl Check for ServiceRole {
///     fn check(&self, jwt: &Jwt, _now_ms: i64) -> Result<(), VerifyError> {
///         match jwt.claims().extra.get("role").and_then(|v| v.as_str()) {
///             Some("service") => Ok(()),
///             _ => Err(VerifyError::custom(Reason::TokenVerificationFailed, "The role claim must be \"service\".")),
///         }
///     }
/// }
/// # let _ = ServiceRole;
/// ```
pub trait Check: Send + Sync {
    /// Accepts or rejects the (signature-verified) token as of `now_ms`.
    fn check(&self, jwt: &Jwt, now_ms: i64) -> Result<(), VerifyError>;
}

impl<F> Check for F
where
    F: Fn(&Jwt, i64) -> Result<(), VerifyError> + Send + Sync,
{
    fn check(&self, jwt: &Jwt, now_ms: i64) -> Result<(), VerifyError> {
        self(jwt, now_ms)
    }
}
