//! The toy GIL's protocol (one runner at a time, hand-off within the
//! interval, allow_threads), the schemes' results, and the experiments.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mastery_kit::{Comparison, Unit};

use super::demo::{demo, throughput_verdict};
use super::*;

#[test]
fn gil_lets_one_thread_run_bytecode_at_a_time() {
    let gil = Gil::new(0_u64, Duration::from_micros(200));
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    thread::scope(|s| {
        for t in 0..4_u64 {
            let (gil, running, most) = (&gil, &running, &most);
            s.spawn(move || {
                let mut g = gil.acquire();
                for i in 0..20_000 {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    black_box(bytecode(t * 1_000_000 + i));
                    *g += 1;
                    running.fetch_sub(1, Ordering::SeqCst);
                    g.check_eval_breaker();
                }
            });
        }
    });
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two threads ran bytecode at once"
    );
    assert_eq!(gil.into_inner(), 80_000, "no lost update under the GIL");
}

#[test]
fn a_waiter_gets_the_gil_within_the_switch_interval() {
    let interval = Duration::from_millis(5);
    let gil = Gil::new((), interval);
    let stop = AtomicBool::new(false);
    let (holding_tx, holding_rx) = std::sync::mpsc::channel();
    let waited = thread::scope(|s| {
        s.spawn(|| {
            let mut g = gil.acquire();
            let _ = holding_tx.send(());
            // Without the eval breaker this would hold the GIL for 30 s.
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(30) {
                black_box(bytecode(1));
                g.check_eval_breaker();
            }
        });
        holding_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the holder took the GIL");
        let asked = Instant::now();
        let g = gil.acquire();
        let waited = asked.elapsed();
        stop.store(true, Ordering::Relaxed);
        drop(g);
        waited
    });
    // Generous slack: a loaded machine may not schedule anyone for a while.
    assert!(
        waited < interval + Duration::from_secs(3),
        "waited {waited:?} for a GIL with a {interval:?} switch interval"
    );
    let stats = gil.stats();
    assert!(stats.drop_requests >= 1, "the waiter had to ask: {stats:?}");
    assert!(stats.handoffs >= 2, "{stats:?}");
}

#[test]
fn nobody_waiting_means_no_drop_request() {
    let gil = Gil::new(0_u32, Duration::from_micros(50));
    let mut g = gil.acquire();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(20) {
        *g += 1;
        assert!(!g.check_eval_breaker(), "handed off to nobody");
    }
    g.yield_now(); // no waiter: a no-op, not a deadlock
    drop(g);
    assert_eq!(gil.stats().drop_requests, 0);
}

#[test]
fn allow_threads_lets_another_thread_run_bytecode() {
    let gil = Gil::new(Vec::new(), DEFAULT_SWITCH_INTERVAL);
    let (ran_tx, ran_rx) = std::sync::mpsc::channel();
    thread::scope(|s| {
        let mut g = gil.acquire();
        g.push("main before");
        s.spawn(|| {
            let mut g = gil.acquire();
            g.push("other");
            let _ = ran_tx.send(());
        });
        // If allow_threads kept the GIL, the other thread could never
        // run and this would time out.
        let ran = g.allow_threads(|| ran_rx.recv_timeout(Duration::from_secs(30)));
        assert!(ran.is_ok(), "the other thread never got the GIL");
        g.push("main after");
    });
    assert_eq!(gil.into_inner(), ["main before", "other", "main after"]);
}

#[test]
fn every_scheme_gives_the_reference_histogram() {
    let units = 5_003;
    let reference = histogram_sequential(units);
    assert_eq!(reference.iter().sum::<u64>(), units);
    let schemes = [
        Scheme::Gil {
            switch_interval: Duration::from_micros(100),
        },
        Scheme::FineGrained,
        Scheme::NoLock,
    ];
    for scheme in schemes {
        for threads in [1, 2, 3, 4, 7] {
            assert_eq!(
                run_scheme(scheme, threads, units),
                reference,
                "{} with {threads} threads",
                scheme.name()
            );
        }
    }
}

#[test]
fn pingpong_really_hands_off() {
    let run = gil_pingpong(200);
    assert!(run.per_pass > Duration::ZERO);
    assert!(
        run.release_to_run.is_some(),
        "some hand-off went to a sleeping waiter"
    );
    assert!(condvar_pingpong(200) > Duration::ZERO);
}

#[test]
fn blocking_calls_complete_with_and_without_release() {
    let call = Duration::from_millis(1);
    // Held: the calls cannot overlap, so the time is at least their sum.
    assert!(blocking_calls(3, 2, call, false) >= call * 6);
    assert!(blocking_calls(3, 2, call, true) >= call * 2);
}

#[test]
fn convoy_runs_both_threads() {
    let c = convoy(
        3,
        Duration::from_micros(50),
        Duration::from_micros(500),
        true,
    );
    assert_eq!(c.calls.len(), 3);
    assert!(c.median_call() >= Duration::from_micros(50));
    let alone = convoy(3, Duration::from_micros(50), DEFAULT_SWITCH_INTERVAL, false);
    assert_eq!(alone.cpu_units, 0);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("perf/gil-experiments", demo);
    assert!(n.measurements().len() >= 9);
    assert!(n.comparisons().len() >= 4);
}

/// A comparison in units/s whose per-round ratios are `ratios`.
fn rates(ratios: &[f64]) -> Comparison {
    let peer = vec![100.0; ratios.len()];
    let ours: Vec<f64> = ratios.iter().map(|r| 100.0 * r).collect();
    Comparison::paired("t", "x", (&ours, &peer), "peer", Unit::OpsPerSec)
}

#[test]
fn the_throughput_prose_follows_the_verdicts() {
    let tie = rates(&[0.97, 1.03, 0.99, 1.01, 1.0, 0.98, 1.02, 1.005, 0.995]);
    let text = throughput_verdict(&tie, &tie, &tie, 2);
    assert!(!text.contains('×'), "a tie names no factor: {text}");
    assert_eq!(text.matches("within ±2.0 %").count(), 3, "{text}");
    let (worse, better) = (rates(&[0.8; 9]), rates(&[1.9; 9]));
    let text = throughput_verdict(&worse, &better, &worse, 2);
    assert!(text.contains("made the work 1.25× slower"), "{text}");
    assert!(
        text.contains("ran 1.90× faster than under the GIL"),
        "{text}"
    );
    assert!(text.contains("1.25× slower than no lock"), "{text}");
    let few = rates(&[1.0; 3]);
    assert_eq!(
        throughput_verdict(&few, &few, &few, 2)
            .matches("Too few")
            .count(),
        3
    );
}
