//! The library API: [`Emulator`], [`EmulatorBuilder`], [`EmulatorHandle`] and what it hands out.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EmulatorError;
use crate::extract::Field;
use crate::faults::{Counters, Faults};
use crate::ids;
use crate::keys::{self, SigningKey};
use crate::listen::{self, Limits};
use crate::mint::{self, KeyChoice, MintSpec};
use crate::server::{self, App, Shared};
use crate::state::{
    AddScope, CreateMachine, CreateToken, Created, MachineView, SiblingChange, State,
};
use crate::tt::{MachineSecretKey, SecretKey};

/// Entry point: start an emulator with [`Emulator::start`] or configure one with
/// [`Emulator::builder`].
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use clerk_bapi_emulator::Emulator;
/// let emu = Emulator::start().await.unwrap();
/// assert!(emu.api_url().starts_with("http://127.0.0.1:"));
/// assert!(emu.secret_key().expose_secret().starts_with("sk_test_"));
/// emu.shutdown().await;
/// # }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// Start on `127.0.0.1` with a port chosen by the operating system, on the current tokio
    /// runtime, with a fresh instance secret key and instance id.
    ///
    /// Starting is instant: the RSA-2048 signing key material is shared by every emulator of the
    /// process (each publishes it under its own fresh `kid`) and generated once, when it is
    /// first needed (0.1 to 1 s of CPU). A test that needs a key no other emulator has uses
    /// [`EmulatorBuilder::fresh_signing_key`].
    pub async fn start() -> Result<EmulatorHandle, EmulatorError> {
        Self::builder().start().await
    }

    /// A builder for a fixed address or a fixed instance secret key.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Options for [`Emulator::builder`].
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use clerk_bapi_emulator::Emulator;
/// let emu = Emulator::builder()
///     .addr("127.0.0.1:0".parse().unwrap())
///     .secret_key("sk_test_fixed_for_my_tests")
///     .start()
///     .await
///     .unwrap();
/// assert_eq!(emu.secret_key().expose_secret(), "sk_test_fixed_for_my_tests");
/// # }
/// ```
#[derive(Clone, Default)]
pub struct EmulatorBuilder {
    addr: Option<SocketAddr>,
    secret_key: Option<String>,
    signing_key: KeyOrigin,
    limits: Limits,
    max_stored_tokens: Option<usize>,
}

/// Where an emulator's signing keys come from.
#[derive(Clone, Default)]
enum KeyOrigin {
    /// The process-wide shared key material (rotations too), generated on first use.
    #[default]
    Shared,
    /// A key generated for this emulator at start (rotations too).
    Fresh,
    /// This private key PEM (rotations from the shared pool).
    Pem(String),
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret key or the private key.
        f.debug_struct("EmulatorBuilder")
            .field("addr", &self.addr)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("limits", &self.limits)
            .field("max_stored_tokens", &self.max_stored_tokens)
            .field(
                "signing_key",
                &match self.signing_key {
                    KeyOrigin::Shared => "shared",
                    KeyOrigin::Fresh => "fresh",
                    KeyOrigin::Pem(_) => "pem ***",
                },
            )
            .finish()
    }
}

impl EmulatorBuilder {
    /// Listen on this address (default `127.0.0.1:0`, an OS-chosen port).
    #[must_use]
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Use this instance secret key instead of a random `sk_test_...`.
    #[must_use]
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// Sign with this RSA private key (PKCS#8 or PKCS#1 PEM, 2048 bits or more) instead of the
    /// process's shared key, e.g. one from [`generate_signing_key_pem`] or a key your other
    /// tests know. The kid is still fresh for each emulator. Key rotations take keys from the
    /// process's shared pool. Replaces [`fresh_signing_key`](Self::fresh_signing_key).
    #[must_use]
    pub fn signing_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.signing_key = KeyOrigin::Pem(pem.into());
        self
    }

    /// Generate a signing key for this emulator alone at start (0.1 to 1 s of CPU), and fresh
    /// keys again on every [`rotate_signing_key`](EmulatorHandle::rotate_signing_key), instead
    /// of sharing the process's key material. For tests that need two emulators whose keys
    /// differ, e.g. that a token of one instance does not verify with the other's PEM public
    /// key. Replaces [`signing_key_pem`](Self::signing_key_pem).
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use clerk_bapi_emulator::Emulator;
    /// let shared = Emulator::start().await.unwrap();
    /// let also_shared = Emulator::start().await.unwrap();
    /// let own = Emulator::builder().fresh_signing_key().start().await.unwrap();
    /// assert_eq!(shared.jwt_public_key_pem(), also_shared.jwt_public_key_pem());
    /// assert_ne!(shared.kid(), also_shared.kid());
    /// assert_ne!(shared.jwt_public_key_pem(), own.jwt_public_key_pem());
    /// # }
    /// ```
    #[must_use]
    pub fn fresh_signing_key(mut self) -> Self {
        self.signing_key = KeyOrigin::Fresh;
        self
    }

    /// Close new connections beyond this many open ones (default 256, at least 1), so a flood
    /// of idle connections cannot exhaust the process's file descriptors.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.max(1);
        self
    }

    /// Close a connection that has not sent a complete request head within this time, whether
    /// it is dripping headers or idle between keep-alive requests (default 10 s).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// Keep at most this many opaque M2M tokens (default 100,000, at least 1). At the limit a
    /// new token evicts the oldest revoked or expired token, else the oldest token, which then
    /// verifies as not found.
    #[must_use]
    pub fn max_stored_tokens(mut self, max: usize) -> Self {
        self.max_stored_tokens = Some(max.max(1));
        self
    }

    /// Bind and start serving on the current tokio runtime (generating a key first only with
    /// [`fresh_signing_key`](Self::fresh_signing_key)).
    pub async fn start(self) -> Result<EmulatorHandle, EmulatorError> {
        let addr = self
            .addr
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let secret = self.secret_key.unwrap_or_else(ids::instance_secret_key);
        let secret_key = SecretKey::new(secret.clone()).map_err(|_| EmulatorError::SecretKey)?;
        let placeholder_key =
            MachineSecretKey::new("ak_unusable").map_err(|_| EmulatorError::SecretKey)?;
        let fresh_keys = matches!(self.signing_key, KeyOrigin::Fresh);
        let key = match &self.signing_key {
            KeyOrigin::Shared => SigningKey::pooled(0),
            KeyOrigin::Fresh => generate_key().await?,
            KeyOrigin::Pem(pem) => SigningKey::from_pem(pem)?,
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        if !local.ip().is_loopback() {
            tracing::warn!(
                %local,
                "THE CLERK BACKEND API EMULATOR IS LISTENING ON A NON-LOOPBACK ADDRESS. It is a \
                 test double, not a server for the network: its secret keys and signing keys are \
                 test keys, anyone who can reach this address can mint tokens, and nothing is \
                 persisted. Bind 127.0.0.1 unless you know why not."
            );
        }
        let api_url = format!("http://{local}");
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut state = State::new(secret, api_url.clone(), key);
        if let Some(max) = self.max_stored_tokens {
            state.set_max_tokens(max);
        }
        let app: App = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Faults::default(),
            counters: Counters::default(),
            clock_offset_ms: AtomicI64::new(0),
            shutdown: shutdown_rx.clone(),
        });
        let router = server::router(app.clone());
        let task = tokio::spawn(listen::serve(listener, router, self.limits, shutdown_rx));
        tracing::debug!(%api_url, "Backend API emulator listening");
        Ok(EmulatorHandle {
            inner: Arc::new(Inner {
                app,
                api_url,
                secret_key,
                shutdown_tx,
                task: Mutex::new(Some(task)),
                fresh_keys,
                placeholder_key,
            }),
        })
    }
}

/// A fresh RSA-2048 private key as PKCS#8 PEM, for [`EmulatorBuilder::signing_key_pem`].
/// Key generation is CPU-bound and takes 0.1 to 1 s.
///
/// ```rust
/// let pem = clerk_bapi_emulator::generate_signing_key_pem().unwrap();
/// assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
/// ```
pub fn generate_signing_key_pem() -> Result<String, EmulatorError> {
    keys::generate_pem()
}

/// RSA key generation is CPU-bound; keep it off the async worker.
async fn generate_key() -> Result<Arc<SigningKey>, EmulatorError> {
    tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| EmulatorError::Crypto {
            detail: e.to_string(),
        })?
}

#[derive(Debug)]
struct Inner {
    app: App,
    api_url: String,
    secret_key: SecretKey,
    shutdown_tx: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
    /// Generate a fresh key on every rotation instead of taking the next shared one.
    fresh_keys: bool,
    placeholder_key: MachineSecretKey,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
    }
}

/// A machine as the library API hands it out (its secret key included).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    /// `mch_...`
    pub id: String,
    /// The machine's name.
    pub name: String,
    /// The machine's current secret key (`ak_...`).
    pub secret_key: MachineSecretKey,
    /// The machines this one may call (its tokens' `aud` and `scopes`).
    pub scoped_machines: Vec<String>,
}

impl MachineInfo {
    fn from_view(v: MachineView) -> Option<Self> {
        Some(Self {
            id: v.id,
            name: v.name,
            secret_key: MachineSecretKey::new(v.secret).ok()?,
            scoped_machines: v.scoped,
        })
    }
}

/// What the CLI's `serve` command prints: where the emulator is and the keys to use it.
#[non_exhaustive]
#[derive(Clone)]
pub struct ServeInfo {
    /// `http://127.0.0.1:PORT`
    pub api_url: String,
    /// The instance secret key.
    pub secret_key: SecretKey,
    /// The current signing key's public key (SPKI PEM), for networkless verification.
    pub jwt_public_key_pem: String,
    /// The machines that exist now.
    pub machines: Vec<MachineInfo>,
    /// An API key secret (`ak_...`) owned by the first demo machine, which
    /// `POST /api_keys/verify` accepts; `None` until
    /// [`EmulatorHandle::bootstrap_demo_machines`] has run.
    pub api_key: Option<String>,
    /// An OAuth access token (`oat_...`) for a demo user, which
    /// `POST /oauth_applications/access_tokens/verify` accepts; `None` until
    /// [`EmulatorHandle::bootstrap_demo_machines`] has run.
    pub oauth_token: Option<String>,
}

// By hand: the API key and OAuth token are secrets (the key types redact themselves).
impl std::fmt::Debug for ServeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("ServeInfo")
            .field("api_url", &self.api_url)
            .field("secret_key", &self.secret_key)
            .field("jwt_public_key_pem", &self.jwt_public_key_pem)
            .field("machines", &self.machines)
            .field("api_key", &redacted(&self.api_key))
            .field("oauth_token", &redacted(&self.oauth_token))
            .finish()
    }
}

impl ServeInfo {
    /// The JSON the CLI prints, secrets included: `{api_url, secret_key, jwt_public_key_pem,
    /// machines:[{id, secret_key, scoped_machines}], api_key, oauth_token}` (the last two
    /// `null` until the demo machines are bootstrapped).
    pub fn to_json(&self) -> Value {
        let machines: Vec<Value> = self
            .machines
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "secret_key": m.secret_key.expose_secret(),
                    "scoped_machines": m.scoped_machines,
                })
            })
            .collect();
        json!({
            "api_url": self.api_url,
            "secret_key": self.secret_key.expose_secret(),
            "jwt_public_key_pem": self.jwt_public_key_pem,
            "machines": machines,
            "api_key": self.api_key,
            "oauth_token": self.oauth_token,
        })
    }
}

/// A running emulator. Cheap to clone; when the last clone is dropped the server shuts down.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use clerk_bapi_emulator::{Emulator, MintSpec};
/// let emu = Emulator::start().await.unwrap();
/// let [a, b] = emu.bootstrap_demo_machines();
/// assert_eq!(a.scoped_machines, vec![b.id.clone()]);
/// let jwt = emu.mint_jwt(MintSpec::for_machine(&a.id));
/// assert_eq!(jwt.split('.').count(), 3);
/// let opaque = emu.create_m2m_token(&a.id).unwrap();
/// assert!(opaque.starts_with("mt_"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorHandle {
    inner: Arc<Inner>,
}

impl EmulatorHandle {
    fn app(&self) -> &App {
        &self.inner.app
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn api_url(&self) -> String {
        self.inner.api_url.clone()
    }

    /// The instance secret key (`sk_test_...`).
    pub fn secret_key(&self) -> SecretKey {
        self.inner.secret_key.clone()
    }

    /// The instance id (`ins_...`), as in machine objects.
    pub fn instance_id(&self) -> String {
        self.app().lock().instance_id.clone()
    }

    /// The current signing key's public key as SPKI PEM. The first call of a process that
    /// needs the shared key material generates it (see [`Emulator::start`]). Key generation
    /// does not fail short of an internal error of the crypto library; that would be logged and
    /// give an empty string, which no PEM parser accepts.
    pub fn jwt_public_key_pem(&self) -> String {
        let key = self.app().lock().keys.current().clone();
        key.public_pem().map(str::to_owned).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the signing key is not available");
            String::new()
        })
    }

    /// The current signing key's `kid` (`ins_...`).
    pub fn kid(&self) -> String {
        self.app().lock().keys.current().kid().to_owned()
    }

    /// Every published `kid`, the current signer first.
    pub fn kids(&self) -> Vec<String> {
        self.app().lock().keys.kids()
    }

    /// The JWKS exactly as `GET /v1/jwks` serves it (`{"keys": []}`, logged, if the key
    /// material could not be generated).
    pub fn jwks(&self) -> Value {
        let keys = self.app().lock().keys.keys();
        keys::jwks_of(&keys).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the signing keys are not available");
            json!({ "keys": [] })
        })
    }

    /// Create a machine scoped to `scoped_machines`, as `POST /v1/machines` would. It cannot
    /// fail: ids the emulator does not know are skipped, at most the first 150 scopes are kept,
    /// and an empty or over-long name is replaced by `machine` or cut to 255 characters (send
    /// the request over HTTP to see the emulator refuse them).
    pub fn create_machine(&self, name: &str, scoped_machines: &[&str]) -> MachineInfo {
        let name: String = if name.is_empty() {
            "machine".into()
        } else {
            name.chars().take(255).collect()
        };
        let now = self.now_ms();
        let mut st = self.app().lock();
        let known: Vec<String> = scoped_machines
            .iter()
            .filter(|id| st.machine_scopes(id).is_some())
            .take(150)
            .map(|id| (*id).to_owned())
            .collect();
        let body = CreateMachine {
            name: Field::Value(name.clone()),
            scoped_machines: Field::Value(known),
            ..CreateMachine::default()
        };
        let created = st.create_machine(body, now);
        let info = created.ok().and_then(|v| {
            let id = v["id"].as_str()?;
            st.machine_view(id).and_then(MachineInfo::from_view)
        });
        info.unwrap_or_else(|| {
            // Unreachable: the input is cleaned above and the generated secret has the format
            // the key type checks (a unit test pins both). Never panic in a library.
            tracing::error!("creating a machine failed");
            MachineInfo {
                id: String::new(),
                name,
                secret_key: self.inner.placeholder_key.clone(),
                scoped_machines: Vec::new(),
            }
        })
    }

    /// One machine, with its current secret key.
    pub fn machine(&self, id: &str) -> Option<MachineInfo> {
        self.app()
            .lock()
            .machine_view(id)
            .and_then(MachineInfo::from_view)
    }

    /// Every machine, in creation order.
    pub fn machines(&self) -> Vec<MachineInfo> {
        self.app()
            .lock()
            .machine_views()
            .into_iter()
            .filter_map(MachineInfo::from_view)
            .collect()
    }

    /// Two machines, `demo-a` and `demo-b`, each scoped to the other, plus one API key owned
    /// by `demo-a` and one OAuth access token for a demo user (see [`ServeInfo`]), so `serve`
    /// hands out a credential of every machine-token kind.
    pub fn bootstrap_demo_machines(&self) -> [MachineInfo; 2] {
        let a = self.create_machine("demo-a", &[]);
        let b = self.create_machine("demo-b", &[&a.id]);
        let body = AddScope {
            to_machine_id: Field::Value(b.id.clone()),
        };
        let now = self.now_ms();
        let _ = self.app().lock().add_scope(&a.id, body, now);
        let a = self.machine(&a.id).unwrap_or(a);
        let api_key = self.create_api_key(&a.id);
        // A user id in the spec's `^user_\w{27}$` form, which the OAuth verify answer requires.
        let oauth_token = self.create_oauth_token(&ids::base62("user_", 27));
        self.app().lock().set_demo_credentials(api_key, oauth_token);
        [a, b]
    }

    /// What the CLI's `serve` prints (see [`ServeInfo::to_json`]).
    pub fn serve_info(&self) -> ServeInfo {
        let demo = self.app().lock().demo_credentials();
        let (api_key, oauth_token) = demo.map_or((None, None), |(k, t)| (Some(k), Some(t)));
        ServeInfo {
            api_url: self.api_url(),
            secret_key: self.secret_key(),
            jwt_public_key_pem: self.jwt_public_key_pem(),
            machines: self.machines(),
            api_key,
            oauth_token,
        }
    }

    /// An opaque M2M token (`mt_...`) for `machine_id` with the machine's default TTL, as
    /// `POST /m2m_tokens` would create it.
    pub fn create_m2m_token(&self, machine_id: &str) -> Result<String, EmulatorError> {
        let now = self.now_ms();
        let created = self
            .app()
            .lock()
            .create_token(machine_id, CreateToken::default(), now)
            .map_err(|_| EmulatorError::UnknownMachine {
                id: machine_id.to_owned(),
            })?;
        match created {
            Created::Done(v) => Ok(v["token"].as_str().unwrap_or_default().to_owned()),
            Created::SignJwt { .. } => Err(EmulatorError::InvalidInput {
                detail: "unexpected JWT".into(),
            }),
        }
    }

    /// An API key secret (`ak_...`) for `subject` that `POST /api_keys/verify` accepts.
    pub fn create_api_key(&self, subject: &str) -> String {
        let now = self.now_ms();
        self.app().lock().add_api_key(subject, now)
    }

    /// An OAuth access token (`oat_...`) for `subject` that
    /// `POST /oauth_applications/access_tokens/verify` accepts.
    pub fn create_oauth_token(&self, subject: &str) -> String {
        let now = self.now_ms();
        self.app()
            .lock()
            .add_oauth_token(subject, "client_emulator", now)
    }

    /// Revoke an API key or OAuth access token made by [`create_api_key`](Self::create_api_key)
    /// or [`create_oauth_token`](Self::create_oauth_token): its verify answer then says
    /// `"revoked": true` with this reason. `false` when the emulator does not know the secret.
    pub fn revoke_machine_token(&self, secret: &str, reason: Option<&str>) -> bool {
        let now = self.now_ms();
        self.app().lock().change_sibling(
            secret,
            SiblingChange::Revoke(reason.map(str::to_owned)),
            now,
        )
    }

    /// Expire an API key or OAuth access token now: its verify answer then says
    /// `"expired": true` with `expiration` set to now. `false` when the emulator does not know
    /// the secret.
    ///
    /// ```rust
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let emu = clerk_bapi_emulator::Emulator::start().await.unwrap();
    /// let key = emu.create_api_key("user_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    /// assert!(emu.expire_machine_token(&key));
    /// assert!(emu.revoke_machine_token(&key, Some("leaked")));
    /// assert!(!emu.revoke_machine_token("ak_unknown", None));
    /// # }
    /// ```
    pub fn expire_machine_token(&self, secret: &str) -> bool {
        let now = self.now_ms();
        self.app()
            .lock()
            .change_sibling(secret, SiblingChange::Expire, now)
    }

    /// Mint a JWT directly (see [`MintSpec`]). Signing does not fail short of an internal error
    /// of the crypto library while generating key material; that would be logged and give an
    /// empty string, which no verifier accepts.
    pub fn mint_jwt(&self, spec: MintSpec) -> String {
        self.mint(spec).unwrap_or_else(|e| {
            tracing::error!(error = %e, "minting a JWT failed");
            String::new()
        })
    }

    fn mint(&self, spec: MintSpec) -> Result<String, EmulatorError> {
        let now_secs = self.now_ms().div_euclid(1000);
        let subject = spec.subject.clone().unwrap_or_else(ids::machine_id);
        let (key, header, claims) = {
            let st = self.app().lock();
            let scopes = st.machine_scopes(&subject).unwrap_or_default();
            let current = st.keys.current().clone();
            let (h, c) = mint::build(
                &spec,
                current.kid(),
                &st.api_url,
                &subject,
                &scopes,
                &ids::m2m_token_id(),
                now_secs,
            );
            (current, h, c)
        };
        let key = match spec.key {
            KeyChoice::Current => key,
            KeyChoice::Foreign => SigningKey::foreign(key.kid()),
        };
        mint::sign_compact(&key, spec.algorithm, &header, &claims)
    }

    /// Make a new signing key (with a new `kid`) the signer; the old key stays in the JWKS until
    /// [`EmulatorHandle::drop_old_signing_keys`]. Returns the new `kid` (the current one if key
    /// generation failed, which is logged).
    ///
    /// The new key material is the next one of the process's shared pool, never one this
    /// emulator used before (generated on first use, then shared by the emulators that rotate as
    /// often); with [`EmulatorBuilder::fresh_signing_key`] it is generated now (0.1 to 1 s).
    pub fn rotate_signing_key(&self) -> String {
        self.rotate().unwrap_or_else(|e| {
            tracing::error!(error = %e, "rotating the signing key failed");
            self.kid()
        })
    }

    fn rotate(&self) -> Result<String, EmulatorError> {
        if self.inner.fresh_keys {
            let key = SigningKey::generate()?;
            let kid = key.kid().to_owned();
            self.app().lock().keys.rotate(key);
            return Ok(kid);
        }
        let mut st = self.app().lock();
        let key = SigningKey::pooled(st.keys.next_pool_index());
        let kid = key.kid().to_owned();
        st.keys.rotate(key);
        Ok(kid)
    }

    /// Stop publishing every key but the current signer.
    pub fn drop_old_signing_keys(&self) {
        self.app().lock().keys.drop_old();
    }

    /// The run-time fault switchboard.
    pub fn faults(&self) -> Faults {
        self.app().faults.clone()
    }

    /// The request counters.
    pub fn counters(&self) -> Counters {
        self.app().counters.clone()
    }

    /// Move the emulator's clock forward (token expiry, rotation grace periods, `iat` of new
    /// tokens). Wall time keeps running underneath.
    pub fn advance_time(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.app().clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The emulator's clock, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.app().now_ms()
    }

    /// Stop accepting connections, release hung requests, and wait for the server to finish.
    /// Other clones of the handle keep their data but the server no longer answers.
    pub async fn shutdown(self) {
        self.inner.shutdown_tx.send_replace(true);
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
