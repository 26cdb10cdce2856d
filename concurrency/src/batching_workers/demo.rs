//! The demo: the order pipeline run four ways — fast, with a slowed sink,
//! with a failing stage, and batched against per-item calls — every claim
//! it prints read off the run's own report.

use std::time::Duration;

use mastery_kit::narrator::{format_value, millis};
use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};

use super::{BatchPolicy, Report, StageReport};

pub(super) mod orders;

use orders::{BAD_EVERY, OrdersOutcome, OrdersRun, ROUND_TRIP, run_orders};

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/batching-workers",
        area: Area::Concurrency,
        rank: 3,
        title: "Queues and pipelines (batching workers)",
        python: "asyncio.Queue / multiprocessing queues between worker stages; a consumer that batches with wait_for; None as poison pill",
        rust: "stages over bounded tokio mpsc (backpressure), batches by size or deadline with select!, shutdown by closing channels, per-stage metrics",
        path: "concurrency/src/batching_workers/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Label of the figure that must be zero after the slowed run's drain.
pub(super) const LOST: &str = "items lost at shutdown, slowed sink";
/// Label of the figure that must be zero after the failed run.
pub(super) const UNACCOUNTED: &str = "items not in any count, failed run";
/// The peer of the comparison.
pub(super) const PER_ITEM_PEER: &str = "per-item enrich (1 call per order)";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    // The fast run measures real per-stage throughput, on real threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let fast = runtime.block_on(three_stages(n))?;
    // The other sections are about where items wait, what is counted and
    // how many round trips are made; their sleeps stand for a slow write
    // and a round trip. On tokio's paused clock a sleep costs no wall time
    // and lasts exactly as asked, so those figures are the same on every
    // machine.
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    paused.block_on(slowed_sink(n, &fast))?;
    paused.block_on(failing_stage(n))?;
    paused.block_on(batched_vs_per_item(n))
}

/// A run that must have succeeded and lost nothing.
fn clean(outcome: OrdersOutcome, what: &str) -> anyhow::Result<(Report, OrdersOutcome)> {
    let report = match outcome.result {
        Ok(ref report) => report.clone(),
        Err(ref e) => anyhow::bail!("{what}: {e}"),
    };
    anyhow::ensure!(report.lost_nothing(), "{what}: {}", report.balance());
    anyhow::ensure!(
        report.sunk() == outcome.ledger_orders,
        "{what}: the sink's books disagree with the report"
    );
    Ok((report, outcome))
}

/// Says which stage was busiest (the bottleneck) and how busy, and records
/// its busy share under `label`.
fn name_the_bottleneck(n: &mut Narrator, report: &Report, label: &str) {
    let Some((story, share)) = bottleneck_story(report) else {
        return;
    };
    n.say(&story);
    n.record(label, 100.0 * share, Unit::Percent);
}

/// The bottleneck in words, and its busy share (0–1). Every claim is read
/// off the report: whether the stages before the bottleneck waited in send
/// is what their measured blocked time says, not what theory expects.
pub(super) fn bottleneck_story(report: &Report) -> Option<(String, f64)> {
    let stage = report.bottleneck()?;
    let share = report.utilization(stage).unwrap_or(0.0);
    let mut story = format!(
        "The busiest stage sets the pace of all of them: here `{}`, busy {:.0}% of the run.",
        stage.name,
        100.0 * share
    );
    let upstream = report.stages.iter().take_while(|s| s.name != stage.name);
    let (blocked, sends) = upstream.fold((Duration::ZERO, 0), |(time, sends), s| {
        (time + s.blocked, sends + s.blocked_sends)
    });
    if sends == 0 {
        story.push_str(
            " No stage before it ever found its output queue full: at this pace the queues \
             had room, so nothing upstream waited for it.",
        );
    } else {
        story.push_str(&format!(
            " The stages before it waited {:.1} ms in send, {sends} times finding a full queue \
             (the `blocked` column): the items wait in the queues in front of it (the `mean` \
             and `full` columns).",
            millis(blocked)
        ));
    }
    Some((story, share))
}

async fn three_stages(n: &mut Narrator) -> anyhow::Result<Report> {
    let lines = n.mode().pick(2_000, 8_000);
    let run = OrdersRun::new(lines, 64, BatchPolicy::new(64, Duration::from_millis(2)));
    n.section(&format!(
        "parse → enrich in batches → sink: {lines} order lines, 1 in {BAD_EVERY} malformed"
    ));
    n.say(&format!(
        "Queues of 64 between the stages. Enrich calls a customer service once per batch of up \
         to 64 orders (or what arrived within 2 ms); each call sleeps {} ms, the round trip. \
         The sink books each order at once.",
        ROUND_TRIP.as_millis()
    ));
    let (report, outcome) = clean(run_orders(run).await?, "fast run")?;
    n.show_block(&report);
    if let Some(first) = report.stage("parse").and_then(|s| s.rejections.first()) {
        n.show(format!("first rejection: {first}"));
    }
    for stage in &report.stages {
        if let Some(rate) = stage.throughput() {
            let label = format!("throughput, {} (items/s)", stage.name);
            n.record(&label, rate, Unit::OpsPerSec);
        }
    }
    n.record_count("lines rejected by parse (counted)", report.rejected());
    n.record_count("enrich calls", outcome.calls);
    name_the_bottleneck(n, &report, "busiest stage's busy share, fast sink");
    Ok(report)
}

/// The "full" share of the queue after `stage`, in percent.
fn full_percent(report: &Report, stage: &str) -> f64 {
    let queue = report.stage(stage).and_then(|s| s.outbox);
    queue.and_then(|q| q.full_share).map_or(0.0, |s| 100.0 * s)
}

async fn slowed_sink(n: &mut Narrator, fast: &Report) -> anyhow::Result<()> {
    let lines = n.mode().pick(150, 1_500);
    let mut run = OrdersRun::new(lines, 16, BatchPolicy::new(16, Duration::from_millis(2)));
    run.sink_delay = Some(Duration::from_millis(1));
    n.section(&format!(
        "Slow the sink (it sleeps 1 ms per order): {lines} lines, queues of 16"
    ));
    n.say(
        "From here on the sleeps run on tokio's paused clock: they cost no wall time and last \
         exactly as asked, and the other stages' work takes no virtual time at all, so the \
         times below are the sleeps' and the same on every machine.",
    );
    let (report, outcome) = clean(run_orders(run).await?, "slowed run")?;
    n.show_block(&report);
    let (Some(source), Some(sink)) = (report.stages.first(), report.stages.last()) else {
        anyhow::bail!("a report has a source and a sink");
    };
    let active = source.active.as_secs_f64().max(f64::MIN_POSITIVE);
    let per_order = sink.busy / u32::try_from(sink.emitted.max(1)).unwrap_or(u32::MAX);
    n.record_duration("source blocked waiting for room (ms)", source.blocked);
    n.record(
        "source blocked, share of its active time",
        100.0 * source.blocked.as_secs_f64() / active,
        Unit::Percent,
    );
    n.record_duration("sink time per order, measured (ms)", per_order);
    for (queue, report, run) in [
        ("source", &report, "slowed sink"),
        ("parse", &report, "slowed sink"),
        ("enrich", &report, "slowed sink"),
        ("enrich", fast, "fast sink"),
    ] {
        let label = format!("queue after {queue} found full, {run}");
        n.record(&label, full_percent(report, queue), Unit::Percent);
    }
    name_the_bottleneck(n, &report, "busiest stage's busy share, slowed sink");
    n.say(&backpressure_story(source));
    let lost = report.produced() - report.sunk() - report.rejected();
    n.record_count(
        "items in the queues when the source closed",
        outcome.queued_at_close,
    );
    n.record_duration("drain after closing the source (ms)", outcome.drain);
    n.record_count(LOST, lost);
    n.say(
        "Closing the source is the whole shutdown: each stage drains its inbox, and when its \
         last worker returns its output closes and the next stage drains in turn. Nothing \
         was dropped: produced = sunk + rejected.",
    );
    Ok(())
}

/// What the source's measured blocked time says about backpressure.
pub(super) fn backpressure_story(source: &StageReport) -> String {
    if source.blocked_sends == 0 {
        return "The source never found its queue full in this run: the backpressure did \
                not reach it, and the memory held stayed below the queues' capacity."
            .to_owned();
    }
    format!(
        "A full inbox makes the stage before it wait in send and stop taking from its own \
         inbox, which fills in turn: the backpressure reached the source, whose send waited \
         {} times ({:.1} ms in all), and the memory held stayed at the queues' capacity.",
        source.blocked_sends,
        millis(source.blocked)
    )
}

async fn failing_stage(n: &mut Narrator) -> anyhow::Result<()> {
    let mut run = OrdersRun::new(600, 16, BatchPolicy::new(32, Duration::from_millis(2)));
    run.fail_on_call = Some(3);
    n.section("A failing stage: the customer service resets its third call");
    let outcome = run_orders(run).await?;
    let error = match outcome.result {
        Ok(report) => anyhow::bail!("the failing run succeeded: {}", report.balance()),
        Err(e) => e,
    };
    anyhow::ensure!(error.stage() == "enrich", "the error names enrich: {error}");
    n.show(format!("finish() → Err: {error}"));
    let r = error.report();
    let counted = r.sunk() + r.rejected() + r.abandoned() + r.left_in_queues();
    n.record_count(
        "lines the source refused after the failure",
        outcome.refused,
    );
    n.record_count("items abandoned in stages (counted)", r.abandoned());
    n.record_count("items left in queues (counted)", r.left_in_queues());
    n.record_count(UNACCOUNTED, r.produced().abs_diff(counted));
    let source = if outcome.refused > 0 {
        "and the source's send returned Closed with the line handed back"
    } else {
        "though the source had queued every line before the failure reached it"
    };
    n.say(&format!(
        "The failed stage dropped its inbox, so the stages before it saw their sends fail \
         and stopped, {source}. The sink drained what enrich had already passed on. The \
         error names the stage and its cause, and every item is in one count."
    ));
    Ok(())
}

async fn batched_vs_per_item(n: &mut Narrator) -> anyhow::Result<()> {
    let lines = n.mode().pick(120, 1_000);
    let batched = BatchPolicy::new(64, Duration::from_millis(2));
    let per_item = BatchPolicy::new(1, Duration::ZERO);
    n.section(&format!(
        "Batched vs per-item enrich: {lines} lines, a {} ms sleep (the round trip) per call",
        ROUND_TRIP.as_millis()
    ));
    let rate = |r: &Report| r.sunk() as f64 / r.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    // Rounds in pairs, as for any timed comparison; the last round's runs
    // are the ones shown.
    let (mut batched_rates, mut per_item_rates) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..n.samples() {
        let (b, b_out) = clean(
            run_orders(OrdersRun::new(lines, 64, batched)).await?,
            "batched",
        )?;
        let (p, p_out) = clean(
            run_orders(OrdersRun::new(lines, 64, per_item)).await?,
            "per item",
        )?;
        batched_rates.push(rate(&b));
        per_item_rates.push(rate(&p));
        last = Some((b, b_out, p, p_out));
    }
    let (b, b_out, p, p_out) = last.ok_or_else(|| anyhow::anyhow!("at least one round runs"))?;
    let mut wide = OrdersRun::new(lines, 64, per_item);
    wide.enrich_workers = 8;
    let (w, w_out) = clean(run_orders(wide).await?, "per item, 8 workers")?;
    // The handler's own time per call: round trip plus per-item work.
    let per_call = |r: &Report| {
        r.stage("enrich")
            .and_then(|s| s.batches.map(|b| millis(s.busy) / b.batches.max(1) as f64))
            .unwrap_or(0.0)
    };
    for (name, r, out) in [
        ("batches of ≤64", &b, &b_out),
        ("per item", &p, &p_out),
        ("per item, 8 workers", &w, &w_out),
    ] {
        n.show(format!(
            "{name:<20} {:>4} calls of {:.2} ms each, all done in {:>6.1} ms: {:>7} orders/s",
            out.calls,
            per_call(r),
            millis(r.elapsed),
            format_value(rate(r))
        ));
    }
    let c = n.compare_samples(
        "orders/s end to end, enrich in batches of ≤64 (ours)",
        &batched_rates,
        &per_item_rates,
        PER_ITEM_PEER,
        Unit::OpsPerSec,
    );
    n.record_count("enrich calls, batched", b_out.calls);
    n.record_count("enrich calls, per item", p_out.calls);
    n.record(
        "orders/s end to end, per item with 8 workers",
        rate(&w),
        Unit::OpsPerSec,
    );
    let outcome = match c.verdict {
        Verdict::Better => format!(
            "batching moved {:.0}× the orders per second of one call per order",
            c.speedup
        ),
        Verdict::Worse => "yet batching moved fewer orders per second than one call per order \
                           in this run"
            .to_owned(),
        Verdict::Tie { within } => format!(
            "yet this run cannot tell batched from per-item calls apart (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "the orders per second are above (too few rounds for a verdict)".to_owned()
        }
    };
    n.say(&format!(
        "Per item, every order pays the round trip; batching shares one round trip among up \
         to 64 orders: {outcome}. Eight concurrent per-item workers overlap eight round trips \
         but still make one call per order — and the callee pays for each. On the paused \
         clock a call costs exactly its round trip and the rest of the pipeline no time, so \
         the rates are those of the round trips alone; with real sleeps a 1 ms sleep lasts \
         until the timer's next millisecond tick, a little longer."
    ));
    Ok(())
}
