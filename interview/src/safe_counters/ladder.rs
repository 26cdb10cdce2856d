//! The counters' ladder: from Python's `threading.Lock` around
//! `count += 1` to per-thread batches, every rung driven by [`hammer`] on
//! two threads in the same rounds, each step against the one below.
//!
//! | rung | what it changes |
//! |---|---|
//! | Python `threading.Lock` | the reader's start (one thread runs at a time under the GIL) |
//! | [`MutexCounter`] | the same idea in Rust: a lock around the count |
//! | [`RwLockCounter`] | a read-write lock: adds are writes, so no reader shares it — expect a flat rung |
//! | [`AtomicCounter`] | no lock: one `fetch_add(Relaxed)` per add |
//! | [`ShardedCounter`] | one cache-padded atomic per thread: no shared line |
//! | [`BatchedCounter`] | adds kept in a thread-local batch, flushed every few thousand |
//!
//! Every rung's count is checked exact on every run, so a rung that lost an
//! add is an error, not a timing.

use std::cell::RefCell;

use mastery_kit::ladder::{self, Climbed, Kind, Rung};
use mastery_kit::python::{self, Served};
use mastery_kit::{Mode, Narrator, Unit};
use serde::Serialize;

use super::{
    AtomicCounter, BATCH, BatchedCounter, Counter, MutexCounter, RwLockCounter, ShardedCounter,
    hammer,
};

use crate::RUNG_ZERO;

/// Threads of every rung: the machine the kit is tuned on has two cores.
pub(super) const THREADS: usize = 2;

/// One call to `rung_zero.py`'s `lock_counter`.
#[derive(Serialize)]
pub(super) struct LockCounter {
    pub(super) op: &'static str,
    pub(super) threads: usize,
    pub(super) adds: u64,
}

/// A Rust rung: one checked [`hammer`] run per sample, in adds per second.
fn rung<'a, C: Counter>(counter: &'a C, kind: Kind, idea: &str, adds: u64) -> Rung<'a> {
    Rung::new(counter.name(), kind, idea, move || {
        let tally = hammer(counter, THREADS, adds)?;
        anyhow::ensure!(
            tally.counted == tally.expected,
            "{} counted {} of {} adds on {THREADS} threads",
            counter.name(),
            tally.counted,
            tally.expected
        );
        Ok(tally.ops_per_sec())
    })
}

/// Adds per thread on each Rust rung of the ladder, by mode.
pub(super) fn ladder_adds(mode: Mode) -> u64 {
    mode.pick_deep(10_000, 150_000, 1_000_000)
}

/// Climbs the counters' ladder: `adds` per thread on each Rust rung, a
/// tenth of that on the Python rung (full and deep modes, with a
/// `python3`).
pub(super) fn climb_counters(n: &mut Narrator, adds: u64) -> anyhow::Result<Climbed> {
    climb_counters_with(n, adds, None::<&MutexCounter>)
}

/// The counters' ladder with a kata reader's counter placed on it, driven
/// by the same [`hammer`] on the same threads and checked exact like every
/// rung: a count that lost an add is an error, not a timing.
///
/// # Errors
/// A rung (the reader's included) that miscounted, the Python rung's
/// failure under `require_python`, or a counter's error.
pub fn climb_counters_ladder<R: Counter>(n: &mut Narrator, reader: &R) -> anyhow::Result<Climbed> {
    let adds = ladder_adds(n.mode());
    climb_counters_with(n, adds, Some(reader))
}

fn climb_counters_with<R: Counter>(
    n: &mut Narrator,
    adds: u64,
    reader: Option<&R>,
) -> anyhow::Result<Climbed> {
    n.section("The ladder: from threading.Lock to per-thread batches");
    let python_adds = (adds / 10).max(1);
    n.say(&format!(
        "{THREADS} threads add 1 each, {adds} times per thread ({python_adds} in Python), on \
         every rung from Python's threading.Lock to per-thread batches; all rungs take turns \
         in the same rounds, every count is checked exact, and each step is compared with the \
         rung below it."
    ));
    let served = if n.mode() == Mode::Quick {
        n.say("Quick mode times the Rust rungs only; full mode adds the Python rung.");
        None
    } else {
        let started = Served::spawn(&python::interpreter(n.settings()), RUNG_ZERO, &[])
            .and_then(Served::ready);
        python::skip_or_fail(n, "the Python rung", started)?
    };
    let served = served.map(RefCell::new);
    let (mutex, rw_lock, atomic) = (
        MutexCounter::new(),
        RwLockCounter::new(),
        AtomicCounter::new(),
    );
    let (sharded, batched) = (ShardedCounter::new(), BatchedCounter::new(BATCH));
    let mut rungs = Vec::new();
    if let Some(served) = &served {
        let request = LockCounter {
            op: "lock_counter",
            threads: THREADS,
            adds: python_adds,
        };
        rungs.push(Rung::new(
            "threading.Lock",
            Kind::Python,
            "Python's answer: `with lock: count += 1` on threading.Thread",
            move || {
                let reply = served.borrow_mut().call(&request)?;
                let expected = THREADS as u64 * python_adds;
                anyhow::ensure!(
                    reply.check == expected,
                    "Python's locked counter counted {} of {expected} adds",
                    reply.check
                );
                Ok(1e9 / reply.ns_per_op.max(f64::MIN_POSITIVE))
            },
        ));
    }
    rungs.extend([
        rung(
            &mutex,
            Kind::Textbook,
            "the same idea in Rust: a Mutex around the count",
            adds,
        ),
        rung(
            &rw_lock,
            Kind::Step,
            "a read-write lock: every add is a write, so no reader ever shares it",
            adds,
        ),
        rung(
            &atomic,
            Kind::Step,
            "no lock: one fetch_add(Relaxed) per add",
            adds,
        ),
        rung(
            &sharded,
            Kind::Step,
            "one cache-padded atomic per thread: no shared cache line",
            adds,
        ),
        rung(
            &batched,
            Kind::Production,
            "thread-local batches, flushed every BATCH adds",
            adds,
        ),
    ]);
    if let Some(reader) = reader {
        rungs.push(rung(
            reader,
            Kind::Reader,
            "your counter, the same threads and adds",
            adds,
        ));
    }
    ladder::climb(
        n,
        &format!("adds, {THREADS} threads"),
        Unit::OpsPerSec,
        rungs,
    )
}
