//! The retry ladder: the lesson's `retry_simple`, the production
//! [`Retry::call`] and the `backon` crate, on two paths — nothing fails,
//! and the operation fails twice before it succeeds — with sleepers that
//! return at once, so the ladder times the loops and not the delays.
//!
//! There is no Python rung: the Python idiom the lesson answers is
//! `tenacity` (not in the standard library), and a bare `for`/`try` loop in
//! CPython would time the interpreter's exception path rather than a retry
//! policy; the demo says so in one line.

use std::hint::black_box;
use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ExponentialBuilder};
use mastery_kit::ladder::{self, Climbed, Kind, Rung};
use mastery_kit::{Narrator, Unit};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{Backoff, BlockingTimer, Retry, retry_simple};

/// A timer whose sleeps return at once: the ladder times the loop.
struct NoSleep;

impl BlockingTimer for NoSleep {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, _delay: Duration) {}
}

/// An operation that fails `failures` times, then returns 7: what every
/// rung retries (a kata reader's rung too, so it gets the very same call).
pub fn flaky(failures: u32) -> impl FnMut() -> Result<u64, &'static str> {
    let mut left = failures;
    move || {
        if left == 0 {
            Ok(black_box(7))
        } else {
            left -= 1;
            Err("transient")
        }
    }
}

/// A rung that makes `ops` retried calls per sample and checks that every
/// one succeeded (the sum of their values).
fn rung<'a>(
    name: &str,
    kind: Kind,
    idea: &str,
    ops: u64,
    mut call: impl FnMut() -> Option<u64> + 'a,
) -> Rung<'a> {
    let name_owned = name.to_owned();
    Rung::new(name, kind, idea, move || {
        let start = Instant::now();
        let sum = (0..ops).try_fold(0u64, |sum, _| call().map(|v| sum.wrapping_add(v)));
        let ns = start.elapsed().as_secs_f64() * 1e9 / ops.max(1) as f64;
        anyhow::ensure!(
            black_box(sum) == Some(7 * ops),
            "{name_owned} gave up on a call that succeeds by its third attempt"
        );
        Ok(ns)
    })
}

/// A kata reader's retry as one more rung: its name, and a call that retries
/// [`flaky`]`(failures)` under the policy with a sleeper that returns at
/// once, answering `Some(7)` when the call succeeded. Generic, so the
/// reader's loop is compiled into the rung exactly as the kit's are.
#[derive(Debug)]
pub struct ReaderRetry<F> {
    /// What the ladder calls the rung, e.g. `your retry`.
    pub name: String,
    /// `call(&policy, failures)`.
    pub call: F,
}

/// Climbs the retry ladder on both paths, `ops` calls per sample.
pub(super) fn climb_retry(n: &mut Narrator, ops: u64) -> anyhow::Result<Vec<Climbed>> {
    climb_retry_ladder(
        n,
        ops,
        None::<ReaderRetry<fn(&Backoff, u32) -> Option<u64>>>,
    )
}

/// The retry ladder with a kata reader's retry placed on it when one is
/// given: every rung, the reader's too, must succeed on every call before
/// its time counts.
///
/// # Errors
/// A rung (the reader's included) that gave up on a call that succeeds by
/// its third attempt, or a failure of the narrator.
pub fn climb_retry_ladder<F>(
    n: &mut Narrator,
    ops: u64,
    mut reader: Option<ReaderRetry<F>>,
) -> anyhow::Result<Vec<Climbed>>
where
    F: FnMut(&Backoff, u32) -> Option<u64>,
{
    n.section("The ladder: from retry_simple to backon");
    n.say(
        "No Python rung: the Python idiom here is tenacity, which is not in the standard \
         library, and a bare for/try loop in CPython would time the interpreter's exception \
         path rather than a retry policy.",
    );
    n.say(&format!(
        "{ops} calls per sample through each rung, with sleepers that return at once (the \
         delays are planned but not waited), all rungs taking turns in the same rounds."
    ));
    let policy = Backoff::default();
    let mut climbed = Vec::new();
    for (path, failures) in [("no failure", 0), ("fails twice, then succeeds", 2)] {
        let mut rungs = vec![
            rung(
                "retry_simple",
                Kind::Textbook,
                "the lesson's loop: the schedule as an iterator of delays",
                ops,
                move || {
                    retry_simple(
                        black_box(&policy),
                        SmallRng::seed_from_u64(7),
                        |_| {},
                        flaky(failures),
                    )
                    .ok()
                },
            ),
            rung(
                "Retry::call",
                Kind::Production,
                "predicate, observer, deadline, clock; the failure path kept cold",
                ops,
                move || {
                    Retry::new(black_box(policy))
                        .timer(NoSleep)
                        .seed(7)
                        .call(flaky(failures))
                        .ok()
                },
            ),
            rung(
                "backon",
                Kind::Peer,
                "the peer: backon's default exponential builder",
                ops,
                move || {
                    flaky(failures)
                        .retry(black_box(ExponentialBuilder::default()))
                        .sleep(|_| {})
                        .call()
                        .ok()
                },
            ),
        ];
        if let Some(reader) = reader.as_mut() {
            let call = &mut reader.call;
            rungs.push(rung(
                &reader.name,
                Kind::Reader,
                "your loop, the same calls and policy",
                ops,
                move || call(black_box(&policy), failures),
            ));
        }
        climbed.push(ladder::climb(
            n,
            &format!("retry, {path}"),
            Unit::NsPerOp,
            rungs,
        )?);
    }
    Ok(climbed)
}
