//! The policy: a validated [`Backoff`] and the delay schedule it plans.
//!
//! The schedule is where the backoff formula lives ([`Schedule::next_delay`]):
//! everything else in the topic only asks it for the next delay.

use std::fmt;
use std::iter::FusedIterator;
use std::time::Duration;

use rand::{Rng, RngCore};

/// How the exponential delay is randomized (AWS Architecture Blog, *Exponential
/// Backoff and Jitter*). `exp` is `min(cap, base · factor^n)` for retry `n`
/// (counting from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// Sleep exactly `exp`: predictable, and every client that failed together
    /// retries together.
    None,
    /// Sleep `random(0, exp)`: the widest spread; the recommended default.
    #[default]
    Full,
    /// Sleep `exp/2 + random(0, exp/2)`: at least half the exponential wait.
    Equal,
    /// Sleep `min(cap, random(base, prev · 3))`, `prev` being the previous
    /// sleep (initially `base`). Ignores `factor`. Once `prev · 3` passes the
    /// cap, every draw above the cap becomes the cap itself — with `prev` at
    /// the cap, two draws in three — so clients that backed off that far
    /// retry in step again: keep the cap well above the delays you expect.
    Decorrelated,
}

impl Jitter {
    /// Every mode, in the order the docs list them.
    pub const ALL: [Jitter; 4] = [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ];

    /// A short lowercase name (`none`, `full`, `equal`, `decorrelated`).
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a [`BackoffBuilder`] refused its values.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// The factor is below 1, NaN or infinite.
    #[error(
        "backoff factor {factor} is invalid: it must be a finite number >= 1 (below 1 the delays would shrink); use 1 for a constant delay"
    )]
    FactorBelowOne {
        /// The factor given.
        factor: f64,
    },
    /// The first delay is already longer than the cap.
    #[error(
        "base delay {base:?} is longer than max delay {max_delay:?}: raise max_delay or lower base_delay"
    )]
    BaseAboveCap {
        /// The base delay given.
        base: Duration,
        /// The cap given.
        max_delay: Duration,
    },
    /// Zero attempts would never call the operation.
    #[error("max_attempts is 0, so the operation would never run: use 1 for no retries, or more")]
    ZeroAttempts,
}

/// A retry policy: when to retry and how long to wait. Build one with
/// [`Backoff::builder`] (validated) or take [`Backoff::default`]: base
/// 100 ms, factor 2, cap 10 s, full jitter, 5 attempts, no max elapsed time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    base: Duration,
    factor: f64,
    max_delay: Duration,
    jitter: Jitter,
    max_attempts: u32,
    max_elapsed: Option<Duration>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            factor: 2.0,
            max_delay: Duration::from_secs(10),
            jitter: Jitter::Full,
            max_attempts: 5,
            max_elapsed: None,
        }
    }
}

impl Backoff {
    /// A builder starting from [`Backoff::default`].
    pub fn builder() -> BackoffBuilder {
        BackoffBuilder {
            policy: Backoff::default(),
        }
    }

    /// The delay before the first retry (before jitter).
    pub fn base_delay(&self) -> Duration {
        self.base
    }

    /// How much each delay grows over the previous one (before jitter).
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// The longest single delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How delays are randomized.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time budget from the start of the first attempt, if any: a retry is
    /// never scheduled to start after it.
    pub fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// A builder starting from this policy, to change some values.
    pub fn to_builder(self) -> BackoffBuilder {
        BackoffBuilder { policy: self }
    }

    /// The delay schedule: one delay per retry (`max_attempts - 1` of them),
    /// jittered with draws from `rng`. Pass `&mut rng` to keep the generator.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mastery_interview::retry_backoff::{Backoff, Jitter};
    /// use rand::{SeedableRng, rngs::SmallRng};
    ///
    /// let policy = Backoff::builder()
    ///     .base_delay(Duration::from_millis(100))
    ///     .max_delay(Duration::from_millis(500))
    ///     .jitter(Jitter::None)
    ///     .max_attempts(6)
    ///     .build()?;
    /// let ms: Vec<u128> = policy.delays(SmallRng::seed_from_u64(1)).map(|d| d.as_millis()).collect();
    /// assert_eq!(ms, [100, 200, 400, 500, 500]);
    ///
    /// // With jitter, a seed reproduces the schedule exactly.
    /// let full = policy.to_builder().jitter(Jitter::Full).build()?;
    /// let a: Vec<_> = full.delays(SmallRng::seed_from_u64(7)).collect();
    /// let b: Vec<_> = full.delays(SmallRng::seed_from_u64(7)).collect();
    /// assert_eq!(a, b);
    /// assert!(a.iter().zip(&ms).all(|(d, cap)| d.as_millis() <= *cap));
    /// # Ok::<(), mastery_interview::retry_backoff::PolicyError>(())
    /// ```
    pub fn delays<R: RngCore>(&self, rng: R) -> Delays<R> {
        Delays {
            schedule: Schedule::new(self),
            rng,
        }
    }
}

/// Builds a [`Backoff`]; [`BackoffBuilder::build`] validates.
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BackoffBuilder {
    policy: Backoff,
}

impl BackoffBuilder {
    /// The delay before the first retry (before jitter). Zero means
    /// "retry at once" for every retry.
    pub fn base_delay(mut self, base: Duration) -> Self {
        self.policy.base = base;
        self
    }

    /// Growth per retry (before jitter): finite and at least 1.
    pub fn factor(mut self, factor: f64) -> Self {
        self.policy.factor = factor;
        self
    }

    /// The longest single delay: at least the base delay. Delays beyond
    /// `u64::MAX` nanoseconds (about 584 years) saturate there.
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.max_delay = max_delay;
        self
    }

    /// How delays are randomized.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// Attempts in all, the first one included: at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// A time budget measured from the start of the first attempt (`None`:
    /// no budget). A retry is never scheduled to start after it.
    pub fn max_elapsed(mut self, budget: impl Into<Option<Duration>>) -> Self {
        self.policy.max_elapsed = budget.into();
        self
    }

    /// The policy, if its values make sense.
    ///
    /// # Errors
    /// [`PolicyError::FactorBelowOne`] for a factor below 1, NaN or infinite;
    /// [`PolicyError::BaseAboveCap`] when the base delay exceeds the max delay;
    /// [`PolicyError::ZeroAttempts`] for zero attempts.
    ///
    /// ```
    /// use mastery_interview::retry_backoff::{Backoff, PolicyError};
    /// let err = Backoff::builder().factor(0.5).build().unwrap_err();
    /// assert_eq!(err, PolicyError::FactorBelowOne { factor: 0.5 });
    /// assert!(err.to_string().contains("must be a finite number >= 1"));
    /// ```
    pub fn build(self) -> Result<Backoff, PolicyError> {
        let p = self.policy;
        if !(p.factor.is_finite() && p.factor >= 1.0) {
            return Err(PolicyError::FactorBelowOne { factor: p.factor });
        }
        if p.base > p.max_delay {
            return Err(PolicyError::BaseAboveCap {
                base: p.base,
                max_delay: p.max_delay,
            });
        }
        if p.max_attempts == 0 {
            return Err(PolicyError::ZeroAttempts);
        }
        Ok(p)
    }
}

/// The delay schedule of a [`Backoff`]: an iterator of one [`Duration`] per
/// retry, made by [`Backoff::delays`].
#[derive(Debug, Clone)]
pub struct Delays<R> {
    schedule: Schedule,
    rng: R,
}

impl<R: RngCore> Iterator for Delays<R> {
    type Item = Duration;

    #[doc(alias = "next_delay")]
    fn next(&mut self) -> Option<Duration> {
        self.schedule.next_delay(&mut self.rng)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.schedule.remaining as usize;
        (n, Some(n))
    }
}

impl<R: RngCore> ExactSizeIterator for Delays<R> {}
impl<R: RngCore> FusedIterator for Delays<R> {}

// ANCHOR: schedule
/// The state of a delay schedule, without its RNG (so the retry loop can
/// start it lazily, on the first failure, while keeping the RNG it was given).
#[derive(Debug, Clone)]
pub(super) struct Schedule {
    /// Retries left to plan.
    remaining: u32,
    /// Base and cap, in nanoseconds.
    base: u64,
    cap: u64,
    factor: f64,
    jitter: Jitter,
    /// The un-jittered delay of the next retry, in nanoseconds, kept as a
    /// float so that a fractional factor does not accumulate rounding; it
    /// never exceeds `cap`, so it never overflows.
    exp: f64,
    /// The previous delay (decorrelated jitter grows from it).
    prev: u64,
}

impl Schedule {
    pub(super) fn new(policy: &Backoff) -> Self {
        let base = nanos(policy.base);
        Schedule {
            remaining: policy.max_attempts.saturating_sub(1),
            base,
            cap: nanos(policy.max_delay),
            factor: policy.factor,
            jitter: policy.jitter,
            exp: base as f64,
            prev: base,
        }
    }

    pub(super) fn next_delay(&mut self, rng: &mut impl RngCore) -> Option<Duration> {
        self.remaining = self.remaining.checked_sub(1)?;
        let cap = self.cap as f64;
        // `as u64` is exact enough and cannot overflow: `exp < cap <= u64::MAX`.
        let exp = if self.exp >= cap {
            self.cap
        } else {
            self.exp as u64
        };
        self.exp = (self.exp * self.factor).min(cap);
        let delay = match self.jitter {
            Jitter::None => exp,
            Jitter::Full => between(rng, 0, exp),
            Jitter::Equal => {
                let half = exp / 2;
                half + between(rng, 0, exp - half)
            }
            // AWS: sleep = min(cap, random_between(base, sleep * 3)).
            Jitter::Decorrelated => {
                between(rng, self.base, self.prev.saturating_mul(3)).min(self.cap)
            }
        };
        self.prev = delay;
        Some(Duration::from_nanos(delay))
    }
}
// ANCHOR_END: schedule

/// A uniform draw from `lo..=hi` (just `lo` when the range is empty).
fn between(rng: &mut impl RngCore, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    rng.random_range(lo..=hi)
}

/// A duration in nanoseconds, saturating at `u64::MAX` (~584 years).
pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
