//! The `patterns/decorator-factories` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! four wrappers stacked on a flaky function, one retry + cache wrapper
//! three ways with its per-call overhead against the bare function, and a
//! thundering herd on a single-flight and on a plain cache.

use std::cell::Cell;
use std::collections::HashSet;
use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mastery_interview::retry_backoff::{Backoff, Jitter};
use mastery_kit::narrator::millis;
use mastery_kit::{Area, Comparison, Narrator, Topic, Unit, Verdict};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceBuilder;

use super::{
    CacheLayer, PlainCache, RetryCache, RetryLayer, SingleFlight, cached_ok, logged, ready_call,
    retry_cached, retrying, sync_service_fn, timed,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "patterns/decorator-factories",
        area: Area::Patterns,
        rank: 1,
        title: "Decorator factories: logging, timing, retry, caching",
        python: "@decorator(arg): @lru_cache(maxsize=N) over @retry(times=3), functools.wraps",
        rust: "higher-order functions returning impl FnMut; one retry + cache wrapper as a closure, a generic struct and tower layers on ServiceBuilder; a single-flight cache",
        path: "patterns/src/decorator_factories/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The demo's failure: a backend that did not answer this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("price service unavailable (transient): retry")]
pub(super) struct Unavailable;

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    demo_stacked(n)?;
    demo_three_ways(n)?;
    demo_herd(n)?;
    Ok(())
}

/// Four wrappers stacked on a flaky function, the log they write.
fn demo_stacked(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Four decorators stacked: logged(timed(cached_ok(retrying(flaky))))");
    n.say(
        "The function fails the first time it sees an odd SKU, then answers. Stacked like \
         @log / @timed / @lru_cache / @retry in Python: each wrapper is a function that takes \
         a function and returns a closure, so stacking is nesting calls. The retry is the \
         interview crate's loop (3 attempts, no jitter); the cache its LRU.",
    );
    let policy = Backoff::builder()
        .base_delay(Duration::from_micros(200))
        .jitter(Jitter::None)
        .max_attempts(3)
        .build()?;
    let attempts = Cell::new(0u64);
    let mut seen = HashSet::new();
    let flaky = |sku: u32| {
        attempts.set(attempts.get() + 1);
        if sku % 2 == 1 && seen.insert(sku) {
            return Err(Unavailable);
        }
        Ok(u64::from(sku) * 100 + 99)
    };
    let mut lines = Vec::new();
    let mut durations = Vec::new();
    let calls = [1u32, 2, 1, 3, 2, 1];
    {
        let mut price = logged(
            "price",
            |line| lines.push(line),
            timed(
                |d| durations.push(d),
                cached_ok(64, retrying(policy, flaky))?,
            ),
        );
        for sku in calls {
            price(sku).map_err(|e| anyhow::anyhow!("sku {sku}: {e}"))?;
        }
    }
    for (line, took) in lines.iter().zip(&durations) {
        n.show(format!("{line:<24} {:>9.1} µs", took.as_secs_f64() * 1e6));
    }
    let attempts = attempts.get();
    n.record_count(
        &format!("calls through the stack ({} SKUs asked)", calls.len()),
        calls.len(),
    );
    n.record_count("attempts that reached the function", attempts);
    // Three distinct SKUs, two of them odd: 3 first attempts + 2 retries.
    anyhow::ensure!(attempts == 5, "expected 5 attempts, made {attempts}");
    n.say(
        "The odd SKUs took two attempts each, a retry's sleep in their time; repeats were \
         answered by the cache without reaching the retry at all — the order of the stack is \
         the order of the nesting. Every type is checked through the stack: the closure \
         returns Result<u64, RetryError<Unavailable>>, so a caller sees that it retries.",
    );
    Ok(())
}

/// Rounds of the mixing step in [`price`]: enough work that a call is more
/// than a branch.
const PRICE_ROUNDS: u32 = 16;

/// The bare function the three ways wrap: a pure computation standing for a
/// lookup (no I/O, so its time is steady and the wrapper's shows).
fn price(sku: u64) -> Result<u64, Unavailable> {
    let mut x = sku;
    for _ in 0..black_box(PRICE_ROUNDS) {
        x = (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    Ok(x)
}

/// Sums `ops` results of `call` on the keys `key(i)`: the body every side
/// of a comparison shares.
fn sum_of<E>(
    ops: u64,
    mut key: impl FnMut(u64) -> u64,
    mut call: impl FnMut(u64) -> Result<u64, E>,
) -> u64 {
    (0..ops).fold(0u64, |sum, i| sum.wrapping_add(call(key(i)).unwrap_or(0)))
}

/// Which keys a timed sample asks for.
#[derive(Clone, Copy)]
enum Path {
    /// Every key new: the function runs on every call, behind the wrapper.
    Miss,
    /// Keys cycling through a set the cache holds: the function never runs.
    Hit,
}

/// Keys of the hit path; the cache holds them all.
const HOT_KEYS: u64 = 256;

/// Keys for [`Path`]: a fresh one per call, or one of [`HOT_KEYS`].
fn keys(path: Path) -> impl FnMut(u64) -> u64 {
    let mut next = 0u64;
    move |i| match path {
        Path::Miss => {
            next += 1;
            next
        }
        Path::Hit => i % HOT_KEYS,
    }
}

/// How a comparison against the bare function reads in prose.
fn against_bare(c: &Comparison) -> String {
    match c.verdict {
        Verdict::Better => format!("{:.2}× faster than the bare call", c.speedup),
        Verdict::Worse => format!("{:.2}× the bare call's time", 1.0 / c.speedup),
        Verdict::Tie { within } => format!(
            "no difference from the bare call this run can see (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => "too few samples for a verdict".to_owned(),
    }
}

/// The same retry + cache wrapper three ways, timed against the bare call.
fn demo_three_ways(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("One retry + cache decorator, three ways: what a call costs");
    let ops = n.mode().pick(2_000, 20_000);
    let capacity = n.mode().pick(256, 1_024);
    n.say(&format!(
        "The wrapper: an LRU of {capacity} successes around a retry of up to 5 attempts, \
         around a pure function of {PRICE_ROUNDS} mixing rounds. Way 1 is two closures \
         stacked (retry_cached), way 2 a generic struct (RetryCache), way 3 tower layers \
         stacked with ServiceBuilder and awaited on a current-thread runtime. Nothing fails \
         here: the retry is on its success path. Each side of a comparison makes {ops} calls \
         per sample; samples alternate with the bare function's."
    ));
    let policy = Backoff::default();
    check_three_ways_agree(policy)?;
    n.say("Checked first: the three ways return the same values for the same keys.");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let rt = &rt;
    for (path, what) in [
        (
            Path::Miss,
            "miss path: every key new, the function runs behind the wrapper",
        ),
        (
            Path::Hit,
            "hit path: every key cached, the function never runs",
        ),
    ] {
        let bare = move || sum_of(ops, keys(path), price);
        let mut closure = retry_cached(policy, capacity, price)?;
        let mut closure_keys = keys(path);
        let by_closure = n.compare_timed(
            &format!("{what}: closure"),
            ops,
            move || sum_of(ops, &mut closure_keys, &mut closure),
            "bare function",
            bare,
        );
        let mut by_struct = RetryCache::new(policy, capacity, price)?;
        let mut struct_keys = keys(path);
        let by_struct = n.compare_timed(
            &format!("{what}: generic struct"),
            ops,
            move || sum_of(ops, &mut struct_keys, |k| by_struct.call(k)),
            "bare function",
            bare,
        );
        // ANCHOR: tower_stack
        let mut service = ServiceBuilder::new()
            .layer(CacheLayer::new(capacity)?)
            .layer(RetryLayer::new(policy))
            .service(sync_service_fn(price));
        // ANCHOR_END: tower_stack
        let mut tower_keys = keys(path);
        let by_tower = n.compare_timed(
            &format!("{what}: tower layers"),
            ops,
            move || {
                rt.block_on(async {
                    let mut sum = 0u64;
                    for i in 0..ops {
                        let value = ready_call(&mut service, tower_keys(i)).await;
                        sum = sum.wrapping_add(value.unwrap_or(0));
                    }
                    sum
                })
            },
            "bare function",
            bare,
        );
        n.say(&format!(
            "On the {}: the closure is {}; the struct {}; the tower stack {}.",
            what.split(':').next().unwrap_or(what),
            against_bare(&by_closure),
            against_bare(&by_struct),
            against_bare(&by_tower),
        ));
    }
    n.say(
        "The closure and the struct do the same work per call — a lookup, and on a miss the \
         call and an insert; the struct also counts — and a name is only a compile-time \
         thing. The tower stack pays for being shareable and async: a mutex around its cache, \
         a poll through the future, and on a miss a boxed future and a clone of the inner \
         service per attempt. On the hit path the wrapper is compared with a function it no \
         longer calls: whether a cache pays depends on what a call costs.",
    );
    Ok(())
}

/// The three ways give the same values on the same keys (repeats
/// included), or the demo stops.
fn check_three_ways_agree(policy: Backoff) -> anyhow::Result<()> {
    let keys: Vec<u64> = (0..200).map(|i| (i * 7) % 50).collect();
    let bare: Vec<u64> = keys.iter().map(|&k| price(k)).collect::<Result<_, _>>()?;
    let mut closure = retry_cached(policy, 16, price)?;
    let mut by_struct = RetryCache::new(policy, 16, price)?;
    let mut service = ServiceBuilder::new()
        .layer(CacheLayer::new(16)?)
        .layer(RetryLayer::new(policy))
        .service(sync_service_fn(price));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    for (&key, &want) in keys.iter().zip(&bare) {
        let by_tower = rt.block_on(ready_call(&mut service, key))?;
        let got = [closure(key)?, by_struct.call(key)?, by_tower];
        anyhow::ensure!(
            got == [want; 3],
            "key {key}: closure, struct and tower returned {got:?}, the bare function {want}"
        );
    }
    Ok(())
}

/// A backend that serves at most `parallel` calls at a time, each taking
/// `latency`, and counts the calls it got.
struct Backend {
    permits: Semaphore,
    latency: Duration,
    calls: AtomicU64,
}

impl Backend {
    fn new(parallel: usize, latency: Duration) -> Self {
        Backend {
            permits: Semaphore::new(parallel),
            latency,
            calls: AtomicU64::new(0),
        }
    }

    async fn fetch(&self, key: u64) -> Result<u64, Unavailable> {
        let _permit = self.permits.acquire().await.map_err(|_| Unavailable)?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.latency).await;
        price(key)
    }
}

/// One herd: `callers` tasks ask `lookup()` at once; the time until all
/// have their answer.
async fn herd<F, Fut>(callers: usize, lookup: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<u64, Unavailable>> + Send + 'static,
{
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..callers {
        tasks.spawn(lookup());
    }
    let mut answers = HashSet::new();
    while let Some(answer) = tasks.join_next().await {
        answers.insert(answer??);
    }
    anyhow::ensure!(answers.len() == 1, "every caller gets the same value");
    Ok(start.elapsed())
}

/// The key every caller of the herd asks for.
const HOT_KEY: u64 = 42;

/// One herd on a cold single-flight cache: (time, backend calls).
async fn herd_single_flight(
    callers: usize,
    parallel: usize,
    latency: Duration,
) -> anyhow::Result<(Duration, u64)> {
    let cache = Arc::new(SingleFlight::new(16)?);
    let backend = Arc::new(Backend::new(parallel, latency));
    let time = herd(callers, || {
        let (cache, backend) = (Arc::clone(&cache), Arc::clone(&backend));
        async move {
            cache
                .get_or_try_compute(HOT_KEY, || backend.fetch(HOT_KEY))
                .await
        }
    })
    .await?;
    Ok((time, backend.calls.load(Ordering::Relaxed)))
}

/// One herd on a cold plain cache: (time, backend calls).
async fn herd_plain(
    callers: usize,
    parallel: usize,
    latency: Duration,
) -> anyhow::Result<(Duration, u64)> {
    let cache = Arc::new(PlainCache::new(16)?);
    let backend = Arc::new(Backend::new(parallel, latency));
    let time = herd(callers, || {
        let (cache, backend) = (Arc::clone(&cache), Arc::clone(&backend));
        async move {
            cache
                .get_or_try_compute(HOT_KEY, || backend.fetch(HOT_KEY))
                .await
        }
    })
    .await?;
    Ok((time, backend.calls.load(Ordering::Relaxed)))
}

/// Single-flight against a plain cache under a thundering herd.
fn demo_herd(n: &mut Narrator) -> anyhow::Result<()> {
    let callers = n.mode().pick(16, 64);
    let parallel = 4;
    let latency = Duration::from_millis(1);
    n.section("A thundering herd: single-flight vs a plain cache");
    n.say(&format!(
        "{callers} tasks ask for the same cold key at once, on a two-thread tokio runtime. The \
         backend serves {parallel} calls at a time and each takes a real {} ms sleep — a \
         database behind a small connection pool. The plain cache checks, computes, inserts \
         (functools.lru_cache under threads): every caller that misses before the first \
         answer lands calls the backend. Each round starts both caches cold; rounds alternate \
         which goes first.",
        latency.as_millis()
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let (mut flight_ms, mut plain_ms) = (Vec::new(), Vec::new());
    let (mut flight_calls, mut plain_calls) = (0, 0);
    for round in 0..n.samples() {
        let (flight, plain) = rt.block_on(async {
            if round % 2 == 0 {
                let flight = herd_single_flight(callers, parallel, latency).await?;
                let plain = herd_plain(callers, parallel, latency).await?;
                anyhow::Ok((flight, plain))
            } else {
                let plain = herd_plain(callers, parallel, latency).await?;
                let flight = herd_single_flight(callers, parallel, latency).await?;
                anyhow::Ok((flight, plain))
            }
        })?;
        anyhow::ensure!(
            flight.1 == 1,
            "round {round}: single-flight made {} backend calls for one key",
            flight.1
        );
        flight_ms.push(millis(flight.0));
        plain_ms.push(millis(plain.0));
        (flight_calls, plain_calls) = (flight.1, plain.1);
    }
    let calls = n.compare(
        &format!("backend calls for {callers} callers of one cold key (last round)"),
        flight_calls as f64,
        plain_calls as f64,
        "plain cache",
        Unit::Count,
    );
    let time = n.compare_samples(
        &format!("time until all {callers} callers have the value (ms)"),
        &flight_ms,
        &plain_ms,
        "plain cache",
        Unit::Millis,
    );
    let fewer = match calls.verdict {
        Verdict::Better => format!("one backend call where the plain cache made {plain_calls}"),
        _ => format!("as many backend calls as the plain cache ({plain_calls})"),
    };
    let sooner = match time.verdict {
        Verdict::Better => format!(
            "every caller had its answer {:.1}× sooner, because nobody queued behind the \
             pool",
            time.speedup
        ),
        Verdict::Worse => "yet the herd finished later than the plain cache's in this run — \
                           a result to look into, not a property of single-flight"
            .to_owned(),
        Verdict::Tie { within } => format!(
            "and no difference in time this run can see (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "times as above (too few rounds for a verdict)".to_owned()
        }
    };
    n.say(&format!(
        "Single-flight made {fewer}, and {sooner}. The waiters did no work: they awaited the \
         first caller's OnceCell. Python's answer is a lock per key or an asyncio Future \
         stored in the cache — the same idea, by hand."
    ));
    Ok(())
}
