//! `GET /v1/jwks` and the [`JwksSource`] implementation the JWKS cache uses.

use clerk_jwks_cache::{JwkSet, JwksSource, KeyError, NO_SIGNING_KEYS_MESSAGE};
use reqwest::Method;

use crate::error::CLERK_KEY_INVALID;
use crate::transport::{Call, Retry};
use crate::{ApiError, BackendApi, path};

/// The message when no instance secret key is there to fetch the JWKS with: the one Clerk's
/// JavaScript SDK gives when it can load the keys from nowhere.
const NO_KEY_FOR_JWKS: &str = "Failed to load JWKS from Clerk Backend or Frontend API.";

impl BackendApi {
    /// Fetches the instance's JSON Web Key Set: `GET /v1/jwks` with the instance secret key,
    /// retried per the policy. An empty set is returned as it is (the [`JwksSource`] impl
    /// rejects it).
    ///
    /// # Errors
    /// [`ApiError::MissingSecretKey`] without an instance key (nothing sent); [`ApiError::Api`]
    /// when refused.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let set = api.jwks().await?;
    /// assert_eq!(set.keys[0].kid.as_deref(), Some(emu.kid().as_str()));
    /// # Ok(()) }
    /// ```
    pub async fn jwks(&self) -> Result<JwkSet, ApiError> {
        let key = self.instance_key()?;
        self.send(Call {
            method: Method::GET,
            template: "/v1/jwks",
            segments: &["v1", "jwks"],
            query: Vec::new(),
            body: None,
            key,
            retry: Retry::Idempotent,
        })
        .await
    }

    /// The JWKS URL, for messages.
    fn jwks_url(&self) -> String {
        path::join(&self.inner.base, &["v1", "jwks"]).to_string()
    }
}

/// Maps a failed JWKS fetch to the key errors Clerk's JavaScript SDK gives when it loads the
/// JWKS (`loadClerkJWKFromRemote` in `@clerk/backend`): a refused key is `secret-key-invalid`
/// with the server's message, anything else `jwk-remote-failed-to-load`.
fn key_error(err: &ApiError, url: &str) -> KeyError {
    let refused = err.has_code(CLERK_KEY_INVALID) || matches!(err.status(), Some(401 | 403));
    if refused {
        let message = err
            .errors()
            .iter()
            .find(|e| e.code == CLERK_KEY_INVALID)
            .or_else(|| err.errors().first())
            .map(|e| e.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status_message(url, err.status()));
        return KeyError::SecretKeyInvalid { message };
    }
    let message = match err {
        ApiError::MissingSecretKey => NO_KEY_FOR_JWKS.to_owned(),
        e if e.status().is_some() => status_message(url, e.status()),
        e => format!("Error loading Clerk JWKS from {url}: {e}"),
    };
    KeyError::RemoteFailedToLoad { message }
}

fn status_message(url: &str, status: Option<u16>) -> String {
    let code = status.map_or_else(|| "n/a".to_owned(), |s| s.to_string());
    format!("Error loading Clerk JWKS from {url} with code={code}")
}

/// The cache's source of keys: `GET /v1/jwks` with the instance secret key.
///
/// A refused key (401, 403 or `clerk_key_invalid`) gives [`KeyError::SecretKeyInvalid`] with
/// the server's message; any other failure [`KeyError::RemoteFailedToLoad`] with Clerk's
/// JavaScript SDK's `Error loading Clerk JWKS from <url> with code=<status>`; a set without keys
/// the same SDK's "did not contain any signing keys" message.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use clerk_backend_api::BackendApi;
/// use clerk_jwks_cache::{Algorithm, KeyResolver, RemoteJwksResolver};
/// let emu = clerk_bapi_emulator::Emulator::start().await?;
/// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
/// let resolver = RemoteJwksResolver::new(api);
/// let key = resolver.resolve(Some(&emu.kid()), Algorithm::RS256).await?;
/// assert_eq!(key.algorithm(), Algorithm::RS256);
/// # Ok(()) }
/// ```
#[async_trait::async_trait]
impl JwksSource for BackendApi {
    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        let set = self
            .jwks()
            .await
            .map_err(|e| key_error(&e, &self.jwks_url()))?;
        if set.keys.is_empty() {
            return Err(KeyError::RemoteFailedToLoad {
                message: NO_SIGNING_KEYS_MESSAGE.to_owned(),
            });
        }
        Ok(set)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::ClerkApiError;

    const URL: &str = "https://api.clerk.com/v1/jwks";

    fn api(status: u16, errors: Vec<ClerkApiError>) -> ApiError {
        ApiError::Api {
            status,
            errors,
            clerk_trace_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn maps_failures_like_the_javascript_sdk() {
        let e = key_error(
            &api(401, vec![ClerkApiError::new(CLERK_KEY_INVALID, "Bad key")]),
            URL,
        );
        assert_eq!(
            e,
            KeyError::SecretKeyInvalid {
                message: "Bad key".into()
            }
        );
        let e = key_error(&api(403, vec![]), URL);
        assert!(
            matches!(e, KeyError::SecretKeyInvalid { ref message } if message.ends_with("code=403"))
        );
        let e = key_error(&api(503, vec![]), URL);
        assert_eq!(
            e.to_string(),
            "Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503"
        );
        assert_eq!(
            key_error(&ApiError::MissingSecretKey, URL).to_string(),
            NO_KEY_FOR_JWKS
        );
        let e = key_error(
            &ApiError::Timeout {
                after: std::time::Duration::from_secs(1),
            },
            URL,
        );
        assert!(matches!(e, KeyError::RemoteFailedToLoad { .. }));
    }
}
