//! The batching service's tests: configuration, batch forming, deadlines,
//! failures, backpressure, shutdown; the differential test of
//! `serve_batches_simple` against `Batcher` is in `simple_vs_batcher.rs`.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

use super::closed_loop::percentile;
use super::demo::{UNBATCHED, demo};
use super::worker::batch_deadline;
use super::*;

mod simple_vs_batcher;

const LONG: Duration = Duration::from_secs(3600);
/// Real-time guard: a hang fails the test instead of blocking it.
const GUARD: Duration = Duration::from_secs(10);

fn config(max_batch: usize, max_wait: Duration, queue_capacity: usize) -> BatchConfig {
    BatchConfig {
        max_batch,
        max_wait,
        queue_capacity,
    }
}

/// A doubling handler that records the batch sizes it saw.
fn recording_batcher(config: BatchConfig) -> (Batcher<u64, u64>, Arc<StdMutex<Vec<usize>>>) {
    let sizes = Arc::new(StdMutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let batcher = Batcher::new(config, move |xs: Vec<u64>| {
        seen.lock().expect("sizes lock").push(xs.len());
        async move { Ok::<_, String>(xs.into_iter().map(|x| Ok(x * 2)).collect()) }
    })
    .expect("valid config");
    (batcher, sizes)
}

/// A doubling handler that waits for a permit per call, and says when
/// a call started.
fn gated_batcher(
    config: BatchConfig,
) -> (
    Batcher<u64, u64>,
    Arc<Semaphore>,
    mpsc::UnboundedReceiver<usize>,
) {
    let gate = Arc::new(Semaphore::new(0));
    let (started_tx, started) = mpsc::unbounded_channel();
    let handler_gate = Arc::clone(&gate);
    let batcher = Batcher::new(config, move |xs: Vec<u64>| {
        let gate = Arc::clone(&handler_gate);
        let _ = started_tx.send(xs.len());
        async move {
            gate.acquire().await.map_err(|e| e.to_string())?.forget();
            Ok::<_, String>(xs.into_iter().map(|x| Ok(x * 2)).collect())
        }
    })
    .expect("valid config");
    (batcher, gate, started)
}

#[test]
fn invalid_configs_are_clear_errors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let cases = [
        (config(0, LONG, 8), ConfigError::ZeroMaxBatch, "max_batch"),
        (
            config(8, LONG, 0),
            ConfigError::ZeroQueueCapacity,
            "queue_capacity",
        ),
        (
            config(8, LONG, usize::MAX),
            ConfigError::QueueCapacityTooLarge {
                requested: usize::MAX,
                max: MAX_QUEUE_CAPACITY,
            },
            "exceeds",
        ),
    ];
    for (cfg, expected, words) in cases {
        assert_eq!(cfg.validate(), Err(expected));
        let _guard = rt.enter();
        let err = simulated_batcher(cfg, SimulatedCost::DEMO).expect_err("refused");
        assert_eq!(err, expected);
        assert!(err.to_string().contains(words), "{err}");
    }
    assert_eq!(BatchConfig::default().validate(), Ok(()));
    assert_eq!(config(1, Duration::ZERO, 1).validate(), Ok(()));
}

#[test]
fn starting_outside_a_runtime_is_an_error_not_a_panic() {
    let err =
        simulated_batcher(BatchConfig::default(), SimulatedCost::DEMO).expect_err("no runtime");
    assert_eq!(err, ConfigError::NoRuntime);
    assert!(err.to_string().contains("Tokio runtime"));
}

#[tokio::test(start_paused = true)]
async fn a_full_batch_goes_without_waiting_for_the_deadline() {
    let (batcher, sizes) = recording_batcher(config(4, LONG, 64));
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for x in 0..8 {
        let b = batcher.clone();
        calls.spawn(async move { (x, b.submit(x).await) });
    }
    // Paused time auto-advances when idle: had the worker waited for
    // the one-hour deadline, this timeout would fire first.
    let answers = timeout(Duration::from_secs(1), calls.join_all())
        .await
        .expect("full batches dispatch at once");
    for (x, answer) in answers {
        assert_eq!(answer, Ok(x * 2));
    }
    assert_eq!(*sizes.lock().expect("sizes"), [4, 4]);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_batch_deadline_is_max_wait_after_the_oldest_or_none_beyond_the_clock() {
    let oldest = Instant::now();
    let cases = [
        (Duration::ZERO, Some(oldest)),
        (
            Duration::from_millis(5),
            Some(oldest + Duration::from_millis(5)),
        ),
        (LONG, Some(oldest + LONG)),
        (Duration::MAX, None),
    ];
    for (max_wait, expected) in cases {
        assert_eq!(batch_deadline(oldest, max_wait), expected, "{max_wait:?}");
    }
}

/// `Duration::MAX` (or any wait too long to add to the clock) is a valid
/// `max_wait` meaning "no deadline": a partial batch waits until it fills
/// or until shutdown — it must not overflow `Instant + Duration` in the
/// worker, which used to panic there and leave every caller with
/// `WorkerStopped`.
#[tokio::test(start_paused = true)]
async fn a_max_wait_too_long_for_the_clock_means_no_deadline() {
    let (batcher, sizes) = recording_batcher(config(4, Duration::MAX, 16));
    assert_eq!(batcher.config().validate(), Ok(()));
    let partial: Vec<_> = (0..2)
        .map(|x| batcher.try_submit(x).expect("room"))
        .collect();
    // The paused clock jumps ahead whenever the runtime is idle: a year
    // passes, and the partial batch is still waiting to fill.
    tokio::time::sleep(Duration::from_secs(365 * 24 * 3600)).await;
    assert!(sizes.lock().expect("sizes").is_empty(), "no deadline fired");
    // Two more fill the batch, which then goes at once.
    let filling: Vec<_> = (2..4)
        .map(|x| batcher.try_submit(x).expect("room"))
        .collect();
    for (x, ticket) in (0..4).zip(partial.into_iter().chain(filling)) {
        assert_eq!(timeout(GUARD, ticket).await.expect("no hang"), Ok(x * 2));
    }
    // A partial batch goes at shutdown.
    let last = batcher.try_submit(9).expect("room");
    batcher.shutdown().await;
    assert_eq!(timeout(GUARD, last).await.expect("no hang"), Ok(18));
    assert_eq!(*sizes.lock().expect("sizes"), [4, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_partial_batch_goes_at_the_deadline() {
    let (batcher, sizes) = recording_batcher(config(10, Duration::from_millis(5), 64));
    let started = Instant::now();
    let (a, b, c) = tokio::join!(batcher.submit(1), batcher.submit(2), batcher.submit(3));
    assert_eq!((a, b, c), (Ok(2), Ok(4), Ok(6)));
    assert_eq!(*sizes.lock().expect("sizes"), [3]);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(5) && waited < Duration::from_millis(7),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_oldest_arrival() {
    // Handler takes 50 ms; max_wait is 10 ms.
    let batcher = Batcher::new(
        config(8, Duration::from_millis(10), 64),
        |xs: Vec<u64>| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, String>(xs.into_iter().map(Ok).collect())
        },
    )
    .expect("valid");
    let t0 = Instant::now();
    let first = tokio::spawn({
        let b = batcher.clone();
        async move { b.submit(1).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await; // first batch is in the handler
    let second = batcher.submit(2).await;
    assert_eq!(second, Ok(2));
    assert_eq!(first.await.expect("task"), Ok(1));
    // first: 10 ms wait + 50 ms call, ends at 60. second arrived at 20,
    // has waited 40 ms > max_wait by then, so goes at once: ends at 110,
    // not 120.
    assert_eq!(t0.elapsed().as_millis(), 110);
}

#[tokio::test(start_paused = true)]
async fn a_late_caller_rejoins_the_next_batch_instead_of_splitting_the_loop() {
    // 4 closed-loop clients, max_batch 4, handler 10 ms. Client 3 is late
    // once (5 ms), so one batch goes without it; after that, all four
    // must be back in one batch: the worker yields after answering, so
    // the clients it just answered queue their next request before it
    // collects the late one. Without the yield the loop splits into
    // [3] and [0, 1, 2] for good.
    let sizes = Arc::new(StdMutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let batcher = Batcher::new(
        config(4, Duration::from_millis(1), 16),
        move |xs: Vec<u64>| {
            seen.lock().expect("sizes lock").push(xs.len());
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok::<_, String>(xs.into_iter().map(Ok).collect())
            }
        },
    )
    .expect("valid");
    let mut clients = JoinSet::new();
    for client in 0..4u64 {
        let b = batcher.clone();
        clients.spawn(async move {
            for round in 0..6u64 {
                if client == 3 && round == 1 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                assert_eq!(b.submit(round).await, Ok(round));
            }
        });
    }
    timeout(GUARD, clients.join_all()).await.expect("no hang");
    // The last batch is client 3's sixth request alone: it is one
    // request behind the others since its late start.
    assert_eq!(*sizes.lock().expect("sizes"), [4, 3, 4, 4, 4, 4, 1]);
}

#[tokio::test]
async fn per_item_errors_fail_only_their_caller() {
    let batcher = Batcher::new(
        config(8, Duration::from_millis(5), 64),
        |xs: Vec<u64>| async move {
            Ok::<_, String>(
                xs.into_iter()
                    .map(|x| {
                        if x % 2 == 1 {
                            Err(format!("{x} is odd"))
                        } else {
                            Ok(x)
                        }
                    })
                    .collect(),
            )
        },
    )
    .expect("valid");
    let answers = timeout(GUARD, async {
        tokio::join!(
            batcher.submit(1),
            batcher.submit(2),
            batcher.submit(3),
            batcher.submit(4)
        )
    })
    .await
    .expect("no hang");
    assert_eq!(answers.0, Err(BatchError::Item("1 is odd".into())));
    assert_eq!(answers.1, Ok(2));
    assert_eq!(answers.2, Err(BatchError::Item("3 is odd".into())));
    assert_eq!(answers.3, Ok(4));
    assert_eq!(batcher.stats().batches, 1);
}

/// Handler failures as data: the poison input, what every caller of
/// that batch gets.
#[tokio::test]
async fn handler_failures_fail_the_batch_and_the_batcher_keeps_serving() {
    let batcher = Batcher::new(config(4, Duration::from_millis(2), 64), |xs: Vec<u64>| {
        if xs.contains(&100) {
            panic!("panicked while building the call");
        }
        async move {
            match xs.first() {
                Some(&101) => panic!("boom on {}", xs[0]),
                Some(&102) => Err("backend unavailable".to_owned()),
                Some(&103) => Ok(xs.iter().skip(1).map(|&x| Ok(x)).collect()),
                _ => Ok(xs.into_iter().map(Ok).collect()),
            }
        }
    })
    .expect("valid");
    let cases = [
        (
            100,
            BatchError::HandlerPanicked("panicked while building the call".into()),
        ),
        (101, BatchError::HandlerPanicked("boom on 101".into())),
        (102, BatchError::Handler("backend unavailable".into())),
        (
            103,
            BatchError::WrongResultCount {
                expected: 2,
                got: 1,
            },
        ),
    ];
    for (poison, expected) in cases {
        // The poison first, a bystander second, in one batch.
        let ticket = batcher.try_submit(poison).expect("room");
        let bystander = batcher.try_submit(7).expect("room");
        let (a, b) = timeout(GUARD, async { tokio::join!(ticket, bystander) })
            .await
            .expect("no hang");
        assert_eq!(a, Err(expected.clone()), "poison {poison}");
        assert_eq!(b, Err(expected), "bystander of {poison}");
        assert_eq!(
            timeout(GUARD, batcher.submit(9)).await.expect("no hang"),
            Ok(9),
            "still serving after {poison}"
        );
    }
}

#[tokio::test]
async fn try_submit_fails_fast_and_submit_waits_for_room() {
    let (batcher, gate, mut started) = gated_batcher(config(1, Duration::ZERO, 2));
    let first = batcher.try_submit(1).expect("room");
    assert_eq!(started.recv().await, Some(1)); // the worker took it: handler is blocked
    let queued = [
        batcher.try_submit(2).expect("room"),
        batcher.try_submit(3).expect("room"),
    ];
    assert_eq!(batcher.queued(), 2);
    let full = batcher.try_submit(4).expect_err("queue is full");
    assert_eq!(full, BatchError::QueueFull { capacity: 2 });
    assert!(full.to_string().contains("full"));
    // submit waits (backpressure) rather than failing.
    let waiting = tokio::spawn({
        let b = batcher.clone();
        async move { b.submit(5).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiting.is_finished(), "submit waits for room");
    gate.add_permits(100);
    let answers = timeout(GUARD, async {
        let [a, b] = queued;
        (first.await, a.await, b.await, waiting.await)
    })
    .await
    .expect("no hang");
    assert_eq!((answers.0, answers.1, answers.2), (Ok(2), Ok(4), Ok(6)));
    assert_eq!(answers.3.expect("task"), Ok(10));
}

#[tokio::test]
async fn shutdown_flushes_the_queue_without_waiting_for_deadlines() {
    let (batcher, gate, mut started) = gated_batcher(config(2, LONG, 16));
    let tickets: Vec<_> = (0..5)
        .map(|x| batcher.try_submit(x).expect("room"))
        .collect();
    assert_eq!(started.recv().await, Some(2));
    let shutdown = tokio::spawn({
        let b = batcher.clone();
        async move { b.shutdown().await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(batcher.is_shutting_down());
    assert_eq!(batcher.submit(99).await, Err(BatchError::ShuttingDown));
    assert_eq!(batcher.try_submit(99).err(), Some(BatchError::ShuttingDown));
    gate.add_permits(100);
    for (x, ticket) in (0..5).zip(tickets) {
        assert_eq!(
            timeout(GUARD, ticket).await.expect("no hang"),
            Ok(x * 2),
            "queued before shutdown: answered"
        );
    }
    timeout(GUARD, shutdown)
        .await
        .expect("shutdown returns")
        .expect("task");
    // Idempotent, and after the end.
    timeout(GUARD, batcher.shutdown())
        .await
        .expect("second shutdown returns");
    assert_eq!(batcher.stats().requests, 5);
}

#[tokio::test]
async fn submitters_waiting_for_room_are_refused_at_shutdown_not_left_hanging() {
    let (batcher, gate, mut started) = gated_batcher(config(1, Duration::ZERO, 1));
    let first = batcher.try_submit(1).expect("room");
    assert_eq!(started.recv().await, Some(1));
    let queued = batcher.try_submit(2).expect("room");
    let blocked = tokio::spawn({
        let b = batcher.clone();
        async move { b.submit(3).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    let shutdown = tokio::spawn({
        let b = batcher.clone();
        async move { b.shutdown().await }
    });
    // Refused while the handler is still blocked: the worker closes the
    // queue as soon as shutdown is asked for.
    let refused = timeout(GUARD, blocked)
        .await
        .expect("no hang")
        .expect("task");
    assert_eq!(refused, Err(BatchError::ShuttingDown));
    gate.add_permits(10);
    assert_eq!(timeout(GUARD, first).await.expect("no hang"), Ok(2));
    assert_eq!(timeout(GUARD, queued).await.expect("no hang"), Ok(4));
    timeout(GUARD, shutdown)
        .await
        .expect("shutdown returns")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_midway_under_concurrent_load_loses_nothing() {
    for round in 0..5u64 {
        let batcher = Batcher::new(
            config(8, Duration::from_millis(1), 16),
            |xs: Vec<u64>| async move {
                tokio::time::sleep(Duration::from_micros(300)).await;
                Ok::<_, String>(xs.into_iter().map(|x| Ok(x + 1)).collect())
            },
        )
        .expect("valid");
        let mut tasks = JoinSet::new();
        for s in 0..64u64 {
            let b = batcher.clone();
            tasks.spawn(async move {
                let mut outcomes = Vec::new();
                for i in 0..50 {
                    let x = s * 1000 + i;
                    let answer = if i % 2 == 0 {
                        b.submit(x).await
                    } else {
                        match b.try_submit(x) {
                            Ok(ticket) => ticket.await,
                            Err(BatchError::QueueFull { .. }) => continue,
                            Err(e) => Err(e),
                        }
                    };
                    outcomes.push((x, answer));
                }
                outcomes
            });
        }
        tokio::time::sleep(Duration::from_millis(5 + 3 * round)).await;
        timeout(GUARD, batcher.shutdown())
            .await
            .expect("shutdown returns");
        let all = timeout(GUARD, tasks.join_all())
            .await
            .expect("no submit hangs");
        let (mut answered, mut refused) = (0, 0);
        for (x, answer) in all.into_iter().flatten() {
            match answer {
                Ok(y) => {
                    assert_eq!(y, x + 1);
                    answered += 1;
                }
                Err(BatchError::ShuttingDown) => refused += 1,
                Err(e) => panic!("submit({x}) got {e}"),
            }
        }
        assert!(
            answered > 0 && refused > 0,
            "shutdown was midway: {answered} answered, {refused} refused"
        );
        assert_eq!(
            batcher.stats().requests,
            answered,
            "every accepted request was answered"
        );
        assert_eq!(batcher.submit(1).await, Err(BatchError::ShuttingDown));
    }
}

#[tokio::test]
async fn dropped_callers_do_not_break_the_worker() {
    let (batcher, gate, mut started) = gated_batcher(config(4, Duration::from_millis(1), 16));
    // Dropped while its batch is in the handler: its answer has nowhere
    // to go, and that is fine.
    let in_flight = tokio::spawn({
        let b = batcher.clone();
        async move { b.submit(1).await }
    });
    assert_eq!(started.recv().await, Some(1));
    in_flight.abort();
    // Dropped before dispatch: skipped, the handler never sees it.
    let abandoned = batcher.try_submit(2).expect("room");
    let kept = batcher.try_submit(3).expect("room");
    drop(abandoned);
    gate.add_permits(100);
    assert_eq!(timeout(GUARD, kept).await.expect("no hang"), Ok(6));
    assert_eq!(
        started.recv().await,
        Some(1),
        "the abandoned request was skipped"
    );
    // A submit future dropped by a caller's own timeout.
    let _ = timeout(Duration::ZERO, batcher.submit(4)).await;
    assert_eq!(
        timeout(GUARD, batcher.submit(5)).await.expect("no hang"),
        Ok(10)
    );
}

#[tokio::test]
async fn dropping_every_handle_flushes_in_the_background() {
    let (batcher, sizes) = recording_batcher(config(4, LONG, 16));
    let tickets: Vec<_> = (0..3)
        .map(|x| batcher.try_submit(x).expect("room"))
        .collect();
    drop(batcher);
    for (x, ticket) in (0..3).zip(tickets) {
        assert_eq!(timeout(GUARD, ticket).await.expect("no hang"), Ok(x * 2));
    }
    assert_eq!(*sizes.lock().expect("sizes"), [3]);
}

#[test]
fn a_dead_runtime_gives_worker_stopped_not_a_hang() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let (batcher, _gate, _started) = {
        let _guard = rt.enter();
        gated_batcher(config(4, Duration::ZERO, 16))
    };
    let ticket = batcher.try_submit(1).expect("room");
    drop(rt); // the worker task is dropped with its runtime
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let answer = other.block_on(async { timeout(GUARD, ticket).await });
    assert_eq!(answer.expect("no hang"), Err(BatchError::WorkerStopped));
}

#[test]
fn error_messages_say_what_happened() {
    let cases = [
        (BatchError::ShuttingDown, "shutting down"),
        (BatchError::Handler("disk full".into()), "disk full"),
        (
            BatchError::Item("bad input".into()),
            "rejected this request: bad input",
        ),
        (
            BatchError::WrongResultCount {
                expected: 4,
                got: 3,
            },
            "3 results for a batch of 4",
        ),
        (
            BatchError::HandlerPanicked("boom".into()),
            "panicked (boom)",
        ),
        (BatchError::WorkerStopped, "stopped"),
    ];
    for (error, words) in cases {
        assert!(error.to_string().contains(words), "{error}");
    }
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    assert_eq!(percentile(&ms, 50.0), Duration::from_millis(50));
    assert_eq!(percentile(&ms, 99.0), Duration::from_millis(99));
    assert_eq!(percentile(&ms[..1], 99.0), Duration::from_millis(1));
    assert_eq!(percentile(&[], 50.0), Duration::ZERO);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("interview/batching-service", demo);
    assert!(n.comparison_with(UNBATCHED).is_some());
    assert_eq!(n.recorded("submits lost or hung"), Some(0.0));
    // The overhead ladder: each rung against the one below.
    let steps: Vec<&str> = n
        .comparisons()
        .iter()
        .filter(|c| c.label.starts_with("requests through a free handler: "))
        .map(|c| c.peer_name.as_str())
        .collect();
    assert_eq!(steps, ["unbatched", "serve_batches_simple"]);
}

/// The overhead ladder as the `batching` kata climbs it: a reader's loop
/// that answers every caller is timed and placed; one that answers wrongly
/// is refused with a message, not timed.
#[test]
fn the_overhead_ladder_places_a_right_reader_and_refuses_a_wrong_one() {
    use mastery_kit::ladder::Kind;
    use mastery_kit::{Mode, Narrator};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("runtime");
    let quick = || Narrator::silent("kata/batching", Mode::Quick);
    let right = ReaderServer {
        name: "your serve_batches".to_owned(),
        start: |queue, max_batch, max_wait, handler| -> ServerFuture {
            Box::pin(serve_batches_simple(queue, max_batch, max_wait, handler))
        },
    };
    let climbed = climb_overhead_ladder(&mut quick(), &runtime, Some(right)).expect("a right loop");
    let placement = climbed.placement.as_ref().expect("the reader was given");
    assert_eq!(placement.reader, "your serve_batches");
    assert_eq!(placement.versus.len(), climbed.rungs.len() - 1);
    assert_eq!(climbed.rungs.last().map(|r| r.kind), Some(Kind::Reader));

    // Answers every caller 0: fast, and wrong.
    let wrong = ReaderServer {
        name: "your serve_batches".to_owned(),
        start: |mut queue: mpsc::Receiver<Queued>, _, _, _| -> ServerFuture {
            Box::pin(async move {
                while let Some((_, caller)) = queue.recv().await {
                    let _ = caller.send(0);
                }
            })
        },
    };
    let text = climb_overhead_ladder(&mut quick(), &runtime, Some(wrong))
        .expect_err("a loop that answers wrongly")
        .to_string();
    assert!(text.contains("requests got a wrong or no answer"), "{text}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the batch size, every caller gets its own answer and no
    /// batch exceeds max_batch.
    #[test]
    fn every_caller_gets_its_own_answer(max_batch in 1usize..10, requests in 0u64..40, wait_us in 0u64..300) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let (answers, sizes) = rt.block_on(async {
            let (batcher, sizes) = recording_batcher(config(max_batch, Duration::from_micros(wait_us), 8));
            let mut calls = JoinSet::new();
            for x in 0..requests {
                let b = batcher.clone();
                calls.spawn(async move { (x, b.submit(x).await) });
            }
            let answers = timeout(GUARD, calls.join_all()).await.expect("no hang");
            batcher.shutdown().await;
            let sizes = sizes.lock().expect("sizes").clone();
            (answers, sizes)
        });
        for (x, answer) in answers {
            proptest::prop_assert_eq!(answer, Ok(x * 2));
        }
        proptest::prop_assert!(sizes.iter().all(|&s| s >= 1 && s <= max_batch));
        proptest::prop_assert_eq!(sizes.iter().sum::<usize>() as u64, requests);
    }
}
