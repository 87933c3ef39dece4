//! The axum router: routes, authentication, fault injection and counting around each endpoint.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, patch, post};
use axum::{Extension, Json, Router};
use serde_json::Value;
use tokio::sync::watch;

use crate::api_error::ApiError;
use crate::extract::{Body, Id, Ids, MAX_BODY_BYTES, QueryMap};
use crate::faults::{Counters, Endpoint, FaultKind, Faults};
use crate::state::{
    AddScope, Caller, CreateMachine, CreateToken, Created, RevokeToken, RotateSecret,
    State as Instance, UpdateMachine, VerifyApiKey, VerifyOAuth, VerifyToken,
};
use crate::{keys, mint};

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: Mutex<Instance>,
    pub(crate) faults: Faults,
    pub(crate) counters: Counters,
    pub(crate) clock_offset_ms: AtomicI64,
    pub(crate) shutdown: watch::Receiver<bool>,
}

pub(crate) type App = Arc<Shared>;

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Instance> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than stopping the emulator would, so keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The emulator's clock: wall time plus whatever tests advanced it by.
    pub(crate) fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        wall.saturating_add(self.clock_offset_ms.load(Ordering::Relaxed))
    }
}

type Reply = Result<(StatusCode, Json<Value>), ApiError>;

fn ok(v: Value) -> Reply {
    Ok((StatusCode::OK, Json(v)))
}

const MISSING_KEY: &str =
    "The request has no Authorization header. Send `Authorization: Bearer <secret key>`.";
const UNKNOWN_KEY: &str =
    "The secret key in the Authorization header is not valid for this instance.";
const INSTANCE_ONLY: &str = "This endpoint requires the instance secret key (sk_...).";

/// The secret in `Authorization: Bearer <secret>` (scheme case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, secret) = value.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// Which key an endpoint takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    /// The instance secret key only.
    Instance,
    /// A machine secret key only (creating M2M tokens).
    Machine,
    /// Either.
    Any,
}

impl Auth {
    fn of(endpoint: Endpoint) -> Option<Self> {
        Some(match endpoint {
            Endpoint::CreateM2MToken => Self::Machine,
            Endpoint::ListM2MTokens | Endpoint::RevokeM2MToken | Endpoint::VerifyM2MToken => {
                Self::Any
            }
            Endpoint::Unknown => return None,
            _ => Self::Instance,
        })
    }

    /// Authenticate a request's headers, with Clerk's error for each way it can fail.
    fn check(self, app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(secret) = bearer(headers) else {
            return Err(ApiError::clerk_key_invalid(MISSING_KEY));
        };
        let now = app.now_ms();
        let caller = app.lock().caller(secret, now);
        match (self, caller) {
            (Self::Any, Some(c)) | (Self::Instance, Some(c @ Caller::Instance)) => Ok(c),
            (Self::Machine, Some(c @ Caller::Machine(_))) => Ok(c),
            (Self::Instance, Some(Caller::Machine(_))) => {
                Err(ApiError::clerk_key_invalid(INSTANCE_ONLY))
            }
            (Self::Machine, _) => Err(ApiError::machine_key_invalid()),
            (Self::Any, None) if secret.starts_with("ak_") => Err(ApiError::machine_key_invalid()),
            (Self::Any | Self::Instance, None) => Err(ApiError::clerk_key_invalid(UNKNOWN_KEY)),
        }
    }
}

// ---- handlers (authentication already done by `gate`, before any body is read) ----

async fn jwks(State(app): State<App>) -> Reply {
    let keys = app.lock().keys.keys();
    // The shared key material may not exist yet: generate it off the async workers, and
    // outside the state lock.
    let jwks = match keys::ensure_ready(keys.clone()).await {
        Ok(()) => keys::jwks_of(&keys),
        Err(e) => Err(e),
    };
    jwks.map(|v| (StatusCode::OK, Json(v))).map_err(|e| {
        tracing::error!(error = %e, "the signing keys are not available");
        ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR)
    })
}

async fn create_token(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<CreateToken>,
) -> Reply {
    let Caller::Machine(machine) = caller else {
        return Err(ApiError::machine_key_invalid());
    };
    let now = app.now_ms();
    let created = app.lock().create_token(&machine, body, now)?;
    let v = match created {
        Created::Done(v) => v,
        Created::SignJwt {
            key,
            header,
            claims,
            mut response,
        } => {
            let signed = match keys::ensure_ready(vec![key.clone()]).await {
                Ok(()) => mint::sign_compact(&key, crate::tt::Algorithm::RS256, &header, &claims),
                Err(e) => Err(e),
            };
            let jwt = signed.map_err(|e| {
                tracing::error!(error = %e, "signing an M2M JWT failed");
                ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR)
            })?;
            response["token"] = Value::String(jwt);
            response
        }
    };
    Ok((StatusCode::CREATED, Json(v)))
}

async fn list_tokens(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    QueryMap(q): QueryMap,
) -> Reply {
    let now = app.now_ms();
    ok(app.lock().list_tokens(&caller, &q, now)?)
}

async fn revoke_token(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Id(id): Id,
    Body(body): Body<RevokeToken>,
) -> Reply {
    let now = app.now_ms();
    ok(app.lock().revoke_token(&caller, &id, body, now)?)
}

async fn verify_token(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<VerifyToken>,
) -> Reply {
    let now = app.now_ms();
    ok(app.lock().verify_token(&caller, body, now)?)
}

async fn list_machines(State(app): State<App>, QueryMap(q): QueryMap) -> Reply {
    ok(app.lock().list_machines(&q)?)
}

async fn create_machine(State(app): State<App>, Body(body): Body<CreateMachine>) -> Reply {
    let now = app.now_ms();
    ok(app.lock().create_machine(body, now)?)
}

async fn get_machine(State(app): State<App>, Id(id): Id) -> Reply {
    ok(app.lock().get_machine(&id)?)
}

async fn update_machine(
    State(app): State<App>,
    Id(id): Id,
    Body(body): Body<UpdateMachine>,
) -> Reply {
    let now = app.now_ms();
    ok(app.lock().update_machine(&id, body, now)?)
}

async fn delete_machine(State(app): State<App>, Id(id): Id) -> Reply {
    ok(app.lock().delete_machine(&id)?)
}

async fn machine_secret(State(app): State<App>, Id(id): Id) -> Reply {
    ok(app.lock().machine_secret(&id)?)
}

async fn rotate_machine_secret(
    State(app): State<App>,
    Id(id): Id,
    Body(body): Body<RotateSecret>,
) -> Reply {
    let now = app.now_ms();
    ok(app.lock().rotate_machine_secret(&id, body, now)?)
}

async fn add_scope(State(app): State<App>, Id(id): Id, Body(body): Body<AddScope>) -> Reply {
    let now = app.now_ms();
    ok(app.lock().add_scope(&id, body, now)?)
}

async fn remove_scope(State(app): State<App>, Ids(id, other): Ids) -> Reply {
    let now = app.now_ms();
    ok(app.lock().remove_scope(&id, &other, now)?)
}

async fn verify_api_key(State(app): State<App>, Body(body): Body<VerifyApiKey>) -> Reply {
    let now = app.now_ms();
    ok(app.lock().verify_api_key(body, now)?)
}

async fn verify_oauth_token(State(app): State<App>, Body(body): Body<VerifyOAuth>) -> Reply {
    let now = app.now_ms();
    ok(app.lock().verify_oauth_token(body, now)?)
}

async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource does not exist on the emulator.")
}

// ---- fault injection and counting ----

async fn gate(
    State((app, endpoint)): State<(App, Endpoint)>,
    req: Request,
    next: Next,
) -> Response {
    app.counters.record_request(endpoint);
    let decision = app.faults.take(endpoint);
    if let Some(latency) = decision.latency {
        tokio::time::sleep(latency).await;
    }
    let response = match decision.kind {
        FaultKind::None => match Auth::of(endpoint).map(|a| a.check(&app, req.headers())) {
            Some(Err(e)) => e.into_response(),
            Some(Ok(caller)) => {
                let mut req = req;
                req.extensions_mut().insert(caller);
                next.run(req).await
            }
            None => next.run(req).await,
        },
        FaultKind::Status(code) => ApiError::injected(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .into_response(),
        FaultKind::RateLimited { retry_after_secs } => {
            ApiError::rate_limited(retry_after_secs).into_response()
        }
        FaultKind::Hang => {
            // Hold the request until shutdown (or the last handle is gone), so graceful shutdown
            // is never blocked by a hung request.
            let mut rx = app.shutdown.clone();
            let _ = rx.wait_for(|stop| *stop).await;
            ApiError::injected(StatusCode::SERVICE_UNAVAILABLE).into_response()
        }
    };
    if !response.status().is_success() {
        app.counters.record_failure(endpoint);
    }
    response
}

fn gated(app: &App, endpoint: Endpoint, route: MethodRouter<App>) -> MethodRouter<App> {
    route.layer(middleware::from_fn_with_state(
        (app.clone(), endpoint),
        gate,
    ))
}

/// Every route; the M2M and sibling verify endpoints answer both with and without `/v1`.
pub(crate) fn router(app: App) -> Router {
    let g = |e, r| gated(&app, e, r);
    let mut router = Router::new()
        .route("/v1/jwks", g(Endpoint::Jwks, get(jwks)))
        .route(
            "/v1/machines",
            g(Endpoint::ListMachines, get(list_machines)),
        )
        .route(
            "/v1/machines",
            g(Endpoint::CreateMachine, post(create_machine)),
        )
        .route(
            "/v1/machines/{id}",
            g(Endpoint::GetMachine, get(get_machine)),
        )
        .route(
            "/v1/machines/{id}",
            g(Endpoint::UpdateMachine, patch(update_machine)),
        )
        .route(
            "/v1/machines/{id}",
            g(Endpoint::DeleteMachine, delete(delete_machine)),
        )
        .route(
            "/v1/machines/{id}/secret_key",
            g(Endpoint::GetMachineSecretKey, get(machine_secret)),
        )
        .route(
            "/v1/machines/{id}/secret_key/rotate",
            g(
                Endpoint::RotateMachineSecretKey,
                post(rotate_machine_secret),
            ),
        )
        .route(
            "/v1/machines/{id}/scopes",
            g(Endpoint::CreateMachineScope, post(add_scope)),
        )
        .route(
            "/v1/machines/{id}/scopes/{other}",
            g(Endpoint::DeleteMachineScope, delete(remove_scope)),
        );
    for prefix in ["", "/v1"] {
        router = router
            .route(
                &format!("{prefix}/m2m_tokens"),
                g(Endpoint::CreateM2MToken, post(create_token)),
            )
            .route(
                &format!("{prefix}/m2m_tokens"),
                g(Endpoint::ListM2MTokens, get(list_tokens)),
            )
            .route(
                &format!("{prefix}/m2m_tokens/verify"),
                g(Endpoint::VerifyM2MToken, post(verify_token)),
            )
            .route(
                &format!("{prefix}/m2m_tokens/{{id}}/revoke"),
                g(Endpoint::RevokeM2MToken, post(revoke_token)),
            )
            .route(
                &format!("{prefix}/api_keys/verify"),
                g(Endpoint::VerifyApiKey, post(verify_api_key)),
            )
            .route(
                &format!("{prefix}/oauth_applications/access_tokens/verify"),
                g(Endpoint::VerifyOAuthToken, post(verify_oauth_token)),
            );
    }
    let fallback = gated(&app, Endpoint::Unknown, any(not_found)).with_state(app.clone());
    router
        .fallback_service(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sk_test_1"),
        );
        assert_eq!(bearer(&h), Some("sk_test_1"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer   ak_1 "),
        );
        assert_eq!(bearer(&h), Some("ak_1"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("sk_test_1"));
        assert_eq!(bearer(&h), None);
    }
}
