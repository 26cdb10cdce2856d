//! Retry overhead: ours (`mastery_interview::retry_backoff`) vs the `backon`
//! crate.
//!
//! - `retry-no-failure` / `retry-no-failure-async`: the operation succeeds at
//!   once, so this is the price of the wrapper on the path taken almost
//!   always; `baseline/*` is the bare call.
//! - `retry-3-failures-no-sleep`: three failures then success, with a sleeper
//!   that returns at once, so the figure is the bookkeeping of three retries
//!   (delay computation, jitter draws, RNG seeding) without any waiting.
//!
//! Run: `cargo bench -p mastery-interview --bench retry_backoff`.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ExponentialBuilder, Retryable};
use criterion::{Criterion, criterion_group, criterion_main};
use mastery_interview::retry_backoff::{Backoff, BlockingTimer, Jitter, Retry, retry, retry_async};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transient;

fn succeed() -> Result<u64, Transient> {
    Ok(black_box(7))
}

/// Real clock, sleeps that return at once: retries without waiting.
struct NoSleep;

impl BlockingTimer for NoSleep {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, _: Duration) {}
}

fn no_failure_sync(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry-no-failure");
    let policy = Backoff::default();
    let with_deadline = policy
        .to_builder()
        .max_elapsed(Duration::from_secs(5))
        .build()
        .expect("a valid policy");
    group.bench_function("baseline/direct-call", |b| b.iter(succeed));
    group.bench_function("ours/retry", |b| {
        b.iter(|| retry(black_box(&policy), succeed))
    });
    group.bench_function("ours/retry-max-elapsed", |b| {
        b.iter(|| retry(black_box(&with_deadline), succeed))
    });
    group.bench_function("peer/backon", |b| {
        b.iter(|| {
            succeed
                .retry(black_box(ExponentialBuilder::default()))
                .call()
        })
    });
    group.finish();
}

/// Times `iters` awaits of `call()`. One `block_on` per sample, not per
/// iteration: the loop runs inside the runtime so that entering it is not
/// what gets measured.
fn time_awaits<T, Fut: Future<Output = T>>(
    rt: &tokio::runtime::Runtime,
    iters: u64,
    mut call: impl FnMut() -> Fut,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(call().await);
        }
        start.elapsed()
    })
}

fn no_failure_async(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let policy = Backoff::default();
    let op = || async { succeed() };
    let mut group = c.benchmark_group("retry-no-failure-async");
    group.bench_function("baseline/direct-await", |b| {
        b.iter_custom(|iters| time_awaits(&rt, iters, op))
    });
    group.bench_function("ours/retry_async", |b| {
        b.iter_custom(|iters| time_awaits(&rt, iters, || retry_async(black_box(&policy), op)))
    });
    group.bench_function("peer/backon", |b| {
        b.iter_custom(|iters| {
            time_awaits(&rt, iters, || {
                op.retry(black_box(ExponentialBuilder::default()))
            })
        })
    });
    group.finish();
}

fn three_failures(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry-3-failures-no-sleep");
    let flaky = || {
        let mut left = 3;
        move || {
            if left == 0 {
                return Ok(black_box(7u64));
            }
            left -= 1;
            Err(Transient)
        }
    };
    let plain = Backoff::builder()
        .jitter(Jitter::None)
        .build()
        .expect("a valid policy");
    let full = plain
        .to_builder()
        .jitter(Jitter::Full)
        .build()
        .expect("a valid policy");
    group.bench_function("ours/no-jitter", |b| {
        b.iter(|| Retry::new(black_box(plain)).timer(NoSleep).call(flaky()))
    });
    group.bench_function("peer/backon-no-jitter", |b| {
        b.iter(|| {
            flaky()
                .retry(black_box(ExponentialBuilder::default()))
                .sleep(|_| {})
                .call()
        })
    });
    group.bench_function("ours/full-jitter", |b| {
        b.iter(|| Retry::new(black_box(full)).timer(NoSleep).call(flaky()))
    });
    group.bench_function("peer/backon-jitter", |b| {
        b.iter(|| {
            flaky()
                .retry(black_box(ExponentialBuilder::default().with_jitter()))
                .sleep(|_| {})
                .call()
        })
    });
    group.finish();
}

criterion_group!(benches, no_failure_sync, no_failure_async, three_failures);
criterion_main!(benches);
