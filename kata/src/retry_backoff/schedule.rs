//! The schedule's tests: exact delays without jitter, bounds and means with
//! it, and the property test that holds the whole loop to the lesson's
//! `retry_simple`.

use std::time::Duration;

use mastery_interview::retry_backoff::retry_simple;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use super::{
    Backoff, Delays, Jitter, RetryError, RetryKata, Run, StopReason, describe, expect_run, ms,
    policy, replay, run,
};
use crate::failure::KataFailure;

/// A run where every call fails under `policy`, as the kit expects it.
fn exhausted(policy: &Backoff, sleeps: Vec<Duration>) -> Run {
    let attempts = policy.max_attempts();
    Run {
        calls: attempts,
        sleeps,
        result: Err(RetryError {
            attempts,
            reason: StopReason::Exhausted,
            last: attempts,
        }),
    }
}

/// Without jitter the delays are `base · factor^n`, capped: doubling,
/// tripling, a fractional factor and a factor of 1, each until every call
/// failed.
pub fn delays_grow_by_the_factor_up_to_the_cap<T: RetryKata>() -> Result<(), KataFailure> {
    let us = Duration::from_micros;
    let cases = [
        (
            policy(ms(100), 2.0, ms(1000), Jitter::None, 7),
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)],
        ),
        (
            policy(ms(100), 3.0, ms(1000), Jitter::None, 6),
            vec![ms(100), ms(300), ms(900), ms(1000), ms(1000)],
        ),
        (
            policy(ms(10), 1.5, ms(1000), Jitter::None, 5),
            vec![ms(10), ms(15), us(22_500), us(33_750)],
        ),
        (
            policy(ms(250), 1.0, ms(250), Jitter::None, 4),
            vec![ms(250); 3],
        ),
    ];
    for (policy, sleeps) in cases {
        let want = exhausted(&policy, sleeps);
        expect_run::<T>(
            "delays_grow_by_the_factor_up_to_the_cap",
            &policy,
            None,
            &want,
            "base · factor^n, never above max_delay, within 1 µs",
        )?;
    }
    Ok(())
}

/// 64 attempts of a delay multiplied by 10 each time: `10^63` seconds
/// overflows any integer and any `Duration`, so the cap must apply before
/// it is reached. Every delay is at most the cap and the last ones are it.
pub fn long_schedules_do_not_overflow<T: RetryKata>() -> Result<(), KataFailure> {
    let test = "long_schedules_do_not_overflow";
    let hour = Duration::from_secs(3600);
    let policy = policy(Duration::from_secs(1), 10.0, hour, Jitter::None, 64);
    let expected = "63 delays: 1s, 10s, 100s, 1000s, then 3600s (the cap) 59 times".to_owned();
    let got = match std::panic::catch_unwind(|| run::<T>(&policy, 7, None)) {
        Ok(got) => got,
        Err(payload) => {
            return Err(KataFailure {
                test,
                expected,
                got: format!(
                    "a panic: {} (grow the delay only while it is below the cap)",
                    mastery_kit::panics::panic_message(&*payload)
                ),
                replay: replay(&policy, 7, None),
            });
        }
    };
    let mut sleeps = vec![ms(1000), ms(10_000), ms(100_000), ms(1_000_000)];
    sleeps.resize(63, hour);
    let want = exhausted(&policy, sleeps);
    if super::close_runs(&got, &want) {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected,
        got: describe(&got),
        replay: replay(&policy, 7, None),
    })
}

/// The delays a jittered policy asks for over seeds `0..SEEDS`, each run
/// failing every call: `[seed][retry]`.
fn sleeps_over_seeds<T: RetryKata>(policy: &Backoff) -> Vec<Vec<Duration>> {
    (0..SEEDS)
        .map(|seed| run::<T>(policy, seed, None).sleeps)
        .collect()
}

/// Seeds each jitter test draws over.
const SEEDS: u64 = 1000;

/// Checks every delay against its bounds `bounds(retry, previous delay)`,
/// then the mean of `delay / exp` at each retry against `mean`.
fn judge_jitter<T: RetryKata>(
    test: &'static str,
    policy: &Backoff,
    exps: &[Duration],
    bounds: impl Fn(Duration, Duration) -> (Duration, Duration),
    mean: (f64, f64),
    rule: &str,
) -> Result<(), KataFailure> {
    let runs = sleeps_over_seeds::<T>(policy);
    for (seed, sleeps) in (0..).zip(&runs) {
        let fail = |got: String| KataFailure {
            test,
            expected: format!("{} delays, each {rule}", exps.len()),
            got,
            replay: replay(policy, seed, None),
        };
        if sleeps.len() != exps.len() {
            return Err(fail(format!("{} delays: {}", sleeps.len(), Delays(sleeps))));
        }
        let mut prev = policy.base_delay();
        for (i, (&d, &exp)) in sleeps.iter().zip(exps).enumerate() {
            let (lo, hi) = bounds(exp, prev);
            if d + Duration::from_micros(1) < lo || d > hi + Duration::from_micros(1) {
                return Err(fail(format!(
                    "delay {} is {d:?}, outside {lo:?}..={hi:?}: {}",
                    i + 1,
                    Delays(sleeps)
                )));
            }
            prev = d;
        }
    }
    for (i, &exp) in exps.iter().enumerate() {
        let ratio = runs
            .iter()
            .map(|s| s[i].as_secs_f64() / exp.as_secs_f64())
            .sum::<f64>()
            / SEEDS as f64;
        if !(mean.0..=mean.1).contains(&ratio) {
            return Err(KataFailure {
                test,
                expected: format!(
                    "over seeds 0..{SEEDS}, delay {} averages {:.2}–{:.2} × {exp:?} ({rule}, drawn from the rng you are given)",
                    i + 1,
                    mean.0,
                    mean.1
                ),
                got: format!("{ratio:.3} × {exp:?}"),
                replay: replay(policy, 0, None),
            });
        }
    }
    Ok(())
}

/// Full jitter: each delay is drawn from `0..=exp`, so over many seeds it
/// averages half of `exp` — and every draw comes from the `rng` argument,
/// so a seed reproduces the schedule.
pub fn full_jitter_draws_between_zero_and_the_delay<T: RetryKata>() -> Result<(), KataFailure> {
    let test = "full_jitter_draws_between_zero_and_the_delay";
    let policy = policy(ms(100), 2.0, ms(10_000), Jitter::Full, 4);
    reproducible::<T>(test, &policy)?;
    judge_jitter::<T>(
        test,
        &policy,
        &[ms(100), ms(200), ms(400)],
        |exp, _| (Duration::ZERO, exp),
        (0.45, 0.55),
        "a uniform draw from 0..=base · factor^n",
    )
}

/// Equal jitter: half of `exp` for sure, plus a draw from the other half:
/// between `exp / 2` and `exp`, three quarters of it on average.
pub fn equal_jitter_keeps_at_least_half<T: RetryKata>() -> Result<(), KataFailure> {
    let test = "equal_jitter_keeps_at_least_half";
    let policy = policy(ms(100), 2.0, ms(10_000), Jitter::Equal, 4);
    reproducible::<T>(test, &policy)?;
    judge_jitter::<T>(
        test,
        &policy,
        &[ms(100), ms(200), ms(400)],
        |exp, _| (exp / 2, exp),
        (0.70, 0.80),
        "exp / 2 plus a uniform draw from 0..=exp / 2",
    )
}

/// Decorrelated jitter (AWS): `min(cap, random(base, previous · 3))`, the
/// first "previous" being the base — it ignores the factor. Its first delay
/// is uniform on `base..=3 · base`: twice the base on average.
pub fn decorrelated_jitter_stays_between_base_and_three_times_the_last<T: RetryKata>()
-> Result<(), KataFailure> {
    let test = "decorrelated_jitter_stays_between_base_and_three_times_the_last";
    let cap = ms(1000);
    let policy = policy(ms(100), 2.0, cap, Jitter::Decorrelated, 6);
    reproducible::<T>(test, &policy)?;
    let runs = sleeps_over_seeds::<T>(&policy);
    judge_jitter::<T>(
        test,
        &policy,
        // Only the first delay's mean is known in closed form; the others
        // are judged on their bounds (a mean range wide enough to hold any).
        &[ms(100); 5],
        |_, prev| (ms(100), (prev * 3).min(cap)),
        (1.0, 10.0),
        "min(max_delay, a uniform draw from base..=previous · 3)",
    )?;
    let first = runs.iter().map(|s| s[0].as_secs_f64()).sum::<f64>() / SEEDS as f64 / 0.1;
    if (1.9..=2.1).contains(&first) {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected: format!(
            "over seeds 0..{SEEDS}, the first delay averages 1.9–2.1 × 100ms (uniform on 100ms..=300ms)"
        ),
        got: format!("{first:.3} × 100ms"),
        replay: replay(&policy, 0, None),
    })
}

/// The same seed twice gives the same delays: the jitter comes from the
/// `rng` argument, not from a generator of the implementation's own.
fn reproducible<T: RetryKata>(test: &'static str, policy: &Backoff) -> Result<(), KataFailure> {
    let (a, b) = (run::<T>(policy, 42, None), run::<T>(policy, 42, None));
    if a.sleeps == b.sleeps {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected: "the same delays for the same seed: draw the jitter from `rng`".into(),
        got: format!("{} then {}", Delays(&a.sleeps), Delays(&b.sleeps)),
        replay: replay(policy, 42, None),
    })
}

/// The lesson's `retry_simple` as a [`RetryKata`]: the reference.
struct Reference;

impl RetryKata for Reference {
    fn retry<O, E>(
        policy: &Backoff,
        rng: impl rand::RngCore,
        sleep: impl FnMut(Duration),
        op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, RetryError<E>> {
        retry_simple(policy, rng, sleep, op)
    }
}

/// Any un-jittered policy (base, factor 1, 1.5, 2 or 3, cap, 1–8
/// attempts) and any number of failures before a success (or none): the
/// same calls, delays and answer as the lesson's `retry_simple`; the shrunk
/// failing case is the replay.
pub fn behaves_like_retry_simple<T: RetryKata>() -> Result<(), KataFailure> {
    let test = "behaves_like_retry_simple";
    // A first call outside the runner: an unfinished `todo!()` fails here
    // with its own message, not after many shrinking panics.
    run::<T>(&policy(ms(1), 1.0, ms(1), Jitter::None, 2), 7, Some(1));
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (
        1u64..500,
        0usize..4,
        0u64..3000,
        1u32..9,
        proptest::option::of(0u32..10),
    );
    let case = |(base, factor, extra, attempts, failures): (u64, usize, u64, u32, Option<u32>)| {
        let factor = [1.0, 1.5, 2.0, 3.0][factor];
        (
            policy(ms(base), factor, ms(base + extra), Jitter::None, attempts),
            failures,
        )
    };
    let compare = |policy: &Backoff, failures: Option<u32>| -> Result<(), KataFailure> {
        let (got, want) = (
            run::<T>(policy, 7, failures),
            run::<Reference>(policy, 7, failures),
        );
        if super::close_runs(&got, &want) {
            return Ok(());
        }
        Err(KataFailure {
            test,
            expected: format!("{} (the lesson's retry_simple)", describe(&want)),
            got: describe(&got),
            replay: replay(policy, 7, failures),
        })
    };
    let result = runner.run(&strategy, |input| {
        let (policy, failures) = case(input);
        compare(&policy, failures).map_err(|f| TestCaseError::fail(f.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, input)) => {
            let (policy, failures) = case(input);
            match std::panic::catch_unwind(|| compare(&policy, failures)) {
                Ok(Err(failure)) => Err(failure),
                // Passing on the rerun: the failure was a panic.
                _ => Err(KataFailure {
                    test,
                    expected:
                        "the same calls, delays and answer as retry_simple, without panicking"
                            .into(),
                    got: reason.to_string(),
                    replay: replay(&policy, 7, failures),
                }),
            }
        }
        Err(TestError::Abort(reason)) => Err(KataFailure {
            test,
            expected: "the property test to run".into(),
            got: format!("proptest aborted: {reason}"),
            replay: Vec::new(),
        }),
    }
}
