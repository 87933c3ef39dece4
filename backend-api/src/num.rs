//! Decoding of the values Clerk's OpenAPI spec types as `number` (a JSON number, integer or not):
//! timestamps and counts. serde's integer types refuse `3.0`, which the spec allows.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Number;

use crate::ApiError;

/// A lifetime argument as the whole seconds the Backend API takes. A sub-second part is refused
/// rather than rounded: rounding would silently give a token a lifetime nobody asked for.
pub(crate) fn whole_seconds(field: &'static str, d: Duration) -> Result<u64, ApiError> {
    if d.subsec_nanos() != 0 {
        return Err(ApiError::invalid(
            field,
            format!("{d:?} is not a whole number of seconds"),
        ));
    }
    Ok(d.as_secs())
}

/// A timestamp or lifetime typed `number`: an integer, or a float truncated toward zero (a
/// fraction of a millisecond carries no meaning).
pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Number::deserialize(d)?;
    v.as_i64()
        .or_else(|| v.as_u64().map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
        .or_else(|| {
            // Saturating: `as` clamps out-of-range floats to i64::MIN/MAX.
            #[allow(clippy::cast_possible_truncation)]
            v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)
        })
        .ok_or_else(|| D::Error::custom("expected a number"))
}

/// [`number`], or `null`.
pub(crate) fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "number")] i64);
    Ok(Option::<Wrap>::deserialize(d)?.map(|Wrap(n)| n))
}

/// A lifetime in seconds typed `number`, or `null`, as a [`Duration`]: a fraction is kept
/// (to the nanosecond); a negative, or one beyond `Duration`'s range, is an error.
pub(crate) fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let Some(v) = Option::<Number>::deserialize(d)? else {
        return Ok(None);
    };
    let secs = v.as_f64().unwrap_or(f64::NAN);
    if secs < 0.0 {
        return Err(D::Error::custom(format!(
            "a lifetime must not be negative, got {v}"
        )));
    }
    // Integers take the exact path (an f64 rounds above 2^53).
    if let Some(n) = v.as_u64() {
        return Ok(Some(Duration::from_secs(n)));
    }
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| D::Error::custom(format!("a lifetime in seconds is out of range: {v}")))
}

/// A count typed `number` (`total_count`): any JSON number with a non-negative integral value
/// (`3` and `3.0`). A negative or fractional count makes no sense and is an error rather than a
/// guess. (JSON has no NaN or infinity, so serde_json never produces one.)
pub(crate) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Number::deserialize(d)?;
    count_of(&v).map_err(D::Error::custom)
}

fn count_of(v: &Number) -> Result<u64, String> {
    if let Some(n) = v.as_u64() {
        return Ok(n);
    }
    if v.as_i64().is_some() {
        return Err(format!("a count must not be negative, got {v}"));
    }
    let f = v.as_f64().unwrap_or(f64::NAN);
    // 2^64 as f64; every integral f64 below it converts to u64 exactly.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    if !f.is_finite() || f.fract() != 0.0 {
        return Err(format!("a count must be a whole number, got {v}"));
    }
    if f < 0.0 {
        return Err(format!("a count must not be negative, got {v}"));
    }
    if f >= LIMIT {
        return Err(format!("a count must fit in 64 bits, got {v}"));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(f as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Deserialize)]
    struct Count(#[serde(deserialize_with = "count")] u64);

    fn parse(json: &str) -> Result<u64, String> {
        serde_json::from_str::<Count>(json)
            .map(|Count(n)| n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn counts_accept_what_the_spec_allows() {
        assert_eq!(parse("3"), Ok(3));
        assert_eq!(parse("3.0"), Ok(3));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("-0.0"), Ok(0));
        assert_eq!(parse("1e3"), Ok(1000));
        assert_eq!(parse("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn counts_refuse_what_makes_no_sense() {
        for (json, why) in [
            ("-1", "negative"),
            ("-1.0", "negative"),
            ("2.5", "whole"),
            ("1e300", "64 bits"),
            ("\"3\"", "invalid type"),
            ("null", "invalid type"),
        ] {
            let err = parse(json).unwrap_err();
            assert!(err.contains(why), "{json}: {err}");
        }
    }

    #[test]
    fn lifetimes_are_whole_seconds() {
        assert_eq!(whole_seconds("ttl", Duration::from_secs(60)).unwrap(), 60);
        assert_eq!(whole_seconds("ttl", Duration::ZERO).unwrap(), 0);
        let err = whole_seconds("ttl", Duration::from_millis(1500)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid ttl: 1.5s is not a whole number of seconds"
        );
    }

    #[test]
    fn lifetimes_decode_as_durations() {
        #[derive(Deserialize)]
        struct L(#[serde(deserialize_with = "opt_seconds")] Option<Duration>);
        let l = |s: &str| {
            serde_json::from_str::<L>(s)
                .map(|L(d)| d)
                .map_err(|e| e.to_string())
        };
        assert_eq!(l("3600"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(l("1.5"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(l("null"), Ok(None));
        assert!(l("-1").unwrap_err().contains("negative"));
        assert!(l("1e300").unwrap_err().contains("out of range"));
    }

    #[test]
    fn timestamps_truncate_and_saturate() {
        #[derive(Deserialize)]
        struct T(#[serde(deserialize_with = "number")] i64);
        let t = |s: &str| serde_json::from_str::<T>(s).map(|T(n)| n).ok();
        assert_eq!(t("1.7e12"), Some(1_700_000_000_000));
        assert_eq!(t("-2.9"), Some(-2));
        assert_eq!(t("1e300"), Some(i64::MAX));
        assert_eq!(t("18446744073709551615"), Some(i64::MAX));
        assert_eq!(t("\"1\""), None);
    }

    proptest! {
        #[test]
        fn integral_counts_round_trip_in_both_forms(n in 0u64..(1 << 53)) {
            let float = format!("{n}.0");
            prop_assert_eq!(parse(&n.to_string()), Ok(n));
            prop_assert_eq!(parse(&float), Ok(n));
        }

        #[test]
        fn negative_or_fractional_counts_are_errors(n in 1i64..(1 << 40), frac in 1u32..1000) {
            // Below 2^40 a thousandth is still representable in an f64, so the fraction
            // survives parsing.
            let negative = format!("-{n}");
            let fractional = format!("{n}.{frac:03}");
            prop_assert!(parse(&negative).is_err());
            prop_assert!(parse(&fractional).is_err());
        }

        #[test]
        fn any_number_decodes_or_fails_cleanly(f in proptest::num::f64::ANY) {
            // Never a panic; a success is exactly the integral, non-negative, in-range values.
            if let Some(n) = Number::from_f64(f) {
                match count_of(&n) {
                    Ok(c) => prop_assert!(f >= 0.0 && f.fract() == 0.0 && (c as f64) == f),
                    Err(_) => prop_assert!(f < 0.0 || f.fract() != 0.0 || f >= 1.8e19),
                }
            }
        }
    }
}
