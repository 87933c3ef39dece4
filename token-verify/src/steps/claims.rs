//! Step 5: the claim rules, in `@clerk/backend`'s order (`sub`, `aud`, `azp`, `exp`, `nbf`, `iat`),
//! then our optional `iss` and machine rules. Run only after the signature holds, so no claim
//! information leaks from a forged token.
//!
//! Time rules, with `now` and `skew` in ms and a claim turned into ms as `trunc(seconds) * 1000`:
//! expired iff `exp_ms <= now - skew`; not active iff `nbf_ms > now + skew`; issued in the future
//! iff `iat_ms > now + skew`.

use clerk_token_types::{Audience, ClaimValue, JwtClaims, NumericDate};
use serde_json::Value;

use crate::{ClockSkew, VerifyError};

/// The claim rules' configuration. [`Verifier`](crate::Verifier) builds one from its options.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct ClaimRules {
    /// A prefix `sub` must start with (`mch_` on the M2M preset).
    pub subject_prefix: Option<&'static str>,
    /// Accepted audiences (empty: no audience rule). Empty strings are ignored, as in
    /// `@clerk/backend`.
    pub audience: Vec<String>,
    /// Accepted `azp` values (empty: no rule).
    pub authorized_parties: Vec<String>,
    /// Tolerance for the time rules.
    pub clock_skew: ClockSkew,
    /// Required `iss` (our addition; off by default, as `@clerk/backend` never checks `iss`).
    pub issuer: Option<String>,
    /// A machine id that must be in `aud` or `scopes` (our addition).
    pub expected_machine: Option<String>,
}

/// Runs every claim rule in order; the first failure is returned.
pub fn check(claims: &JwtClaims, rules: &ClaimRules, now_ms: i64) -> Result<(), VerifyError> {
    check_subject(claims.sub.as_ref(), rules.subject_prefix)?;
    check_audience(claims.aud.as_ref(), &rules.audience)?;
    check_authorized_party(claims.azp.as_ref(), &rules.authorized_parties)?;
    check_expiry(claims.exp.as_ref(), now_ms, rules.clock_skew)?;
    check_not_before(claims.nbf.as_ref(), now_ms, rules.clock_skew)?;
    check_issued_at(claims.iat.as_ref(), now_ms, rules.clock_skew)?;
    if let Some(iss) = &rules.issuer {
        check_issuer(claims.iss.as_ref(), iss)?;
    }
    if let Some(machine) = &rules.expected_machine {
        check_machine(claims, machine)?;
    }
    Ok(())
}

/// `sub` is a string (`""` is fine), starting with `prefix` when one is given.
pub fn check_subject(
    sub: Option<&ClaimValue<String>>,
    prefix: Option<&str>,
) -> Result<(), VerifyError> {
    match sub {
        Some(ClaimValue::Valid(s)) => match prefix {
            Some(p) if !s.starts_with(p) => Err(VerifyError::SubjectNotMachine {
                token_type: None,
                sub: s.clone(),
            }),
            _ => Ok(()),
        },
        Some(ClaimValue::Invalid(v)) => Err(VerifyError::InvalidSubject {
            token_type: None,
            sub: Some((**v).clone()),
        }),
        None => Err(VerifyError::InvalidSubject {
            token_type: None,
            sub: None,
        }),
    }
}

/// The audience rule. With no configured audience there is no check. With one, `aud` must be a
/// string in the list or an array of strings sharing an element with it.
///
/// Stricter than `@clerk/backend` (RFC 8725 §3.9): once an audience is configured, a missing or
/// empty `aud`, and an `aud` of the wrong JSON type (a mixed array, a number...), fail instead
/// of passing unchecked.
pub fn check_audience(
    aud: Option<&ClaimValue<Audience>>,
    expected: &[String],
) -> Result<(), VerifyError> {
    if expected.iter().all(String::is_empty) {
        return Ok(());
    }
    let listed = |a: &str| !a.is_empty() && expected.iter().any(|e| e == a);
    let ok = match aud {
        Some(ClaimValue::Valid(Audience::One(a))) => listed(a),
        Some(ClaimValue::Valid(Audience::Many(list))) => list.iter().any(|a| listed(a)),
        Some(ClaimValue::Invalid(_)) | None => false,
    };
    if ok {
        return Ok(());
    }
    Err(VerifyError::InvalidAudience {
        token_type: None,
        aud: aud.map(audience_json),
        expected: expected.iter().filter(|e| !e.is_empty()).cloned().collect(),
    })
}

fn audience_json(aud: &ClaimValue<Audience>) -> Value {
    match aud {
        ClaimValue::Valid(Audience::One(a)) => Value::String(a.clone()),
        ClaimValue::Valid(Audience::Many(list)) => {
            Value::Array(list.iter().cloned().map(Value::String).collect())
        }
        ClaimValue::Invalid(v) => (**v).clone(),
    }
}

/// The authorized-parties rule: with a non-empty list, `azp` must be a non-empty string in it.
pub fn check_authorized_party(
    azp: Option<&ClaimValue<String>>,
    expected: &[String],
) -> Result<(), VerifyError> {
    if expected.is_empty() {
        return Ok(());
    }
    if let Some(ClaimValue::Valid(a)) = azp
        && !a.is_empty()
        && expected.iter().any(|e| e == a)
    {
        return Ok(());
    }
    Err(VerifyError::InvalidAuthorizedParty {
        token_type: None,
        azp: azp.map(|v| match v {
            ClaimValue::Valid(s) => Value::String(s.clone()),
            ClaimValue::Invalid(v) => (**v).clone(),
        }),
        expected: expected.to_vec(),
    })
}

/// `exp`: required, a number, and not expired.
pub fn check_expiry(
    exp: Option<&ClaimValue<NumericDate>>,
    now_ms: i64,
    skew: ClockSkew,
) -> Result<(), VerifyError> {
    match exp {
        Some(ClaimValue::Valid(d)) => {
            let exp_ms = d.to_millis();
            if is_expired(exp_ms, now_ms, skew) {
                Err(VerifyError::Expired {
                    token_type: None,
                    exp_ms,
                    now_ms,
                })
            } else {
                Ok(())
            }
        }
        Some(ClaimValue::Invalid(v)) => Err(VerifyError::InvalidExpiry {
            token_type: None,
            exp: Some((**v).clone()),
        }),
        None => Err(VerifyError::InvalidExpiry {
            token_type: None,
            exp: None,
        }),
    }
}

/// `nbf`: optional; when present a number, not in the future beyond the skew.
pub fn check_not_before(
    nbf: Option<&ClaimValue<NumericDate>>,
    now_ms: i64,
    skew: ClockSkew,
) -> Result<(), VerifyError> {
    match nbf {
        None => Ok(()),
        Some(ClaimValue::Valid(d)) => {
            let nbf_ms = d.to_millis();
            if is_in_future(nbf_ms, now_ms, skew) {
                Err(VerifyError::NotActiveYet {
                    token_type: None,
                    nbf_ms,
                    now_ms,
                })
            } else {
                Ok(())
            }
        }
        Some(ClaimValue::Invalid(v)) => Err(VerifyError::InvalidNotBefore {
            token_type: None,
            nbf: (**v).clone(),
        }),
    }
}

/// `iat`: optional; when present a number, not in the future beyond the skew.
pub fn check_issued_at(
    iat: Option<&ClaimValue<NumericDate>>,
    now_ms: i64,
    skew: ClockSkew,
) -> Result<(), VerifyError> {
    match iat {
        None => Ok(()),
        Some(ClaimValue::Valid(d)) => {
            let iat_ms = d.to_millis();
            if is_in_future(iat_ms, now_ms, skew) {
                Err(VerifyError::IssuedInTheFuture {
                    token_type: None,
                    iat_ms,
                    now_ms,
                })
            } else {
                Ok(())
            }
        }
        Some(ClaimValue::Invalid(v)) => Err(VerifyError::InvalidIssuedAt {
            token_type: None,
            iat: (**v).clone(),
        }),
    }
}

/// `exp_ms <= now - skew` (exact, no overflow).
///
/// ```rust
/// use clerk_token_verify::{steps::claims::is_expired, ClockSkew};
/// assert!(is_expired(1_000, 1_000, ClockSkew::from_ms(0.0)));   // exp == now is expired
/// assert!(!is_expired(1_000, 1_000, ClockSkew::from_ms(1.0)));
/// ```
pub fn is_expired(exp_ms: i64, now_ms: i64, skew: ClockSkew) -> bool {
    i128::from(exp_ms) <= i128::from(now_ms) - skew.ceil_i128()
}

/// `t_ms > now + skew` (exact, no overflow): the rule for `nbf` and `iat`.
///
/// ```rust
/// use clerk_token_verify::{steps::claims::is_in_future, ClockSkew};
/// assert!(!is_in_future(1_000, 1_000, ClockSkew::from_ms(0.0)));  // nbf == now is fine
/// assert!(is_in_future(1_001, 1_000, ClockSkew::from_ms(0.5)));
/// ```
pub fn is_in_future(t_ms: i64, now_ms: i64, skew: ClockSkew) -> bool {
    i128::from(t_ms) > i128::from(now_ms) + skew.floor_i128()
}

/// `iss` equals the configured issuer (exactly).
pub fn check_issuer(iss: Option<&ClaimValue<String>>, expected: &str) -> Result<(), VerifyError> {
    match iss {
        Some(ClaimValue::Valid(s)) if s == expected => Ok(()),
        other => Err(VerifyError::InvalidIssuer {
            token_type: None,
            iss: other.map(|v| match v {
                ClaimValue::Valid(s) => Value::String(s.clone()),
                ClaimValue::Invalid(v) => (**v).clone(),
            }),
            expected: expected.to_owned(),
        }),
    }
}

/// `machine` is in `aud` (a string or an array of strings) or in the space-separated `scopes`.
pub fn check_machine(claims: &JwtClaims, machine: &str) -> Result<(), VerifyError> {
    let in_aud = matches!(&claims.aud, Some(ClaimValue::Valid(a)) if a.contains(machine));
    let in_scopes =
        matches!(&claims.scopes, Some(ClaimValue::Valid(s)) if s.split(' ').any(|m| m == machine));
    if in_aud || in_scopes {
        Ok(())
    } else {
        Err(VerifyError::MachineNotInScope {
            token_type: None,
            machine: machine.to_owned(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    //! The claim rules as `@clerk/backend`'s `jwt/__tests__/assertions.test.ts` pins them, one test
    //! per case name.
    use super::*;
    use clerk_token_types::{Reason, format_utc};
    use serde_json::json;

    const NOW: i64 = 1_666_648_250_000;
    const SKEW: f64 = 5000.0;

    fn s(v: &str) -> ClaimValue<String> {
        ClaimValue::Valid(v.into())
    }
    fn one(v: &str) -> ClaimValue<Audience> {
        ClaimValue::Valid(Audience::One(v.into()))
    }
    fn many(v: &[&str]) -> ClaimValue<Audience> {
        ClaimValue::Valid(Audience::Many(v.iter().map(|a| a.to_string()).collect()))
    }
    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|a| a.to_string()).collect()
    }
    fn date(secs: f64) -> ClaimValue<NumericDate> {
        ClaimValue::Valid(NumericDate(secs))
    }
    fn skew(ms: f64) -> ClockSkew {
        ClockSkew::from_ms(ms)
    }
    fn now_s() -> f64 {
        (NOW / 1000) as f64
    }

    // --- assertAudienceClaim ---

    #[test]
    fn audience_does_not_throw_if_audience_is_missing() {
        assert!(check_audience(Some(&one("a")), &[]).is_ok());
        assert!(check_audience(None, &[]).is_ok());
    }

    #[test]
    fn audience_does_not_throw_if_audience_is_empty_or_contains_empty_values() {
        assert!(check_audience(Some(&one("a")), &list(&[""])).is_ok());
        assert!(check_audience(Some(&many(&["a"])), &list(&["", ""])).is_ok());
    }

    /// Deviation (documented on `check_audience`): `@clerk/backend` passes a missing `aud`, or one
    /// made only of empty values, when an audience is configured; we reject it.
    #[test]
    fn audience_rejects_missing_or_empty_aud_when_audience_is_configured_stricter() {
        let e = check_audience(None, &list(&["a"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim (aud) undefined. Is not included in \"[\"a\"]\"."
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
        assert!(check_audience(Some(&one("")), &list(&["a"])).is_err());
        let e = check_audience(Some(&many(&["", ""])), &list(&["a"])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Invalid JWT audience claim array (aud) [\"\",\"\"].")
        );
        let e = check_audience(
            Some(&ClaimValue::Invalid(Box::new(json!(["a", 1])))),
            &list(&["a"]),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Invalid JWT audience claim array (aud) [\"a\",1].")
        );
        let e = check_audience(
            Some(&ClaimValue::Invalid(Box::new(json!(5)))),
            &list(&["a"]),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Invalid JWT audience claim (aud) 5.")
        );
    }

    #[test]
    fn audience_does_not_throw_when_audience_matches_aud() {
        assert!(check_audience(Some(&one("a")), &list(&["a"])).is_ok());
    }

    #[test]
    fn audience_does_not_throw_when_audience_list_contains_aud() {
        assert!(check_audience(Some(&one("a")), &list(&["b", "a"])).is_ok());
    }

    #[test]
    fn audience_does_not_throw_when_audience_list_intersects_aud_list() {
        assert!(check_audience(Some(&many(&["x", "a"])), &list(&["b", "a"])).is_ok());
    }

    #[test]
    fn audience_throws_when_audience_does_not_match_aud() {
        let e = check_audience(Some(&one("a")), &list(&["b"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim (aud) \"a\". Is not included in \"[\"b\"]\"."
        );
    }

    #[test]
    fn audience_throws_when_audience_is_substring_of_aud() {
        let e = check_audience(Some(&one("abc")), &list(&["ab"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim (aud) \"abc\". Is not included in \"[\"ab\"]\"."
        );
    }

    #[test]
    fn audience_throws_when_audience_is_substring_of_an_aud_array_entry() {
        let e = check_audience(Some(&many(&["abc", "xyz"])), &list(&["ab"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim array (aud) [\"abc\",\"xyz\"]. Is not included in \"[\"ab\"]\"."
        );
    }

    #[test]
    fn audience_throws_when_audience_list_has_no_intersection_with_aud_list() {
        let e = check_audience(Some(&many(&["a", "b"])), &list(&["c", "d"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim array (aud) [\"a\",\"b\"]. Is not included in \"[\"c\",\"d\"]\"."
        );
    }

    #[test]
    fn audience_throws_when_aud_is_substring_of_audience() {
        assert!(check_audience(Some(&one("ab")), &list(&["abc"])).is_err());
    }

    #[test]
    fn audience_throws_when_aud_is_substring_of_an_audience_list_entry() {
        let e = check_audience(Some(&one("ab")), &list(&["abc", "", "x"])).unwrap_err();
        // Empty configured values are dropped from the printed list, as in `@clerk/backend`.
        assert_eq!(
            e.to_string(),
            "Invalid JWT audience claim (aud) \"ab\". Is not included in \"[\"abc\",\"x\"]\"."
        );
    }

    // --- assertSubClaim ---

    #[test]
    fn subject_does_not_throw_if_sub_exists() {
        assert!(check_subject(Some(&s("user_1")), None).is_ok());
        assert!(check_subject(Some(&s("")), None).is_ok());
    }

    #[test]
    fn subject_throws_if_sub_is_missing_or_not_a_string() {
        let e = check_subject(None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Subject claim (sub) is required and must be a string. Received undefined."
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
        let e = check_subject(Some(&ClaimValue::Invalid(Box::new(json!(null)))), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Subject claim (sub) is required and must be a string. Received null."
        );
        let e = check_subject(Some(&ClaimValue::Invalid(Box::new(json!(42)))), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Subject claim (sub) is required and must be a string. Received 42."
        );
    }

    #[test]
    fn subject_prefix_for_m2m() {
        assert!(check_subject(Some(&s("mch_1")), Some("mch_")).is_ok());
        let e = check_subject(Some(&s("user_1")), Some("mch_")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid M2M JWT subject claim (sub) \"user_1\". Expected a machine ID starting with \"mch_\"."
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    }

    // --- assertAuthorizedPartiesClaim ---

    #[test]
    fn azp_does_not_throw_if_missing_or_empty_and_no_authorized_parties() {
        assert!(check_authorized_party(None, &[]).is_ok());
        assert!(check_authorized_party(Some(&s("")), &[]).is_ok());
    }

    #[test]
    fn azp_throws_if_missing_or_empty_but_authorized_parties_configured() {
        let e = check_authorized_party(None, &list(&["azp-1"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT Authorized party claim (azp) undefined. Expected \"azp-1\"."
        );
        assert_eq!(e.reason(), Reason::TokenInvalidAuthorizedParties);
        let e = check_authorized_party(Some(&s("")), &list(&["azp-1", "azp-2"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT Authorized party claim (azp) \"\". Expected \"azp-1,azp-2\"."
        );
    }

    #[test]
    fn azp_does_not_throw_if_authorized_parties_missing_or_empty() {
        assert!(check_authorized_party(Some(&s("azp")), &[]).is_ok());
    }

    #[test]
    fn azp_throws_if_not_included_in_authorized_parties() {
        let e = check_authorized_party(Some(&s("azp")), &list(&[""])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT Authorized party claim (azp) \"azp\". Expected \"\"."
        );
        let e = check_authorized_party(
            Some(&ClaimValue::Invalid(Box::new(json!(7)))),
            &list(&["a"]),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT Authorized party claim (azp) 7. Expected \"a\"."
        );
    }

    #[test]
    fn azp_does_not_throw_if_included_in_authorized_parties() {
        assert!(check_authorized_party(Some(&s("azp")), &list(&["x", "azp"])).is_ok());
    }

    // --- assertExpirationClaim ---

    #[test]
    fn exp_throws_if_in_the_past() {
        let e = check_expiry(Some(&date(now_s() - 6.0)), NOW, skew(SKEW)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "JWT is expired. Expiry date: {}, Current date: {}.",
                format_utc(NOW - 6000),
                format_utc(NOW)
            )
        );
        assert_eq!(
            e.to_string(),
            "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:44 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
        );
        assert_eq!(e.reason(), Reason::TokenExpired);
    }

    #[test]
    fn exp_does_not_throw_if_in_the_past_but_less_than_clock_skew() {
        assert!(check_expiry(Some(&date(now_s() - 4.0)), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn exp_throws_if_now() {
        assert!(matches!(
            check_expiry(Some(&date(now_s())), NOW, skew(0.0)),
            Err(VerifyError::Expired { .. })
        ));
    }

    #[test]
    fn exp_does_not_throw_if_now_but_there_is_clock_skew() {
        assert!(check_expiry(Some(&date(now_s())), NOW, skew(1.0)).is_ok());
    }

    #[test]
    fn exp_does_not_throw_if_in_the_future() {
        assert!(check_expiry(Some(&date(now_s() + 1.0)), NOW, skew(0.0)).is_ok());
    }

    #[test]
    fn exp_required_and_a_number() {
        let e = check_expiry(None, NOW, skew(SKEW)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT expiry date claim (exp) undefined. Expected number."
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
        let e = check_expiry(
            Some(&ClaimValue::Invalid(Box::new(json!("1666648550")))),
            NOW,
            skew(SKEW),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT expiry date claim (exp) \"1666648550\". Expected number."
        );
        let e = check_expiry(
            Some(&ClaimValue::Invalid(Box::new(json!(null)))),
            NOW,
            skew(SKEW),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT expiry date claim (exp) null. Expected number."
        );
    }

    #[test]
    fn fractional_seconds_truncate_toward_zero() {
        // 0.9 s before now truncates to now: expired with skew 0.
        assert!(check_expiry(Some(&date(now_s() + 0.9)), NOW, skew(0.0)).is_err());
    }

    // --- assertActivationClaim ---

    #[test]
    fn nbf_does_not_throw_if_undefined() {
        assert!(check_not_before(None, NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn nbf_does_not_throw_if_in_the_past() {
        assert!(check_not_before(Some(&date(now_s() - 60.0)), NOW, skew(0.0)).is_ok());
    }

    #[test]
    fn nbf_does_not_throw_if_in_the_past_but_less_than_clock_skew() {
        assert!(check_not_before(Some(&date(now_s() - 1.0)), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn nbf_does_not_throw_if_now() {
        assert!(check_not_before(Some(&date(now_s())), NOW, skew(0.0)).is_ok());
    }

    #[test]
    fn nbf_does_not_throw_if_now_and_there_is_clock_skew() {
        assert!(check_not_before(Some(&date(now_s())), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn nbf_throws_if_in_the_future() {
        let e = check_not_before(Some(&date(now_s() + 6.0)), NOW, skew(SKEW)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "JWT cannot be used prior to not before date claim (nbf). Not before date: Mon, 24 Oct 2022 21:50:56 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
        );
        assert_eq!(e.reason(), Reason::TokenNotActiveYet);
    }

    #[test]
    fn nbf_does_not_throw_if_in_the_future_but_less_than_clock_skew() {
        assert!(check_not_before(Some(&date(now_s() + 4.0)), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn nbf_wrong_type() {
        let e = check_not_before(
            Some(&ClaimValue::Invalid(Box::new(json!("soon")))),
            NOW,
            skew(SKEW),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT not before date claim (nbf) \"soon\". Expected number."
        );
        assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    }

    // --- assertIssuedAtClaim ---

    #[test]
    fn iat_does_not_throw_if_undefined() {
        assert!(check_issued_at(None, NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn iat_does_not_throw_if_in_the_past() {
        assert!(check_issued_at(Some(&date(now_s() - 60.0)), NOW, skew(0.0)).is_ok());
    }

    #[test]
    fn iat_does_not_throw_if_in_the_past_but_less_than_clock_skew() {
        assert!(check_issued_at(Some(&date(now_s() - 1.0)), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn iat_does_not_throw_if_now() {
        assert!(check_issued_at(Some(&date(now_s())), NOW, skew(0.0)).is_ok());
    }

    #[test]
    fn iat_does_not_throw_if_now_and_there_is_clock_skew() {
        assert!(check_issued_at(Some(&date(now_s())), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn iat_throws_if_in_the_future() {
        let e = check_issued_at(Some(&date(now_s() + 6.0)), NOW, skew(SKEW)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "JWT issued at date claim (iat) is in the future. Issued at date: Mon, 24 Oct 2022 21:50:56 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
        );
        assert_eq!(e.reason(), Reason::TokenIatInTheFuture);
    }

    #[test]
    fn iat_does_not_throw_if_in_the_future_but_less_than_clock_skew() {
        assert!(check_issued_at(Some(&date(now_s() + 4.0)), NOW, skew(SKEW)).is_ok());
    }

    #[test]
    fn iat_wrong_type() {
        let e = check_issued_at(
            Some(&ClaimValue::Invalid(Box::new(json!(true)))),
            NOW,
            skew(SKEW),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT issued at date claim (iat) true. Expected number."
        );
    }

    // --- our additions ---

    #[test]
    fn issuer_rule() {
        assert!(check_issuer(Some(&s("https://i")), "https://i").is_ok());
        let e = check_issuer(Some(&s("https://x")), "https://i").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT issuer claim (iss) \"https://x\". Expected \"https://i\"."
        );
        let e = check_issuer(None, "https://i").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid JWT issuer claim (iss) undefined. Expected \"https://i\"."
        );
    }

    #[test]
    fn machine_rule() {
        let mut c = JwtClaims {
            aud: Some(many(&["mch_1", "mch_2"])),
            ..JwtClaims::default()
        };
        assert!(check_machine(&c, "mch_2").is_ok());
        assert!(check_machine(&c, "mch_3").is_err());
        c.aud = None;
        c.scopes = Some(s("mch_3 mch_4"));
        assert!(check_machine(&c, "mch_4").is_ok());
        let e = check_machine(&c, "mch_").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The JWT is not scoped to machine \"mch_\": it is in neither the audience claim (aud) nor the scopes claim (scopes)."
        );
    }

    #[test]
    fn order_is_sub_aud_azp_exp_nbf_iat() {
        let mut c = JwtClaims {
            sub: None,
            aud: Some(one("x")),
            azp: None,
            exp: None,
            nbf: Some(ClaimValue::Invalid(Box::new(json!("x")))),
            iat: Some(ClaimValue::Invalid(Box::new(json!("x")))),
            ..JwtClaims::default()
        };
        let rules = ClaimRules {
            audience: list(&["a"]),
            authorized_parties: list(&["p"]),
            ..ClaimRules::default()
        };
        let mut seen = Vec::new();
        loop {
            match check(&c, &rules, NOW) {
                Ok(()) => break,
                Err(VerifyError::InvalidSubject { .. }) => {
                    seen.push("sub");
                    c.sub = Some(s("u"));
                }
                Err(VerifyError::InvalidAudience { .. }) => {
                    seen.push("aud");
                    c.aud = Some(one("a"));
                }
                Err(VerifyError::InvalidAuthorizedParty { .. }) => {
                    seen.push("azp");
                    c.azp = Some(s("p"));
                }
                Err(VerifyError::InvalidExpiry { .. }) => {
                    seen.push("exp");
                    c.exp = Some(date(now_s() + 60.0));
                }
                Err(VerifyError::InvalidNotBefore { .. }) => {
                    seen.push("nbf");
                    c.nbf = None;
                }
                Err(VerifyError::InvalidIssuedAt { .. }) => {
                    seen.push("iat");
                    c.iat = None;
                }
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(seen, ["sub", "aud", "azp", "exp", "nbf", "iat"]);
    }
}
