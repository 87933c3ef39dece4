//! The tower [`Layer`] that authenticates every request. It speaks plain `http` types, so it
//! serves axum, tonic and bare hyper services alike (the way tower-http's auth layers do).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthState, AuthenticateOptions, MachineAuth, SignedOutReason};

/// A tower [`Layer`] that runs [`MachineAuth::authenticate_request_with`] on every request: a
/// signed-in request goes on with its [`AuthObject`](crate::AuthObject) in the extensions; any
/// other gets `401 Unauthorized` with an empty body, `WWW-Authenticate: Bearer` and the
/// `x-clerk-auth-status`, `x-clerk-auth-reason` and `x-clerk-auth-message` headers.
///
/// The layer works for any request and response body (`ResBody: Default` builds the empty
/// 401 body). Options set on the layer ([`accepts_token`](Self::accepts_token),
/// [`require_scopes`](Self::require_scopes), [`expected_machine`](Self::expected_machine)) apply
/// to the routes it wraps, on top of the [`MachineAuth`]'s own configuration.
///
/// ```rust
/// use std::convert::Infallible;
/// use clerk_m2m::{AuthObject, MachineAuth, MachineAuthLayer, MachineSecretKey};
/// use http::{Request, Response};
/// use tower::{ServiceBuilder, service_fn};
///
/// # fn main() -> Result<(), clerk_m2m::Error> {
/// let auth = MachineAuth::builder()
///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
///     .build()?;
/// // Any tower service over `http` types: here one with `String` bodies.
/// let svc = ServiceBuilder::new()
///     .layer(MachineAuthLayer::new(auth).require_scopes(["mch_reports"]))
///     .service(service_fn(|req: Request<String>| async move {
///         let caller = req.extensions().get::<AuthObject>().map(|a| a.subject().to_owned());
///         Ok::<_, Infallible>(Response::new(format!("hello {caller:?}")))
///     }));
/// # let _ = svc; Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct MachineAuthLayer {
    auth: MachineAuth,
    options: AuthenticateOptions,
    allow_anonymous: bool,
}

impl MachineAuthLayer {
    /// A layer that authenticates with `auth` (and its `accepts_token`).
    pub fn new(auth: MachineAuth) -> Self {
        Self {
            auth,
            options: AuthenticateOptions::default(),
            allow_anonymous: false,
        }
    }

    /// The token types the wrapped routes accept (the JavaScript SDK's per-call `acceptsToken`).
    pub fn accepts_token(mut self, accepts: impl Into<clerk_token_types::AcceptsToken>) -> Self {
        self.options = self.options.accepts_token(accepts);
        self
    }

    /// A verified token must carry all of these scopes.
    pub fn require_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.options = self.options.require_scopes(scopes);
        self
    }

    /// An M2M token must be scoped to this machine (`mch_…`).
    pub fn expected_machine(mut self, machine_id: impl Into<String>) -> Self {
        self.options = self.options.expected_machine(machine_id);
        self
    }

    /// Let requests with **no** bearer token through, without an
    /// [`AuthObject`](crate::AuthObject), for routes that serve anonymous and machine callers
    /// alike (read it with `Option<AuthObject>` in axum, or from the extensions). A token that
    /// is present but fails is still answered `401`: a bad credential never degrades to
    /// anonymous access.
    pub fn allow_anonymous(mut self) -> Self {
        self.allow_anonymous = true;
        self
    }
}

impl MachineAuth {
    /// This value as a tower [`Layer`]: `Router::new().layer(auth.layer())`.
    pub fn layer(&self) -> MachineAuthLayer {
        MachineAuthLayer::new(self.clone())
    }
}

impl<S> Layer<S> for MachineAuthLayer {
    type Service = MachineAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MachineAuthService {
            layer: self.clone(),
            inner,
        }
    }
}

/// The service of [`MachineAuthLayer`].
#[derive(Clone, Debug)]
pub struct MachineAuthService<S> {
    layer: MachineAuthLayer,
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for MachineAuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The ready clone is the one that was polled; keep a fresh clone for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let layer = self.layer.clone();
        Box::pin(async move {
            let state = layer
                .auth
                .authenticate_request_with(req.headers(), &layer.options)
                .await;
            match state {
                AuthState::SignedIn(obj) => {
                    req.extensions_mut().insert(obj);
                    inner.call(req).await
                }
                s if layer.allow_anonymous
                    && s.reason() == Some(SignedOutReason::NoTokenInHeader) =>
                {
                    inner.call(req).await
                }
                signed_out => Ok(unauthorized(&signed_out)),
            }
        })
    }
}

/// `401` with `WWW-Authenticate: Bearer` (RFC 6750 §3), the signed-out headers and an empty
/// body.
pub(crate) fn unauthorized<B: Default>(state: &AuthState) -> Response<B> {
    let mut resp = Response::new(B::default());
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    resp.headers_mut().extend(state.headers());
    resp.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}
