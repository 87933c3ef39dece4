//! [`M2MToken`]: the Backend API's `machine_to_machine_token` object, and its mapping from JWT
//! claims.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jwt::known_mask;
use crate::{Audience, ClaimValue, Error, JwtClaims, NumericDate};

/// An M2M token as the Backend API returns it (create, verify, revoke, list), or as built from a
/// verified JWT's claims. Timestamps are Unix milliseconds.
///
/// Serialises to the wire JSON with `"object": "machine_to_machine_token"`; `token` is left out
/// when `None`. Deserialising ignores unknown fields, accepts float-encoded timestamps (truncated
/// toward zero), and rejects an `object` other than [`M2MToken::OBJECT`] (a missing `object` is
/// accepted). `Debug` never shows `token`.
#[non_exhaustive]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Wire", try_from = "Wire")]
pub struct M2MToken {
    /// `mt_...` for BAPI tokens; the `jti` (or `""`) for a JWT.
    pub id: String,
    /// The machine that owns the token (`mch_...`).
    pub subject: String,
    /// Machine ids this token may call.
    pub scopes: Vec<String>,
    /// Custom claims; `None` when there are none.
    pub claims: Option<Value>,
    /// The secret token; only in create responses. A bearer credential: never log it.
    pub token: Option<String>,
    /// Whether it was revoked.
    pub revoked: bool,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// Whether it has expired (at the time the server or [`from_jwt_claims`](Self::from_jwt_claims)
    /// computed it).
    pub expired: bool,
    /// Expiry in ms; `None` means it never expires.
    pub expiration: Option<i64>,
    /// Last use in ms; Clerk cannot track this for JWTs.
    pub last_used_at: Option<i64>,
    /// Creation time in ms.
    pub created_at: i64,
    /// Last update in ms.
    pub updated_at: i64,
}

impl fmt::Debug for M2MToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M2MToken")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("revoked", &self.revoked)
            .field("revocation_reason", &self.revocation_reason)
            .field("expired", &self.expired)
            .field("expiration", &self.expiration)
            .field("last_used_at", &self.last_used_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// The reserved claims Clerk's `M2MToken.fromJwtPayload` leaves out of `claims`.
const RESERVED: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];
const RESERVED_MASK: u16 = known_mask(&RESERVED);

impl M2MToken {
    /// The BAPI `object` value.
    pub const OBJECT: &'static str = "machine_to_machine_token";

    /// A token with this id and subject and every other field empty, false, `None` or 0.
    ///
    /// ```rust
    /// let t = clerk_token_types::M2MToken::new("mt_1", "mch_1");
    /// assert_eq!((t.id.as_str(), t.subject.as_str(), t.revoked, t.created_at), ("mt_1", "mch_1", false, 0));
    /// ```
    pub fn new(id: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            subject: subject.into(),
            scopes: Vec::new(),
            claims: None,
            token: None,
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: None,
            last_used_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Builds the token from a **verified** JWT's claims, as `M2MToken.fromJwtPayload` in Clerk's
    /// JS SDK ([`packages/backend/src/api/resources/M2MToken.ts`](https://github.com/clerk/javascript/blob/main/packages/backend/src/api/resources/M2MToken.ts)):
    ///
    /// - `id` = `jti`, or `""` when absent;
    /// - `subject` = `sub`;
    /// - `scopes` = `scopes` split on single spaces if present, else `aud` (a string `aud` becomes a
    ///   one-element list), else empty. **Empty strings are dropped** (the JS SDK keeps them:
    ///   `"".split(" ")` is `[""]`); a scope is a machine id, and an empty one means nothing;
    /// - `claims` = every claim except `iss, sub, exp, nbf, iat, jti` (so `aud`, `scopes`, `azp`
    ///   stay), or `None` when nothing is left; typed claims first, then the others in wire order;
    /// - `expiration` = `exp * 1000`, fractions of a second kept as in the JS SDK
    ///   (`exp: 1790003600.5` gives `1790003600500`), truncated to whole milliseconds and
    ///   saturating at the `i64` range ([`NumericDate::to_millis_with_fraction`]); a missing
    ///   `exp` gives `None` and `expired == false` (the verifier requires `exp`, so this only
    ///   matters for direct callers);
    /// - `expired` = `exp * 1000 <= now_ms - clock_skew_ms`, compared exactly (no overflow, no
    ///   rounding of the fraction);
    /// - `created_at` = `updated_at` = `iat * 1000`, mapped as `expiration`;
    /// - `revoked` false, `revocation_reason`, `last_used_at` and `token` `None`.
    ///
    /// Where the JS SDK throws or yields garbage this returns [`Error::InvalidClaim`]: a missing
    /// or non-string `sub`, a non-string `jti` or `scopes`, an `aud` that is neither a string nor
    /// an array of strings (when it is used for `scopes`), a non-number `exp`, and a missing or
    /// non-number `iat` (Clerk always sets `iat`; there is no sound creation time without it).
    ///
    /// ```rust
    /// use clerk_token_types::{dangerous, encode_segment, M2MToken};
    /// let payload = br#"{"sub":"mch_2","iat":1666648250,"exp":1666648550,"jti":"mt_1","scopes":"mch_1 mch_3","role":"x"}"#;
    /// let token = format!("{}.{}.c2ln", encode_segment(br#"{"alg":"RS256"}"#), encode_segment(payload));
    /// let jwt = dangerous::insecure_decode(&token)?;
    /// let t = M2MToken::from_jwt_claims(jwt.claims(), 1_666_648_250_000, 5_000)?;
    /// assert_eq!(t.id, "mt_1");
    /// assert_eq!(t.scopes, ["mch_1", "mch_3"]);
    /// assert_eq!(t.expiration, Some(1_666_648_550_000));
    /// assert_eq!(t.claims, Some(serde_json::json!({"scopes": "mch_1 mch_3", "role": "x"})));
    /// assert!(!t.expired);
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    pub fn from_jwt_claims(
        claims: &JwtClaims,
        now_ms: i64,
        clock_skew_ms: i64,
    ) -> Result<Self, Error> {
        let checked = Checked::new(claims, now_ms, clock_skew_ms)?;
        Ok(checked.into_token(
            valid_str(&claims.sub).to_owned(),
            valid_str(&claims.jti).to_owned(),
            claims.to_json_without(RESERVED_MASK),
        ))
    }

    /// [`from_jwt_claims`](Self::from_jwt_claims) for claims the caller no longer needs (the
    /// verifier's own decoded token): the strings move into the token instead of being copied.
    /// Same result, same errors.
    ///
    /// ```rust
    /// use clerk_token_types::{ClaimValue, JwtClaims, M2MToken, NumericDate};
    /// let c = JwtClaims {
    ///     sub: Some(ClaimValue::Valid("mch_1".into())),
    ///     iat: Some(ClaimValue::Valid(NumericDate(1.0))),
    ///     ..Default::default()
    /// };
    /// let borrowed = M2MToken::from_jwt_claims(&c, 0, 0)?;
    /// assert_eq!(M2MToken::from_jwt_claims_owned(c, 0, 0)?, borrowed);
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    pub fn from_jwt_claims_owned(
        mut claims: JwtClaims,
        now_ms: i64,
        clock_skew_ms: i64,
    ) -> Result<Self, Error> {
        let checked = Checked::new(&claims, now_ms, clock_skew_ms)?;
        let subject = take_valid(&mut claims.sub);
        let id = take_valid(&mut claims.jti);
        Ok(checked.into_token(subject, id, claims.into_json_without(RESERVED_MASK)))
    }
}

impl M2MToken {
    /// The custom claims as your own type, as `jsonwebtoken::decode::<Claims>` hands out typed
    /// claims. No custom claims (`claims` is `None`) reads as an empty object, so a type whose
    /// fields are all optional or defaulted always succeeds there. Unknown claims are ignored
    /// unless `T` says otherwise (`#[serde(deny_unknown_fields)]`).
    ///
    /// ```rust
    /// use clerk_token_types::M2MToken;
    /// use serde::Deserialize;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct MyClaims {
    ///     role: String,
    ///     #[serde(default)]
    ///     permissions: Vec<String>,
    /// }
    ///
    /// let mut t = M2MToken::new("mt_1", "mch_1");
    /// t.claims = Some(serde_json::json!({"role": "service", "scopes": "mch_2"}));
    /// let mine: MyClaims = t.claims_as()?;
    /// assert_eq!((mine.role.as_str(), mine.permissions.len()), ("service", 0));
    ///
    /// t.claims = Some(serde_json::json!({"role": 7}));
    /// let err = t.claims_as::<MyClaims>().unwrap_err();
    /// assert!(err.to_string().contains("invalid type: integer `7`"), "{err}");
    /// # Ok::<(), clerk_token_types::Error>(())
    /// ```
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let empty = Value::Object(Map::new());
        T::deserialize(self.claims.as_ref().unwrap_or(&empty)).map_err(|e| Error::CustomClaims {
            detail: cut(e.to_string()),
        })
    }
}

/// What [`M2MToken::from_jwt_claims`] computes from the claims once they passed its checks.
struct Checked {
    scopes: Vec<String>,
    created_at: i64,
    expiration: Option<i64>,
    expired: bool,
}

impl Checked {
    /// The JS SDK's checks, in its order: `sub`, `jti`, `iat`, `exp`, then `scopes`/`aud`.
    fn new(claims: &JwtClaims, now_ms: i64, clock_skew_ms: i64) -> Result<Self, Error> {
        match &claims.sub {
            Some(ClaimValue::Valid(_)) => {}
            other => {
                return Err(invalid(
                    "sub",
                    format!(
                        "Subject claim (sub) is required and must be a string. Received {}.",
                        json_text(other.as_ref())
                    ),
                ));
            }
        }
        match &claims.jti {
            None | Some(ClaimValue::Valid(_)) => {}
            other => {
                return Err(expected(
                    "jti",
                    "JWT ID claim (jti)",
                    other.as_ref(),
                    "string",
                ));
            }
        }
        let created_at = match &claims.iat {
            Some(ClaimValue::Valid(d)) => d.to_millis_with_fraction(),
            other => {
                return Err(expected(
                    "iat",
                    "JWT issued at date claim (iat)",
                    other.as_ref(),
                    "number",
                ));
            }
        };
        let exp = match &claims.exp {
            None => None,
            Some(ClaimValue::Valid(d)) => Some(*d),
            other => {
                return Err(expected(
                    "exp",
                    "JWT expiry date claim (exp)",
                    other.as_ref(),
                    "number",
                ));
            }
        };
        let scopes = match (&claims.scopes, &claims.aud) {
            (Some(ClaimValue::Valid(s)), _) => non_empty(s.split(' ')),
            (Some(other), _) => {
                return Err(expected(
                    "scopes",
                    "M2M token scopes claim (scopes)",
                    Some(other),
                    "a space-separated string",
                ));
            }
            (None, Some(ClaimValue::Valid(aud))) => match aud {
                Audience::One(a) => non_empty(std::iter::once(a.as_str())),
                Audience::Many(list) => non_empty(list.iter().map(String::as_str)),
            },
            (None, Some(other @ ClaimValue::Invalid(_))) => {
                return Err(expected(
                    "aud",
                    "JWT audience claim (aud)",
                    Some(other),
                    "a string or an array of strings",
                ));
            }
            (None, None) => Vec::new(),
        };

        // JS compares the unrounded double `exp * 1000` with an integer; `x <= n` for an integer
        // `n` is `ceil(x) <= n`, and i128 holds both sides without overflow (`as` saturates at
        // ±2^127, far beyond any i64 difference).
        let deadline = i128::from(now_ms) - i128::from(clock_skew_ms);
        let expired = exp.is_some_and(|d| ((d.0 * 1000.0).ceil() as i128) <= deadline);
        Ok(Self {
            scopes,
            created_at,
            expiration: exp.map(NumericDate::to_millis_with_fraction),
            expired,
        })
    }

    fn into_token(self, subject: String, id: String, custom: Map<String, Value>) -> M2MToken {
        M2MToken {
            id,
            subject,
            scopes: self.scopes,
            claims: (!custom.is_empty()).then_some(Value::Object(custom)),
            token: None,
            revoked: false,
            revocation_reason: None,
            expired: self.expired,
            expiration: self.expiration,
            last_used_at: None,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}

/// A checked string claim's value (`""` when absent; [`Checked::new`] rejected other shapes).
fn valid_str(c: &Option<ClaimValue<String>>) -> &str {
    match c {
        Some(ClaimValue::Valid(s)) => s,
        _ => "",
    }
}

/// [`valid_str`], moving the string out.
fn take_valid(c: &mut Option<ClaimValue<String>>) -> String {
    match c.take() {
        Some(ClaimValue::Valid(s)) => s,
        _ => String::new(),
    }
}

fn non_empty<'a>(parts: impl Iterator<Item = &'a str>) -> Vec<String> {
    parts.filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn invalid(claim: &'static str, message: String) -> Error {
    Error::InvalidClaim { claim, message }
}

/// `Invalid <what> <JSON>. Expected <ty>.`, the JS SDK's shape for mistyped claims.
fn expected<T: Serialize>(
    claim: &'static str,
    what: &str,
    v: Option<&ClaimValue<T>>,
    ty: &str,
) -> Error {
    invalid(
        claim,
        format!("Invalid {what} {}. Expected {ty}.", json_text(v)),
    )
}

/// JSON text of a claim as the JS SDK prints it (`undefined` when absent), cut to 200 chars.
fn json_text<T: Serialize>(v: Option<&ClaimValue<T>>) -> String {
    let Some(v) = v else {
        return "undefined".to_owned();
    };
    cut(serde_json::to_string(v).unwrap_or_default())
}

/// At most 200 characters of text that comes from a token, for messages.
fn cut(text: String) -> String {
    if text.chars().count() <= 200 {
        text
    } else {
        let mut cut: String = text.chars().take(200).collect();
        cut.push('…');
        cut
    }
}

/// The wire shape, in the Backend API's field order.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(default)]
    object: Option<String>,
    id: String,
    subject: String,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    claims: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    revoked: bool,
    #[serde(default)]
    revocation_reason: Option<String>,
    expired: bool,
    #[serde(default, deserialize_with = "opt_millis")]
    expiration: Option<i64>,
    #[serde(default, deserialize_with = "opt_millis")]
    last_used_at: Option<i64>,
    #[serde(deserialize_with = "millis")]
    created_at: i64,
    #[serde(deserialize_with = "millis")]
    updated_at: i64,
}

impl From<M2MToken> for Wire {
    fn from(t: M2MToken) -> Self {
        Self {
            object: Some(M2MToken::OBJECT.to_owned()),
            id: t.id,
            subject: t.subject,
            scopes: Some(t.scopes),
            claims: t.claims,
            token: t.token,
            revoked: t.revoked,
            revocation_reason: t.revocation_reason,
            expired: t.expired,
            expiration: t.expiration,
            last_used_at: t.last_used_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

impl TryFrom<Wire> for M2MToken {
    type Error = String;

    fn try_from(w: Wire) -> Result<Self, String> {
        if let Some(object) = &w.object
            && object != Self::OBJECT
        {
            return Err(format!(
                "expected object \"{}\", found {:?}",
                Self::OBJECT,
                object.chars().take(64).collect::<String>()
            ));
        }
        Ok(Self {
            id: w.id,
            subject: w.subject,
            scopes: w.scopes.unwrap_or_default(),
            claims: w.claims.filter(|c| !c.is_null()),
            token: w.token,
            revoked: w.revoked,
            revocation_reason: w.revocation_reason,
            expired: w.expired,
            expiration: w.expiration,
            last_used_at: w.last_used_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
        })
    }
}

/// A timestamp sent as an integer or a float-encoded number (truncated toward zero).
fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // Within ±2^63, so the cast is exact after truncation.
        Some(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(f.trunc() as i64),
        _ => Err(D::Error::custom("timestamp out of range")),
    }
}

fn opt_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Ms(#[serde(deserialize_with = "millis")] i64);
    Ok(Option::<Ms>::deserialize(d)?.map(|m| m.0))
}
