//! JWT minting: Clerk-shaped M2M JWTs, and deliberately wrong ones through [`MintSpec`].

use serde_json::{Map, Value, json};

use crate::error::EmulatorError;
use crate::keys::SigningKey;
use crate::tt::{Algorithm, JWT_CATEGORY_M2M_TOKEN, encode_segment};

/// Sign `header.payload` with `key` and return the compact JWS. The header and payload are
/// serialised as given (key order kept), so tests can mint exactly the bytes they want.
pub(crate) fn sign_compact(
    key: &SigningKey,
    alg: Algorithm,
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
) -> Result<String, EmulatorError> {
    let to_json = |m: &Map<String, Value>| {
        serde_json::to_vec(m).map_err(|e| EmulatorError::Crypto {
            detail: e.to_string(),
        })
    };
    let mut token = encode_segment(&to_json(header)?);
    token.push('.');
    token.push_str(&encode_segment(&to_json(payload)?));
    let signature = key.sign(alg, token.as_bytes())?;
    token.push('.');
    token.push_str(&encode_segment(&signature));
    Ok(token)
}

/// The header of a real Clerk M2M JWT.
pub(crate) fn m2m_header(kid: &str) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), json!("RS256"));
    h.insert("kid".into(), json!(kid));
    h.insert("typ".into(), json!("JWT"));
    h.insert("cat".into(), json!(JWT_CATEGORY_M2M_TOKEN));
    h
}

/// The registered claims of a real Clerk M2M JWT, in Clerk's order. `aud` and `scopes` are left
/// out when the machine has no scoped machines (an empty `scopes` string would split into `[""]`).
pub(crate) fn m2m_claims(
    iss: &str,
    sub: &str,
    scopes: &[String],
    jti: &str,
    iat: i64,
    nbf: Option<i64>,
    exp: Option<i64>,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(iss));
    c.insert("sub".into(), json!(sub));
    if !scopes.is_empty() {
        c.insert("aud".into(), json!(scopes));
        c.insert("scopes".into(), json!(scopes.join(" ")));
    }
    c.insert("jti".into(), json!(jti));
    c.insert("iat".into(), json!(iat));
    if let Some(nbf) = nbf {
        c.insert("nbf".into(), json!(nbf));
    }
    if let Some(exp) = exp {
        c.insert("exp".into(), json!(exp));
    }
    c
}

/// Which key signs a minted token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum KeyChoice {
    #[default]
    Current,
    Foreign,
}

/// What goes in the `cat` header.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum CategoryChoice {
    #[default]
    M2M,
    Absent,
    Value(Value),
}

/// A recipe for [`EmulatorHandle::mint_jwt`](crate::EmulatorHandle::mint_jwt): by default a token
/// exactly like one the emulator's `POST /m2m_tokens` would mint (`token_format: "jwt"`,
/// one hour TTL), then any deliberate deviation for negative tests.
///
/// Times are relative to the emulator's clock, in seconds. Header and claim overrides are applied
/// last, so they can replace or remove anything, registered claims included.
///
/// ```rust
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use clerk_bapi_emulator::{Emulator, MintSpec};
/// let emu = Emulator::start().await.unwrap();
/// let m = emu.create_machine("svc", &[]);
/// let good = emu.mint_jwt(MintSpec::for_machine(&m.id));
/// let expired = emu.mint_jwt(MintSpec::for_machine(&m.id).expired());
/// let session_cat = emu.mint_jwt(MintSpec::for_machine(&m.id).category("cl_B7d4PD111AAA"));
/// let wrong_key = emu.mint_jwt(MintSpec::for_machine(&m.id).foreign_key());
/// let custom = emu.mint_jwt(MintSpec::for_machine(&m.id).claim("role", serde_json::json!("admin")));
/// assert_eq!(good.split('.').count(), 3);
/// # let _ = (expired, session_cat, wrong_key, custom);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct MintSpec {
    pub(crate) subject: Option<String>,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) category: CategoryChoice,
    pub(crate) key: KeyChoice,
    pub(crate) algorithm: Algorithm,
    pub(crate) iat_offset: i64,
    pub(crate) nbf_offset: Option<i64>,
    pub(crate) exp_offset: Option<i64>,
    pub(crate) claims: Vec<(String, Option<Value>)>,
    pub(crate) header: Vec<(String, Option<Value>)>,
}

impl Default for MintSpec {
    fn default() -> Self {
        Self {
            subject: None,
            audience: None,
            category: CategoryChoice::M2M,
            key: KeyChoice::Current,
            algorithm: Algorithm::RS256,
            iat_offset: 0,
            nbf_offset: Some(0),
            exp_offset: Some(3600),
            claims: Vec::new(),
            header: Vec::new(),
        }
    }
}

impl MintSpec {
    /// A token for a random machine id the emulator does not know (no `aud`, no `scopes`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A token whose subject is `machine_id`. If the emulator knows that machine, `aud` and
    /// `scopes` are its scoped machines, as on a token from `POST /m2m_tokens`.
    pub fn for_machine(machine_id: &str) -> Self {
        Self {
            subject: Some(machine_id.to_owned()),
            ..Self::default()
        }
    }

    /// Set `aud` (and the `scopes` string) to these machine ids instead of the machine's scopes.
    #[must_use]
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.audience = Some(aud.into_iter().map(Into::into).collect());
        self
    }

    /// Put this `cat` header value instead of the M2M category, e.g. the session category.
    #[must_use]
    pub fn category(mut self, cat: impl Into<String>) -> Self {
        self.category = CategoryChoice::Value(Value::String(cat.into()));
        self
    }

    /// Put any JSON as `cat` (null, a number ...), for malformed-header tests.
    #[must_use]
    pub fn category_json(mut self, cat: Value) -> Self {
        self.category = CategoryChoice::Value(cat);
        self
    }

    /// Leave `cat` out, like M2M tokens minted before Clerk added it.
    #[must_use]
    pub fn no_category(mut self) -> Self {
        self.category = CategoryChoice::Absent;
        self
    }

    /// Sign with a key that is not in the JWKS, keeping the instance's `kid` in the header, so
    /// the signature check (not the key lookup) fails.
    #[must_use]
    pub fn foreign_key(mut self) -> Self {
        self.key = KeyChoice::Foreign;
        self
    }

    /// Set the `kid` header (e.g. one the JWKS does not have).
    #[must_use]
    pub fn kid(self, kid: impl Into<String>) -> Self {
        self.header("kid", Value::String(kid.into()))
    }

    /// Sign with RS384 or RS512 instead of RS256 (the `alg` header follows).
    #[must_use]
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = alg;
        self
    }

    /// Issued two hours ago, expired one hour ago.
    #[must_use]
    pub fn expired(mut self) -> Self {
        self.iat_offset = -7200;
        self.nbf_offset = Some(-7200);
        self.exp_offset = Some(-3600);
        self
    }

    /// `exp` is `secs` from now (negative: in the past).
    #[must_use]
    pub fn expires_in(mut self, secs: i64) -> Self {
        self.exp_offset = Some(secs);
        self
    }

    /// No `exp` claim.
    #[must_use]
    pub fn never_expires(mut self) -> Self {
        self.exp_offset = None;
        self
    }

    /// `iat` is `secs` from now (positive: in the future).
    #[must_use]
    pub fn issued_in(mut self, secs: i64) -> Self {
        self.iat_offset = secs;
        self
    }

    /// `nbf` is `secs` from now (positive: not yet valid); `None` leaves `nbf` out.
    #[must_use]
    pub fn not_before_in(mut self, secs: Option<i64>) -> Self {
        self.nbf_offset = secs;
        self
    }

    /// Set a top-level claim (custom or registered: `sub`, `aud`, `exp` ... can be replaced).
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        self.claims.push((name.into(), Some(value)));
        self
    }

    /// Remove a claim the default token would have.
    #[must_use]
    pub fn without_claim(mut self, name: impl Into<String>) -> Self {
        self.claims.push((name.into(), None));
        self
    }

    /// Set a header member (`alg`, `typ`, `jku`, ...). Setting `alg` changes only the header,
    /// not how the token is signed.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: Value) -> Self {
        self.header.push((name.into(), Some(value)));
        self
    }

    /// Remove a header member the default token would have (`kid`, `typ`, ...).
    #[must_use]
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        self.header.push((name.into(), None));
        self
    }
}

fn apply(map: &mut Map<String, Value>, edits: &[(String, Option<Value>)]) {
    for (name, value) in edits {
        match value {
            Some(v) => {
                map.insert(name.clone(), v.clone());
            }
            None => {
                map.remove(name);
            }
        }
    }
}

/// Build the header and payload a spec asks for. `machine_scopes` are the subject's scoped
/// machines if the emulator knows it.
pub(crate) fn build(
    spec: &MintSpec,
    kid: &str,
    iss: &str,
    subject: &str,
    machine_scopes: &[String],
    jti: &str,
    now_secs: i64,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut header = m2m_header(kid);
    header.insert("alg".into(), json!(spec.algorithm.as_str()));
    match &spec.category {
        CategoryChoice::M2M => {}
        CategoryChoice::Absent => {
            header.remove("cat");
        }
        CategoryChoice::Value(v) => {
            header.insert("cat".into(), v.clone());
        }
    }
    apply(&mut header, &spec.header);
    let scopes = spec.audience.as_deref().unwrap_or(machine_scopes);
    let mut claims = m2m_claims(
        iss,
        subject,
        scopes,
        jti,
        now_secs.saturating_add(spec.iat_offset),
        spec.nbf_offset.map(|o| now_secs.saturating_add(o)),
        spec.exp_offset.map(|o| now_secs.saturating_add(o)),
    );
    apply(&mut claims, &spec.claims);
    (header, claims)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn default_is_clerk_shaped() {
        let (h, c) = build(
            &MintSpec::new(),
            "ins_1",
            "iss",
            "mch_a",
            &ids(&["mch_b", "mch_c"]),
            "mt_1",
            1000,
        );
        assert_eq!(
            Value::Object(h),
            json!({"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD333AAA"})
        );
        let keys: Vec<&str> = c.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["iss", "sub", "aud", "scopes", "jti", "iat", "nbf", "exp"]
        );
        assert_eq!(c["aud"], json!(["mch_b", "mch_c"]));
        assert_eq!(c["scopes"], "mch_b mch_c");
        assert_eq!(c["exp"], 4600);
        assert_eq!(c["nbf"], 1000);
    }

    #[test]
    fn deviations_apply() {
        let spec = MintSpec::new()
            .no_category()
            .expired()
            .kid("ins_other")
            .algorithm(Algorithm::RS512)
            .audience(["mch_x"])
            .claim("role", json!("admin"))
            .claim("sub", json!("user_1"))
            .without_claim("nbf")
            .without_header("typ");
        let (h, c) = build(&spec, "ins_1", "iss", "mch_a", &[], "mt_1", 10_000);
        assert!(!h.contains_key("cat"));
        assert!(!h.contains_key("typ"));
        assert_eq!(h["kid"], "ins_other");
        assert_eq!(h["alg"], "RS512");
        assert_eq!(c["exp"], 6400);
        assert_eq!(c["iat"], 2800);
        assert_eq!(c["sub"], "user_1");
        assert_eq!(c["role"], "admin");
        assert_eq!(c["scopes"], "mch_x");
        assert!(!c.contains_key("nbf"));
        let (h, c) = build(
            &MintSpec::new().category_json(json!(1)).never_expires(),
            "k",
            "i",
            "s",
            &[],
            "j",
            0,
        );
        assert_eq!(h["cat"], 1);
        assert!(!c.contains_key("exp"));
        assert!(!c.contains_key("aud"));
    }
}
