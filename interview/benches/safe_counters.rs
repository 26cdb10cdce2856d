//! Adds per second for every counter backend at 1, 2 and 4 threads, through
//! the same harness the demo and the tests use ([`hammer`]: each thread adds
//! 1, `ADDS` times; threads take their handles before the clock starts).
//!
//! - `counters/<backend>/<threads>` — in memory: `ours/sharded` and
//!   `peer/atomic-fetch-add` at 2 threads are the headline pair (what
//!   sharding saves over one contended `AtomicU64::fetch_add`);
//!   `broken/racy` is there to show the bug is not even fast under
//!   contention.
//! - `redis/<mode>/<threads>` — `INCR` per add, a pipeline of 100 `INCRBY`,
//!   and one `INCRBY` per 100 adds, against a `redis-server` spawned on a free
//!   loopback port (skipped with a note when the binary is not installed).
//!
//! Throughput is elements = total adds, so criterion prints adds/s. After
//! each benchmark with 2 to (cores) threads a line says for how much of a
//! run all threads were adding at once: contention (and what sharding saves)
//! exists only then, so on a busy machine where the threads take turns, one
//! atomic and the sharded counter tie.
//!
//! Run: `cargo bench -p mastery-interview --bench safe_counters`.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
};
use mastery_interview::safe_counters::{
    AtomicCounter, BATCH, BatchedCounter, Counter, MutexCounter, RacyCounter, RedisCounter,
    RedisMode, RedisServer, RwLockCounter, ShardedCounter, THREAD_COUNTS, hammer, unique_key,
};

/// Adds per thread per iteration, in memory: milliseconds of work, so that
/// the threads of a multi-thread run really overlap (a thread woken on
/// another core can take a good part of a millisecond to start; shorter runs
/// measured one thread after the other on a shared two-core VM).
const ADDS: u64 = 1_000_000;
/// Adds per thread per iteration, Redis one round trip each.
const REDIS_ADDS: u64 = 500;
/// Adds per thread per iteration, Redis pipelined or batched.
const REDIS_FAST_ADDS: u64 = 20_000;

/// Benchmarks `counter` at `threads` threads × `adds` through [`hammer`],
/// then (for no more threads than cores) prints how much of a run every
/// thread was adding at once — a contention figure means something only when
/// that share is high (on a busy two-core machine the threads may simply
/// take turns). A backend that
/// miscounts (other than the broken one) aborts the bench rather than
/// reporting a fast wrong answer.
fn bench_counter<C: Counter>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    counter: &C,
    threads: usize,
    adds: u64,
) {
    let exact = !name.starts_with("broken/");
    let overlaps = RefCell::new(Vec::new());
    group.throughput(Throughput::Elements(threads as u64 * adds));
    group.bench_function(BenchmarkId::new(name, threads), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let tally = hammer(counter, threads, adds).expect("the backend runs");
                    if exact {
                        assert_eq!(
                            tally.counted,
                            tally.expected,
                            "{} miscounted",
                            counter.name()
                        );
                    }
                    overlaps.borrow_mut().push(tally.overlap);
                    tally.elapsed
                })
                .sum::<Duration>()
        })
    });
    let mut overlaps = overlaps.into_inner();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if (2..=cores).contains(&threads) && !overlaps.is_empty() {
        overlaps.sort_by(f64::total_cmp);
        eprintln!(
            "{name}/{threads}: all {threads} threads adding at once for {:.0}% of a run (median of {})",
            100.0 * overlaps[overlaps.len() / 2],
            overlaps.len()
        );
    }
}

fn in_memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("counters");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    for threads in THREAD_COUNTS {
        let g = &mut group;
        bench_counter(g, "ours/mutex", &MutexCounter::new(), threads, ADDS);
        bench_counter(g, "ours/rwlock", &RwLockCounter::new(), threads, ADDS);
        bench_counter(
            g,
            "peer/atomic-fetch-add",
            &AtomicCounter::new(),
            threads,
            ADDS,
        );
        let seq_cst = AtomicCounter::with_ordering(Ordering::SeqCst);
        bench_counter(g, "ours/atomic-seqcst", &seq_cst, threads, ADDS);
        bench_counter(g, "ours/sharded", &ShardedCounter::new(), threads, ADDS);
        let batched = BatchedCounter::new(BATCH);
        bench_counter(g, "ours/local-batch-64", &batched, threads, ADDS);
        bench_counter(g, "broken/racy", &RacyCounter::new(), threads, ADDS);
    }
    group.finish();
}

fn redis(c: &mut Criterion) {
    let server = match RedisServer::spawn() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("redis benches skipped: {e} (apt-get install redis-server)");
            return;
        }
    };
    let counter =
        RedisCounter::connect(server.url(), unique_key("bench")).expect("spawned server answers");
    let mut group = c.benchmark_group("redis");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for (name, mode, adds) in [
        ("incr-per-add", RedisMode::PerAdd, REDIS_ADDS),
        ("pipeline-100", RedisMode::Pipelined(100), REDIS_FAST_ADDS),
        ("incrby-every-100", RedisMode::Batched(100), REDIS_FAST_ADDS),
    ] {
        let counter = counter.clone().with_mode(mode);
        for threads in THREAD_COUNTS {
            bench_counter(&mut group, name, &counter, threads, adds);
        }
    }
    group.finish();
    drop(server); // stops redis-server
}

criterion_group!(benches, in_memory, redis);
criterion_main!(benches);
