//! The demo: throughput by thread count for the three schemes, the cost
//! of one hand-off, IO with the GIL released and held, and the convoy.

use std::thread;
use std::time::{Duration, Instant};

use mastery_kit::narrator::millis;
use mastery_kit::stats::Spread;
use mastery_kit::{Area, Comparison, Narrator, Topic, Unit, Verdict};

use super::{
    Convoy, DEFAULT_SWITCH_INTERVAL, Scheme, blocking_calls, condvar_pingpong, convoy,
    gil_pingpong, histogram_sequential, run_scheme,
};
use crate::paired::{factor, tie_band};
use mastery_kit::take_turns;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/gil-experiments",
        area: Area::Perf,
        rank: 5,
        title: "GIL experiments: one global lock vs fine-grained locks vs none",
        python: "threading + the GIL: sys.setswitchinterval, Py_BEGIN_ALLOW_THREADS around blocking calls",
        rust: "a toy GIL (Mutex + Condvar + eval-breaker drop request) vs per-bucket Mutexes vs thread-local work merged; measured by thread count",
        path: "perf/src/gil_experiments/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    throughput_by_threads(n, cores)?;
    handoff_latency(n)?;
    io_released(n)?;
    convoy_effect(n)
}

fn throughput_by_threads(n: &mut Narrator, cores: usize) -> anyhow::Result<()> {
    let units: u64 = n.mode().pick_deep(10_000, 40_000, 400_000);
    let rounds = n.samples();
    let thread_counts = [1, 2, 4];
    let schemes = [
        Scheme::Gil {
            switch_interval: DEFAULT_SWITCH_INTERVAL,
        },
        Scheme::FineGrained,
        Scheme::NoLock,
    ];
    n.section("Throughput by thread count: GIL vs fine-grained locks vs no lock");
    n.say(&format!(
        "This machine has {cores} core(s) (std::thread::available_parallelism). {units} units \
         of CPU work (64 rounds of mixing, then one histogram increment) are split over 1, 2 \
         and 4 threads under each scheme; every run's histogram is checked against the \
         one-thread reference. The nine runs take turns, {rounds} rounds, forward and then \
         backward so that no run always goes first; median, spread in brackets \
         (`--deep` runs 400000 units)."
    ));
    let reference = histogram_sequential(units);
    let cells: Vec<(Scheme, usize)> = schemes
        .iter()
        .flat_map(|&scheme| thread_counts.iter().map(move |&threads| (scheme, threads)))
        .collect();
    let units_per_sec = |(scheme, threads): (Scheme, usize)| -> anyhow::Result<f64> {
        let started = Instant::now();
        let h = run_scheme(scheme, threads, units);
        let secs = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            h == reference,
            "{} with {threads} threads lost or invented updates: {} units counted, {units} run",
            scheme.name(),
            h.iter().sum::<u64>()
        );
        Ok(units as f64 / secs.max(1e-9))
    };
    for &cell in &cells {
        units_per_sec(cell)?; // warm-up
    }
    let rates = take_turns(rounds, cells.len(), |i| units_per_sec(cells[i]))?;
    for (&(scheme, threads), samples) in cells.iter().zip(&rates) {
        n.record(
            &format!("{}, {threads} thread(s)", scheme.name()),
            Spread::of(samples.clone()).median,
            Unit::OpsPerSec,
        );
    }
    n.show(format!(
        "{:<32}{:>15}{:>15}{:>15}",
        "units/s (min–max)", "1 thread", "2 threads", "4 threads"
    ));
    for (scheme, row) in schemes.iter().zip(rates.chunks(thread_counts.len())) {
        let spreads: Vec<Spread> = row.iter().map(|r| Spread::of(r.clone())).collect();
        let mut line = format!("{:<32}", scheme.name());
        for c in &spreads {
            line.push_str(&format!("{:>15}", format!("{:.1}M", c.median / 1e6)));
        }
        n.show(line);
        let mut range = format!("{:<32}", "");
        for c in &spreads {
            range.push_str(&format!(
                "{:>15}",
                format!("({:.1}–{:.1})", c.min / 1e6, c.max / 1e6)
            ));
        }
        n.show(range);
    }
    // Rows of `rates`: scheme-major, in `schemes` × `thread_counts` order.
    let at = |scheme: usize, threads: usize| &rates[scheme * thread_counts.len() + threads];
    let gil = n.compare_samples(
        "GIL: 2 threads (ours) against 1 thread (units/s)",
        at(0, 1),
        at(0, 0),
        "1 thread under the GIL",
        Unit::OpsPerSec,
    );
    let no_lock = n.compare_samples(
        "2 threads: no lock (ours) against the GIL (units/s)",
        at(2, 1),
        at(0, 1),
        "GIL, 2 threads",
        Unit::OpsPerSec,
    );
    let fine = n.compare_samples(
        "2 threads: fine-grained locks (ours) against no lock (units/s)",
        at(1, 1),
        at(2, 1),
        "no lock, 2 threads",
        Unit::OpsPerSec,
    );
    n.say(&throughput_verdict(&gil, &no_lock, &fine, cores));
    Ok(())
}

/// The throughput section's closing words, each sentence following its
/// comparison's verdict.
pub(super) fn throughput_verdict(
    gil: &Comparison,
    no_lock: &Comparison,
    fine: &Comparison,
    cores: usize,
) -> String {
    let gil_words = match gil.verdict {
        Verdict::Tie { within } => format!(
            "Under the GIL a second thread bought nothing this run can see ({}): one runs \
             bytecode while the other sleeps in the condition variable.",
            tie_band(within)
        ),
        Verdict::Worse => format!(
            "Under the GIL a second thread made the work {}: one runs bytecode while the \
             other sleeps in the condition variable, and each hand-off adds a wake-up.",
            factor(gil)
        ),
        Verdict::Better => format!(
            "Under the GIL two threads ran {} than one in this run, which the lock does not \
             explain — only one of them runs bytecode at a time — so read it as a change in \
             the machine's load during the run.",
            factor(gil)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds in this run for a verdict on two threads against one under the GIL."
                .to_owned()
        }
    };
    let no_lock_words = match no_lock.verdict {
        Verdict::Better => format!(
            "Without a lock two threads ran {} than under the GIL: the work scales up to the \
             core count ({cores} here), and 4 threads on fewer cores only add switching.",
            factor(no_lock)
        ),
        Verdict::Tie { within } => format!(
            "Without a lock two threads were no faster than under the GIL this run can see \
             ({}): {}",
            tie_band(within),
            if cores < 2 {
                "one core leaves the work nowhere to scale."
            } else {
                "the work scales only onto an idle core, and other load on the machine can \
                 take it — read the spreads above."
            }
        ),
        Verdict::Worse => format!(
            "Without a lock two threads ran {} than under the GIL in this run, which only \
             other load on the machine explains: read the spreads above.",
            factor(no_lock)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds for a verdict on no lock against the GIL.".to_owned()
        }
    };
    let fine_words = match fine.verdict {
        Verdict::Worse => format!(
            "Fine-grained locks let the mixing run in parallel but pay for a lock and a shared \
             cache line on every increment: {} than no lock.",
            factor(fine)
        ),
        Verdict::Tie { within } => format!(
            "Fine-grained locks let the mixing run in parallel, and their lock per increment \
             cost nothing this run can see against no lock ({}): 64 rounds of mixing outweigh \
             one lock.",
            tie_band(within)
        ),
        Verdict::Better => format!(
            "Fine-grained locks ran {} than no lock in this run, which the locks cannot \
             explain (they only add work): read it as noise the interval did not cover.",
            factor(fine)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds for a verdict on fine-grained locks against no lock.".to_owned()
        }
    };
    format!("{gil_words} {no_lock_words} {fine_words}")
}

fn handoff_latency(n: &mut Narrator) -> anyhow::Result<()> {
    let handoffs: u64 = n.mode().pick_deep(300, 1_000, 5_000);
    let rounds = n.samples();
    n.section("The cost of one hand-off: GIL ping-pong");
    n.say(&format!(
        "Two threads pass the GIL back and forth {handoffs} times (yield_now: release with \
         forced switching, then queue again); the peer is the least a blocking hand-off can \
         cost, two threads taking turns through a bare Mutex and Condvar, {handoffs} turns. \
         The two take turns, {rounds} rounds. Either way every pass wakes a sleeping thread, \
         so the figure is mostly the scheduler's wake-up latency — microseconds on an idle \
         machine, up to milliseconds on a loaded one, whence the spread."
    ));
    let mut wake_ns = Vec::with_capacity(rounds);
    let passes = take_turns::<anyhow::Error>(rounds, 2, |i| {
        Ok(if i == 0 {
            let run = gil_pingpong(handoffs);
            wake_ns.extend(run.release_to_run.map(|d| d.as_secs_f64() * 1e9));
            run.per_pass.as_secs_f64() * 1e9
        } else {
            condvar_pingpong(handoffs).as_secs_f64() * 1e9
        })
    })?;
    let (g, c, w) = (
        Spread::of(passes[0].clone()),
        Spread::of(passes[1].clone()),
        Spread::of(wake_ns),
    );
    n.show(format!(
        "GIL hand-off: {:.1} µs ({:.1}–{:.1}); Condvar turn: {:.1} µs ({:.1}–{:.1})",
        g.median / 1e3,
        g.min / 1e3,
        g.max / 1e3,
        c.median / 1e3,
        c.min / 1e3,
        c.max / 1e3
    ));
    n.record(
        "GIL release → waiting thread running, timed by the GIL (ns)",
        w.median,
        Unit::NsPerOp,
    );
    let handoff = n.compare_samples(
        "one GIL hand-off (ours) against one bare Condvar turn (ns)",
        &passes[0],
        &passes[1],
        "Mutex + Condvar ping-pong",
        Unit::NsPerOp,
    );
    let measured = match handoff.verdict {
        Verdict::Worse => format!("Here a GIL pass was {} than a bare turn.", factor(&handoff)),
        Verdict::Better => format!(
            "Here a GIL pass was {} than a bare turn: scheduling noise outweighed the second \
             wake-up.",
            factor(&handoff)
        ),
        Verdict::Tie { within } => format!(
            "Here the two showed no difference this run can see ({}): scheduling noise \
             outweighed the second wake-up.",
            tie_band(within)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "This run has too few rounds for a verdict between them.".to_owned()
        }
    };
    n.say(&format!(
        "A GIL pass wakes two threads where a bare turn wakes one: the waiter, which runs \
         at once (the GIL's own release-to-run timing above), and then, because of forced \
         switching, the thread that dropped the GIL and slept until the switch, which must \
         wake to queue again. {measured} Either way a hand-off costs microseconds, a bytecode \
         nanoseconds: that is why CPython switches only every 5 ms instead of after every \
         bytecode."
    ));
    Ok(())
}

fn io_released(n: &mut Narrator) -> anyhow::Result<()> {
    let threads = 4;
    let calls: u32 = n.mode().pick_deep(2, 3, 20);
    let call = Duration::from_millis(n.mode().pick_deep(1, 1, 5));
    let rounds = n.samples();
    n.section("IO: threads help once the GIL is released around the blocking call");
    n.say(&format!(
        "{threads} threads each make {calls} blocking calls of {} ms (a sleep standing for a \
         read), inside allow_threads (Py_BEGIN_ALLOW_THREADS), and then holding the GIL \
         throughout, as a C extension that forgot to release it would; the two take turns, \
         {rounds} rounds (`--deep` makes 20 calls of 5 ms).",
        call.as_millis()
    ));
    let walls = take_turns::<anyhow::Error>(rounds, 2, |i| {
        Ok(millis(blocking_calls(threads, calls, call, i == 0)))
    })?;
    let io = n.compare_samples(
        &format!("{threads} threads × {calls} calls, GIL released (ours) (ms)"),
        &walls[0],
        &walls[1],
        "GIL held during the call",
        Unit::Millis,
    );
    n.say(&match io.verdict {
        Verdict::Better => format!(
            "Released, the calls overlap: {} than with the GIL held, where they queue one \
             behind another.",
            factor(&io)
        ),
        _ => format!(
            "Released against held: {} — the calls did not overlap as they should; a loaded \
             machine can delay the sleeping threads past their calls.",
            io.faster_or_slower()
        ),
    });
    Ok(())
}

fn convoy_effect(n: &mut Narrator) -> anyhow::Result<()> {
    let calls: u32 = n.mode().pick_deep(4, 5, 40);
    let call = Duration::from_micros(100);
    let intervals: Vec<Duration> = n.mode().pick(
        vec![Duration::from_millis(1), DEFAULT_SWITCH_INTERVAL],
        vec![
            Duration::from_micros(500),
            Duration::from_millis(1),
            DEFAULT_SWITCH_INTERVAL,
            Duration::from_millis(20),
        ],
    );
    let rounds = n.samples();
    let calls_per_round: u32 = n.mode().pick_deep(3, 3, 5);
    n.section("The convoy effect: an IO thread next to a CPU-bound thread");
    n.say(&format!(
        "An IO thread makes calls of {} µs with the GIL released. Alone, each call costs about \
         its own length. Next to a CPU-bound thread, the CPU thread takes the GIL during the \
         call, and the IO thread must wait a switch interval to get it back — unless the CPU \
         thread has not even woken up by then (on a busy machine it may not have), so some \
         calls escape. First alone against next to the CPU thread at the default 5 ms \
         interval, {rounds} rounds of {calls_per_round} calls each, taking turns; then {calls} \
         calls at each other interval (`--deep` makes 40). Median call, and how many calls \
         waited longer than half an interval.",
        call.as_micros()
    ));
    let mut alone_calls = Vec::new();
    let mut busy_runs = Vec::new();
    let medians = take_turns::<anyhow::Error>(rounds, 2, |i| {
        let run = convoy(calls_per_round, call, DEFAULT_SWITCH_INTERVAL, i == 1);
        let median = millis(run.median_call());
        if i == 0 {
            alone_calls.extend(run.calls);
        } else {
            busy_runs.push(run);
        }
        Ok(median)
    })?;
    let alone = Convoy {
        calls: alone_calls,
        cpu_units: 0,
        elapsed: Duration::ZERO,
    };
    n.record_duration("IO call, alone (median ms per call)", alone.median_call());
    for interval in intervals {
        let busy = if interval == DEFAULT_SWITCH_INTERVAL {
            Convoy::pooled(&busy_runs)
        } else {
            convoy(calls, call, interval, true)
        };
        record_convoy(n, interval, &busy);
    }
    let verdict = n.compare_samples(
        "median IO call: alone (ours) against next to a CPU-bound thread, 5 ms interval (ms)",
        &medians[0],
        &medians[1],
        "with a CPU-bound thread",
        Unit::Millis,
    );
    let measured = match verdict.verdict {
        Verdict::Better => format!(
            "Alone, the median call was {} than next to the CPU thread: that is the convoy.",
            factor(&verdict)
        ),
        _ => format!(
            "Alone against next to the CPU thread: {} — in this run the CPU thread did not \
             hold the IO thread back (read the waiting calls above).",
            verdict.faster_or_slower()
        ),
    };
    n.say(&format!(
        "{measured} A shorter interval shortens the convoy and costs the CPU thread more \
         hand-offs; a longer one the reverse. No interval fixes it: the fix is not to share \
         one lock."
    ));
    Ok(())
}

/// The records of one interval's run of the convoy.
fn record_convoy(n: &mut Narrator, interval: Duration, busy: &Convoy) {
    let ms = millis(interval);
    n.record_duration(
        &format!("IO call next to a CPU thread, interval {ms} ms (median ms)"),
        busy.median_call(),
    );
    n.record_count(
        &format!(
            "  calls that waited > {} ms, of {}",
            ms / 2.0,
            busy.calls.len()
        ),
        busy.calls_longer_than(interval / 2),
    );
    n.record(
        &format!("  CPU thread's units/s meanwhile (interval {ms} ms)"),
        busy.cpu_units as f64 / busy.elapsed.as_secs_f64().max(1e-9),
        Unit::OpsPerSec,
    );
}
