//! The ladder's differential test: every rung counts exactly what was
//! added, for any number of threads and any add sizes — so the ladder times
//! the same work on each — and the Python rung counts its adds too.

use std::path::Path;

use mastery_kit::python::Served;
use proptest::prelude::*;

use super::super::ladder::LockCounter;
use super::super::{
    AtomicCounter, BATCH, BatchedCounter, Counter, CounterHandle, MutexCounter, RwLockCounter,
    ShardedCounter,
};

/// Runs one thread per entry of `adds`, each adding its sizes through its
/// own handle, and returns the counter's total.
fn total_after<C: Counter>(counter: &C, adds: &[Vec<u64>]) -> u64 {
    std::thread::scope(|s| {
        for sizes in adds {
            s.spawn(move || {
                let mut handle = counter.handle().expect("in-memory backends cannot fail");
                for &n in sizes {
                    handle.add(n).expect("in-memory backends cannot fail");
                }
                handle.finish().expect("in-memory backends cannot fail");
            });
        }
    });
    counter.total().expect("in-memory backends cannot fail")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every Rust rung's total is the sum of every add, on 1 to 4 threads.
    #[test]
    fn every_counter_rung_counts_every_add(
        adds in proptest::collection::vec(proptest::collection::vec(0u64..1_000, 0..300), 1..5)
    ) {
        let expected: u64 = adds.iter().flatten().sum();
        prop_assert_eq!(total_after(&MutexCounter::new(), &adds), expected, "Mutex");
        prop_assert_eq!(total_after(&RwLockCounter::new(), &adds), expected, "RwLock");
        prop_assert_eq!(total_after(&AtomicCounter::new(), &adds), expected, "Atomic");
        prop_assert_eq!(total_after(&ShardedCounter::new(), &adds), expected, "Sharded");
        prop_assert_eq!(total_after(&BatchedCounter::new(BATCH), &adds), expected, "Batched");
        prop_assert_eq!(total_after(&BatchedCounter::new(7), &adds), expected, "Batched by 7");
    }
}

/// `rung_zero.py`'s locked counter counts every add of every thread
/// (skipped without a `python3`).
#[test]
fn the_python_lock_counter_counts_every_add() {
    let Ok(mut python) =
        Served::spawn(Path::new("python3"), crate::RUNG_ZERO, &[]).and_then(Served::ready)
    else {
        eprintln!("no python3: the Python rung is not checked");
        return;
    };
    for (threads, adds) in [(1, 10), (2, 1_000), (4, 500)] {
        let reply = python
            .call(&LockCounter {
                op: "lock_counter",
                threads,
                adds,
            })
            .expect("the script answers");
        assert_eq!(reply.check, threads as u64 * adds);
        assert!(reply.ns_per_op > 0.0);
    }
}

/// Counts every add twice: fast, and wrong.
struct Doubling(std::sync::atomic::AtomicU64);

impl Counter for Doubling {
    type Handle<'a> = &'a Doubling;

    fn name(&self) -> String {
        "your SafeCounter".to_owned()
    }

    fn handle(&self) -> Result<&Doubling, super::super::CounterError> {
        Ok(self)
    }

    fn total(&self) -> Result<u64, super::super::CounterError> {
        Ok(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl CounterHandle for &Doubling {
    fn add(&mut self, n: u64) -> Result<(), super::super::CounterError> {
        self.0
            .fetch_add(2 * n, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// The counters' ladder as the `safe-counters` kata climbs it: a reader's
/// exact counter is timed and placed; one that miscounts is refused with a
/// message, not timed.
#[test]
fn the_counters_ladder_places_a_right_reader_and_refuses_a_wrong_one() {
    use mastery_kit::ladder::Kind;
    use mastery_kit::{Mode, Narrator};

    use super::super::climb_counters_ladder;

    let quick = || Narrator::silent("kata/safe-counters", Mode::Quick);
    let right = AtomicCounter::new();
    let climbed = climb_counters_ladder(&mut quick(), &right).expect("an exact counter");
    let placement = climbed.placement.as_ref().expect("the reader was given");
    assert_eq!(placement.reader, right.name());
    assert_eq!(placement.versus.len(), climbed.rungs.len() - 1);
    assert_eq!(climbed.rungs.last().map(|r| r.kind), Some(Kind::Reader));

    let wrong = Doubling(std::sync::atomic::AtomicU64::new(0));
    let text = climb_counters_ladder(&mut quick(), &wrong)
        .expect_err("a counter that counts twice")
        .to_string();
    assert!(
        text.starts_with("your SafeCounter counted 40000 of 20000 adds on 2 threads"),
        "{text}"
    );
}
