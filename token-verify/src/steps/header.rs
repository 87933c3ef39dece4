//! Step 2: the header rules. All of them run before any key is looked up, so a token that fails
//! here never causes a JWKS fetch.

use clerk_token_types::{Algorithm, JwtCategory, JwtHeader, OAUTH_ACCESS_TOKEN_TYPES, TokenType};

use crate::VerifyError;

/// The header members that would carry a key or a key location chosen by the token's author
/// (RFC 8725 §3.10). Tokens carrying any of them are rejected outright: Clerk never sets them,
/// and refusing them is clearer than silently ignoring an attacker's key.
pub const EMBEDDED_KEY_MEMBERS: [&str; 4] = ["jku", "x5u", "x5c", "jwk"];

/// `typ` values accepted when a preset expects a plain JWT.
pub const JWT_TYPES: [&str; 1] = ["JWT"];

/// Which `cat` values a preset accepts (`@clerk/backend`'s `tokens/jwtCategories.ts` names them).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CategoryRule {
    /// M2M: `cat` absent (Clerk's rollout window) or exactly the M2M category; anything else,
    /// IGNORE, `null` and non-strings included, is "Invalid M2M JWT category.".
    M2m,
    /// Session: absent, the session category or IGNORE. The M2M category is `@clerk/backend`'s
    /// "Invalid session token category."; we also reject every other value (JWT templates,
    /// unknown strings, `null`, non-strings), which `@clerk/backend` only catches at the request
    /// level (`hasNonSessionJwtCategory`), and only when a session token alone is accepted or the
    /// token comes from a cookie.
    Session,
    /// No rule (OAuth access tokens, whose class `typ` already tells apart).
    Any,
}

/// The header rules of a preset. Non-exhaustive so that a rule can be added without a breaking
/// change: build one with [`HeaderRules::new`] and the `with_*` methods, or start from a preset's
/// constant.
///
/// ```rust
/// use clerk_token_types::TokenType;
/// use clerk_token_verify::steps::header::{CategoryRule, HeaderRules};
/// let rules = HeaderRules::new(TokenType::M2MToken, CategoryRule::M2m).with_type_required(true);
/// assert!(rules.type_required);
/// assert_eq!(rules.allowed_types, ["JWT"]);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct HeaderRules {
    /// The token type errors are stamped with.
    pub token_type: TokenType,
    /// The `cat` rule.
    pub category: CategoryRule,
    /// Allowed `typ` values (exact, case-sensitive).
    pub allowed_types: &'static [&'static str],
    /// Whether a missing `typ` fails (`verifyJwt` in `@clerk/backend` with `headerType` given).
    pub type_required: bool,
}

impl HeaderRules {
    /// Rules stamping errors with `token_type` and applying `category`; `typ` absent or `JWT`.
    pub const fn new(token_type: TokenType, category: CategoryRule) -> Self {
        Self {
            token_type,
            category,
            allowed_types: &JWT_TYPES,
            type_required: false,
        }
    }

    /// Sets [`allowed_types`](Self::allowed_types): the exact, case-sensitive `typ` values.
    #[must_use]
    pub const fn with_allowed_types(mut self, types: &'static [&'static str]) -> Self {
        self.allowed_types = types;
        self
    }

    /// Sets [`type_required`](Self::type_required): whether a missing `typ` fails.
    #[must_use]
    pub const fn with_type_required(mut self, required: bool) -> Self {
        self.type_required = required;
        self
    }

    /// M2M tokens: `cat` absent or M2M, `typ` absent or `JWT`.
    pub const M2M: Self = Self {
        token_type: TokenType::M2MToken,
        category: CategoryRule::M2m,
        allowed_types: &JWT_TYPES,
        type_required: false,
    };
    /// OAuth access tokens: `typ` `at+jwt` or `application/at+jwt`, required.
    pub const OAUTH: Self = Self {
        token_type: TokenType::OAuthToken,
        category: CategoryRule::Any,
        allowed_types: &OAUTH_ACCESS_TOKEN_TYPES,
        type_required: true,
    };
    /// Session tokens: a session `cat` (or none), `typ` absent or `JWT`.
    pub const SESSION: Self = Self {
        token_type: TokenType::SessionToken,
        category: CategoryRule::Session,
        allowed_types: &JWT_TYPES,
        type_required: false,
    };
}

/// Runs every header rule in order (`cat`, `typ`, `alg`, then `crit`, embedded keys, `cty`) and
/// returns the token's algorithm.
///
/// ```rust
/// use clerk_token_types::{Algorithm, JwtHeader};
/// use clerk_token_verify::steps::header::{self, HeaderRules};
/// let mut h = JwtHeader::default();
/// h.alg = Some("RS256".into());
/// assert_eq!(header::check(&h, &HeaderRules::M2M).unwrap(), Algorithm::RS256);
/// h.alg = Some("none".into());
/// let err = header::check(&h, &HeaderRules::M2M).unwrap_err();
/// assert_eq!(err.to_string(), "Invalid JWT algorithm \"none\". Supported: RS256,RS384,RS512.");
/// ```
pub fn check(header: &JwtHeader, rules: &HeaderRules) -> Result<Algorithm, VerifyError> {
    check_category(&header.cat, rules.category)?;
    check_type(header.typ.as_deref(), rules)?;
    let alg = check_algorithm(header.alg.as_deref())?;
    check_extensions(header)?;
    Ok(alg)
}

/// The `cat` rule.
pub fn check_category(cat: &JwtCategory, rule: CategoryRule) -> Result<(), VerifyError> {
    let message = match rule {
        CategoryRule::M2m => match cat {
            JwtCategory::Absent | JwtCategory::M2M => return Ok(()),
            _ => "Invalid M2M JWT category.",
        },
        CategoryRule::Session => match cat {
            JwtCategory::Absent | JwtCategory::Session | JwtCategory::Ignore => return Ok(()),
            _ => "Invalid session token category.",
        },
        CategoryRule::Any => return Ok(()),
    };
    Err(VerifyError::InvalidCategory {
        token_type: None,
        category: cat.clone(),
        message,
    })
}

/// The `typ` rule (`assertHeaderType` in `@clerk/backend`'s `jwt/assertions.ts`).
pub fn check_type(typ: Option<&str>, rules: &HeaderRules) -> Result<(), VerifyError> {
    let ok = match typ {
        None => !rules.type_required,
        Some(t) => rules.allowed_types.contains(&t),
    };
    if ok {
        Ok(())
    } else {
        Err(VerifyError::InvalidType {
            token_type: None,
            typ: typ.map(str::to_owned),
            allowed: rules.allowed_types,
        })
    }
}

/// The `alg` allow-list: RS256, RS384, RS512 (as `@clerk/backend`'s `jwt/algorithms.ts`).
pub fn check_algorithm(alg: Option<&str>) -> Result<Algorithm, VerifyError> {
    alg.and_then(Algorithm::from_name)
        .ok_or_else(|| VerifyError::InvalidAlgorithm {
            token_type: None,
            alg: alg.map(str::to_owned),
        })
}

/// Our additions: any `crit`; `jku`, `x5u`, `x5c`, `jwk`; `cty` of `JWT` in any case.
pub fn check_extensions(header: &JwtHeader) -> Result<(), VerifyError> {
    if let Some(names) = &header.crit {
        return Err(VerifyError::CriticalHeader {
            token_type: None,
            names: names.clone(),
        });
    }
    // `other` is empty for Clerk's tokens, so this costs nothing on the hot path.
    if !header.other.is_empty()
        && let Some(name) = EMBEDDED_KEY_MEMBERS
            .into_iter()
            .find(|m| header.other.contains_key(*m))
    {
        return Err(VerifyError::EmbeddedKeyHeader {
            token_type: None,
            name,
        });
    }
    match &header.cty {
        Some(cty) if cty.eq_ignore_ascii_case("JWT") => Err(VerifyError::NestedJwt {
            token_type: None,
            cty: cty.clone(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use clerk_token_types::Reason;
    use serde_json::json;

    fn header(alg: &str) -> JwtHeader {
        JwtHeader {
            alg: Some(alg.into()),
            ..JwtHeader::default()
        }
    }

    #[test]
    fn type_rule_messages() {
        // The assertHeaderType cases of `@clerk/backend`'s `jwt/__tests__/assertions.test.ts`.
        assert!(check_type(None, &HeaderRules::M2M).is_ok());
        assert!(check_type(Some("JWT"), &HeaderRules::M2M).is_ok());
        for bad in ["", "Aloha", "jwt", "at+jwt"] {
            let e = check_type(Some(bad), &HeaderRules::M2M).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Invalid JWT type \"{bad}\". Expected \"JWT\".")
            );
            assert_eq!(e.reason(), Reason::TokenInvalid);
        }
        assert!(check_type(Some("at+jwt"), &HeaderRules::OAUTH).is_ok());
        assert!(check_type(Some("application/at+jwt"), &HeaderRules::OAUTH).is_ok());
        let e = check_type(Some("JWT"), &HeaderRules::OAUTH).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT type \"JWT\". Expected \"at+jwt, application/at+jwt\"."
        );
        let e = check_type(None, &HeaderRules::OAUTH).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT type undefined. Expected \"at+jwt, application/at+jwt\"."
        );
        let single = HeaderRules {
            allowed_types: &["at+jwt"],
            type_required: true,
            ..HeaderRules::OAUTH
        };
        let e = check_type(None, &single).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT type undefined. Expected \"at+jwt\"."
        );
        let e = check_type(Some("JWT"), &single).unwrap_err();
        assert!(e.to_string().contains("Expected \"at+jwt\""));
    }

    #[test]
    fn algorithm_rule_messages() {
        for ok in ["RS256", "RS384", "RS512"] {
            assert_eq!(check_algorithm(Some(ok)).unwrap().as_str(), ok);
        }
        for bad in [
            "", "none", "ES256", "ES384", "ES512", "PS256", "PS512", "HS256", "Aloha", "rs256",
        ] {
            let e = check_algorithm(Some(bad)).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Invalid JWT algorithm \"{bad}\". Supported: RS256,RS384,RS512.")
            );
            assert_eq!(e.reason(), Reason::TokenInvalidAlgorithm);
        }
        let e = check_algorithm(None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT algorithm undefined. Supported: RS256,RS384,RS512."
        );
    }

    #[test]
    fn extension_rules() {
        let mut h = header("RS256");
        h.crit = Some(vec!["b64".into()]);
        let e = check(&h, &HeaderRules::M2M).unwrap_err();
        assert!(matches!(e, VerifyError::CriticalHeader { .. }), "{e:?}");
        h.crit = Some(vec![]);
        assert!(matches!(
            check(&h, &HeaderRules::M2M),
            Err(VerifyError::CriticalHeader { .. })
        ));
        for m in EMBEDDED_KEY_MEMBERS {
            let mut h = header("RS256");
            h.other
                .insert(m.into(), json!("https://attacker.example/jwks"));
            match check(&h, &HeaderRules::SESSION) {
                Err(VerifyError::EmbeddedKeyHeader { name, .. }) => assert_eq!(name, m),
                other => panic!("{m}: {other:?}"),
            }
        }
        for cty in ["JWT", "jwt", "Jwt"] {
            let mut h = header("RS256");
            h.cty = Some(cty.into());
            assert!(matches!(
                check(&h, &HeaderRules::M2M),
                Err(VerifyError::NestedJwt { .. })
            ));
        }
        let mut h = header("RS256");
        h.cty = Some("json".into());
        h.other
            .insert("x5t".into(), json!("thumbprint-is-harmless"));
        assert!(check(&h, &HeaderRules::M2M).is_ok());
    }

    #[test]
    fn reference_order_type_before_algorithm() {
        let mut h = header("none");
        h.typ = Some("Aloha".into());
        assert!(matches!(
            check(&h, &HeaderRules::M2M),
            Err(VerifyError::InvalidType { .. })
        ));
        h.cat = JwtCategory::Session;
        assert!(matches!(
            check(&h, &HeaderRules::M2M),
            Err(VerifyError::InvalidCategory { .. })
        ));
    }
}
