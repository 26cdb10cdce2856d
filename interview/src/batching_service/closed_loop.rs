//! The load of the demo and the bench: clients that each send a request,
//! wait for its answer, and send the next — and what that run measured.

use std::time::Duration;

use tokio::task::JoinSet;

use super::batcher::Batcher;
use super::config::BatchConfig;
use super::simulated_backend::{Served, simulated_answer};
use super::stats::BatchStats;

/// What one closed-loop load run measured. Latencies run from `submit` to
/// its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// Requests sent.
    pub requests: usize,
    /// Requests that failed or got a wrong answer.
    pub failures: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// 99th percentile of the handler call each request was served by.
    pub p99_handler_call: Duration,
    /// 99th percentile of latency minus the request's own handler call: the
    /// time spent queued, collected and dispatched — what batching adds.
    pub p99_before_call: Duration,
    /// What the batcher did during the run.
    pub stats: BatchStats,
}

impl LoadReport {
    /// Requests answered per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// Runs `clients` concurrent clients, each sending `requests_per_client`
/// requests one after another (the next when the previous is answered),
/// and measures throughput and latency.
pub async fn closed_loop(
    batcher: &Batcher<u64, Served>,
    clients: usize,
    requests_per_client: usize,
) -> LoadReport {
    let before = batcher.stats();
    let started = std::time::Instant::now();
    let mut tasks = JoinSet::new();
    for client in 0..clients {
        let batcher = batcher.clone();
        tasks.spawn(async move {
            // (latency, handler call) per answered request, and failures.
            let mut timings = Vec::with_capacity(requests_per_client);
            let mut failures = 0;
            for i in 0..requests_per_client {
                let x = (client * requests_per_client + i) as u64;
                let sent = std::time::Instant::now();
                match batcher.submit(x).await {
                    Ok(served) if served.value == simulated_answer(x) => {
                        timings.push((sent.elapsed(), served.handler_call));
                    }
                    _ => failures += 1,
                }
            }
            (timings, failures)
        });
    }
    let mut timings = Vec::with_capacity(clients * requests_per_client);
    let mut failures = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((client_timings, client_failures)) => {
                timings.extend(client_timings);
                failures += client_failures;
            }
            Err(_) => failures += requests_per_client,
        }
    }
    let elapsed = started.elapsed();
    let sorted = |f: fn(&(Duration, Duration)) -> Duration| {
        let mut values: Vec<Duration> = timings.iter().map(f).collect();
        values.sort_unstable();
        values
    };
    let latencies = sorted(|&(latency, _)| latency);
    let calls = sorted(|&(_, call)| call);
    let before_call = sorted(|&(latency, call)| latency.saturating_sub(call));
    LoadReport {
        requests: clients * requests_per_client,
        failures,
        elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        p99_handler_call: percentile(&calls, 99.0),
        p99_before_call: percentile(&before_call, 99.0),
        stats: batcher.stats().since(&before),
    }
}

/// Nearest-rank percentile of sorted values (zero for none).
pub(super) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Concurrent clients of the throughput demo and bench.
pub const CLIENTS: usize = 64;

/// The configurations the demo and the bench compare, in order: the
/// unbatched peer (`max_batch` 1, one handler call per request), then batch
/// 8, 64 and 256, each with a `max_wait` of 1 and 5 ms; room for 1024
/// queued requests throughout.
pub fn compared_configs() -> Vec<BatchConfig> {
    let unbatched = BatchConfig {
        max_batch: 1,
        max_wait: Duration::ZERO,
        queue_capacity: 1024,
    };
    let batched = [8, 64, 256].into_iter().flat_map(|max_batch| {
        [1, 5].map(|wait_ms| BatchConfig {
            max_batch,
            max_wait: Duration::from_millis(wait_ms),
            queue_capacity: 1024,
        })
    });
    std::iter::once(unbatched).chain(batched).collect()
}
