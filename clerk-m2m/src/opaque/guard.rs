//! The concurrency cap: at most `max_concurrent` verify calls outstanding, at most `max_queued`
//! waiting for a slot; past that a call is refused at once instead of waiting without bound.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// A tokio semaphore plus a counted, bounded wait queue, and an in-flight gauge with its peak.
#[derive(Debug)]
pub(crate) struct Cap {
    permits: Semaphore,
    max_queued: usize,
    queued: AtomicUsize,
    in_flight: AtomicU64,
    peak: AtomicU64,
}

/// A held slot: releases the permit and lowers the gauge when dropped (also on cancellation).
pub(crate) struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
    in_flight: &'a AtomicU64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Decrements the queue length when the waiter leaves the queue, however it leaves.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Cap {
    pub(crate) fn new(max_concurrent: usize, max_queued: usize) -> Self {
        Self {
            permits: Semaphore::new(max_concurrent.clamp(1, Semaphore::MAX_PERMITS)),
            max_queued,
            queued: AtomicUsize::new(0),
            in_flight: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        }
    }

    /// A slot, waiting in the queue when every slot is taken; `None` when the queue is full too.
    pub(crate) async fn acquire(&self) -> Option<Slot<'_>> {
        let permit = match self.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if self.queued.fetch_add(1, Ordering::Relaxed) >= self.max_queued {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    return None;
                }
                let _queued = Queued(&self.queued);
                // The semaphore is never closed, so this only fails in theory.
                self.permits.acquire().await.ok()?
            }
        };
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        Some(Slot {
            _permit: permit,
            in_flight: &self.in_flight,
        })
    }

    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub(crate) fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_slots_and_bounds_the_queue() {
        let cap = Cap::new(2, 1);
        let a = cap.acquire().await.unwrap();
        let _b = cap.acquire().await.unwrap();
        assert_eq!(cap.in_flight(), 2);
        // One may wait; it gets a slot when one is freed.
        let waiter = cap.acquire();
        tokio::pin!(waiter);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut waiter)
                .await
                .is_err()
        );
        assert_eq!(cap.queued(), 1);
        // The queue is full: refused at once.
        assert!(cap.acquire().await.is_none());
        drop(a);
        let c = waiter.await.unwrap();
        assert_eq!((cap.queued(), cap.in_flight(), cap.peak()), (0, 2, 2));
        drop(c);
        assert_eq!(cap.in_flight(), 1);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_the_queue() {
        let cap = Cap::new(1, 1);
        let _a = cap.acquire().await.unwrap();
        let _ = tokio::time::timeout(std::time::Duration::from_millis(5), cap.acquire()).await;
        assert_eq!(cap.queued(), 0);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(5), cap.acquire())
                .await
                .is_err(),
            "queued again, not refused"
        );
    }
}
