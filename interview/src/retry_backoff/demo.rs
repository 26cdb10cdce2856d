//! The `interview/retry-backoff` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story: a
//! flaky operation under each jitter mode (planned and measured sleeps), the
//! spread of many draws per mode, what the wrapper costs when nothing fails
//! (against a hand-written loop and `backon`), and the three ways to give up.

use std::future::Future;
use std::time::{Duration, Instant};

use mastery_kit::narrator::millis;
use mastery_kit::{Area, Narrator, Topic, Unit};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{Backoff, BlockingTimer, Jitter, ManualClock, Retry, RetryEvent, retry, retry_async};

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/retry-backoff",
        area: Area::Interview,
        rank: 3,
        title: "Retry with exponential backoff (sync + async)",
        python: "tenacity / backoff: @retry(wait=wait_exponential(...), stop=stop_after_attempt(5))",
        rust: "Backoff policy (base, factor, cap, jitter modes, max attempts/elapsed) + retry / retry_async with an injectable clock and sleeper; vs backon",
        path: "interview/src/retry_backoff/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The demo's error: a transient failure worth retrying, or a fatal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum DemoError {
    #[error("connection reset (transient)")]
    Transient,
    #[error("404 not found (fatal)")]
    Fatal,
}

/// A real sleeper that also times every sleep it takes.
#[derive(Default)]
struct TimedSleeps {
    slept: Vec<Duration>,
}

impl BlockingTimer for TimedSleeps {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, delay: Duration) {
        let start = Instant::now();
        std::thread::sleep(delay);
        self.slept.push(start.elapsed());
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    demo_schedules(n)?;
    demo_spread(n)?;
    demo_no_failure(n)?;
    let ops = n.mode().pick_deep(10_000, 100_000, 500_000);
    super::ladder::climb_retry(n, ops)?;
    demo_give_up(n)?;
    Ok(())
}

/// A flaky operation under each jitter mode, planned vs measured sleeps.
fn demo_schedules(n: &mut Narrator) -> anyhow::Result<()> {
    // Real sleeps, because slept-vs-planned is the point; a 1 ms base keeps
    // the whole schedule short and still shows the oversleep.
    let deep_base_ms = 5;
    let base = Duration::from_millis(n.mode().pick_deep(1, 1, deep_base_ms));
    let failures: u32 = n.mode().pick(4, 5);
    n.section("A flaky operation under each jitter mode: planned vs slept");
    n.say(&format!(
        "The operation fails {failures} times, then succeeds. Policy: base {base:?} (`--deep`: \
         {deep_base_ms}ms), factor 2, cap {:?}, {} attempts; seed 7. `planned` is the delay the \
         policy chose (seen by the notify callback); `slept` is std::thread::sleep timed with \
         Instant around it — the OS always oversleeps a little.",
        base * 8,
        failures + 1
    ));
    let template = Backoff::builder()
        .base_delay(base)
        .factor(2.0)
        .max_delay(base * 8)
        .max_attempts(failures + 1)
        .build()?;
    for jitter in Jitter::ALL {
        let policy = template.to_builder().jitter(jitter).build()?;
        let mut planned = Vec::new();
        let mut sleeper = TimedSleeps::default();
        let mut left = failures;
        let result = Retry::new(policy)
            .seed(7)
            .timer(&mut sleeper)
            .notify(|ev: &RetryEvent<'_, DemoError>| planned.push(ev.delay))
            .call(|| {
                if left == 0 {
                    return Ok(());
                }
                left -= 1;
                Err(DemoError::Transient)
            });
        anyhow::ensure!(result.is_ok(), "{jitter}: gave up: {result:?}");
        let row = |ds: &[Duration]| {
            ds.iter()
                .map(|d| format!("{:>6.2}", millis(*d)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        n.show(format!(
            "{:<13} planned ms {}",
            jitter.name(),
            row(&planned)
        ));
        n.show(format!("{:<13} slept   ms {}", "", row(&sleeper.slept)));
        let planned_total: Duration = planned.iter().sum();
        let slept_total: Duration = sleeper.slept.iter().sum();
        n.record_duration(
            &format!("{jitter} jitter: total planned sleep"),
            planned_total,
        );
        n.record_duration(
            &format!("{jitter} jitter: total measured sleep"),
            slept_total,
        );
    }
    Ok(())
}

/// The spread of 10k jitter draws per mode.
fn demo_spread(n: &mut Narrator) -> anyhow::Result<()> {
    const DRAWS: usize = 10_000;
    const RETRY: usize = 4; // the 5th delay: exp = 100 ms · 2^4 = 1.6 s
    n.section("The spread of 10 000 draws of the 5th delay, per jitter mode");
    let template = Backoff::builder()
        .base_delay(Duration::from_millis(100))
        .factor(2.0)
        .max_delay(Duration::from_secs(10))
        .max_attempts(RETRY as u32 + 2)
        .build()?;
    n.say(
        "Base 100 ms, factor 2, cap 10 s: without jitter the 5th delay is 1.6 s. Each draw \
         plans a fresh schedule (decorrelated jitter depends on the delays before) and keeps \
         its 5th delay. Percentiles of the draws made now, in ms:",
    );
    n.show(format!(
        "{:<13} {:>8} {:>8} {:>8} {:>8}",
        "jitter", "min", "p50", "p99", "max"
    ));
    let mut rng = SmallRng::seed_from_u64(2024);
    for jitter in Jitter::ALL {
        let policy = template.to_builder().jitter(jitter).build()?;
        let mut draws: Vec<f64> = (0..DRAWS)
            .filter_map(|_| policy.delays(&mut rng).nth(RETRY).map(millis))
            .collect();
        anyhow::ensure!(draws.len() == DRAWS, "every schedule has a 5th delay");
        draws.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| draws[((draws.len() - 1) as f64 * q).round() as usize];
        n.show(format!(
            "{:<13} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            jitter.name(),
            at(0.0),
            at(0.5),
            at(0.99),
            at(1.0)
        ));
        n.record(
            &format!("{jitter} jitter: p50 of 5th delay"),
            at(0.5),
            Unit::Millis,
        );
        n.record(
            &format!("{jitter} jitter: p99 of 5th delay"),
            at(0.99),
            Unit::Millis,
        );
    }
    n.say(
        "Full jitter spreads over [0, 1.6 s]; equal over [0.8, 1.6 s]. Decorrelated jitter \
         draws from [100 ms, 3 × the previous delay], capped: it may grow up to ×3 per retry \
         instead of ×2, so by the 5th delay its tail reaches well past the others (compare \
         the p99 and max columns). Once 3 × the previous delay passes the cap, its draws \
         pile up on the cap itself.",
    );
    let deep_ops = 100_000;
    let ops = n.mode().pick_deep(2_000, 20_000, deep_ops);
    n.say(&format!(
        "Planning a schedule costs this much, timed over {ops} plans (`--deep`: {deep_ops}):"
    ));
    for jitter in [Jitter::None, Jitter::Full, Jitter::Decorrelated] {
        let policy = template.to_builder().jitter(jitter).build()?;
        n.measure(
            &format!("plan a 5-delay schedule, {jitter} jitter"),
            ops,
            || {
                let mut total = Duration::ZERO;
                for _ in 0..ops {
                    total += policy.delays(&mut rng).sum::<Duration>();
                }
                total
            },
        );
    }
    Ok(())
}

/// The loop an interview answer starts with: fixed attempts, doubling sleep,
/// no jitter, no deadline, no predicate. The demo's peer on the no-failure path.
fn hand_written_retry<O, E>(
    attempts: u32,
    base: Duration,
    mut op: impl FnMut() -> Result<O, E>,
) -> Result<O, E> {
    let mut delay = base;
    let mut attempt = 1;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= attempts => return Err(error),
            Err(_) => {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// [`hand_written_retry`], async.
async fn hand_written_retry_async<O, E, Fut: Future<Output = Result<O, E>>>(
    attempts: u32,
    base: Duration,
    mut op: impl FnMut() -> Fut,
) -> Result<O, E> {
    let mut delay = base;
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= attempts => return Err(error),
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// Calls `call` `ops` times and sums the values: the body every no-failure
/// timing shares, so the sides of a comparison differ only in `call`.
fn sum_of_calls<E>(ops: u64, mut call: impl FnMut() -> Result<u64, E>) -> u64 {
    (0..ops).fold(0u64, |sum, _| sum.wrapping_add(call().unwrap_or(0)))
}

/// [`sum_of_calls`] for futures: one `block_on` for all `ops` awaits, so
/// entering the runtime is not what gets timed.
fn sum_of_awaits<E, Fut: Future<Output = Result<u64, E>>>(
    rt: &tokio::runtime::Runtime,
    ops: u64,
    mut call: impl FnMut() -> Fut,
) -> u64 {
    // Boxed, so the loop's state sits at the same offset within a cache
    // line in every process: on block_on's stack, address randomisation
    // moves it in 16-byte steps, and both sides' per-await cost then moved
    // by a nanosecond from one process to the next, enough to turn the
    // verdict around between runs.
    rt.block_on(Box::pin(async {
        let mut sum = 0u64;
        for _ in 0..ops {
            sum = sum.wrapping_add(call().await.unwrap_or(0));
        }
        sum
    }))
}

/// What wrapping a call that succeeds costs.
fn demo_no_failure(n: &mut Narrator) -> anyhow::Result<()> {
    use backon::{BlockingRetryable, ExponentialBuilder, Retryable};
    use std::hint::black_box;
    n.section("The no-failure path: what the wrapper costs");
    let (deep_ops, deep_async_ops) = (2_000_000, 2_000_000);
    let ops = n.mode().pick_deep(20_000, 250_000, deep_ops);
    // An await costs several times a sync call: more of them per sample
    // keep a sample long enough that a preemption is rare in it.
    let async_ops = n.mode().pick_deep(20_000, 1_000_000, deep_async_ops);
    n.say(&format!(
        "An operation that succeeds at once, called directly, through retry, and through \
         the hand-written loop an interview answer starts with (fixed attempts, doubling \
         sleep, nothing else). With a max elapsed time, retry must read the clock before the \
         first attempt; without one it reads nothing. The peer is the backon crate with its \
         default exponential policy; `cargo bench --bench retry_backoff` has the same pairs. \
         A sample makes {ops} sync calls or {async_ops} awaits (`--deep`: {deep_ops} and \
         {deep_async_ops}).",
    ));
    let plain = Backoff::default();
    let deadline = plain
        .to_builder()
        .max_elapsed(Duration::from_secs(5))
        .build()?;
    let op = || Ok::<u64, DemoError>(black_box(7));
    n.measure("direct call, no wrapper", ops, || sum_of_calls(ops, op));
    let hand_written = || {
        sum_of_calls(ops, || {
            hand_written_retry(black_box(5), black_box(plain.base_delay()), op)
        })
    };
    let through = |policy: Backoff| move || sum_of_calls(ops, || retry(black_box(&policy), op));
    n.compare_timed(
        "sync, no failure: retry(op)",
        ops,
        through(plain),
        "hand-written loop",
        hand_written,
    );
    n.compare_timed(
        "sync, no failure, max_elapsed set: retry(op)",
        ops,
        through(deadline),
        "hand-written loop",
        hand_written,
    );
    n.compare_timed(
        "sync, no failure: retry(op) vs backon",
        ops,
        through(plain),
        "backon",
        || {
            sum_of_calls(ops, || {
                op.retry(black_box(ExponentialBuilder::default())).call()
            })
        },
    );

    let ops = async_ops;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let async_op = || async { Ok::<u64, DemoError>(black_box(7)) };
    n.measure("direct await, no wrapper", ops, || {
        sum_of_awaits(&rt, ops, async_op)
    });
    // Borrows only: `Copy`, so both comparisons time the same closure.
    let ours_async = || sum_of_awaits(&rt, ops, || retry_async(black_box(&plain), async_op));
    n.compare_timed(
        "async, no failure: retry_async(op).await",
        ops,
        ours_async,
        "hand-written loop",
        || {
            sum_of_awaits(&rt, ops, || {
                let base = black_box(plain.base_delay());
                hand_written_retry_async(black_box(5), base, async_op)
            })
        },
    );
    n.compare_timed(
        "async, no failure: retry_async(op).await vs backon",
        ops,
        ours_async,
        "backon",
        || {
            sum_of_awaits(&rt, ops, || {
                async_op.retry(black_box(ExponentialBuilder::default()))
            })
        },
    );
    Ok(())
}

/// The three ways to give up, on a manual clock.
fn demo_give_up(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Three ways to give up (on a ManualClock: no real waiting)");
    let policy = Backoff::builder()
        .base_delay(Duration::from_millis(100))
        .jitter(Jitter::None)
        .max_attempts(5)
        .build()?;
    let budget = policy
        .to_builder()
        .max_attempts(100)
        .max_elapsed(Duration::from_secs(1))
        .build()?;
    let cases: [(&str, Backoff, DemoError); 3] = [
        ("5 attempts, transient errors", policy, DemoError::Transient),
        ("1 s budget, transient errors", budget, DemoError::Transient),
        ("5 attempts, a fatal error", policy, DemoError::Fatal),
    ];
    for (label, policy, failure) in cases {
        let clock = ManualClock::new();
        let attempt_cost = Duration::from_millis(50);
        let result: Result<(), _> = Retry::new(policy)
            .when(|e: &DemoError| *e == DemoError::Transient)
            .timer(clock.clone())
            .call(|| {
                clock.advance(attempt_cost); // each attempt takes 50 ms
                Err(failure)
            });
        let Err(error) = result else {
            anyhow::bail!("{label}: an always-failing operation succeeded");
        };
        n.show(format!("{label}:"));
        n.show(format!(
            "  {error} — last: {} — clock {:?}",
            error.last,
            clock.elapsed()
        ));
    }
    n.say(
        "The budget counts time spent inside attempts too (50 ms each here), and the loop \
         stops before a sleep that would end past it rather than sleeping in vain.",
    );
    Ok(())
}
