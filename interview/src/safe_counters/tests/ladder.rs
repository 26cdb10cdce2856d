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
