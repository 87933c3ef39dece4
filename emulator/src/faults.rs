//! Per-endpoint fault injection and request counters, switchable while the server runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Every operation the emulator serves; the unit of fault injection and counting.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `GET /v1/jwks`
    Jwks,
    /// `POST /m2m_tokens` (and `/v1/m2m_tokens`)
    CreateM2MToken,
    /// `GET /m2m_tokens`
    ListM2MTokens,
    /// `POST /m2m_tokens/{id}/revoke`
    RevokeM2MToken,
    /// `POST /m2m_tokens/verify`
    VerifyM2MToken,
    /// `GET /v1/machines`
    ListMachines,
    /// `POST /v1/machines`
    CreateMachine,
    /// `GET /v1/machines/{id}`
    GetMachine,
    /// `PATCH /v1/machines/{id}`
    UpdateMachine,
    /// `DELETE /v1/machines/{id}`
    DeleteMachine,
    /// `GET /v1/machines/{id}/secret_key`
    GetMachineSecretKey,
    /// `POST /v1/machines/{id}/secret_key/rotate`
    RotateMachineSecretKey,
    /// `POST /v1/machines/{id}/scopes`
    CreateMachineScope,
    /// `DELETE /v1/machines/{id}/scopes/{other_id}`
    DeleteMachineScope,
    /// `POST /api_keys/verify`
    VerifyApiKey,
    /// `POST /oauth_applications/access_tokens/verify`
    VerifyOAuthToken,
    /// Any path the emulator does not serve (answered 404).
    Unknown,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Self; 17] = [
        Self::Jwks,
        Self::CreateM2MToken,
        Self::ListM2MTokens,
        Self::RevokeM2MToken,
        Self::VerifyM2MToken,
        Self::ListMachines,
        Self::CreateMachine,
        Self::GetMachine,
        Self::UpdateMachine,
        Self::DeleteMachine,
        Self::GetMachineSecretKey,
        Self::RotateMachineSecretKey,
        Self::CreateMachineScope,
        Self::DeleteMachineScope,
        Self::VerifyApiKey,
        Self::VerifyOAuthToken,
        Self::Unknown,
    ];

    const fn index(self) -> usize {
        self as usize
    }
}

/// What a faulty endpoint does instead of (or before) answering normally.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum FaultKind {
    /// Answer normally (after any added latency).
    #[default]
    None,
    /// Answer with this HTTP status and a Clerk error body (`internal_clerk_error`).
    Status(u16),
    /// Answer 429 `too_many_requests` with `Retry-After: <seconds>`.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Never answer (until the emulator shuts down); for client timeout tests.
    Hang,
}

/// A fault for one endpoint: optional latency, then a [`FaultKind`], applied to a fraction of
/// requests and optionally only to the next `n` of them.
///
/// ```rust
/// use clerk_bapi_emulator::Fault;
/// use std::time::Duration;
///
/// let fault = Fault::status(503).at_rate(0.5).times(3).with_latency(Duration::from_millis(20));
/// assert_eq!(fault.remaining(), Some(3));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    latency: Option<Duration>,
    kind: FaultKind,
    rate: f64,
    remaining: Option<u64>,
}

impl Default for Fault {
    fn default() -> Self {
        Self {
            latency: None,
            kind: FaultKind::None,
            rate: 1.0,
            remaining: None,
        }
    }
}

impl Fault {
    /// Only added latency; the request is then answered normally.
    pub fn latency(d: Duration) -> Self {
        Self {
            latency: Some(d),
            ..Self::default()
        }
    }

    /// Answer with `status` (e.g. 500, 503) and a Clerk error body; a code outside 100..=999
    /// becomes 500.
    pub fn status(status: u16) -> Self {
        Self {
            kind: FaultKind::Status(status),
            ..Self::default()
        }
    }

    /// Answer 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            kind: FaultKind::RateLimited { retry_after_secs },
            ..Self::default()
        }
    }

    /// Never answer (the connection stays open until the emulator shuts down).
    pub fn hang() -> Self {
        Self {
            kind: FaultKind::Hang,
            ..Self::default()
        }
    }

    /// Add latency before the fault (or the normal answer).
    #[must_use]
    pub fn with_latency(mut self, d: Duration) -> Self {
        self.latency = Some(d);
        self
    }

    /// Apply to this fraction of requests (clamped to 0..=1; NaN counts as 0). Default 1.
    #[must_use]
    pub fn at_rate(mut self, rate: f64) -> Self {
        self.rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// Apply only to the next `n` requests it hits, then switch itself off.
    #[must_use]
    pub fn times(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        self
    }

    /// How many more requests this fault will hit, if limited.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// The kind of fault.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }
}

/// What the server does for one request, decided by [`Faults::take`].
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub(crate) latency: Option<Duration>,
    pub(crate) kind: FaultKind,
}

/// The run-time switchboard of faults; a cheap clone of the emulator's.
///
/// Get the emulator's with [`EmulatorHandle::faults`](crate::EmulatorHandle::faults); a
/// default-constructed one is detached from any server.
///
/// ```rust
/// use clerk_bapi_emulator::{Endpoint, Fault, Faults};
/// let faults = Faults::default(); // in a test: emu.faults()
/// faults.set(Endpoint::Jwks, Fault::status(500).times(1));
/// assert!(faults.get(Endpoint::Jwks).is_some());
/// faults.clear_all();
/// assert!(faults.get(Endpoint::Jwks).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Mutex<BTreeMap<Endpoint, Fault>>>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Endpoint, Fault>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Install `fault` on `endpoint`, replacing any previous one.
    pub fn set(&self, endpoint: Endpoint, fault: Fault) {
        self.lock().insert(endpoint, fault);
    }

    /// Install `fault` on every endpoint.
    pub fn set_all(&self, fault: &Fault) {
        let mut map = self.lock();
        for ep in Endpoint::ALL {
            map.insert(ep, fault.clone());
        }
    }

    /// The fault currently installed on `endpoint`.
    pub fn get(&self, endpoint: Endpoint) -> Option<Fault> {
        self.lock().get(&endpoint).cloned()
    }

    /// Remove the fault from `endpoint`.
    pub fn clear(&self, endpoint: Endpoint) {
        self.lock().remove(&endpoint);
    }

    /// Remove every fault.
    pub fn clear_all(&self) {
        self.lock().clear();
    }

    /// Decide what to do with one request to `endpoint`, consuming one use of a limited fault.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Decision {
        let mut map = self.lock();
        let Some(fault) = map.get_mut(&endpoint) else {
            return Decision::default();
        };
        if fault.rate < 1.0 && rand::random::<f64>() >= fault.rate {
            return Decision::default();
        }
        let decision = Decision {
            latency: fault.latency,
            kind: fault.kind.clone(),
        };
        if let Some(n) = fault.remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&endpoint);
            }
        }
        decision
    }
}

/// Request counters per endpoint (every request that reached the endpoint, faulted ones
/// included), plus how many of them were answered with a non-2xx status.
///
/// Get the emulator's with [`EmulatorHandle::counters`](crate::EmulatorHandle::counters).
///
/// ```rust
/// use clerk_bapi_emulator::{Counters, Endpoint};
/// let counters = Counters::default(); // in a test: emu.counters()
/// assert_eq!(counters.get(Endpoint::Jwks), 0);
/// assert_eq!(counters.total(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Counters {
    inner: Arc<CounterCells>,
}

#[derive(Debug, Default)]
struct CounterCells {
    requests: [AtomicU64; Endpoint::ALL.len()],
    failures: [AtomicU64; Endpoint::ALL.len()],
}

impl Counters {
    pub(crate) fn record_request(&self, endpoint: Endpoint) {
        self.inner.requests[endpoint.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_failure(&self, endpoint: Endpoint) {
        self.inner.failures[endpoint.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests that reached `endpoint` since the start (or the last [`Counters::reset`]).
    pub fn get(&self, endpoint: Endpoint) -> u64 {
        self.inner.requests[endpoint.index()].load(Ordering::Relaxed)
    }

    /// Requests to `endpoint` that were answered with a status outside 2xx.
    pub fn failures(&self, endpoint: Endpoint) -> u64 {
        self.inner.failures[endpoint.index()].load(Ordering::Relaxed)
    }

    /// Requests over all endpoints.
    pub fn total(&self) -> u64 {
        Endpoint::ALL.iter().map(|e| self.get(*e)).sum()
    }

    /// Every endpoint with a non-zero request count.
    pub fn snapshot(&self) -> BTreeMap<Endpoint, u64> {
        Endpoint::ALL
            .iter()
            .map(|e| (*e, self.get(*e)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Set every counter back to zero.
    pub fn reset(&self) {
        for cell in self.inner.requests.iter().chain(self.inner.failures.iter()) {
            cell.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn limited_fault_switches_itself_off() {
        let faults = Faults::default();
        faults.set(Endpoint::Jwks, Fault::status(503).times(2));
        assert_eq!(faults.take(Endpoint::Jwks).kind, FaultKind::Status(503));
        assert_eq!(faults.get(Endpoint::Jwks).unwrap().remaining(), Some(1));
        assert_eq!(faults.take(Endpoint::Jwks).kind, FaultKind::Status(503));
        assert_eq!(faults.take(Endpoint::Jwks).kind, FaultKind::None);
        assert!(faults.get(Endpoint::Jwks).is_none());
        assert_eq!(faults.take(Endpoint::VerifyM2MToken).kind, FaultKind::None);
    }

    #[test]
    fn rate_zero_never_hits_and_rate_is_clamped() {
        let faults = Faults::default();
        faults.set(Endpoint::Jwks, Fault::hang().at_rate(0.0));
        for _ in 0..100 {
            assert_eq!(faults.take(Endpoint::Jwks).kind, FaultKind::None);
        }
        assert_eq!(Fault::hang().at_rate(7.0).rate, 1.0);
        assert_eq!(Fault::hang().at_rate(f64::NAN).rate, 0.0);
    }

    #[test]
    fn partial_rate_hits_some_but_not_all() {
        let faults = Faults::default();
        faults.set(Endpoint::Jwks, Fault::status(500).at_rate(0.5));
        let hits = (0..1000)
            .filter(|_| faults.take(Endpoint::Jwks).kind != FaultKind::None)
            .count();
        assert!((300..700).contains(&hits), "{hits}");
    }

    #[test]
    fn set_all_and_clear() {
        let faults = Faults::default();
        faults.set_all(&Fault::latency(Duration::from_millis(5)));
        assert_eq!(
            faults.take(Endpoint::GetMachine).latency,
            Some(Duration::from_millis(5))
        );
        faults.clear(Endpoint::GetMachine);
        assert!(faults.get(Endpoint::GetMachine).is_none());
        assert!(faults.get(Endpoint::Jwks).is_some());
    }

    #[test]
    fn counters_count_and_reset() {
        let c = Counters::default();
        c.record_request(Endpoint::Jwks);
        c.record_request(Endpoint::Jwks);
        c.record_request(Endpoint::Unknown);
        c.record_failure(Endpoint::Jwks);
        assert_eq!(c.get(Endpoint::Jwks), 2);
        assert_eq!(c.failures(Endpoint::Jwks), 1);
        assert_eq!(c.total(), 3);
        assert_eq!(c.snapshot().len(), 2);
        c.reset();
        assert_eq!(c.total(), 0);
        assert_eq!(c.failures(Endpoint::Jwks), 0);
    }
}
