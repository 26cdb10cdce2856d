//! # Hypothesis (property-based testing)
//!
//! ## Python idiom
//! Hypothesis states a property for *every* input and lets the library look
//! for the input that breaks it:
//!
//! ```python
//! @given(st.lists(st.integers()), st.integers())
//! def test_window(items, i):
//!     assert get(items, i) == (items[i] if 0 <= i < len(items) else None)
//! ```
//!
//! Strategies compose (`st.builds`, `st.recursive`, `.map`, `.filter`),
//! `RuleBasedStateMachine` drives a model-based test, and when a case fails
//! Hypothesis *shrinks* it to a minimal counterexample, stores it in its
//! example database and replays it first next time.
//!
//! ## Rust answer
//! `proptest` is the same idea: a [`Strategy`] generates values and knows
//! how to shrink them, `proptest! { #[test] fn ...(x in strategy) }` runs a
//! property over many of them, and a failure is shrunk before it is
//! reported. This topic shows each part on the kit's own components:
//!
//! - **Strategies** (`strategies.rs`): *composed* (CSV documents: a field
//!   count, then records of exactly that many fields), *recursive*
//!   ([`json_value`], `prop_recursive`), and *filtered vs mapped*: a sorted
//!   `Vec` by [`prop_filter`] throws away every unsorted draw, and the
//!   survivors are mostly the short ones; by [`prop_map`] (sort what was
//!   drawn) nothing is thrown away and the lengths stay as drawn. The demo
//!   counts both.
//! - **Round trips** (`round_trip.rs`): any JSON value written by
//!   `serde_json` and any CSV document written by the `csv` crate, cut into
//!   chunks at arbitrary points, is read back by the interview crate's
//!   streaming parsers as exactly what was written ([`json_round_trip`],
//!   [`csv_round_trip`]).
//! - **A model-based test** (`model.rs`): [`LruCache`] against a `Vec` kept
//!   in recency order, on any sequence of `get`, `put` and `remove`
//!   ([`check_against_model`]). The driver is a loop of a dozen lines. The
//!   `proptest-state-machine` crate earns its place when an operation is
//!   valid only in some states (close a handle that is open, pop from a
//!   stack that is not empty): it generates each transition from the model's
//!   current state and keeps the preconditions true while shrinking. Every
//!   cache operation is valid in every state, so a plain `Vec` of
//!   operations shrinks just as well, and the dependency buys nothing here.
//! - **Shrinking, live** ([`hunt`], below): the runner driven by hand with
//!   a fixed seed, counting the cases it generated until the first failure
//!   and the steps it took to shrink it. Three planted bugs sit next to
//!   their fixes, named as broken: a range check with `<=` for `<`
//!   ([`Span::contains_broken`]), an LRU whose `get` forgets to refresh
//!   ([`LruCacheBroken`]), and an unescaper that looks for an escape's
//!   second half only in the current chunk ([`unescape_chunks_broken`]).
//!
//! What Hypothesis has and proptest does not, and what Rust has instead:
//!
//! | Hypothesis | proptest | Rust instead |
//! |---|---|---|
//! | example database: every shrunk failure is stored and replayed first | `proptest-regressions/` files keep the *seed* of a failure (commit them), replayed first; not the shrunk value, and nothing shared between tests | seeds in git; a fuzzer's corpus directory plays the database's part |
//! | boundary-biased generation: `st.integers()` tries 0, ±1 and the limits early | uniform draws: `any::<usize>()` almost never hits an off-by-one; write strategies that make the boundary likely | coverage-guided fuzzing steers towards new branches, boundaries included |
//! | `target()`: steer the search towards a score | nothing comparable | a fuzzer's coverage feedback, or a custom mutator |
//! | health checks: too many filtered draws, too slow, too large, flaky | "Too many local rejects" only, when the run aborts | counting the draws yourself, as the demo does |
//! | one shrinker over the choice sequence: shrinking works through `map`, `flat_map` and `filter` alike | value trees: shrinking through `prop_map` is free, through `prop_flat_map` it is weaker, each tuple element shrinks on its own | `cargo fuzz tmin` minimizes a crashing input byte-wise |
//!
//! The Rust-only entry is **coverage-guided fuzzing with the same
//! generators**: the `arbitrary` crate turns raw bytes into structured
//! values ([`Scenario::from_bytes`]), so a `cargo fuzz` target is one line —
//! `fuzz_target!(|s: Scenario| check_against_model(&s, ..))` — and
//! libFuzzer mutates the bytes towards new code paths. `cargo fuzz` needs a
//! nightly toolchain (`-Z sanitizer`); on stable the demo runs the same
//! generator on seeded random bytes, which is random testing without the
//! coverage guidance, and says so.
//!
//! ## When to use which
//! - A pure function with an obvious property (a round trip, an inverse,
//!   agreement with a slow reference): a `proptest!` test, in the crate's
//!   tests, run by `cargo test`.
//! - A component with state: a model-based test, the operations as an enum
//!   and a model small enough to be obviously right. Reach for
//!   `proptest-state-machine` when operations have preconditions.
//! - Parsers, decoders and anything fed untrusted bytes: also a fuzz target
//!   (`cargo fuzz`, nightly) built on `arbitrary`, run for minutes or hours
//!   outside `cargo test`; keep the corpus, and turn each crash into a
//!   plain unit test.
//! - `quickcheck` is the older, simpler crate (shrinking per type, not per
//!   strategy); proptest's strategies compose and shrink better.
//! - Build a value by `prop_map` from what you can draw, and `prop_filter`
//!   only a small share of draws away: every rejected draw is work thrown
//!   away, and a filter skews what survives.
//!
//! ## What it costs
//! The demo measures, in one run:
//! - **Filtered vs mapped**: the draws each needs for the same number of
//!   sorted vectors (counted), the share of long vectors among them
//!   (counted), and the time per vector (timed, interleaved).
//! - **Round trips and the model test**: how many generated documents and
//!   operation sequences each property checked.
//! - **Each planted bug**: the minimal counterexample, the cases generated
//!   until the first failure, the shrinking steps, and the time to find and
//!   to shrink it (each a measurement, not a comparison); and the same
//!   range check with uniform offsets, where the bug survives every case.
//! - **Random bytes through `arbitrary`**: the byte buffers needed to hit
//!   the LRU bug, against the cases proptest needed (counted).
//!
//! What you give up: properties run many cases, so a slow property makes a
//! slow test (`PROPTEST_CASES` lowers the count); a failure's seed is
//! replayed only from `proptest-regressions/`, so commit those files; and
//! a strategy is a value you design: a bad one (uniform where the bug is at
//! a boundary, a heavy filter) hides bugs without saying so.
//!
//! ## Run it
//! `mastery run testing/hypothesis-examples` (strategies, round trips, the
//! model test, three planted bugs found and shrunk, random bytes through
//! `arbitrary`); `cargo test -p mastery-testing hypothesis_examples` (the
//! same properties as `proptest!` tests, and a test per planted bug that
//! checks the broken version is caught and the fixed one passes).
//!
//! [`Strategy`]: proptest::strategy::Strategy
//! [`prop_filter`]: proptest::strategy::Strategy::prop_filter
//! [`prop_map`]: proptest::strategy::Strategy::prop_map
//! [`LruCache`]: mastery_interview::lru_cache::LruCache

mod demo;
mod model;
mod round_trip;
mod span;
mod strategies;
mod unescape;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt::Display;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

pub use model::{
    Answer, CacheOp, CacheUnderTest, Divergence, KEYS, LruCacheBroken, MAX_CAPACITY, RecencyModel,
    Scenario, check_against_model, new_lru, new_lru_broken, scenario,
};
pub use round_trip::{RoundTripError, csv_round_trip, json_round_trip, split_at};
pub use span::{Probe, Span, probe, probe_uniform};
pub use strategies::{
    ChunkedString, DrawCount, chunked_string, csv_records, json_value, sorted_by_filter,
    sorted_by_map,
};
pub use unescape::{UnescapeError, Unescaper, unescape_chunks, unescape_chunks_broken};

// ANCHOR: core
/// What [`hunt`] found: the property held on every case, or the minimal
/// counterexample, or the runner gave up (too many rejected draws).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Every generated case passed.
    Held {
        /// Cases generated and passed.
        cases: u64,
    },
    /// A case failed; `minimal` is what shrinking left of it.
    Falsified {
        /// The smallest failing input the shrinker reached.
        minimal: T,
        /// The property's message for that input.
        reason: String,
    },
    /// The runner stopped before a verdict.
    GaveUp {
        /// Why, in proptest's words.
        reason: String,
    },
}

/// One search for a counterexample, with what it cost.
#[derive(Debug, Clone)]
pub struct Hunt<T> {
    /// What the search found.
    pub outcome: Outcome<T>,
    /// Cases generated up to and including the first failure (all of them
    /// when the property held).
    pub cases_until_failure: u64,
    /// Property calls made while shrinking the first failure.
    pub shrink_steps: u64,
    /// From the start to the first failure.
    pub time_to_find: Duration,
    /// From the first failure to the minimal one.
    pub time_to_shrink: Duration,
}

/// Runs `property` on up to `cases` values of `strategy`, drawn from a
/// generator seeded with `seed` — the same seed finds the same
/// counterexample on every machine — and shrinks the first failure.
///
/// This is what `proptest!` does inside a `#[test]`, driven by hand so the
/// demo can count: every call of the property before the first failure is
/// a generated case, every call after it a shrinking step.
pub fn hunt<S, E>(
    strategy: &S,
    seed: u64,
    cases: u32,
    property: impl Fn(S::Value) -> Result<(), E>,
) -> Hunt<S::Value>
where
    S: Strategy,
    E: Display,
{
    let config = Config {
        cases,
        // Programmatic runs have no source file to keep regressions beside.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, seeded_rng(seed));
    let calls = Cell::new(0_u64);
    let first_failure = Cell::new(None::<(u64, Instant)>);
    let start = Instant::now();
    let result = runner.run(strategy, |value| {
        calls.set(calls.get() + 1);
        property(value).map_err(|e| {
            if first_failure.get().is_none() {
                first_failure.set(Some((calls.get(), Instant::now())));
            }
            TestCaseError::fail(e.to_string())
        })
    });
    let end = Instant::now();
    let (found_at, found_when) = first_failure.get().unwrap_or((calls.get(), end));
    Hunt {
        outcome: match result {
            Ok(()) => Outcome::Held { cases: calls.get() },
            Err(TestError::Fail(reason, minimal)) => Outcome::Falsified {
                minimal,
                reason: reason.message().to_owned(),
            },
            Err(TestError::Abort(reason)) => Outcome::GaveUp {
                reason: reason.message().to_owned(),
            },
        },
        cases_until_failure: found_at,
        shrink_steps: calls.get() - found_at,
        time_to_find: found_when - start,
        time_to_shrink: end - found_when,
    }
}

/// A ChaCha generator whose whole stream follows from `seed`.
pub fn seeded_rng(seed: u64) -> TestRng {
    let mut bytes = [0_u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed.rotate_left(16 * i as u32) ^ (i as u64);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}
// ANCHOR_END: core
