//! axum extractors for the [`AuthObject`] that [`MachineAuthLayer`](crate::MachineAuthLayer)
//! leaves in the request extensions: `AuthObject` for routes that require a machine caller,
//! `Option<AuthObject>` for routes that also serve anonymous callers.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::AuthObject;

/// Why the [`AuthObject`] extractor failed: the request did not pass through a
/// [`MachineAuthLayer`](crate::MachineAuthLayer) (a server misconfiguration, answered 500), or
/// the layer let an anonymous request through (`allow_anonymous`) to a handler that requires a
/// caller.
#[derive(Debug, Clone, Copy)]
pub struct MissingAuthLayer;

impl IntoResponse for MissingAuthLayer {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "MachineAuthLayer is not installed on this route",
        )
            .into_response()
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

/// `Option<AuthObject>`: `None` for a request the layer let through without a token
/// ([`allow_anonymous`](crate::MachineAuthLayer::allow_anonymous)).
///
/// ```rust
/// use axum::{Router, routing::get};
/// use clerk_m2m::{AuthObject, MachineAuth, MachineSecretKey};
///
/// async fn hello(caller: Option<AuthObject>) -> String {
///     match caller {
///         Some(c) => format!("hello machine {}", c.subject()),
///         None => "hello stranger".to_owned(),
///     }
/// }
///
/// # fn main() -> Result<(), clerk_m2m::Error> {
/// let auth = MachineAuth::builder()
///     .machine_secret_key(MachineSecretKey::new("ak_example").expect("well-formed"))
///     .build()?;
/// let app: Router = Router::new()
///     .route("/hello", get(hello))
///     .layer(auth.layer().allow_anonymous());
/// # let _ = app; Ok(()) }
/// ```
impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthObject {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned())
    }
}
