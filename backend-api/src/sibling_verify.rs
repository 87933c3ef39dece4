//! The verify endpoints of the sibling machine tokens: API keys and OAuth access tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::transport::{Call, Retry};
use crate::{ApiError, BackendApi};

impl BackendApi {
    /// Verifies an API key (`ak_…`): `POST /api_keys/verify` with `{"secret": …}` and the
    /// instance secret key. Returns the raw JSON object.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for an empty secret; [`ApiError::MissingSecretKey`] without
    /// an instance key; [`ApiError::Api`] 404 for an unknown key (see
    /// [`ApiError::machine_token_message`]).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let m = emu.create_machine("worker", &[]);
    /// let key = emu.create_api_key(&m.id);
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// let v = api.verify_api_key(&key).await?;
    /// assert_eq!(v["subject"], m.id.as_str());
    /// # Ok(()) }
    /// ```
    pub async fn verify_api_key(&self, secret: &str) -> Result<Value, ApiError> {
        self.sibling_verify(
            "/api_keys/verify",
            &["api_keys", "verify"],
            "secret",
            secret,
        )
        .await
    }

    /// Verifies an OAuth access token (`oat_…`): `POST /oauth_applications/access_tokens/verify`
    /// with `{"access_token": …}` and the instance secret key. Returns the raw JSON object.
    ///
    /// # Errors
    /// As [`verify_api_key`](Self::verify_api_key).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clerk_backend_api::BackendApi;
    /// use clerk_token_types::TokenType;
    /// let emu = clerk_bapi_emulator::Emulator::start().await?;
    /// let token = emu.create_oauth_token("user_1");
    /// let api = BackendApi::builder().api_url(emu.api_url()).secret_key(emu.secret_key()).build()?;
    /// assert_eq!(api.verify_oauth_token(&token).await?["subject"], "user_1");
    /// let err = api.verify_oauth_token("oat_unknown").await.unwrap_err();
    /// assert_eq!(err.machine_token_message(TokenType::OAuthToken), "OAuth token not found");
    /// # Ok(()) }
    /// ```
    pub async fn verify_oauth_token(&self, token: &str) -> Result<Value, ApiError> {
        self.sibling_verify(
            "/oauth_applications/access_tokens/verify",
            &["oauth_applications", "access_tokens", "verify"],
            "access_token",
            token,
        )
        .await
    }

    async fn sibling_verify(
        &self,
        template: &'static str,
        segments: &[&str],
        field: &'static str,
        token: &str,
    ) -> Result<Value, ApiError> {
        if token.is_empty() {
            return Err(ApiError::invalid(field, "it is empty"));
        }
        let key = self.instance_key()?;
        self.send(Call {
            method: Method::POST,
            template,
            segments,
            query: Vec::new(),
            body: Some(json!({ field: token })),
            key,
            retry: Retry::Idempotent,
        })
        .await
    }
}
