//! A simulated backend for the demo and `benches/batching_service.rs`: a
//! handler with a fixed cost per call and a cost per item.

use std::time::Duration;

use super::batcher::Batcher;
use super::config::BatchConfig;
use super::error::ConfigError;

/// A handler's cost: a fixed part per call and a part per item. See
/// "What it costs" in the [module docs](super).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedCost {
    /// Waited once per call with `tokio::time::sleep`: no CPU held, and
    /// the timer rounds the deadline up to its next millisecond tick, so
    /// the wait lasts longer than this — the demo times what it really is.
    pub per_call: Duration,
    /// Spun on the CPU once per item.
    pub per_item: Duration,
}

/// What the simulated handler answers: the value, and how long the handler
/// call that produced it took — like a `Server-Timing` header, it lets a
/// caller split its latency into "waiting to be handled" and "being
/// handled".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// [`simulated_answer`] of the request.
    pub value: u64,
    /// Duration of the handler call that served this request's batch.
    pub handler_call: Duration,
}

impl SimulatedCost {
    /// The demo's and the bench's cost: 1 ms per call, 10 µs per item.
    pub const DEMO: SimulatedCost = SimulatedCost {
        per_call: Duration::from_millis(1),
        per_item: Duration::from_micros(10),
    };

    /// The handler: pays the cost and answers each item.
    pub async fn call(self, items: Vec<u64>) -> Result<Vec<Result<Served, String>>, String> {
        let started = std::time::Instant::now();
        tokio::time::sleep(self.per_call).await;
        let spin = self
            .per_item
            .saturating_mul(u32::try_from(items.len()).unwrap_or(u32::MAX));
        spin_for(spin);
        let handler_call = started.elapsed();
        Ok(items
            .into_iter()
            .map(|x| {
                Ok(Served {
                    value: simulated_answer(x),
                    handler_call,
                })
            })
            .collect())
    }
}

/// What the simulated handler answers for `x` (callers check it).
pub fn simulated_answer(x: u64) -> u64 {
    x.wrapping_mul(2).wrapping_add(1)
}

/// Starts a batcher over the simulated handler.
///
/// # Errors
/// As [`Batcher::new`].
pub fn simulated_batcher(
    config: BatchConfig,
    cost: SimulatedCost,
) -> Result<Batcher<u64, Served>, ConfigError> {
    Batcher::new(config, move |items| cost.call(items))
}

fn spin_for(duration: Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}
