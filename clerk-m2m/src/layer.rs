//! The tower [`Layer`] that authenticates every request, and the axum extractor for the
//! [`AuthObject`] it leaves in the request extensions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode, header::CONTENT_TYPE};
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthObject, AuthState, MachineAuth};

/// A tower [`Layer`] that runs [`MachineAuth::authenticate_request`] on every request: a
/// signed-in request goes on with its [`AuthObject`] in the extensions; any other gets
/// `401 Unauthorized` with the `x-clerk-auth-status`, `x-clerk-auth-reason` and
/// `x-clerk-auth-message` headers (and a small JSON body with the same fields).
///
/// ```rust
/// use axum::{Router, routing::get};
/// use clerk_m2m::{AuthObject, MachineAuth, MachineAuthLayer, MachineSecretKey};
///
/// async fn whoami(auth: AuthObject) -> String {
///     format!("hello {}", auth.subject())
/// }
///
/// # fn main() -> Result<(), clerk_m2m::Error> {
/// let auth = MachineAuth::builder()
///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
///     .build()?;
/// let app: Router = Router::new().route("/whoami", get(whoami)).layer(MachineAuthLayer::new(auth));
/// # let _ = app; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MachineAuthLayer {
    auth: MachineAuth,
}

impl MachineAuthLayer {
    /// A layer that authenticates with `auth` (and its `accepts_token`).
    pub fn new(auth: MachineAuth) -> Self {
        Self { auth }
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
            auth: self.auth.clone(),
            inner,
        }
    }
}

/// The service of [`MachineAuthLayer`].
#[derive(Clone, Debug)]
pub struct MachineAuthService<S> {
    auth: MachineAuth,
    inner: S,
}

impl<S, B> Service<Request<B>> for MachineAuthService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The ready clone is the one that was polled; keep a fresh clone for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let auth = self.auth.clone();
        Box::pin(async move {
            match auth.authenticate_request(req.headers()).await {
                AuthState::SignedIn(obj) => {
                    req.extensions_mut().insert(obj);
                    inner.call(req).await
                }
                signed_out => Ok(unauthorized(&signed_out)),
            }
        })
    }
}

/// `401` with the signed-out headers and a JSON body `{status, reason, message}`.
pub(crate) fn unauthorized(state: &AuthState) -> Response {
    let body = serde_json::json!({
        "status": state.status(),
        "reason": state.reason().map(|r| r.as_str()),
        "message": state.message(),
    });
    let mut resp = (StatusCode::UNAUTHORIZED, body.to_string()).into_response();
    resp.headers_mut().extend(state.headers());
    resp.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// Why the [`AuthObject`] extractor failed: the request did not pass through a
/// [`MachineAuthLayer`] (a server misconfiguration, answered 500).
#[derive(Debug, Clone, Copy)]
pub struct MissingAuthLayer;

impl IntoResponse for MissingAuthLayer {
    fn into_response(self) -> Response {
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from(
                "MachineAuthLayer is not installed on this route",
            ))
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthObject {
    type Rejection = MissingAuthLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(MissingAuthLayer)
    }
}
