//! [`AuthenticateOptions`]: what one call of
//! [`MachineAuth::authenticate_request_with`](crate::MachineAuth::authenticate_request_with)
//! (or one route's layer) accepts, on top of the [`MachineAuth`](crate::MachineAuth) it runs on.

use clerk_token_types::AcceptsToken;

/// Per-call (or per-route) options of request authentication. Clerk's JavaScript SDK takes
/// `acceptsToken` on each `authenticateRequest` call; this is that, plus the scope rules a route
/// usually wants. Anything left unset falls back to the [`MachineAuth`](crate::MachineAuth)'s
/// configuration.
///
/// ```rust
/// use clerk_m2m::{AuthenticateOptions, TokenType};
///
/// let opts = AuthenticateOptions::new()
///     .accepts_token(vec![TokenType::M2MToken, TokenType::ApiKey])
///     .require_scopes(["mch_reports"]);
/// assert!(opts.accepted().is_some());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct AuthenticateOptions {
    pub(crate) accepts_token: Option<AcceptsToken>,
    pub(crate) required_scopes: Vec<String>,
    pub(crate) expected_machine: Option<String>,
}

impl AuthenticateOptions {
    /// No overrides: the [`MachineAuth`](crate::MachineAuth)'s configuration applies.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token types this call accepts, instead of the value's
    /// [`accepts_token`](crate::MachineAuthBuilder::accepts_token).
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts_token = Some(accepts.into());
        self
    }

    /// A verified token must carry every one of these scopes (exact match), else the request is
    /// signed out with `token-verification-failed`. For M2M tokens the scopes are the machine
    /// ids the caller may reach.
    pub fn require_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.required_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// An M2M token must be scoped to this machine (`mch_…`), in addition to the value's own
    /// [`expected_machine`](crate::MachineAuthBuilder::expected_machine): for a service that
    /// answers as several machines, one per route.
    pub fn expected_machine(mut self, machine_id: impl Into<String>) -> Self {
        self.expected_machine = Some(machine_id.into());
        self
    }

    /// The accepted token types this call overrides, if any.
    pub fn accepted(&self) -> Option<&AcceptsToken> {
        self.accepts_token.as_ref()
    }
}
