//! The `interview/batching-service` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! batches forming, failures isolated to their own callers, throughput and
//! latency against one handler call per request, and a shutdown under load
//! that loses nothing.

use std::sync::Arc;
use std::time::Duration;

use mastery_kit::narrator::millis;
use mastery_kit::stats::median;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::task::JoinSet;

use super::{
    BatchConfig, BatchError, Batcher, CLIENTS, LoadReport, SimulatedCost, closed_loop,
    compared_configs, simulated_answer, simulated_batcher,
};

mod ladder;

pub use ladder::{FreeHandler, Queued, ReaderServer, ServerFuture, climb_overhead_ladder};

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/batching-service",
        area: Area::Interview,
        rank: 2,
        title: "Batching service (collect → batch → process)",
        python: "asyncio: callers await futures; a worker drains an asyncio.Queue into batches",
        rust: "Batcher<Req, Resp>: bounded mpsc, size-or-deadline batches, a oneshot answer per caller, graceful flush on shutdown",
        path: "interview/src/batching_service/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The peer of every comparison.
pub(super) const UNBATCHED: &str = "unbatched (one handler call per request)";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    runtime.block_on(batches_formed(n))?;
    runtime.block_on(failure_isolation(n))?;
    runtime.block_on(throughput_and_latency(n))?;
    ladder::overhead_ladder(n, &runtime)?;
    runtime.block_on(shutdown_under_load(n))
}

async fn batches_formed(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Collect → batch → process: 10 concurrent submits, max_batch 4");
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let config = BatchConfig {
        max_batch: 4,
        max_wait: Duration::from_millis(5),
        queue_capacity: 16,
    };
    let batcher = Batcher::new(config, move |xs: Vec<u32>| {
        if let Ok(mut sizes) = seen.lock() {
            sizes.push(xs.len());
        }
        async move { Ok::<_, String>(xs.into_iter().map(|x| Ok(x * x)).collect()) }
    })?;
    let mut calls = JoinSet::new();
    for x in 0..10u32 {
        let batcher = batcher.clone();
        calls.spawn(async move { batcher.submit(x).await });
    }
    let answers = calls.join_all().await;
    batcher.shutdown().await;
    let answered = answers.iter().filter(|a| a.is_ok()).count();
    anyhow::ensure!(answered == 10, "all 10 submits answered, got {answered}");
    let sizes = sizes.lock().map(|s| s.clone()).unwrap_or_default();
    n.show(format!("handler calls with batch sizes {sizes:?}"));
    n.record_count("handler calls for 10 requests", sizes.len());
    n.say(
        "Each batch is one handler call; a batch closes when it holds 4 requests or its \
         oldest request has waited max_wait (5 ms) — whichever comes first.",
    );
    Ok(())
}

/// The demo's deliberate panic.
const DEMO_PANIC: &str = "the model crashed on input 666";

async fn failure_isolation(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A bad item, a failing handler, a panicking handler");
    mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
    let config = BatchConfig {
        max_batch: 8,
        max_wait: Duration::from_millis(2),
        queue_capacity: 16,
    };
    // 13 is rejected alone; 666 makes the handler panic; 0 fails the whole
    // batch; a batch holding 7 loses a result.
    let batcher = Batcher::new(config, |xs: Vec<i64>| async move {
        if xs.contains(&666) {
            panic!("{DEMO_PANIC}");
        }
        if xs.contains(&0) {
            return Err("division by zero in the batch".to_owned());
        }
        let mut out: Vec<Result<i64, String>> = xs
            .iter()
            .map(|&x| {
                if x == 13 {
                    Err(format!("{x} is unlucky"))
                } else {
                    Ok(100 / x)
                }
            })
            .collect();
        if xs.contains(&7) {
            out.pop();
        }
        Ok(out)
    })?;
    for group in [&[1, 13, 4][..], &[2, 666], &[5, 0], &[7, 3], &[10, 20]] {
        // Queued back to back, so each group is one batch (max_wait 2 ms).
        let mut tickets = Vec::new();
        for &x in group {
            tickets.push((x, batcher.try_submit(x)?));
        }
        for (x, ticket) in tickets {
            match ticket.await {
                Ok(v) => n.show(format!("submit({x:>3}) → Ok({v})")),
                Err(e) => n.show(format!("submit({x:>3}) → Err: {e}")),
            }
        }
    }
    let after = batcher.submit(50).await;
    anyhow::ensure!(
        after == Ok(2),
        "the batcher still serves after failures: {after:?}"
    );
    n.say(
        "Only the caller of 13 failed in the first batch; the panic, the handler error and \
         the short result list each failed exactly their own batch, and the last batch — \
         after all of them — was served normally.",
    );
    batcher.shutdown().await;
    Ok(())
}

/// A configuration's name in the demo's labels.
fn setup_name(config: &BatchConfig) -> String {
    match config.max_batch {
        1 => "unbatched (max_batch 1)".to_owned(),
        max_batch => format!(
            "batch {max_batch}, max_wait {} ms",
            config.max_wait.as_millis()
        ),
    }
}

/// Runs of each configuration in the load comparison. A round runs every
/// configuration once, and the unbatched run — one handler call per
/// request, 64 clients — is most of a round's time, so the comparison takes
/// half the samples other timings take: the five of a full run still give a
/// verdict (the sign-test interval over five pairs covers 93.75 %).
fn load_rounds(n: &Narrator) -> usize {
    n.mode().pick(1, n.samples().div_ceil(2))
}

async fn throughput_and_latency(n: &mut Narrator) -> anyhow::Result<()> {
    let cost = SimulatedCost::DEMO;
    n.section("Throughput and latency: 64 clients, handler = 1 ms per call + 10 µs per item");
    n.say(
        "The fixed cost is a tokio sleep (I/O-like: a round trip), the per-item cost a CPU \
         spin. Tokio's timer ticks in milliseconds, so first: what one call really costs here.",
    );
    time_one_handler_call(n, cost).await?;
    let rounds = load_rounds(n);
    let deep_requests_per_client = 8;
    let requests_per_client = n.mode().pick_deep(1, 2, deep_requests_per_client);
    n.say(&format!(
        "Each configuration serves {CLIENTS} clients × {requests_per_client} requests per run, \
         {rounds} runs each (`--deep`: {deep_requests_per_client} requests per client, and more \
         runs). A round runs every configuration once — unbatched first on even \
         rounds, last on odd ones — and each figure below is the median over the runs. A \
         comparison pairs a batched run with the unbatched run of the same round: the \
         throughputs of the two runs, and their p99 latencies (a p99 is a figure of one run, \
         so it is compared run against run, never from a single pair)."
    ));
    let configs = compared_configs();
    let mut batchers = Vec::with_capacity(configs.len());
    for config in &configs {
        batchers.push(simulated_batcher(*config, cost)?);
    }
    let mut runs: Vec<Vec<LoadReport>> = vec![Vec::with_capacity(rounds); configs.len()];
    for round in 0..rounds {
        for i in 0..configs.len() {
            let c = if round % 2 == 0 {
                i
            } else {
                configs.len() - 1 - i
            };
            let report = closed_loop(&batchers[c], CLIENTS, requests_per_client).await;
            anyhow::ensure!(
                report.failures == 0,
                "{}: {} of {} requests failed or were answered wrongly",
                setup_name(&configs[c]),
                report.failures,
                report.requests
            );
            runs[c].push(report);
        }
    }
    for batcher in batchers {
        batcher.shutdown().await;
    }
    // compared_configs() starts with the unbatched peer; the rest compare to it.
    let Some(unbatched) = runs.first() else {
        anyhow::bail!("compared_configs() lists no configuration");
    };
    for (config, reports) in configs.iter().zip(&runs) {
        let name = setup_name(config);
        let summary = Summary::of(reports);
        let budget = config.max_wait.saturating_add(summary.p99_handler_call);
        n.say(&run_heading(&name, config.max_batch, &summary, budget));
        record_summary(n, &name, &summary);
        if config.max_batch == 1 {
            continue;
        }
        n.record_duration(
            &format!("p99 budget (max_wait + p99 handler call), {name}"),
            budget,
        );
        n.compare_samples(
            &format!("throughput, 64 clients, {name}"),
            &each(reports, LoadReport::throughput),
            &each(unbatched, LoadReport::throughput),
            UNBATCHED,
            Unit::OpsPerSec,
        );
        n.compare_samples(
            &format!("p99 latency, 64 clients, {name}"),
            &each(reports, |r| millis(r.p99)),
            &each(unbatched, |r| millis(r.p99)),
            UNBATCHED,
            Unit::Millis,
        );
    }
    n.say(
        "Unbatched, each request queues behind up to 63 others. Batch 8 serves the 64 clients \
         in 8 calls per round, so a request waits for the calls ahead of it. Batch 64 matches \
         the 64 clients: a request waits for about its own call. Batch 256 never fills with 64 \
         clients, so every batch waits the full max_wait — rounded up to tokio's next \
         millisecond tick, which is why a 1 ms max_wait can overshoot its budget there. \
         'Latency minus own handler call' is what batching itself adds; a p99 tail in the \
         handler call is the machine (a late timer, a preempted spin), not the batcher.",
    );
    Ok(())
}

/// `figure` of every run, in round order.
fn each(reports: &[LoadReport], figure: impl Fn(&LoadReport) -> f64) -> Vec<f64> {
    reports.iter().map(figure).collect()
}

/// The median of each figure over one configuration's runs.
struct Summary {
    runs: usize,
    requests: usize,
    throughput: f64,
    requests_per_call: f64,
    p50: Duration,
    p99: Duration,
    p99_handler_call: Duration,
    p99_before_call: Duration,
}

impl Summary {
    fn of(reports: &[LoadReport]) -> Summary {
        let median_of = |figure: &dyn Fn(&LoadReport) -> f64| median(&mut each(reports, figure));
        let median_duration = |figure: fn(&LoadReport) -> Duration| {
            Duration::from_secs_f64(median_of(&|r| figure(r).as_secs_f64()))
        };
        Summary {
            runs: reports.len(),
            requests: reports.first().map_or(0, |r| r.requests),
            throughput: median_of(&LoadReport::throughput),
            requests_per_call: median_of(&|r| r.stats.mean_batch_size()),
            p50: median_duration(|r| r.p50),
            p99: median_duration(|r| r.p99),
            p99_handler_call: median_duration(|r| r.p99_handler_call),
            p99_before_call: median_duration(|r| r.p99_before_call),
        }
    }
}

/// Times the simulated handler alone, for 1 and for 64 items: what one
/// call really costs here, timer rounding included.
async fn time_one_handler_call(n: &mut Narrator, cost: SimulatedCost) -> anyhow::Result<()> {
    for items in [1u64, 64] {
        let samples: u32 = n.mode().pick_deep(3, 10, 20);
        let started = std::time::Instant::now();
        for _ in 0..samples {
            cost.call((0..items).collect())
                .await
                .map_err(anyhow::Error::msg)?;
        }
        n.record_duration(
            &format!("one handler call, {items} item(s), mean"),
            started.elapsed() / samples,
        );
    }
    Ok(())
}

/// The line before a configuration's figures: its name, and whether the
/// one-call latency budget applies to it and its median p99 kept it.
fn run_heading(name: &str, max_batch: usize, summary: &Summary, budget: Duration) -> String {
    let runs = format!("{} runs of {} requests", summary.runs, summary.requests);
    if max_batch == 1 {
        return format!("{name}, {runs}:");
    }
    if max_batch < CLIENTS {
        return format!(
            "{name}, {runs} (more clients than max_batch: a request also waits for the batches \
             ahead of it, so the one-call budget does not apply):"
        );
    }
    let kept = if summary.p99 <= budget {
        "median p99 within the budget max_wait + p99 handler call"
    } else {
        "median p99 OVER the budget max_wait + p99 handler call"
    };
    format!("{name}, {runs} ({kept}):")
}

/// The figures of one configuration, each the median over its runs.
fn record_summary(n: &mut Narrator, name: &str, summary: &Summary) {
    n.record(
        &format!("throughput, {name}"),
        summary.throughput,
        Unit::OpsPerSec,
    );
    n.record(
        &format!("requests per handler call, {name}"),
        summary.requests_per_call,
        Unit::Count,
    );
    n.record_duration(&format!("p50 latency, {name}"), summary.p50);
    n.record_duration(&format!("p99 latency, {name}"), summary.p99);
    n.record_duration(
        &format!("p99 handler call, {name}"),
        summary.p99_handler_call,
    );
    n.record_duration(
        &format!("p99 latency minus own handler call, {name}"),
        summary.p99_before_call,
    );
}

async fn shutdown_under_load(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Shutdown under load: every submit answered or refused, none lost");
    let config = BatchConfig {
        max_batch: 16,
        max_wait: Duration::from_millis(1),
        queue_capacity: 64,
    };
    let cost = SimulatedCost {
        per_call: Duration::from_millis(1),
        per_item: Duration::from_micros(1),
    };
    let batcher = simulated_batcher(config, cost)?;
    let submitters = n.mode().pick(64, 256);
    let per_submitter = 20;
    let mut tasks = JoinSet::new();
    for s in 0..submitters {
        let batcher = batcher.clone();
        tasks.spawn(async move {
            let (mut answered, mut refused, mut other) = (0u64, 0u64, 0u64);
            for i in 0..per_submitter {
                let x = (s * per_submitter + i) as u64;
                match batcher.submit(x).await {
                    Ok(served) if served.value == simulated_answer(x) => answered += 1,
                    Err(BatchError::ShuttingDown) => refused += 1,
                    _ => other += 1,
                }
            }
            (answered, refused, other)
        });
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let queued_at_shutdown = batcher.queued();
    let started = std::time::Instant::now();
    batcher.shutdown().await;
    let shutdown_took = started.elapsed();
    let results = tokio::time::timeout(Duration::from_secs(10), tasks.join_all())
        .await
        .map_err(|_| anyhow::anyhow!("a submitter hung after shutdown"))?;
    let (answered, refused, other) = results.iter().fold((0, 0, 0), |(a, r, o), &(a2, r2, o2)| {
        (a + a2, r + r2, o + o2)
    });
    let total = (submitters * per_submitter) as u64;
    anyhow::ensure!(
        answered + refused == total && other == 0,
        "{total} submits: {answered} answered + {refused} refused + {other} other"
    );
    n.say(&format!(
        "{submitters} submitters × {per_submitter} requests; shutdown() after 10 ms found \
         {queued_at_shutdown} requests queued, flushed them and returned:"
    ));
    n.record_count("submits answered correctly", answered);
    n.record_count("submits refused with ShuttingDown", refused);
    n.record_count("submits lost or hung", total - answered - refused);
    n.record_duration("shutdown() duration (flush included)", shutdown_took);
    Ok(())
}
