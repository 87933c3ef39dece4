//! [`RetryPolicy`]: when and how long to wait before trying a request again.

use std::time::Duration;

/// How transient failures are retried: connection errors, timeouts, 429 (waiting for
/// `Retry-After`, in seconds or as an HTTP-date, capped by
/// [`max_retry_after`](Self::max_retry_after)) and 5xx.
///
/// The wait before retry *n* (1-based) is a uniformly random duration in
/// `[0, min(max_backoff, initial_backoff * 2^(n-1))]` ("full jitter"), or the server's
/// `Retry-After` when it sent one. A retry is not started when it could not begin before
/// `max_elapsed` has passed since the first attempt, so a call takes at most about
/// `max_elapsed` plus one request timeout.
///
/// Reads, verify calls, revoke, update, delete and JWKS are retried. Calls that create
/// something (an M2M token, a machine, a rotated secret key, a scope) are retried only when
/// [`retry_create`](Self::retry_create) is set: a lost response may hide a success, and a retry
/// would then mint a second token.
///
/// ```rust
/// use std::time::Duration;
/// use clerk_backend_api::RetryPolicy;
///
/// let policy = RetryPolicy::default().with_max_attempts(5).with_max_elapsed(Duration::from_secs(30));
/// assert_eq!(policy.max_attempts, 5);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (default 3; 0 is treated as 1).
    pub max_attempts: u32,
    /// The backoff cap before the first retry (default 100 ms).
    pub initial_backoff: Duration,
    /// The largest backoff cap (default 2 s).
    pub max_backoff: Duration,
    /// No retry starts later than this after the first attempt began (default 10 s).
    pub max_elapsed: Duration,
    /// The longest `Retry-After` honoured; a longer one is shortened to this (default 10 s).
    pub max_retry_after: Duration,
    /// Also retry calls that create something (default false).
    pub retry_create: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(10),
            retry_create: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call makes exactly one attempt.
    ///
    /// ```rust
    /// assert_eq!(clerk_backend_api::RetryPolicy::none().max_attempts, 1);
    /// ```
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    ///
    /// ```rust
    /// assert_eq!(clerk_backend_api::RetryPolicy::default().with_max_attempts(4).max_attempts, 4);
    /// ```
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let p = clerk_backend_api::RetryPolicy::default().with_initial_backoff(Duration::from_millis(5));
    /// assert_eq!(p.initial_backoff, Duration::from_millis(5));
    /// ```
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let p = clerk_backend_api::RetryPolicy::default().with_max_backoff(Duration::from_secs(1));
    /// assert_eq!(p.max_backoff, Duration::from_secs(1));
    /// ```
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets [`max_elapsed`](Self::max_elapsed).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let p = clerk_backend_api::RetryPolicy::default().with_max_elapsed(Duration::from_secs(3));
    /// assert_eq!(p.max_elapsed, Duration::from_secs(3));
    /// ```
    pub fn with_max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// let p = clerk_backend_api::RetryPolicy::default().with_max_retry_after(Duration::from_secs(2));
    /// assert_eq!(p.max_retry_after, Duration::from_secs(2));
    /// ```
    pub fn with_max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Sets [`retry_create`](Self::retry_create).
    ///
    /// ```rust
    /// assert!(clerk_backend_api::RetryPolicy::default().with_retry_create(true).retry_create);
    /// ```
    pub fn with_retry_create(mut self, yes: bool) -> Self {
        self.retry_create = yes;
        self
    }

    /// The backoff cap before retry `retry` (1-based): `initial * 2^(retry-1)`, at most
    /// `max_backoff`.
    pub(crate) fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry`: full jitter below the cap, or the server's `Retry-After`
    /// (capped by `max_retry_after`).
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let cap = self.backoff_cap(retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::random_range(0..=nanos))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_cap(1), Duration::from_millis(100));
        assert_eq!(p.backoff_cap(2), Duration::from_millis(200));
        assert_eq!(p.backoff_cap(5), Duration::from_millis(1600));
        assert_eq!(p.backoff_cap(6), Duration::from_secs(2));
        assert_eq!(p.backoff_cap(400), Duration::from_secs(2));
        for retry in 1..10 {
            for _ in 0..50 {
                assert!(p.delay(retry, None) <= p.backoff_cap(retry));
            }
        }
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let p = RetryPolicy::default();
        let delays: std::collections::HashSet<_> = (0..20).map(|_| p.delay(3, None)).collect();
        assert!(delays.len() > 1, "full jitter must vary");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::default().with_max_retry_after(Duration::from_secs(3));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(3)
        );
        let zero = RetryPolicy::default().with_initial_backoff(Duration::ZERO);
        assert_eq!(zero.delay(1, None), Duration::ZERO);
    }
}
