//! # Kata `safe-counters`: a counter many threads add to, exactly
//!
//! The reader writes a counter ([`CounterKata`]) and the handle each thread
//! adds through ([`KataHandle`]): the counter itself, a local batch, a
//! shard. Whatever the handle keeps to itself must reach the count by the
//! time it is dropped.
//!
//! The tests drive it with the interview's own harness
//! (`interview/safe-counters`'s [`hammer`]) at 1, 2 and 4 threads through an
//! adapter to that topic's [`Counter`] trait ([`Driven`]), and demand the
//! exact total — no timing anywhere. A racy answer fails here for certain,
//! not by luck: the planted one holds its load-then-store window open until
//! a second thread has loaded too (`broken::safe_counters`). `mastery kata
//! check` then places the counter on the topic's ladder ([`ladder`]).

use mastery_interview::safe_counters::{
    Counter, CounterError, CounterHandle, climb_counters_ladder, hammer,
};

use crate::failure::{KataFailure, KitTest};

/// What the reader implements: a counter at 0 that any number of threads
/// add to, each through its own handle.
pub trait CounterKata: Sync + Sized {
    /// What one thread adds through: `&'a Self` for a shared counter, or a
    /// struct that batches locally and flushes on drop.
    type Handle<'a>: KataHandle
    where
        Self: 'a;

    /// A counter at 0.
    fn new() -> Self;

    /// A handle for the calling thread.
    fn handle(&self) -> Self::Handle<'_>;

    /// The count: every add of every dropped handle (a live handle's batch
    /// may not be in it yet).
    fn total(&self) -> u64;
}

/// One thread's way to add to a [`CounterKata`].
pub trait KataHandle {
    /// Adds `n` (wrapping at 2⁶⁴, as atomics do).
    fn add(&mut self, n: u64);
}

/// The reader's counter as the interview's [`Counter`], so [`hammer`]
/// drives it exactly as it drives the kit's backends.
#[derive(Debug)]
pub struct Driven<T>(pub T);

/// A reader's handle as the interview's [`CounterHandle`].
#[derive(Debug)]
pub struct DrivenHandle<H>(H);

impl<T: CounterKata> Counter for Driven<T> {
    type Handle<'a>
        = DrivenHandle<T::Handle<'a>>
    where
        Self: 'a;

    fn name(&self) -> String {
        "your SafeCounter".to_owned()
    }

    fn handle(&self) -> Result<Self::Handle<'_>, CounterError> {
        Ok(DrivenHandle(self.0.handle()))
    }

    fn total(&self) -> Result<u64, CounterError> {
        Ok(self.0.total())
    }
}

impl<H: KataHandle> CounterHandle for DrivenHandle<H> {
    fn add(&mut self, n: u64) -> Result<(), CounterError> {
        self.0.add(n);
        Ok(())
    }
}

/// Adds each thread makes in [`every_add_counts_at_1_2_and_4_threads`].
pub const ADDS_PER_THREAD: u64 = 10_000;

/// A new counter, before any handle: `total()` is 0; a handle taken and
/// dropped without an add leaves it 0; reading it twice changes nothing.
pub fn total_is_zero_when_idle<T: CounterKata>() -> Result<(), KataFailure> {
    let test = "total_is_zero_when_idle";
    let counter = T::new();
    let mut replay = vec!["let c = SafeCounter::new();".to_owned()];
    let check = |replay: &[String]| {
        let total = counter.total();
        if total == 0 {
            return Ok(());
        }
        let mut replay = replay.to_vec();
        replay.push("c.total()".to_owned());
        Err(KataFailure {
            test,
            expected: "total() = 0: nothing was added".into(),
            got: format!("total() = {total}"),
            replay,
        })
    };
    check(&replay)?;
    drop(counter.handle());
    replay.push("drop(c.handle());".to_owned());
    check(&replay)?;
    counter.total();
    replay.push("c.total();".to_owned());
    check(&replay)
}

/// One handle adds 0, 1, 5, 1 000 and 2⁴⁰: once dropped, the total is
/// their sum — `add(n)` adds `n`, not 1.
pub fn add_counts_its_argument<T: CounterKata>() -> Result<(), KataFailure> {
    let test = "add_counts_its_argument";
    let counter = T::new();
    let sizes = [0, 1, 5, 1_000, 1 << 40];
    let mut replay = vec![
        "let c = SafeCounter::new();".to_owned(),
        "let mut h = c.handle();".to_owned(),
    ];
    let mut handle = counter.handle();
    for n in sizes {
        handle.add(n);
        replay.push(format!("h.add({n});"));
    }
    drop(handle);
    replay.push("drop(h);".to_owned());
    replay.push("c.total()".to_owned());
    let want: u64 = sizes.iter().sum();
    let total = counter.total();
    if total == want {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected: format!("total() = {want}: the sum of the adds {sizes:?}"),
        got: format!("total() = {total}"),
        replay,
    })
}

/// A handle's adds reach the total when it is dropped, whatever it keeps
/// locally: 3 adds, then a second handle's 2, each dropped in turn.
pub fn a_dropped_handle_flushes_its_adds<T: CounterKata>() -> Result<(), KataFailure> {
    let test = "a_dropped_handle_flushes_its_adds";
    let counter = T::new();
    let mut replay = vec!["let c = SafeCounter::new();".to_owned()];
    let mut want = 0;
    for (name, adds) in [("h", 3), ("g", 2)] {
        replay.push(format!("let mut {name} = c.handle();"));
        let mut handle = counter.handle();
        for _ in 0..adds {
            handle.add(1);
            replay.push(format!("{name}.add(1);"));
        }
        drop(handle);
        want += adds;
        replay.push(format!("drop({name});"));
        replay.push("c.total()".to_owned());
        let total = counter.total();
        if total != want {
            return Err(KataFailure {
                test,
                expected: format!(
                    "total() = {want}: a dropped handle has flushed every add it made"
                ),
                got: format!("total() = {total}: adds held by a dropped handle were lost"),
                replay,
            });
        }
        replay.pop();
    }
    Ok(())
}

/// The interview's [`hammer`] at 1, 2 and 4 threads, each adding 1
/// [`ADDS_PER_THREAD`] times through its own handle, released together:
/// the count must be exact (a new counter for each thread count).
pub fn every_add_counts_at_1_2_and_4_threads<T: CounterKata>() -> Result<(), KataFailure> {
    let test = "every_add_counts_at_1_2_and_4_threads";
    for threads in [1, 2, 4] {
        let counter = Driven(T::new());
        let replay = vec![
            "let c = SafeCounter::new();".to_owned(),
            format!(
                "// {threads} threads, released together, each: let mut h = c.handle(); {ADDS_PER_THREAD} × h.add(1); drop(h);"
            ),
            "c.total()".to_owned(),
        ];
        let expected = format!(
            "total() = {} after {threads} threads × {ADDS_PER_THREAD} adds: every add counted once",
            threads as u64 * ADDS_PER_THREAD
        );
        let tally = match hammer(&counter, threads, ADDS_PER_THREAD) {
            Ok(tally) => tally,
            Err(e) => {
                return Err(KataFailure {
                    test,
                    expected,
                    got: format!("the run failed: {e}"),
                    replay,
                });
            }
        };
        if tally.counted != tally.expected {
            let got = if tally.counted < tally.expected {
                format!(
                    "total() = {}: {} adds lost",
                    tally.counted,
                    tally.expected - tally.counted
                )
            } else {
                format!(
                    "total() = {}: {} adds counted twice",
                    tally.counted,
                    tally.counted - tally.expected
                )
            };
            return Err(KataFailure {
                test,
                expected,
                got,
                replay,
            });
        }
    }
    Ok(())
}

/// Every kit test of this kata, for the counter `T`.
pub fn tests<T: CounterKata>() -> Vec<KitTest> {
    crate::__kata_safe_counters!(table, T)
}

/// The list of kit tests, written once (see `lru_cache`'s).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_safe_counters {
    ($mode:ident, $imp:ty) => {
        $crate::__kata_emit! {$mode, safe_counters, $imp;
            total_is_zero_when_idle,
            add_counts_its_argument,
            a_dropped_handle_flushes_its_adds,
            every_add_counts_at_1_2_and_4_threads,
        }
    };
}

/// The ladder binary of the `safe-counters` starter: the reader's counter
/// as one more rung of the `interview/safe-counters` ladder — the same
/// [`hammer`] on the same two threads, the count checked exact — timed in
/// the same rounds as `Mutex`, `RwLock`, atomic, sharded and batched
/// counters, then placed. The mode comes from the command line
/// (`--quick`, `--deep`, else full). Exit code 1 when the ladder fails (the
/// reader's counter lost an add), 2 on a bad argument.
pub fn ladder<T: CounterKata>() -> std::process::ExitCode {
    let mut n = match crate::ladder_narrator("kata/safe-counters") {
        Ok(n) => n,
        Err(code) => return code,
    };
    let counter = Driven(T::new());
    crate::ladder_exit(climb_counters_ladder(&mut n, &counter))
}
