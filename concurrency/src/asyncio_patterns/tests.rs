//! Paused-clock tests that pin the exact counts, the bug story, a property
//! test that the books always balance, and the core against the pipeline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::time::{sleep, timeout};
use tokio_util::sync::CancellationToken;

use super::demo::{BROKEN_LOST, FIXED_LOST, STD_PEER, UNACCOUNTED, demo};
use super::*;

/// Real-time guard: a hang fails the test instead of blocking it.
const GUARD: Duration = Duration::from_secs(10);
const MS: Duration = Duration::from_millis(1);

fn config(capacity: usize, item_timeout: Option<Duration>) -> PipelineConfig {
    PipelineConfig {
        capacity,
        item_timeout,
    }
}

/// A producer that counts up until the pipeline stops it.
fn endless(pipeline: &mut Pipeline<u64>) {
    pipeline.spawn_producer(|queue| async move {
        let mut i = 0;
        while queue.send(i).await.is_ok() {
            i += 1;
        }
    });
}

/// One producer of `items` items.
fn finite(pipeline: &mut Pipeline<u64>, items: u64) {
    pipeline.spawn_producer(move |queue| async move {
        for i in 0..items {
            if queue.send(i).await.is_err() {
                return;
            }
        }
    });
}

/// Waits for the producers to finish their items, then shuts down
/// gracefully — each step under the real-time hang guard.
async fn finish_gracefully(mut pipeline: Pipeline<u64>) -> Outcome<u64> {
    timeout(GUARD, pipeline.join_producers())
        .await
        .expect("the producers finish");
    timeout(GUARD, pipeline.shutdown(Shutdown::Graceful))
        .await
        .expect("the graceful shutdown finishes")
}

/// 1 consumer at 10 ms per item, 4 slots, an endless producer; `mode`
/// at t = 35 ms (paused clock). By then items 0, 1, 2 are done (t = 10,
/// 20, 30), item 3 is in the consumer's hands (done at 40), items 4..=7
/// are queued, and the producer waits to queue item 8.
async fn stop_at_35ms(mode: Shutdown) -> Outcome<u64> {
    let mut pipeline = Pipeline::new(config(4, None)).expect("valid config");
    pipeline.spawn_consumers(1, |_: u64| sleep(10 * MS));
    endless(&mut pipeline);
    sleep(35 * MS).await;
    assert_eq!(pipeline.queued(), 4);
    assert_eq!(pipeline.produced(), 8);
    timeout(GUARD, pipeline.shutdown(mode))
        .await
        .expect("shutdown does not hang")
}

#[tokio::test(start_paused = true)]
async fn graceful_shutdown_drains_everything_and_drops_nothing() {
    let outcome = stop_at_35ms(Shutdown::Graceful).await;
    let r = outcome.report;
    assert_eq!((r.produced, r.consumed), (8, 8), "{r}");
    assert_eq!(
        (r.dropped, r.cancelled, r.timed_out, r.failed),
        (0, 0, 0, 0)
    );
    assert!(r.is_balanced() && !r.forced);
    assert!(outcome.unprocessed.is_empty());
    // Items 3..=7 finish at 40, 50, 60, 70, 80 ms.
    assert_eq!(r.elapsed, 80 * MS);
}

#[tokio::test(start_paused = true)]
async fn hard_shutdown_counts_the_exact_number_dropped_and_cancelled() {
    let outcome = stop_at_35ms(Shutdown::Hard).await;
    let r = outcome.report;
    assert_eq!(r.produced, 8, "{r}");
    assert_eq!(r.consumed, 3, "items 0, 1, 2 were done");
    assert_eq!(r.cancelled, 1, "item 3 was in the consumer's hands");
    assert_eq!(r.dropped, 4, "items 4..=7 were queued");
    assert_eq!(outcome.unprocessed, [4, 5, 6, 7]);
    assert!(r.is_balanced() && r.forced);
    assert_eq!(r.elapsed, 35 * MS, "a hard stop waits for nothing");
}

#[tokio::test(start_paused = true)]
async fn drain_for_is_graceful_until_the_deadline_then_hard() {
    // Deadline at 35 + 22 = 57 ms: items 3 and 4 finish (40, 50 ms),
    // item 5 is in the consumer's hands (since 50 ms), 6 and 7 queued.
    let outcome = stop_at_35ms(Shutdown::DrainFor(22 * MS)).await;
    let r = outcome.report;
    assert_eq!(
        (r.produced, r.consumed, r.cancelled, r.dropped),
        (8, 5, 1, 2),
        "{r}"
    );
    assert_eq!(outcome.unprocessed, [6, 7]);
    assert!(r.is_balanced() && r.forced);
    // A deadline long enough is simply graceful.
    let r = stop_at_35ms(Shutdown::DrainFor(100 * MS)).await.report;
    assert_eq!((r.consumed, r.unfinished(), r.forced), (8, 0, false), "{r}");
}

#[tokio::test(start_paused = true)]
async fn producer_blocked_time_is_measured_exactly() {
    // Sends 0..=3 fill the queue; from then on each send waits for the
    // consumer to take an item: until 0, 10, 20, 30 ms, and the send of
    // item 8 waits from 30 ms until the shutdown at 35 ms.
    let r = stop_at_35ms(Shutdown::Hard).await.report;
    assert_eq!(r.producer_blocked, 35 * MS);
    assert_eq!(r.peak_depth, 4);
    assert!(r.blocked_sends >= 4, "{r:?}");
}

#[tokio::test(start_paused = true)]
async fn a_queue_that_never_fills_never_blocks() {
    let mut pipeline = Pipeline::new(config(100, None)).expect("valid config");
    pipeline.spawn_consumers(1, |_: u64| sleep(MS));
    finite(&mut pipeline, 100);
    let r = finish_gracefully(pipeline).await.report;
    assert_eq!((r.consumed, r.blocked_sends), (100, 0), "{r}");
    assert_eq!(r.producer_blocked, Duration::ZERO);
    assert!(r.peak_depth >= 99, "{r:?}");
    assert_eq!(r.elapsed, 100 * MS);
}

#[tokio::test(start_paused = true)]
async fn timed_out_items_are_counted_not_lost() {
    let mut pipeline = Pipeline::new(config(4, Some(5 * MS))).expect("valid config");
    // Items take 0, 4, 8, 0, 4, 8, ... ms: every third exceeds 5 ms.
    pipeline.spawn_consumers(2, |i: u64| sleep(Duration::from_millis((i % 3) * 4)));
    finite(&mut pipeline, 30);
    let r = finish_gracefully(pipeline).await.report;
    assert_eq!((r.produced, r.consumed, r.timed_out), (30, 20, 10), "{r}");
    assert!(r.is_balanced());
}

#[tokio::test(start_paused = true)]
async fn a_hard_stop_with_gated_consumers_is_exact() {
    // The handlers wait on a gate that never opens: 3 consumers hold
    // items 0..=2, the 5 slots hold 3..=7, the producer waits.
    let gate = Arc::new(Semaphore::new(0));
    let mut pipeline = Pipeline::new(config(5, None)).expect("valid config");
    let g = Arc::clone(&gate);
    pipeline.spawn_consumers(3, move |_: u64| {
        let g = Arc::clone(&g);
        async move {
            let _permit = g.acquire().await;
        }
    });
    endless(&mut pipeline);
    sleep(MS).await;
    let outcome = pipeline.shutdown(Shutdown::Hard).await;
    let r = outcome.report;
    assert_eq!(
        (r.produced, r.cancelled, r.dropped, r.consumed),
        (8, 3, 5, 0),
        "{r}"
    );
    assert_eq!(outcome.unprocessed, [3, 4, 5, 6, 7]);
}

#[tokio::test(start_paused = true)]
async fn a_stopped_producer_gets_its_item_back() {
    let pipeline = Pipeline::new(config(1, None)).expect("valid config");
    let producer = pipeline.producer();
    producer.send(1).await.expect("room for one");
    // The queue is full and nobody consumes: this send waits until the
    // shutdown stops it, and hands the item back.
    let waiting = tokio::spawn(async move { producer.send(2).await });
    sleep(7 * MS).await;
    let outcome = pipeline.shutdown(Shutdown::Graceful).await;
    assert_eq!(waiting.await.expect("no panic"), Err(Stopping(2)));
    // No consumer ran, so even a graceful stop hands the queued item back.
    assert_eq!(outcome.unprocessed, [1]);
    assert!(outcome.report.is_balanced());
}

#[tokio::test]
async fn a_panicking_handler_is_counted_as_failed() {
    let mut pipeline = Pipeline::new(config(8, None)).expect("valid config");
    pipeline.spawn_consumers(2, |i: u64| async move {
        assert!(i != 5, "handler fails on item 5 (deliberate)");
    });
    finite(&mut pipeline, 20);
    let r = finish_gracefully(pipeline).await.report;
    assert_eq!(
        (r.produced, r.consumed, r.failed, r.tasks_panicked),
        (20, 19, 1, 1),
        "{r}"
    );
    assert!(r.is_balanced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_producers_and_consumers_on_threads_balance() {
    let mut pipeline = Pipeline::new(config(16, None)).expect("valid config");
    pipeline.spawn_consumers(4, |_: u64| tokio::task::yield_now());
    for _ in 0..8 {
        finite(&mut pipeline, 1000);
    }
    let outcome = finish_gracefully(pipeline).await;
    assert_eq!(
        (outcome.report.produced, outcome.report.consumed),
        (8000, 8000)
    );
    assert!(outcome.report.peak_depth <= 16);
}

/// A producer the pipeline does not run may hold a reserved slot while the
/// shutdown drains the queue. The shutdown must wait for that slot: the
/// item sent through it is counted as produced, drained, and handed back —
/// not left in a closed queue nobody reads, uncounted.
#[tokio::test(start_paused = true)]
async fn an_item_sent_through_a_slot_reserved_before_the_shutdown_is_handed_back() {
    let pipeline = Pipeline::new(config(2, None)).expect("valid config");
    let outside = pipeline.producer();
    let slot = outside
        .reserve_slot()
        .await
        .expect("room, and not stopping");
    let shutdown = tokio::spawn(pipeline.shutdown(Shutdown::Hard));
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(
        !shutdown.is_finished(),
        "the shutdown waits for the reserved slot to be filled or given up"
    );
    outside.fill_slot(slot, 7);
    let outcome = timeout(GUARD, shutdown)
        .await
        .expect("no hang")
        .expect("no panic");
    let r = outcome.report;
    assert_eq!(outcome.unprocessed, [7]);
    assert_eq!((r.produced, r.dropped), (1, 1), "{r}");
    assert!(r.is_balanced(), "{r}");
}

/// Producers on plain threads, which the pipeline does not join, send
/// while a multi-threaded pipeline shuts down: every send that returned
/// `Ok` is in the books, and the books balance.
#[test]
fn sends_racing_a_shutdown_are_all_counted() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("runtime");
    for round in 0..50u64 {
        let mut pipeline = runtime
            .block_on(async { Pipeline::new(config(4, None)) })
            .expect("valid config");
        pipeline.spawn_consumers(2, |_: u64| std::future::ready(()));
        let (accepted, outcome) = std::thread::scope(|scope| {
            let senders: Vec<_> = (0..2)
                .map(|_| {
                    let producer = pipeline.producer();
                    let handle = runtime.handle().clone();
                    scope.spawn(move || {
                        let mut accepted = 0u64;
                        while handle.block_on(producer.send(round)).is_ok() {
                            accepted += 1;
                        }
                        accepted
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_micros(200 + 50 * (round % 7)));
            let mode = if round % 2 == 0 {
                Shutdown::Hard
            } else {
                Shutdown::Graceful
            };
            let outcome = runtime.block_on(pipeline.shutdown(mode));
            let accepted: u64 = senders
                .into_iter()
                .map(|s| s.join().expect("sender thread"))
                .sum();
            (accepted, outcome)
        });
        let r = outcome.report;
        assert_eq!(r.produced, accepted, "round {round}: {r}");
        assert!(r.is_balanced(), "round {round}: {r}");
        assert_eq!(outcome.unprocessed.len() as u64, r.dropped);
    }
}

#[test]
fn bad_configs_and_no_runtime_are_refused() {
    assert_eq!(
        Pipeline::<u8>::new(config(0, None)).map(|_| ()),
        Err(ConfigError::ZeroCapacity)
    );
    assert!(matches!(
        config(MAX_CAPACITY + 1, None).validate(),
        Err(ConfigError::CapacityTooLarge { .. })
    ));
    assert_eq!(
        Pipeline::<u8>::new(PipelineConfig::default()).map(|_| ()),
        Err(ConfigError::NoRuntime)
    );
}

// ---- the bug story ------------------------------------------------------

/// Items 0..40 sent 4 ms apart (paused clock); heartbeats at 11, 21,
/// 31, ... ms never coincide with a send.
async fn pairs(broken: bool) -> Pairing<u32> {
    let (tx, mut rx) = mpsc::channel(4);
    let sender = tokio::spawn(async move {
        for i in 0..40u32 {
            tx.send(i).await.expect("receiver alive");
            sleep(4 * MS).await;
        }
    });
    sleep(MS).await; // heartbeats start at +10 ms from here: 11, 21, ...
    let pairing = if broken {
        collect_pairs_broken(&mut rx, 10 * MS).await
    } else {
        collect_pairs(&mut rx, 10 * MS).await
    };
    sender.await.expect("sender finished");
    pairing
}

#[tokio::test(start_paused = true)]
async fn the_fixed_pair_loop_loses_nothing() {
    let sent: Vec<u32> = (0..40).collect();
    let pairing = pairs(false).await;
    assert_eq!(pairing.check_all_returned(&sent), Ok(()));
    assert_eq!(pairing.pairs.len(), 20);
    assert!(pairing.heartbeats >= 15, "{}", pairing.heartbeats);
}

#[tokio::test(start_paused = true)]
async fn the_broken_pair_loop_is_caught_losing_items() {
    let sent: Vec<u32> = (0..40).collect();
    let pairing = pairs(true).await;
    let check = pairing.check_all_returned(&sent);
    assert!(check.is_err(), "the broken loop lost nothing?");
    // Exactly the first halves that were held when a heartbeat fired:
    // item 2 (8 ms) at the 11 ms tick, item 5 (20 ms) at 21 ms, then
    // every fifth item — 8 of 40, and not one error raised.
    let got: Vec<u32> = pairing.pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    let lost: Vec<u32> = sent.iter().copied().filter(|i| !got.contains(i)).collect();
    assert_eq!(lost, [2, 5, 10, 15, 20, 25, 30, 35], "{check:?}");
    assert_eq!(40 - pairing.items(), 8);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("concurrency/asyncio-patterns", demo);
    assert!(n.comparison_with(STD_PEER).is_some());
    for label in [UNACCOUNTED, FIXED_LOST] {
        assert_eq!(n.recorded(label), Some(0.0), "{label} is 0");
    }
    let lost = n.recorded(BROKEN_LOST).unwrap_or(0.0);
    assert!(
        lost > 0.0,
        "the paused clock makes the broken loop lose items"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the sizes, speeds, timeout and moment of the shutdown,
    /// every produced item is counted once; graceful drops nothing.
    #[test]
    fn the_books_always_balance(
        capacity in 1usize..8,
        consumers in 0usize..4,
        producers in 1usize..4,
        work_ms in 1u64..5,
        item_timeout_ms in proptest::option::of(1u64..6),
        stop_after_ms in 0u64..40,
        mode in 0u8..3,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let outcome = rt.block_on(async {
            let mut pipeline =
                Pipeline::new(config(capacity, item_timeout_ms.map(Duration::from_millis)))
                    .expect("valid config");
            pipeline.spawn_consumers(consumers, move |i: u64| {
                // Every item takes time: a paused clock only moves
                // when all tasks wait, and an instant consumer with an
                // endless producer would never let it.
                sleep(Duration::from_millis((i % 3 + 1) * work_ms))
            });
            for _ in 0..producers {
                endless(&mut pipeline);
            }
            sleep(Duration::from_millis(stop_after_ms)).await;
            let mode = match mode {
                0 => Shutdown::Graceful,
                1 => Shutdown::Hard,
                _ => Shutdown::DrainFor(3 * MS),
            };
            (mode, pipeline.shutdown(mode).await)
        });
        let (mode, outcome) = outcome;
        let r = outcome.report;
        proptest::prop_assert!(r.is_balanced(), "{}", r);
        proptest::prop_assert_eq!(outcome.unprocessed.len() as u64, r.dropped);
        proptest::prop_assert!(r.peak_depth <= capacity);
        if mode == Shutdown::Graceful && consumers > 0 {
            proptest::prop_assert_eq!(r.unfinished(), 0);
        }
    }

    /// The core, `pipeline_simple`, and the production `Pipeline` (one
    /// producer, one consumer, graceful) agree on every count for any
    /// capacity, timeout and mix of fast and slow items; stopped part-way,
    /// the core's books still balance.
    #[test]
    fn the_core_agrees_with_the_pipeline(
        capacity in 1usize..6,
        work_steps in proptest::collection::vec(0u32..4, 0..24),
        item_timeout_ms in proptest::option::of(proptest::sample::select(vec![1u64, 3, 5])),
        stop_after_ms in proptest::option::of(0u64..20),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        // Work takes an even number of ms, limits are odd: no item ends at
        // its deadline, so neither side has a tie to break differently.
        let durations: Vec<Duration> = work_steps.iter().map(|&k| 2 * k * MS).collect();
        let cfg = config(capacity, item_timeout_ms.map(Duration::from_millis));
        let (simple, full) = rt.block_on(async {
            let stop = CancellationToken::new();
            if let Some(after) = stop_after_ms {
                let stop = stop.clone();
                tokio::spawn(async move {
                    sleep(Duration::from_millis(after)).await;
                    stop.cancel();
                });
            }
            let simple = pipeline_simple(cfg, durations.clone(), &stop, sleep)
                .await
                .expect("valid config");
            let mut pipeline = Pipeline::new(cfg).expect("valid config");
            pipeline.spawn_consumers(1, sleep);
            pipeline.spawn_producer(move |queue| async move {
                for work in durations {
                    if queue.send(work).await.is_err() {
                        return;
                    }
                }
            });
            pipeline.join_producers().await;
            (simple, pipeline.shutdown(Shutdown::Graceful).await.report)
        });
        proptest::prop_assert_eq!(simple.produced, simple.consumed + simple.timed_out);
        if stop_after_ms.is_none() {
            proptest::prop_assert_eq!(
                (simple.produced, simple.consumed, simple.timed_out),
                (full.produced, full.consumed, full.timed_out)
            );
            proptest::prop_assert_eq!(simple.produced, work_steps.len() as u64);
        }
    }
}
