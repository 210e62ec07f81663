//! The slowloris guard: a connection whose client takes longer than the limit to send a
//! request's head, counted from when the server began waiting for it, is closed. An idle
//! keep-alive connection is closed after the same time.
//!
//! hyper can do this itself, but it arms a boxed timer for every request head (an allocation
//! and two trips through the timer wheel: 1.0 k of the 16.5 k instructions the hello view cost,
//! by callgrind, bench/gaps.md).
//! This keeps one timer per connection, moved only when it fires; a request costs two stores.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Set while a request is being answered: then the server, not the client, is the slow one.
const SERVING: u64 = 1 << 63;

/// One connection's deadline for the next request head.
#[derive(Debug)]
pub(super) struct HeadDeadline {
    limit: Duration,
    origin: Instant,
    /// [`SERVING`], or the microseconds after `origin` at which the server began waiting for
    /// the next head.
    state: AtomicU64,
}

impl HeadDeadline {
    /// A connection opened now, waiting for its first head.
    pub(super) fn new(limit: Duration) -> Self {
        HeadDeadline {
            limit,
            origin: Instant::now(),
            state: AtomicU64::new(0),
        }
    }

    /// A head has arrived: the clock stops while its request is answered.
    pub(super) fn head_received(&self) {
        self.state.store(SERVING, Ordering::Relaxed);
    }

    /// The request was answered at `at`: the wait for the next head starts.
    pub(super) fn answered(&self, at: Instant) {
        let micros = at.saturating_duration_since(self.origin).as_micros();
        let micros = u64::try_from(micros)
            .unwrap_or(SERVING - 1)
            .min(SERVING - 1);
        self.state.store(micros, Ordering::Relaxed);
    }

    /// Completes once the client has taken longer than the limit to send a head.
    pub(super) async fn passed(&self) {
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state == SERVING {
                tokio::time::sleep(self.limit).await;
                continue;
            }
            let deadline = self.origin + Duration::from_micros(state) + self.limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn a_head_that_does_not_come_in_time_passes_the_deadline() {
        let deadline = HeadDeadline::new(LIMIT);
        deadline.passed().await;
        assert!(deadline.origin.elapsed() >= LIMIT);
    }

    #[tokio::test]
    async fn the_clock_stops_while_a_request_is_answered_and_restarts_after() {
        let deadline = HeadDeadline::new(LIMIT);
        deadline.head_received();
        let watch = deadline.passed();
        tokio::pin!(watch);
        // A view that takes more than three times the limit: the deadline does not pass.
        tokio::select! {
            () = &mut watch => panic!("the deadline passed while the server was answering"),
            () = tokio::time::sleep(LIMIT * 3 + LIMIT / 2) => {}
        }
        let answered = Instant::now();
        deadline.answered(answered);
        watch.await;
        assert!(answered.elapsed() >= LIMIT);
    }
}
