//! The ladder as the demo and the kata climb it: every rung checked and
//! timed, a reader's cache placed or refused, and the Python rungs hitting
//! exactly as the Rust ones do.

use std::num::NonZeroUsize;
use std::path::Path;

use mastery_kit::ladder::Kind;
use mastery_kit::python::Served;
use mastery_kit::{Mode, Narrator};

use super::super::climb::{KeysFiles, RUNG_ZERO, Request};
use super::super::{LruCache, ReaderCache, climb_ladder, run_workload};

fn quick() -> Narrator {
    Narrator::silent("interview/lru-cache", Mode::Quick)
}

#[test]
fn every_rust_rung_is_climbed_at_both_capacities() {
    let mut n = quick();
    let climbed = climb_ladder(&mut n, None).expect("every rung is an exact LRU");
    assert_eq!(climbed.len(), 2);
    let names =
        |i: usize| -> Vec<&str> { climbed[i].rungs.iter().map(|r| r.name.as_str()).collect() };
    let tail = [
        "SimpleLru",
        "SimpleLru+foldhash",
        "TableLru",
        "LruCache",
        "lru crate",
    ];
    assert_eq!(
        names(0)[0],
        "VecDequeLru",
        "the small capacity starts lower"
    );
    assert_eq!(names(0)[1..], tail);
    assert_eq!(names(1), tail, "no O(n) rung at the large capacity");
    assert_eq!(climbed[1].steps.len(), 4, "one comparison per step");
    assert!(climbed.iter().all(|c| c.placement.is_none()));
}

/// A reader's cache that is an LRU in name only: it never marks a hit as
/// recently used (the classic bug), so it evicts in insertion order.
struct Fifo(std::collections::VecDeque<u64>, usize);

#[test]
fn a_readers_exact_lru_is_placed_and_a_wrong_one_is_refused() {
    let mut n = quick();
    let reader = ReaderCache::of(
        "your Lru",
        |capacity: NonZeroUsize| LruCache::new(capacity.get()).expect("capacity >= 1"),
        |cache, key| cache.get(&key).is_some(),
        |cache, key| {
            cache.put(key, key);
        },
    );
    let climbed = climb_ladder(&mut n, Some(reader)).expect("an exact LRU");
    for c in &climbed {
        let placement = c.placement.as_ref().expect("the reader was given");
        assert_eq!(placement.reader, "your Lru");
        assert_eq!(placement.versus.len(), c.rungs.len() - 1);
        assert_eq!(c.rungs.last().map(|r| r.kind), Some(Kind::Reader));
    }

    let fifo = ReaderCache::of(
        "your Lru",
        |capacity: NonZeroUsize| Fifo(Default::default(), capacity.get()),
        |cache: &mut Fifo, key| cache.0.contains(&key),
        |cache: &mut Fifo, key| {
            if cache.0.len() == cache.1 {
                cache.0.pop_front();
            }
            cache.0.push_back(key);
        },
    );
    let err = climb_ladder(&mut quick(), Some(fifo)).expect_err("a FIFO is not an LRU");
    let text = err.to_string();
    assert!(text.starts_with("your cache hit "), "{text}");
    assert!(text.contains("an exact LRU hits "), "{text}");
}

/// `rung_zero.py`'s two LRUs hit exactly as `LruCache` does on the demo's
/// kind of stream, fresh and then carried on from part to part, with an
/// untimed replay or without (skipped
/// without a `python3`).
#[test]
fn the_python_rungs_hit_exactly_as_lru_cache_does() {
    let Ok(mut python) =
        Served::spawn(Path::new("python3"), RUNG_ZERO, &[]).and_then(Served::ready)
    else {
        eprintln!("no python3: the Python rungs are not checked");
        return;
    };
    let capacity = 50;
    let keys = mastery_kit::workload::zipf_keys(4_000, 500, 1.0, 9).expect("valid");
    let files = KeysFiles::default();
    let path = files.write(capacity, &keys).expect("a temp file");
    for op in ["lru_ordereddict", "lru_functools"] {
        let mut ours = LruCache::new(capacity).expect("capacity >= 1");
        let calls = [
            (0, 0, 4_000, true),
            (0, 0, 1_000, false),
            (1_000, 1_000, 1_500, false),
            (1_500, 2_000, 2_500, false),
        ];
        for (replay_from, start, stop, fresh) in calls {
            run_workload(&mut ours, &keys[replay_from..start]);
            let expected = run_workload(&mut ours, &keys[start..stop]);
            let reply = python
                .call(&Request {
                    op,
                    capacity,
                    keys: &path,
                    replay_from,
                    start,
                    stop,
                    fresh,
                })
                .expect("the script answers");
            assert_eq!(reply.check, expected, "{op} on {start}..{stop}");
            assert!(reply.ns_per_op > 0.0);
        }
    }
    let err = python
        .call(&Request {
            op: "no_such_op",
            capacity,
            keys: &path,
            replay_from: 0,
            start: 0,
            stop: 1,
            fresh: true,
        })
        .expect_err("unknown op");
    assert!(err.to_string().contains("KeyError"), "{err}");
}
