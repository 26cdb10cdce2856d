//! The demo of `concurrency/asyncio-patterns`: backpressure, the three
//! shutdowns with exact counts, per-item timeouts, the `select!` bug story,
//! and the hand-off cost against threads.

use std::time::Duration;

use mastery_kit::narrator::millis;
use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};
use tokio::sync::mpsc;

use super::{
    Pairing, Pipeline, PipelineConfig, Report, Shutdown, collect_pairs, collect_pairs_broken,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/asyncio-patterns",
        area: Area::Concurrency,
        rank: 1,
        title: "AsyncIO producer/consumer and cancellation",
        python: "asyncio.Queue(maxsize=N) producers/consumers; task.cancel(); asyncio.wait_for; draining on shutdown",
        rust: "bounded tokio mpsc (backpressure), CancellationToken + select!, tokio::time::timeout, graceful drain vs hard stop with exact counts",
        path: "concurrency/src/asyncio_patterns/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The peer of the hand-off measurement.
pub(super) const STD_PEER: &str = "std sync_channel + 2 threads";
/// Label of the figure that must be zero in every shutdown.
pub(super) const UNACCOUNTED: &str = "items lost without a count (all shutdowns)";
/// Label of the broken pair loop's losses (more than zero: the bug).
pub(super) const BROKEN_LOST: &str = "items lost by collect_pairs_broken";
/// Label of the fixed pair loop's losses.
pub(super) const FIXED_LOST: &str = "items lost by collect_pairs (fixed)";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    // Backpressure, shutdowns, timeouts and the bug story are about counts
    // and order; their sleeps stand for work. On tokio's paused clock a
    // sleep costs no wall time and lasts exactly as asked, so those
    // sections print the same figures on every machine.
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    paused.block_on(backpressure(n))?;
    paused.block_on(shutdown_modes(n))?;
    paused.block_on(item_timeouts(n))?;
    paused.block_on(select_bug_story(n))?;
    // The hand-off cost is a real measurement, on real threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    hand_off_cost(n, &runtime)
}

/// Runs `producers` producers of `per_producer` items each into one consumer
/// that takes `work` per item; drains gracefully once the producers are done.
async fn slow_consumer_run(
    capacity: usize,
    producers: u64,
    per_producer: u64,
    work: Duration,
) -> anyhow::Result<Report> {
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity,
        item_timeout: None,
    })?;
    pipeline.spawn_consumers(1, move |_: u64| tokio::time::sleep(work));
    for p in 0..producers {
        pipeline.spawn_producer(move |queue| async move {
            for i in 0..per_producer {
                if queue.send(p * per_producer + i).await.is_err() {
                    return;
                }
            }
        });
    }
    pipeline.join_producers().await;
    let report = pipeline.shutdown(Shutdown::Graceful).await.report;
    anyhow::ensure!(
        report.is_balanced() && report.consumed == producers * per_producer,
        "every item consumed: {report}"
    );
    Ok(report)
}

async fn backpressure(n: &mut Narrator) -> anyhow::Result<()> {
    let per_producer = n.mode().pick(12, 200);
    let total = 2 * per_producer;
    let work = Duration::from_millis(1);
    n.section(&format!(
        "Backpressure: 2 fast producers, 1 consumer at {} ms per item, {total} items",
        work.as_millis()
    ));
    // Rounds in pairs, as for any timed comparison; the last round's
    // reports are the ones shown.
    let (mut small_ms, mut large_ms) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..n.samples() {
        let small = slow_consumer_run(4, 2, per_producer, work).await?;
        let large = slow_consumer_run(total as usize, 2, per_producer, work).await?;
        small_ms.push(millis(small.elapsed));
        large_ms.push(millis(large.elapsed));
        last = Some((small, large));
    }
    let (small, large) = last.ok_or_else(|| anyhow::anyhow!("at least one round runs"))?;
    for (capacity, r) in [(4, &small), (total, &large)] {
        n.show(format!(
            "capacity {capacity:>4}: producers blocked {:>7.1} ms (summed over both) in {:>4} sends, peak depth {:>4}, done in {:.1} ms",
            millis(r.producer_blocked),
            r.blocked_sends,
            r.peak_depth,
            millis(r.elapsed),
        ));
    }
    n.record_duration(
        "producer blocked time (sum of 2), capacity 4",
        small.producer_blocked,
    );
    n.record_duration(
        &format!("producer blocked time (sum of 2), capacity {total} (never full)"),
        large.producer_blocked,
    );
    let depth = n.compare(
        "peak queue depth (items held in memory)",
        small.peak_depth as f64,
        large.peak_depth as f64,
        &format!("capacity {total}, like asyncio.Queue()"),
        Unit::Count,
    );
    let time = n.compare_samples(
        "time to process everything",
        &small_ms,
        &large_ms,
        &format!("capacity {total}"),
        Unit::Millis,
    );
    let memory = match depth.verdict {
        Verdict::Better => format!("{:.0}× as many items in memory", depth.speedup),
        _ => "no more items in memory than the small one".to_owned(),
    };
    let pace = match time.verdict {
        Verdict::Tie { within } if within < 1e-9 => "exactly the same total time".to_owned(),
        Verdict::Tie { within } => format!(
            "the same total time as far as this run can tell (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Better => "yet the small queue finished sooner".to_owned(),
        Verdict::Worse => "yet the small queue finished later".to_owned(),
        Verdict::Equal | Verdict::TooFewSamples => {
            "total times as above (too few rounds for a verdict)".to_owned()
        }
    };
    n.say(&format!(
        "The consumer sets the pace either way. With a small queue the producers wait \
         (that wait is the backpressure signal, and what they would otherwise have piled \
         up in memory); with a queue that never fills they finish at once and the items \
         wait in the queue instead: {pace}, and the large queue held {memory}. The \
         consumer's {} ms per item is a sleep on the paused clock, so the times are \
         virtual and exact.",
        work.as_millis()
    ));
    Ok(())
}

async fn shutdown_modes(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Shutdown with 16 slots, 2 consumers at 1 ms per item, an endless producer");
    let mut unaccounted = 0;
    for mode in [
        Shutdown::Graceful,
        Shutdown::Hard,
        Shutdown::DrainFor(Duration::from_millis(3)),
    ] {
        let mut pipeline = Pipeline::new(PipelineConfig {
            capacity: 16,
            item_timeout: None,
        })?;
        pipeline.spawn_consumers(2, |_: u64| tokio::time::sleep(Duration::from_millis(1)));
        pipeline.spawn_producer(|queue| async move {
            let mut i = 0;
            while queue.send(i).await.is_ok() {
                i += 1;
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let queued = pipeline.queued();
        let outcome = pipeline.shutdown(mode).await;
        let r = outcome.report;
        anyhow::ensure!(r.is_balanced(), "{mode:?}: {r}");
        anyhow::ensure!(
            outcome.unprocessed.len() as u64 == r.dropped,
            "{mode:?}: every dropped item is handed back"
        );
        if mode == Shutdown::Graceful {
            anyhow::ensure!(r.unfinished() == 0, "graceful drops nothing: {r}");
        }
        unaccounted += r.produced.abs_diff(r.accounted());
        let name = match mode {
            Shutdown::Graceful => "graceful",
            Shutdown::Hard => "hard",
            Shutdown::DrainFor(_) => "drain for 3 ms",
        };
        n.show(format!(
            "{name:<14} {queued:>2} queued at the call → {r}{}",
            if r.forced { " (forced)" } else { "" }
        ));
        n.record_count(
            &format!("{name}: dropped (counted, handed back)"),
            r.dropped,
        );
        n.record_count(&format!("{name}: cancelled in flight"), r.cancelled);
    }
    n.record_count(UNACCOUNTED, unaccounted);
    n.say(
        "Graceful drains the queue and finishes in-flight items; hard abandons the items \
         held by consumers and hands the queued ones back to the caller; drain-for runs \
         graceful until its deadline and then hard. Each way, every item produced is in \
         exactly one count.",
    );
    Ok(())
}

async fn item_timeouts(n: &mut Narrator) -> anyhow::Result<()> {
    let items = n.mode().pick(20, 200);
    let limit = Duration::from_millis(5);
    n.section(&format!(
        "Per-item timeout of {} ms: every 4th of {items} items hangs for 50 ms",
        limit.as_millis()
    ));
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity: 8,
        item_timeout: Some(limit),
    })?;
    pipeline.spawn_consumers(2, |i: u64| async move {
        if i % 4 == 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    pipeline.spawn_producer(move |queue| async move {
        for i in 0..items {
            if queue.send(i).await.is_err() {
                return;
            }
        }
    });
    pipeline.join_producers().await;
    let r = pipeline.shutdown(Shutdown::Graceful).await.report;
    n.show(format!("{r}, in {:.1} ms", millis(r.elapsed)));
    anyhow::ensure!(
        r.is_balanced() && r.timed_out == items / 4,
        "exactly the hanging items time out: {r}"
    );
    n.record_count("items timed out (counted, not lost)", r.timed_out);
    n.say(
        "tokio::time::timeout is asyncio.wait_for: the hanging handler is dropped at the \
         deadline and the item is counted as timed out, so the consumers move on and the \
         total time stays bounded by the limit, not by the hang.",
    );
    Ok(())
}

/// Sends `items` with `gap` between them into one of the pair loops,
/// whose heartbeat starts `HEARTBEAT_OFFSET` after the first item.
async fn pair_run(items: u32, gap: Duration, heartbeat: Duration, broken: bool) -> Pairing<u32> {
    let (tx, mut rx) = mpsc::channel(4);
    let sender = tokio::spawn(async move {
        for i in 0..items {
            if tx.send(i).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    });
    tokio::time::sleep(HEARTBEAT_OFFSET).await;
    let pairing = if broken {
        collect_pairs_broken(&mut rx, heartbeat).await
    } else {
        collect_pairs(&mut rx, heartbeat).await
    };
    // The sender ends when its loop does (or the receiver is gone); a
    // panic there would be a bug in this demo, reported as such.
    if let Err(e) = sender.await {
        tracing::warn!("pair sender failed: {e}");
    }
    pairing
}

/// How long after the first item the heartbeat starts: on the paused clock
/// a tick due at the very instant of a send would race it in a fixed
/// order, so the ticks (every 10 ms from here) fall between the sends.
const HEARTBEAT_OFFSET: Duration = Duration::from_millis(1);

async fn select_bug_story(n: &mut Narrator) -> anyhow::Result<()> {
    let items = n.mode().pick(24, 200);
    let gap = Duration::from_millis(4);
    let heartbeat = Duration::from_millis(10);
    n.section(&format!(
        "Bug story: {items} items, one every {} ms, paired while a {} ms heartbeat ticks",
        gap.as_millis(),
        heartbeat.as_millis()
    ));
    let sent: Vec<u32> = (0..items).collect();
    let broken = pair_run(items, gap, heartbeat, true).await;
    let fixed = pair_run(items, gap, heartbeat, false).await;
    let broken_lost = u64::from(items) - broken.items();
    let fixed_lost = u64::from(items) - fixed.items();
    n.show(format!(
        "collect_pairs_broken: {} pairs, {} heartbeats, {broken_lost} items silently lost{}",
        broken.pairs.len(),
        broken.heartbeats,
        match broken.check_all_returned(&sent) {
            Ok(()) => String::new(),
            Err(e) => format!(" ({e})"),
        }
    ));
    n.show(format!(
        "collect_pairs:        {} pairs, {} heartbeats, {fixed_lost} items lost",
        fixed.pairs.len(),
        fixed.heartbeats
    ));
    fixed
        .check_all_returned(&sent)
        .map_err(|e| anyhow::anyhow!("the fixed loop lost items: {e}"))?;
    anyhow::ensure!(
        broken_lost > 0,
        "the broken loop lost nothing: no heartbeat fell between the halves of a pair"
    );
    n.record_count(BROKEN_LOST, broken_lost);
    n.record_count(FIXED_LOST, fixed_lost);
    n.say(
        "The broken loop races a future that has already taken the first half of a pair; \
         when the heartbeat wins, select! drops that future and the half inside it. The \
         fix races only recv(), which holds nothing while it waits, and keeps the half in \
         a loop variable. (How many the broken loop loses depends on timing — which is \
         why this bug survives testing that does not count items. Here the paused clock \
         fixes the timing, so the count is the same in every run.)",
    );
    Ok(())
}

/// Hands `items` over a tokio Pipeline (1 producer task → 1 consumer task).
async fn pipeline_hand_off(items: u64) -> anyhow::Result<u64> {
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity: 64,
        item_timeout: None,
    })?;
    pipeline.spawn_consumers(1, |i: u64| {
        std::hint::black_box(i);
        std::future::ready(())
    });
    pipeline.spawn_producer(move |queue| async move {
        for i in 0..items {
            if queue.send(i).await.is_err() {
                return;
            }
        }
    });
    pipeline.join_producers().await;
    Ok(pipeline.shutdown(Shutdown::Graceful).await.report.consumed)
}

/// Hands `items` over a bare tokio bounded channel (1 task → 1 task; both
/// spawned, as the pipeline's are, so both run on the runtime's workers).
async fn tokio_mpsc_hand_off(items: u64) -> u64 {
    let (tx, mut rx) = mpsc::channel(64);
    let producer = tokio::spawn(async move {
        for i in 0..items {
            if tx.send(i).await.is_err() {
                return;
            }
        }
    });
    let consumer = tokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(i) = rx.recv().await {
            sum = sum.wrapping_add(i);
        }
        sum
    });
    if let Err(e) = producer.await {
        tracing::warn!("hand-off producer failed: {e}");
    }
    consumer.await.unwrap_or_else(|e| {
        tracing::warn!("hand-off consumer failed: {e}");
        0
    })
}

/// Hands `items` over `std::sync::mpsc::sync_channel(64)` between two threads.
fn std_hand_off(items: u64) -> u64 {
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..items {
                if tx.send(i).is_err() {
                    return;
                }
            }
        });
        rx.iter().fold(0u64, u64::wrapping_add)
    })
}

fn hand_off_cost(n: &mut Narrator, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let items = n.mode().pick(5_000u64, 50_000);
    n.section(&format!(
        "Hand-off cost: {items} items through a 64-slot queue, 1 producer → 1 consumer"
    ));
    let consumed = runtime.block_on(pipeline_hand_off(items))?;
    anyhow::ensure!(
        consumed == items,
        "the pipeline consumed {consumed} of {items}"
    );
    let c = n.compare_timed(
        "per item, Pipeline (tokio tasks, counted) vs threads",
        items,
        || runtime.block_on(pipeline_hand_off(items)),
        STD_PEER,
        || std_hand_off(items),
    );
    n.measure(
        "per item, bare tokio mpsc (1 task → 1 task)",
        items,
        || runtime.block_on(tokio_mpsc_hand_off(items)),
    );
    let here = match c.verdict {
        Verdict::Better => format!("here the pipeline was {:.2}× cheaper per item", c.speedup),
        Verdict::Worse => format!(
            "here the threads were {:.2}× cheaper per item",
            1.0 / c.speedup
        ),
        Verdict::Tie { within } => format!(
            "here this run cannot tell the two apart (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "this run took too few samples to say which was cheaper here".to_owned()
        }
    };
    n.say(&format!(
        "What the pipeline adds over a bare channel is the shared receiver's lock, the \
         counters and the token checks. Threads hand off through a futex whenever one side \
         has to sleep, tasks through the runtime's wakers; which is cheaper per item depends \
         on how often each side sleeps on this machine (and on a debug or release build): \
         {here}. What does not depend on the machine: only the tasks can wait on a queue, a \
         timer and a cancellation token at once."
    ));
    Ok(())
}
