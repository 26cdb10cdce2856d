//! The topic's unit, property and differential tests: deterministic through
//! seeded RNGs, [`ManualClock`] and paused tokio time.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::policy::nanos;
use super::*;

/// A failure worth retrying, or one that will not get better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum TestError {
    #[error("connection reset (transient)")]
    Transient,
    #[error("404 not found (fatal)")]
    Fatal,
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn no_jitter(base: u64, cap: u64, attempts: u32) -> Backoff {
    Backoff::builder()
        .base_delay(ms(base))
        .max_delay(ms(cap))
        .jitter(Jitter::None)
        .max_attempts(attempts)
        .build()
        .expect("valid test policy")
}

/// A policy from the values a property test draws (valid by construction:
/// `factor >= 1`, `base <= cap`, `attempts >= 1`).
fn policy_of(base: Duration, cap: Duration, factor: f64, jitter: Jitter, attempts: u32) -> Backoff {
    Backoff::builder()
        .base_delay(base)
        .max_delay(cap)
        .factor(factor)
        .jitter(jitter)
        .max_attempts(attempts)
        .build()
        .expect("the strategies draw only valid values")
}

fn schedule(policy: &Backoff, seed: u64) -> Vec<Duration> {
    policy.delays(SmallRng::seed_from_u64(seed)).collect()
}

#[test]
fn bad_policies_are_errors_not_panics() {
    let cases: [(BackoffBuilder, PolicyError); 6] = [
        (
            Backoff::builder().factor(0.5),
            PolicyError::FactorBelowOne { factor: 0.5 },
        ),
        (
            Backoff::builder().factor(f64::INFINITY),
            PolicyError::FactorBelowOne {
                factor: f64::INFINITY,
            },
        ),
        (
            Backoff::builder().factor(-2.0),
            PolicyError::FactorBelowOne { factor: -2.0 },
        ),
        (
            Backoff::builder().base_delay(ms(20)).max_delay(ms(10)),
            PolicyError::BaseAboveCap {
                base: ms(20),
                max_delay: ms(10),
            },
        ),
        (
            Backoff::builder().max_attempts(0),
            PolicyError::ZeroAttempts,
        ),
        (
            Backoff::builder().max_delay(ms(1)),
            PolicyError::BaseAboveCap {
                base: ms(100),
                max_delay: ms(1),
            },
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(builder.build(), Err(expected));
    }
    assert!(matches!(
        Backoff::builder().factor(f64::NAN).build(),
        Err(PolicyError::FactorBelowOne { factor }) if factor.is_nan()
    ));
    assert!(
        PolicyError::ZeroAttempts
            .to_string()
            .contains("use 1 for no retries")
    );
    assert!(
        PolicyError::BaseAboveCap {
            base: ms(20),
            max_delay: ms(10)
        }
        .to_string()
        .contains("20ms")
    );
}

#[test]
fn default_policy_is_valid_and_builder_round_trips() {
    let default = Backoff::default();
    assert_eq!(default.to_builder().build(), Ok(default));
    assert_eq!(Backoff::builder().build(), Ok(default));
    let p = Backoff::builder()
        .base_delay(ms(5))
        .factor(1.5)
        .max_delay(ms(50))
        .jitter(Jitter::Equal)
        .max_attempts(7)
        .max_elapsed(ms(300))
        .build()
        .expect("valid");
    assert_eq!(
        (
            p.base_delay(),
            p.factor(),
            p.max_delay(),
            p.jitter(),
            p.max_attempts(),
            p.max_elapsed()
        ),
        (ms(5), 1.5, ms(50), Jitter::Equal, 7, Some(ms(300)))
    );
    assert_eq!(
        p.to_builder()
            .max_elapsed(None)
            .build()
            .map(|p| p.max_elapsed()),
        Ok(None)
    );
}

#[test]
fn delays_grow_by_the_factor_and_cap() {
    let cases: [(Backoff, &[u64]); 4] = [
        (
            no_jitter(100, 1_000, 7),
            &[100, 200, 400, 800, 1_000, 1_000],
        ),
        (no_jitter(10, 10, 4), &[10, 10, 10]),
        (no_jitter(100, 1_000, 1), &[]),
        (
            no_jitter(100, 10_000, 5)
                .to_builder()
                .factor(1.5)
                .build()
                .expect("valid"),
            &[100, 150, 225, 337],
        ),
    ];
    for (policy, expected) in cases {
        let got: Vec<u128> = schedule(&policy, 0).iter().map(|d| d.as_millis()).collect();
        let expected: Vec<u128> = expected.iter().map(|&v| u128::from(v)).collect();
        assert_eq!(got, expected, "{policy:?}");
        assert_eq!(
            policy.delays(SmallRng::seed_from_u64(0)).len(),
            expected.len()
        );
    }
}

#[test]
fn extreme_policies_saturate_at_the_cap_without_panicking() {
    let huge = Backoff::builder()
        .base_delay(Duration::from_nanos(1))
        .factor(1e300)
        .max_delay(Duration::MAX)
        .jitter(Jitter::None)
        .max_attempts(u32::MAX)
        .build()
        .expect("valid");
    let first: Vec<Duration> = huge.delays(SmallRng::seed_from_u64(0)).take(4).collect();
    let saturated = Duration::from_nanos(u64::MAX);
    assert_eq!(
        first,
        [Duration::from_nanos(1), saturated, saturated, saturated]
    );
    assert_eq!(
        huge.delays(SmallRng::seed_from_u64(0)).len(),
        u32::MAX as usize - 1
    );
    for jitter in Jitter::ALL {
        let p = huge.to_builder().jitter(jitter).build().expect("valid");
        assert!(
            p.delays(SmallRng::seed_from_u64(1))
                .take(200)
                .all(|d| d <= saturated)
        );
    }
    let zero = Backoff::builder()
        .base_delay(Duration::ZERO)
        .max_attempts(5)
        .build()
        .expect("valid");
    for jitter in Jitter::ALL {
        let p = zero.to_builder().jitter(jitter).build().expect("valid");
        assert_eq!(schedule(&p, 3), [Duration::ZERO; 4], "{jitter}");
    }
}

#[test]
fn a_seed_reproduces_a_jittered_schedule_and_jitter_spreads() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        let p = no_jitter(100, 10_000, 10)
            .to_builder()
            .jitter(jitter)
            .build()
            .expect("valid");
        assert_eq!(schedule(&p, 11), schedule(&p, 11), "{jitter}");
        assert_ne!(schedule(&p, 11), schedule(&p, 12), "{jitter}");
    }
    // Full jitter on a 1 s delay: 1000 seeded draws cover nearly [0, 1 s].
    let p = no_jitter(1_000, 1_000, 2)
        .to_builder()
        .jitter(Jitter::Full)
        .build()
        .expect("valid");
    let mut rng = SmallRng::seed_from_u64(5);
    let draws: Vec<Duration> = (0..1_000)
        .filter_map(|_| p.delays(&mut rng).next())
        .collect();
    assert!(draws.iter().min() < Some(&ms(20)));
    assert!(draws.iter().max() > Some(&ms(980)));
}

#[test]
fn the_default_rng_gives_different_clients_different_schedules() {
    let p = Backoff::default();
    let a: Vec<Duration> = p.delays(LazyRng::default()).collect();
    let b: Vec<Duration> = p.delays(LazyRng::default()).collect();
    assert_ne!(
        a, b,
        "two unseeded clients drew the same 4 full-jitter delays"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn jitter_stays_within_its_bounds(
        base in 0u64..2_000_000_000,
        extra in 0u64..50_000_000_000,
        factor in 1.0f64..5.0,
        attempts in 1u32..40,
        seed in any::<u64>(),
    ) {
        let cap = base + extra;
        let plain = policy_of(Duration::from_nanos(base), Duration::from_nanos(cap), factor, Jitter::None, attempts);
        let exps: Vec<u64> = plain.delays(SmallRng::seed_from_u64(seed)).map(nanos).collect();
        prop_assert_eq!(exps.len(), attempts as usize - 1);
        prop_assert!(exps.windows(2).all(|w| w[0] <= w[1]), "grows: {:?}", exps);
        prop_assert!(exps.iter().all(|&e| base <= e && e <= cap));
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = plain.to_builder().jitter(jitter).build().expect("valid");
            let got: Vec<u64> = p.delays(SmallRng::seed_from_u64(seed)).map(nanos).collect();
            prop_assert_eq!(got.len(), exps.len());
            let mut prev = base;
            for (&d, &exp) in got.iter().zip(&exps) {
                prop_assert!(d <= cap);
                match jitter {
                    Jitter::Full => prop_assert!(d <= exp, "full {} > {}", d, exp),
                    Jitter::Equal => prop_assert!(exp / 2 <= d && d <= exp, "equal {} vs {}", d, exp),
                    _ => {
                        prop_assert!(base <= d && d <= prev.saturating_mul(3), "decorrelated {} prev {}", d, prev);
                        prev = d;
                    }
                }
            }
        }
    }

    /// The readable loop in `mod.rs` and the production one agree: same
    /// result (calls made, attempts, stop reason, last error) and the same
    /// sleeps, for any policy without a deadline and any seed.
    #[test]
    fn retry_simple_agrees_with_retry_call(
        base_ms in 0u64..1_000,
        extra_ms in 0u64..10_000,
        factor in 1.0f64..4.0,
        jitter in prop::sample::select(Jitter::ALL.to_vec()),
        attempts in 1u32..12,
        failures in 0u32..15,
        seed in any::<u64>(),
    ) {
        let policy = policy_of(ms(base_ms), ms(base_ms + extra_ms), factor, jitter, attempts);
        let mut simple_slept = Vec::new();
        let simple = retry_simple(
            &policy,
            SmallRng::seed_from_u64(seed),
            |delay| simple_slept.push(delay),
            flaky(failures),
        );
        let mut planned = Vec::new();
        let clock = ManualClock::new();
        let production = Retry::new(policy)
            .seed(seed)
            .timer(clock.clone())
            .notify(|ev: &RetryEvent<'_, TestError>| planned.push(ev.delay))
            .call(flaky(failures));
        prop_assert_eq!(simple, production);
        prop_assert_eq!(clock.elapsed(), simple_slept.iter().sum::<Duration>());
        prop_assert_eq!(simple_slept, planned);
    }
}

/// An operation failing `fails` times with `Transient`, then succeeding.
fn flaky(fails: u32) -> impl FnMut() -> Result<u32, TestError> {
    let mut calls = 0;
    move || {
        calls += 1;
        if calls <= fails {
            Err(TestError::Transient)
        } else {
            Ok(calls)
        }
    }
}

#[test]
fn the_default_rng_differs_between_threads() {
    // `RandomState` keys come from the OS once per thread: a client on
    // another thread starts from other keys, not from the next increment.
    let p = Backoff::default();
    let here: Vec<Duration> = p.delays(LazyRng::default()).collect();
    let there = std::thread::spawn(move || p.delays(LazyRng::default()).collect::<Vec<_>>())
        .join()
        .expect("drawing delays does not panic");
    assert_ne!(
        here, there,
        "two threads drew the same 4 full-jitter delays"
    );
}

#[test]
fn decorrelated_jitter_piles_up_on_the_cap() {
    // min(cap, random(base, prev · 3)): once prev · 3 passes the cap, every
    // draw above the cap is clamped to the cap itself.
    let policy = no_jitter(10, 1_000, 2_001);
    let share_at_cap = |jitter: Jitter| {
        let p = policy.to_builder().jitter(jitter).build().expect("valid");
        let delays = schedule(&p, 21);
        let at_cap = delays.iter().filter(|d| **d == ms(1_000)).count();
        at_cap as f64 / delays.len() as f64
    };
    let decorrelated = share_at_cap(Jitter::Decorrelated);
    assert!(
        decorrelated > 0.3,
        "only {decorrelated} of the decorrelated delays sit on the cap"
    );
    // Full jitter draws from [0, cap]: it lands exactly on the cap about
    // never, so its clients stay spread however long they retry.
    assert_eq!(share_at_cap(Jitter::Full), 0.0);
}

#[test]
fn succeeds_after_failures_sleeping_the_planned_delays() {
    let policy = no_jitter(100, 10_000, 5)
        .to_builder()
        .jitter(Jitter::Full)
        .build()
        .expect("valid");
    let clock = ManualClock::new();
    let mut events = Vec::new();
    let result = Retry::new(policy)
        .seed(9)
        .timer(clock.clone())
        .notify(|ev: &RetryEvent<'_, TestError>| events.push((ev.attempt, *ev.error, ev.delay)))
        .call(flaky(3));
    assert_eq!(result, Ok(4));
    let expected: Vec<(u32, TestError, Duration)> = schedule(&policy, 9)
        .into_iter()
        .take(3)
        .zip(1..)
        .map(|(d, attempt)| (attempt, TestError::Transient, d))
        .collect();
    assert_eq!(events, expected);
    assert_eq!(
        clock.elapsed(),
        expected.iter().map(|e| e.2).sum::<Duration>()
    );
}

#[test]
fn exhausted_returns_the_last_error_and_the_attempt_count() {
    let clock = ManualClock::new();
    let mut calls = 0;
    let result: Result<(), RetryError<String>> = Retry::new(no_jitter(10, 1_000, 4))
        .timer(clock.clone())
        .call(|| {
            calls += 1;
            Err(format!("failure #{calls}"))
        });
    let error = result.expect_err("always fails");
    assert_eq!(error.attempts, 4);
    assert_eq!(error.reason, StopReason::Exhausted);
    assert_eq!(error.last, "failure #4");
    assert_eq!(
        clock.elapsed(),
        ms(10 + 20 + 40),
        "no sleep after the last attempt"
    );
    assert_eq!(
        error.to_string(),
        "gave up after 4 attempt(s): max attempts reached"
    );
}

#[test]
fn a_single_attempt_policy_never_sleeps() {
    let clock = ManualClock::new();
    let result = Retry::new(no_jitter(10, 10, 1))
        .timer(clock.clone())
        .call(flaky(1));
    assert_eq!(
        result.map_err(|e| (e.attempts, e.reason)),
        Err((1, StopReason::Exhausted))
    );
    assert_eq!(clock.elapsed(), Duration::ZERO);
}

#[test]
fn a_non_retryable_error_returns_at_once() {
    let clock = ManualClock::new();
    let mut calls = 0;
    let mut observed = 0;
    let result: Result<(), _> = Retry::new(no_jitter(10, 1_000, 10))
        .when(|e: &TestError| *e == TestError::Transient)
        .notify(|_: &RetryEvent<'_, TestError>| observed += 1)
        .timer(clock.clone())
        .call(|| {
            calls += 1;
            Err(if calls < 3 {
                TestError::Transient
            } else {
                TestError::Fatal
            })
        });
    let error = result.expect_err("fatal");
    assert_eq!(
        (error.attempts, error.reason, error.last),
        (3, StopReason::NotRetryable, TestError::Fatal)
    );
    assert_eq!((calls, observed), (3, 2));
    assert_eq!(clock.elapsed(), ms(10 + 20));

    let first: Result<(), _> = Retry::new(no_jitter(10, 1_000, 10))
        .when(|_: &TestError| false)
        .timer(clock.clone())
        .call(|| Err(TestError::Fatal));
    assert_eq!(first.map_err(|e| e.attempts), Err(1));
    assert_eq!(clock.elapsed(), ms(30), "no sleep at all");
}

#[test]
fn max_elapsed_is_respected_counting_time_inside_attempts() {
    let policy = no_jitter(100, 10_000, 100)
        .to_builder()
        .max_elapsed(ms(1_000))
        .build()
        .expect("valid");
    let clock = ManualClock::new();
    let mut starts = Vec::new();
    let result: Result<(), _> = Retry::new(policy).timer(clock.clone()).call(|| {
        starts.push(clock.elapsed());
        clock.advance(ms(30)); // each attempt takes 30 ms
        Err(TestError::Transient)
    });
    let error = result.expect_err("always fails");
    assert_eq!(error.reason, StopReason::Elapsed);
    // Attempts start at 0, 130, 360, 790; the next would start at 1620.
    assert_eq!(starts, [ms(0), ms(130), ms(360), ms(790)]);
    assert_eq!(error.attempts, 4);
    assert!(starts.iter().all(|s| *s <= ms(1_000)));
    assert_eq!(clock.elapsed(), ms(820), "gave up without sleeping in vain");
}

/// A timer that counts its clock reads and sleeps in no time.
struct CountingTimer<'a>(&'a std::cell::Cell<u32>);

impl BlockingTimer for CountingTimer<'_> {
    fn now(&self) -> Instant {
        self.0.set(self.0.get() + 1);
        Instant::now()
    }
    fn sleep(&mut self, _: Duration) {}
}

fn clock_reads(policy: Backoff, fails: u32) -> u32 {
    let reads = std::cell::Cell::new(0);
    let _ = Retry::new(policy)
        .timer(CountingTimer(&reads))
        .call(flaky(fails));
    reads.get()
}

#[test]
fn the_clock_is_read_only_when_there_is_a_budget() {
    let plain = no_jitter(1, 10, 5);
    let timed = plain
        .to_builder()
        .max_elapsed(ms(1_000))
        .build()
        .expect("valid");
    assert_eq!(clock_reads(plain, 0), 0);
    assert_eq!(clock_reads(plain, 3), 0);
    assert_eq!(clock_reads(timed, 0), 1, "once, before the first attempt");
    assert_eq!(clock_reads(timed, 3), 4, "and once per failure");
}

#[test]
fn retry_error_has_the_last_error_as_source() {
    let error = retry(&no_jitter(0, 0, 2), || Err::<(), _>(TestError::Fatal)).expect_err("fails");
    let source = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("404 not found (fatal)"));
    assert_eq!(error.into_last(), TestError::Fatal);
}

#[test]
fn retries_emit_tracing_events() {
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata};

    #[derive(Default, Clone)]
    struct Collect(Arc<Mutex<Vec<String>>>);
    struct Fields<'a>(&'a mut String);
    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.push_str(&format!("{}={value:?} ", field.name()));
        }
    }
    impl tracing::Subscriber for Collect {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = String::new();
            event.record(&mut Fields(&mut line));
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    let collect = Collect::default();
    tracing::subscriber::with_default(collect.clone(), || {
        // Other tests (the demo's retry ladder) hit the same callsites on
        // other threads, with no subscriber; a callsite registered there
        // while this subscriber was being installed can keep a cached
        // "never" interest. Recompute every callsite's interest now.
        tracing::callsite::rebuild_interest_cache();
        let _ = Retry::new(no_jitter(10, 100, 3))
            .timer(ManualClock::new())
            .call(|| Err::<(), _>(TestError::Transient));
    });
    let lines = collect
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].contains("attempt=1") && lines[0].contains("delay=10ms"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("attempt=2") && lines[1].contains("delay=20ms"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("attempts=3") && lines[2].contains("max attempts reached"),
        "{lines:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn async_retry_sleeps_the_planned_delays_on_paused_time() {
    let policy = no_jitter(100, 10_000, 5)
        .to_builder()
        .jitter(Jitter::Decorrelated)
        .build()
        .expect("valid");
    let start = tokio::time::Instant::now();
    let mut calls = 0;
    let result = Retry::new(policy)
        .seed(3)
        .call_async(|| {
            calls += 1;
            let n = calls;
            async move {
                if n <= 3 {
                    Err(TestError::Transient)
                } else {
                    Ok(n)
                }
            }
        })
        .await;
    assert_eq!(result, Ok(4));
    let planned: Duration = schedule(&policy, 3).into_iter().take(3).sum();
    // tokio's timer wheel rounds each sleep up to a whole millisecond.
    let slept = start.elapsed();
    assert!(
        planned <= slept && slept <= planned + ms(3),
        "{slept:?} vs {planned:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn async_max_elapsed_uses_tokio_time() {
    let policy = no_jitter(100, 10_000, 100)
        .to_builder()
        .max_elapsed(ms(1_000))
        .build()
        .expect("valid");
    let start = tokio::time::Instant::now();
    let result: Result<(), _> = retry_async(&policy, || async {
        tokio::time::sleep(ms(30)).await;
        Err(TestError::Transient)
    })
    .await;
    let error = result.expect_err("always fails");
    assert_eq!((error.attempts, error.reason), (4, StopReason::Elapsed));
    assert_eq!(start.elapsed(), ms(820));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_async_future_stops_retrying() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let looping = retry_async(&no_jitter(100, 10_000, 50), move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>(TestError::Transient) }
    });
    // Attempts at 0, 100, 300 ms; the timeout drops the loop at 250 ms.
    let outcome = tokio::time::timeout(ms(250), looping).await;
    assert!(outcome.is_err(), "timed out");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_secs(3_600)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no attempt after the drop");
}

#[tokio::test]
async fn async_futures_are_send_so_they_can_be_spawned() {
    let policy = no_jitter(0, 0, 3);
    let handle = tokio::spawn(async move {
        Retry::new(policy)
            .timer(ManualClock::new())
            .seed(1)
            .call_async(flaky_async())
            .await
    });
    assert_eq!(handle.await.ok(), Some(Ok(3)));
}

fn flaky_async() -> impl FnMut() -> std::future::Ready<Result<u32, TestError>> + Send {
    let mut op = flaky(2);
    move || std::future::ready(op())
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("interview/retry-backoff", demo::demo);
    assert!(n.comparison_with("hand-written loop").is_some());
    assert!(n.comparison_with("backon").is_some());
    assert!(
        n.measurements()
            .iter()
            .any(|m| m.label.contains("measured sleep"))
    );
    for path in ["no failure", "fails twice, then succeeds"] {
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.label.starts_with(&format!("retry, {path}: "))),
            "the ladder on the path `{path}` is recorded"
        );
    }
}

/// The retry ladder as the `retry-backoff` kata climbs it: a reader's loop
/// that succeeds by the third attempt is timed and placed on both paths;
/// one that gives up after the first failure is refused with a message.
#[test]
fn the_retry_ladder_places_a_right_reader_and_refuses_a_wrong_one() {
    use mastery_kit::ladder::Kind;
    use mastery_kit::{Mode, Narrator};

    let quick = || Narrator::silent("kata/retry-backoff", Mode::Quick);
    let right = ReaderRetry {
        name: "your retry".to_owned(),
        call: |policy: &Backoff, failures| {
            retry_simple(
                policy,
                SmallRng::seed_from_u64(7),
                |_| {},
                super::flaky(failures),
            )
            .ok()
        },
    };
    let climbed = climb_retry_ladder(&mut quick(), 100, Some(right)).expect("a right loop");
    assert_eq!(climbed.len(), 2, "both paths");
    for path in &climbed {
        let placement = path.placement.as_ref().expect("the reader was given");
        assert_eq!(placement.reader, "your retry");
        assert_eq!(placement.versus.len(), path.rungs.len() - 1);
        assert_eq!(path.rungs.last().map(|r| r.kind), Some(Kind::Reader));
    }

    // Gives up at the first error: the call that fails twice is lost.
    let impatient = ReaderRetry {
        name: "your retry".to_owned(),
        call: |_: &Backoff, failures| super::flaky(failures)().ok(),
    };
    let text = climb_retry_ladder(&mut quick(), 100, Some(impatient))
        .expect_err("a loop that does not retry")
        .to_string();
    assert!(
        text.contains("your retry gave up on a call that succeeds by its third attempt"),
        "{text}"
    );
}
