//! The simulator's time travel: one clock shared by everything the local mode runs (queue,
//! stores, worker, webhook, simulator), moved forward on a tester's request so the 24-hour
//! window, a handoff lapse or a reminder can be tried without waiting for it.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use prolink_app::ports::Clock;

/// `base` plus an offset that only a tester moves. With offset 0 it is `base` exactly.
pub struct OffsetClock {
    base: Arc<dyn Clock>,
    offset_ms: AtomicI64,
}

impl std::fmt::Debug for OffsetClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetClock")
            .field("offset_ms", &self.offset_ms())
            .finish_non_exhaustive()
    }
}

impl OffsetClock {
    pub fn new(base: Arc<dyn Clock>) -> Self {
        OffsetClock {
            base,
            offset_ms: AtomicI64::new(0),
        }
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Restores an offset (e.g. the one stored before a restart).
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    /// Moves the clock by `delta_ms` and returns the new offset. Saturates instead of
    /// overflowing, so an absurd request cannot wrap time around.
    pub fn advance_ms(&self, delta_ms: i64) -> i64 {
        let mut current = self.offset_ms();
        loop {
            let next = current.saturating_add(delta_ms);
            match self
                .offset_ms
                .compare_exchange(current, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(actual) => current = actual,
            }
        }
    }

    /// The time of the clock underneath, without the offset.
    pub fn base_now_ms(&self) -> i64 {
        self.base.now_ms()
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        self.base.now_ms().saturating_add(self.offset_ms())
    }
}
