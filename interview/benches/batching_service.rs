//! The batcher against the unbatched baseline, on the demo's workload: 64
//! closed-loop clients and the simulated handler `SimulatedCost::DEMO` — a
//! fixed cost per call (a tokio sleep, rounded up to the timer's next
//! millisecond tick) plus a cost per item (a CPU spin).
//!
//! - `batching-64-clients/peer/unbatched` — `max_batch` 1: one handler call
//!   per request.
//! - `batching-64-clients/ours/batch-<max_batch>-wait-<ms>ms` — batch 8, 64
//!   and 256 with `max_wait` 1 ms and 5 ms.
//!
//! Criterion reports throughput (requests per second). Latency is not what
//! Criterion measures, so before the timed runs the bench prints one table of
//! p50/p99 per configuration, measured then, next to the p99 handler call,
//! the p99 time before a request's own call, and the budget
//! `max_wait + p99 handler call` of that run.
//!
//! Run: `cargo bench -p mastery-interview --bench batching_service`.

use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mastery_interview::batching_service::{
    BatchConfig, CLIENTS, SimulatedCost, closed_loop, compared_configs, simulated_batcher,
};
use mastery_kit::narrator::millis;
use tokio::runtime::Runtime;

/// Requests per client per timed iteration.
const ROUNDS: usize = 4;

/// The demo's configurations, named for Criterion.
fn configs() -> Vec<(String, BatchConfig)> {
    compared_configs()
        .into_iter()
        .map(|config| match config.max_batch {
            1 => ("peer/unbatched".to_owned(), config),
            max_batch => {
                let wait_ms = config.max_wait.as_millis();
                (format!("ours/batch-{max_batch}-wait-{wait_ms}ms"), config)
            }
        })
        .collect()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a Tokio runtime for the bench")
}

/// One latency pass per configuration, printed as a table.
fn latency_table(rt: &Runtime) {
    println!(
        "\n{:<30} {:>8} {:>7} {:>7} {:>9} {:>11} {:>9} {:>6}",
        "batching-64-clients",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99 call",
        "p99 before",
        "budget",
        "batch"
    );
    for (name, config) in configs() {
        let rounds = if config.max_batch == 1 { 8 } else { 32 };
        let report = rt.block_on(async {
            let batcher = simulated_batcher(config, SimulatedCost::DEMO).expect("valid config");
            let report = closed_loop(&batcher, CLIENTS, rounds).await;
            batcher.shutdown().await;
            report
        });
        assert_eq!(
            report.failures, 0,
            "{name}: every request answered correctly"
        );
        let budget = config.max_wait.saturating_add(report.p99_handler_call);
        println!(
            "{:<30} {:>8.0} {:>7.2} {:>7.2} {:>9.2} {:>11.2} {:>9.2} {:>6.1}",
            name,
            report.throughput(),
            millis(report.p50),
            millis(report.p99),
            millis(report.p99_handler_call),
            millis(report.p99_before_call),
            millis(budget),
            report.stats.mean_batch_size()
        );
    }
    println!(
        "(p99 before = p99 of latency minus the request's own handler call; \
         budget = max_wait + p99 handler call; batch = requests per handler call)\n"
    );
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    latency_table(&rt);
    let mut group = c.benchmark_group("batching-64-clients");
    group.throughput(Throughput::Elements((CLIENTS * ROUNDS) as u64));
    group.sample_size(10);
    for (name, config) in configs() {
        group.bench_function(BenchmarkId::from_parameter(&name), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let batcher =
                        simulated_batcher(config, SimulatedCost::DEMO).expect("valid config");
                    let started = Instant::now();
                    for _ in 0..iters {
                        let report = closed_loop(&batcher, CLIENTS, ROUNDS).await;
                        assert_eq!(report.failures, 0, "every request answered correctly");
                    }
                    let elapsed = started.elapsed();
                    batcher.shutdown().await;
                    elapsed
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
