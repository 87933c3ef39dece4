//! Step 3: the verification key, from the [`KeyResolver`]. The `kid` is only ever a lookup key.

use std::sync::Arc;

use clerk_jwks_cache::{KeyResolver, VerifyingKey};
use clerk_token_types::Algorithm;

use crate::VerifyError;

/// Resolves the key for `kid` and `alg`: the resolver's lock-free cache first, then (only on a
/// miss) its asynchronous path. A resolver error keeps its own reason (`jwk-kid-mismatch`, ...).
pub async fn resolve(
    resolver: &dyn KeyResolver,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Arc<VerifyingKey>, VerifyError> {
    if let Some(key) = resolver.resolve_cached(kid, alg) {
        return Ok(key);
    }
    resolver.resolve(kid, alg).await.map_err(VerifyError::key)
}
