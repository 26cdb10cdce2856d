//! The topic's tests: every backend counts exactly (or, for the broken one,
//! loses adds), in memory here and against a real `redis-server` in
//! [`redis`].

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use mastery_kit::{Mode, Narrator, Unit};

use super::demo::{Plan, demo, redis_counters, seq_cst_note};
use super::harness::overlap;
use super::*;

mod ladder;
mod redis;

/// A backend, ready to be hammered by `threads` threads × `adds`.
type Run = Box<dyn Fn(usize, u64) -> Tally>;

fn run<C: Counter + 'static>(counter: C) -> Run {
    Box::new(move |threads, adds| {
        hammer(&counter, threads, adds).expect("in-memory backends cannot fail")
    })
}

/// Every correct in-memory backend.
fn correct_backends() -> Vec<(&'static str, Run)> {
    vec![
        ("Mutex", run(MutexCounter::new())),
        ("RwLock", run(RwLockCounter::new())),
        ("fetch_add Relaxed", run(AtomicCounter::new())),
        (
            "fetch_add SeqCst",
            run(AtomicCounter::with_ordering(Ordering::SeqCst)),
        ),
        ("sharded", run(ShardedCounter::new())),
        ("sharded, 1 shard", run(ShardedCounter::with_shards(1))),
        // 5 000 adds is not a multiple of 64 or 7: the final flush matters.
        ("local batch 64", run(BatchedCounter::new(BATCH))),
        ("local batch 7", run(BatchedCounter::new(7))),
    ]
}

#[test]
fn every_correct_backend_counts_exactly_with_2_to_8_threads() {
    for (name, hammer_it) in correct_backends() {
        for threads in 2..=8 {
            let tally = hammer_it(threads, 5_000);
            assert_eq!(tally.expected, threads as u64 * 5_000, "{name}");
            assert_eq!(tally.counted, tally.expected, "{name}, {threads} threads");
            assert_eq!(tally.lost(), 0, "{name}");
        }
    }
}

#[test]
fn racy_counter_loses_an_update_when_both_threads_load_first() {
    // Deterministic: both threads load 0 before either stores 1.
    let counter = RacyCounter::new();
    let both_loaded = Barrier::new(2);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                counter.add_with_window(1, || {
                    both_loaded.wait();
                })
            });
        }
    });
    assert_eq!(counter.get(), 1, "two adds, one lost");
}

#[test]
fn racy_counter_loses_updates_under_the_harness() {
    // A yield between load and store loses adds whenever another counting
    // thread is runnable, even on a busy two-core machine.
    let tally = hammer(&RacyCounter::yielding(), 4, 20_000).expect("in-memory");
    assert!(tally.lost() > 0, "expected lost updates, got {tally:?}");
    assert!(tally.counted < tally.expected);
}

#[test]
fn sharded_counter_spreads_threads_and_sums_exactly() {
    let counter = ShardedCounter::with_shards(3);
    assert_eq!(counter.shard_count(), 4, "rounded up to a power of two");
    assert_eq!(ShardedCounter::with_shards(0).shard_count(), 1);
    assert_eq!(
        ShardedCounter::with_shards(usize::MAX).shard_count(),
        ShardedCounter::MAX_SHARDS
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| (0..1_000).for_each(|_| counter.add(3)));
        }
    });
    assert_eq!(counter.sum(), 12_000);
    let used = counter
        .shards
        .iter()
        .filter(|s| s.load(Ordering::Relaxed) > 0)
        .count();
    assert!(used >= 2, "4 threads landed on {used} shard(s)");
    assert!(std::mem::align_of::<CachePadded<AtomicU64>>() >= 64);
}

#[test]
fn shards_are_padded_to_128_bytes_on_x86_64_and_aarch64() {
    // crossbeam-utils' choice, for two reasons: x86-64's spatial prefetcher
    // pulls 64-byte lines in pairs; aarch64's big cores have 128-byte lines.
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert_eq!(std::mem::size_of::<CachePadded<AtomicU64>>(), 128);
        assert_eq!(std::mem::align_of::<CachePadded<AtomicU64>>(), 128);
    }
}

#[test]
fn the_seq_cst_note_names_what_each_architecture_emits() {
    let x86 = seq_cst_note("x86_64");
    assert!(
        x86.contains("lock add") && x86.contains("lock xadd"),
        "{x86}"
    );
    assert!(
        x86.contains("only for stores"),
        "SeqCst costs on stores: {x86}"
    );
    let arm = seq_cst_note("aarch64");
    assert!(
        arm.contains("ldaddal") && arm.contains("No separate fence"),
        "{arm}"
    );
    assert!(
        !arm.contains("barriers"),
        "no extra barriers on aarch64: {arm}"
    );
}

#[test]
fn overlap_is_the_share_of_time_every_thread_ran() {
    let t = Instant::now();
    let at = |ms| t + Duration::from_millis(ms);
    assert_eq!(overlap(&[(at(0), at(10)), (at(0), at(10))]), 1.0);
    assert!((overlap(&[(at(0), at(10)), (at(5), at(15))]) - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(overlap(&[(at(0), at(10)), (at(10), at(20))]), 0.0);
    assert_eq!(overlap(&[(at(0), at(5)), (at(8), at(20))]), 0.0, "disjoint");
    assert_eq!(overlap(&[]), 0.0);
    let tally = hammer(&AtomicCounter::new(), 2, 10_000).expect("in-memory");
    assert!((0.0..=1.0).contains(&tally.overlap), "{tally:?}");
}

#[test]
fn local_batch_flushes_every_n_adds_and_on_drop() {
    let counter = BatchedCounter::new(10);
    let mut local = counter.local();
    (0..25).for_each(|_| local.add(2));
    assert_eq!(counter.get(), 40, "two flushes of 10 adds × 2");
    assert_eq!(local.pending(), 10);
    local.flush();
    assert_eq!((counter.get(), local.pending()), (50, 0));
    local.add(5);
    drop(local);
    assert_eq!(counter.get(), 55, "drop flushes");
    assert_eq!(BatchedCounter::new(0).batch(), 1);
}

#[test]
fn local_batch_flushes_while_unwinding() {
    let counter = BatchedCounter::new(1_000);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut local = counter.local();
        local.add(7);
        panic!("worker failed mid-batch");
    }));
    assert!(outcome.is_err());
    assert_eq!(counter.get(), 7);
}

#[test]
fn counters_wrap_instead_of_panicking() {
    let mutex = MutexCounter::new();
    mutex.add(u64::MAX);
    mutex.add(2);
    assert_eq!(mutex.get(), 1);
    let rw = RwLockCounter::new();
    rw.add(u64::MAX);
    rw.add(2);
    assert_eq!(rw.get(), 1);
    let batched = BatchedCounter::new(2);
    let mut local = batched.local();
    local.add(u64::MAX);
    local.add(2);
    assert_eq!(batched.get(), 1);
}

#[test]
fn atomic_counter_reads_with_any_ordering() {
    for ordering in [
        Ordering::Relaxed,
        Ordering::Release,
        Ordering::Acquire,
        Ordering::AcqRel,
        Ordering::SeqCst,
    ] {
        let counter = AtomicCounter::with_ordering(ordering);
        counter.add(2);
        assert_eq!((counter.get(), counter.ordering()), (2, ordering));
    }
    assert!(AtomicCounter::new().name().contains("Relaxed"));
}

#[test]
fn demo_reports_an_unreachable_redis_url_as_an_error() {
    // Port 1 on loopback: nothing listens there, the connect is refused.
    let mut n = Narrator::silent("interview/safe-counters", Mode::Quick).with_settings(
        mastery_kit::Settings {
            redis_url: Some("redis://127.0.0.1:1".to_owned()),
            ..mastery_kit::Settings::default()
        },
    );
    let plan = Plan::for_mode(&n);
    let err = redis_counters(&mut n, &plan).expect_err("the URL was asked for: no skip");
    let text = format!("{err:#}");
    assert!(text.contains("127.0.0.1:1"), "names the address: {text}");
    assert!(
        text.to_lowercase().contains("refused"),
        "names the cause: {text}"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("interview/safe-counters", demo);
    assert!(n.comparison_with("AtomicU64::fetch_add").is_some());
    assert!(
        n.comparisons()
            .iter()
            .any(|c| c.label.starts_with("adds, 2 threads: ")),
        "the ladder's steps are recorded"
    );
    assert!(n.measurements().iter().any(|m| m.unit == Unit::OpsPerSec));
    let lost = n
        .measurements()
        .iter()
        .find(|m| m.label.starts_with("RacyCounter yield"))
        .expect("the racy run is recorded");
    assert!(lost.value > 0.0, "the demo shows lost updates");
}
