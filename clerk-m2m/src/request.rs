//! [`MachineAuth::authenticate_request`]: the request-level decision table of Clerk's JavaScript
//! SDK (`@clerk/backend`, `tokens/request.ts`) for bearer tokens.

use clerk_token_types::{AcceptsToken, ErrorCode, JwtCategory, TokenType, classify_jwt};
use http::HeaderMap;
use serde_json::Value;
use tracing::Instrument;

use crate::machine_auth::Presented;
use crate::{
    AuthObject, AuthState, AuthenticateOptions, MachineAuth, SignedOutReason, bearer_token,
};

impl MachineAuth {
    /// Authenticates a request by its `Authorization` header (machine tokens are never read from
    /// cookies), following `@clerk/backend`'s decision table (`tokens/request.ts`) with this
    /// value's `accepts_token`:
    ///
    /// - a list of types: a token (or its absence, counted as `session_token`) whose type is not
    ///   in the list is signed out with `token-type-mismatch` and no token type;
    /// - no bearer token and a machine type expected: signed out, reason `No token in header`;
    /// - one machine type expected and a token of another type: `token-type-mismatch`, typed as
    ///   the expected type, with no verification;
    /// - `session_token` expected and a machine JWT or a non-session `cat`: `token-type-mismatch`;
    /// - otherwise the token is verified; a failure is signed out with the error code as reason and
    ///   `"<message> (code=<code>, status=<status or n/a>)"` as message.
    ///
    /// Never fails: every problem is a signed-out state (see [`AuthState::headers`]).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clerk_m2m::Error> {
    /// use clerk_m2m::{MachineAuth, MachineSecretKey, SignedOutReason, TokenType};
    /// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    ///
    /// let auth = MachineAuth::builder()
    ///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
    ///     .build()?;
    /// let state = auth.authenticate_request(&HeaderMap::new()).await;
    /// assert_eq!(state.reason(), Some(SignedOutReason::NoTokenInHeader));
    /// assert_eq!(state.token_type(), Some(TokenType::M2MToken));
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer ak_an_api_key"));
    /// let state = auth.authenticate_request(&headers).await;
    /// assert_eq!(state.reason(), Some(SignedOutReason::TokenTypeMismatch));
    /// assert_eq!(state.headers()["x-clerk-auth-reason"], "token-type-mismatch");
    /// # Ok(()) }
    /// ```
    pub async fn authenticate_request(&self, headers: &HeaderMap) -> AuthState {
        self.authenticate_request_with(headers, &AuthenticateOptions::default())
            .await
    }

    /// [`authenticate_request`](Self::authenticate_request) with per-call options: the token
    /// types this call accepts (the JavaScript SDK's per-call `acceptsToken`) and the scopes or
    /// machine a route requires. What the options leave unset comes from this value.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clerk_m2m::Error> {
    /// use clerk_m2m::{AuthenticateOptions, MachineAuth, SecretKey, SignedOutReason, TokenType};
    /// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    ///
    /// // Built to accept M2M tokens only...
    /// let auth = MachineAuth::builder()
    ///     .secret_key(SecretKey::new("sk_test_example").expect("well-formed"))
    ///     .build()?;
    /// let mut headers = HeaderMap::new();
    /// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer ak_an_api_key"));
    /// assert_eq!(
    ///     auth.authenticate_request(&headers).await.reason(),
    ///     Some(SignedOutReason::TokenTypeMismatch)
    /// );
    /// // ...but this route takes only API keys: the token type is no longer the problem.
    /// let only_keys = AuthenticateOptions::new().accepts_token(TokenType::ApiKey);
    /// let state = auth.authenticate_request_with(&headers, &only_keys).await;
    /// assert_eq!(state.token_type(), Some(TokenType::ApiKey));
    /// assert_ne!(state.reason(), Some(SignedOutReason::TokenTypeMismatch));
    /// # Ok(()) }
    /// ```
    pub async fn authenticate_request_with(
        &self,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> AuthState {
        let token = bearer_token(headers);
        let span = tracing::info_span!(
            "clerk_m2m.authenticate_request",
            has_token = token.is_some(),
            status = tracing::field::Empty,
            reason = tracing::field::Empty
        );
        let state = self.decide(token, options).instrument(span.clone()).await;
        span.record("status", state.status());
        if let Some(r) = state.reason() {
            span.record("reason", r.as_str());
        }
        state
    }

    /// Authenticates a bare token as if it came in `Authorization: Bearer <token>`.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clerk_m2m::Error> {
    /// # use clerk_m2m::{MachineAuth, MachineSecretKey, SignedOutReason};
    /// # let auth = MachineAuth::builder().machine_secret_key(MachineSecretKey::new("ak_x").expect("ok")).build()?;
    /// let state = auth.authenticate_token(Some("M2M_not_a_prefix")).await;
    /// assert_eq!(state.reason(), Some(SignedOutReason::TokenTypeMismatch));
    /// # Ok(()) }
    /// ```
    pub async fn authenticate_token(&self, token: Option<&str>) -> AuthState {
        self.decide(token, &AuthenticateOptions::default()).await
    }

    async fn decide(&self, token: Option<&str>, options: &AuthenticateOptions) -> AuthState {
        let state = self.decide_type(token, options).await;
        match state {
            AuthState::SignedIn(obj) => scope_rules(obj, options),
            signed_out => signed_out,
        }
    }

    async fn decide_type(&self, token: Option<&str>, options: &AuthenticateOptions) -> AuthState {
        let accepts = options
            .accepts_token
            .as_ref()
            .unwrap_or(&self.inner.accepts);
        // Decoded once here; every rule below and the verifier read this decode.
        let presented = token.map(Presented::new);

        if let AcceptsToken::List(list) = accepts {
            let parsed = presented
                .as_ref()
                .and_then(Presented::machine_type)
                .unwrap_or(TokenType::SessionToken);
            if !list.contains(&parsed) {
                return AuthState::signed_out(None, SignedOutReason::TokenTypeMismatch, "");
            }
        }

        let Some(presented) = presented else {
            return match accepts {
                AcceptsToken::One(t) if t.is_machine() => {
                    AuthState::signed_out(Some(*t), SignedOutReason::NoTokenInHeader, "")
                }
                // `@clerk/backend` would now look at cookies; a machine SDK has none to read.
                _ => AuthState::signed_out(
                    Some(TokenType::SessionToken),
                    SignedOutReason::NoTokenInHeader,
                    "",
                ),
            };
        };

        match accepts {
            AcceptsToken::Any | AcceptsToken::List(_) => match presented.machine_type() {
                // Accepted by the list check above (and by "any").
                Some(_) => self.machine(&presented).await,
                None => self.session(presented.token).await,
            },
            AcceptsToken::One(TokenType::SessionToken) => {
                if is_machine_jwt(&presented) || has_non_session_category(&presented) {
                    AuthState::signed_out(
                        Some(TokenType::SessionToken),
                        SignedOutReason::TokenTypeMismatch,
                        "",
                    )
                } else {
                    self.session(presented.token).await
                }
            }
            AcceptsToken::One(expected) => {
                if presented.machine_type() == Some(*expected) {
                    self.machine(&presented).await
                } else {
                    AuthState::signed_out(Some(*expected), SignedOutReason::TokenTypeMismatch, "")
                }
            }
        }
    }

    async fn machine(&self, presented: &Presented<'_>) -> AuthState {
        match self.verify_presented(presented).await {
            Ok(v) => AuthState::SignedIn(AuthObject::new(v, presented.token)),
            Err(e) => AuthState::signed_out(
                e.token_type(),
                SignedOutReason::Code(e.code()),
                e.full_message(),
            ),
        }
    }

    async fn session(&self, token: &str) -> AuthState {
        match self.verify_session(token).await {
            Ok(v) => AuthState::SignedIn(AuthObject::new(v, token)),
            Err(e) => AuthState::signed_out(
                Some(TokenType::SessionToken),
                SignedOutReason::Reason(e.reason()),
                format!(
                    "{} (reason={}, token-carrier=header)",
                    e.message(),
                    e.reason()
                ),
            ),
        }
    }
}

/// The per-call scope rules, applied to a verified token.
fn scope_rules(obj: AuthObject, options: &AuthenticateOptions) -> AuthState {
    if let Some(machine) = &options.expected_machine
        && !(obj.token_type() == TokenType::M2MToken && scoped_to_machine(&obj, machine))
    {
        let message = format!("The M2M token is not scoped to machine {machine:?}.");
        return not_in_scope(obj.token_type(), message);
    }
    if let Some(missing) = options.required_scopes.iter().find(|s| !obj.has_scope(s)) {
        let message = format!("The token lacks the required scope {missing:?}.");
        return not_in_scope(obj.token_type(), message);
    }
    AuthState::SignedIn(obj)
}

/// The verifier's rule for `expected_machine`: the machine is one of the token's scopes, or
/// (for a JWT that scopes by audience) in its `aud`.
fn scoped_to_machine(obj: &AuthObject, machine: &str) -> bool {
    let in_aud = match obj.claims().and_then(|c| c.get("aud")) {
        Some(Value::String(a)) => a == machine,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(machine)),
        _ => false,
    };
    obj.has_scope(machine) || in_aud
}

fn not_in_scope(token_type: TokenType, message: String) -> AuthState {
    let reason = SignedOutReason::Code(ErrorCode::TokenVerificationFailed);
    let full = format!("{message} (code={reason}, status=n/a)");
    AuthState::signed_out(Some(token_type), reason, full)
}

/// `isMachineJwt`: an OAuth or M2M JWT.
fn is_machine_jwt(presented: &Presented<'_>) -> bool {
    presented.jwt().and_then(classify_jwt).is_some()
}

/// `hasNonSessionJwtCategory`: decodes, and `cat` is present and neither session nor ignore.
fn has_non_session_category(presented: &Presented<'_>) -> bool {
    presented.jwt().is_some_and(|j| {
        !matches!(
            j.header().cat,
            JwtCategory::Absent | JwtCategory::Session | JwtCategory::Ignore
        )
    })
}
