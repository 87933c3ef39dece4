//! Time: the [`Clock`] the claim rules read, and the [`ClockSkew`] they allow.

use std::fmt::Debug;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `@clerk/backend`'s default clock skew (`DEFAULT_CLOCK_SKEW_IN_MS`), in milliseconds.
pub const DEFAULT_CLOCK_SKEW_MS: i64 = 5000;

/// Where "now" comes from. Tests and the CLI use [`FixedClock`] to verify as of a given time.
///
/// ```rust
/// use clerk_token_verify::{Clock, FixedClock, SystemClock};
/// assert_eq!(FixedClock(1_666_648_250_000).now_ms(), 1_666_648_250_000);
/// assert!(SystemClock.now_ms() > 1_600_000_000_000);
/// ```
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            // A clock set before 1970: negative time, still well defined.
            Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
        }
    }
}

/// A clock stopped at the given time (milliseconds since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// The tolerance the time rules allow, in milliseconds: any finite number (`0`, fractions and
/// negative values, which narrow the window, as in `@clerk/backend`). A non-finite value falls back
/// to [`DEFAULT_CLOCK_SKEW_MS`], so a NaN from a config file can never disable the expiry check.
///
/// ```rust
/// use clerk_token_verify::ClockSkew;
/// assert_eq!(ClockSkew::from_ms(0.0).as_ms(), 0.0);
/// assert_eq!(ClockSkew::from_ms(f64::NAN).as_ms(), 5000.0);
/// assert_eq!(ClockSkew::from_ms(f64::INFINITY).as_ms(), 5000.0);
/// assert_eq!(ClockSkew::from_ms(-1.0).as_ms(), -1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockSkew {
    ms: f64,
}

impl Default for ClockSkew {
    fn default() -> Self {
        Self {
            ms: DEFAULT_CLOCK_SKEW_MS as f64,
        }
    }
}

impl ClockSkew {
    /// Bounds the integer forms; far beyond any i64 difference, so "huge" stays "huge".
    const LIMIT: f64 = 1e20;

    /// A skew of `ms` milliseconds; a non-finite value gives the default (5000), as in
    /// `@clerk/backend`. A negative skew is used as given: it narrows the window (tokens count as
    /// expired that much early), which is `@clerk/backend`'s behaviour and never admits more.
    pub fn from_ms(ms: f64) -> Self {
        if ms.is_finite() {
            Self { ms }
        } else {
            Self::default()
        }
    }

    /// A skew of `d` (sub-millisecond parts kept).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// use clerk_token_verify::ClockSkew;
    /// assert_eq!(ClockSkew::from_duration(Duration::from_micros(1500)).as_ms(), 1.5);
    /// ```
    pub fn from_duration(d: Duration) -> Self {
        Self::from_ms(d.as_secs_f64() * 1000.0)
    }

    /// The skew in milliseconds.
    pub fn as_ms(self) -> f64 {
        self.ms
    }

    /// `ceil(skew)`: with integer times, `t <= now - skew` exactly when `t <= now - ceil(skew)`.
    pub(crate) fn ceil_i128(self) -> i128 {
        self.ms.ceil().clamp(-Self::LIMIT, Self::LIMIT) as i128
    }

    /// `floor(skew)`: with integer times, `t > now + skew` exactly when `t > now + floor(skew)`.
    pub(crate) fn floor_i128(self) -> i128 {
        self.ms.floor().clamp(-Self::LIMIT, Self::LIMIT) as i128
    }

    /// The skew as whole milliseconds for APIs that take an integer (rounded up, saturating),
    /// chosen so that `expired` computed with it agrees with the expiry rule.
    pub fn ceil_ms(self) -> i64 {
        let ms = self.ceil_i128();
        i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn skew_sanitising() {
        assert_eq!(ClockSkew::default().as_ms(), 5000.0);
        assert_eq!(ClockSkew::from_ms(0.0).ceil_ms(), 0);
        assert_eq!(ClockSkew::from_ms(0.5).ceil_ms(), 1);
        assert_eq!(ClockSkew::from_ms(0.5).floor_i128(), 0);
        assert_eq!(ClockSkew::from_ms(f64::NEG_INFINITY).as_ms(), 5000.0);
        assert_eq!(ClockSkew::from_ms(f64::MAX).ceil_ms(), i64::MAX);
        assert_eq!(ClockSkew::from_ms(-f64::MAX).ceil_ms(), i64::MIN);
        assert_eq!(ClockSkew::from_ms(-1.5).ceil_ms(), -1);
        assert_eq!(ClockSkew::from_ms(f64::NAN).as_ms(), 5000.0);
        assert_eq!(ClockSkew::from_ms(-0.0).as_ms(), 0.0);
    }

    #[test]
    fn clocks() {
        assert_eq!(FixedClock(-5).now_ms(), -5);
        let a = SystemClock.now_ms();
        assert!(a > 1_700_000_000_000);
    }
}
