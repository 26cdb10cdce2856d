//! The demo: throughput by thread count for the three schemes, the cost
//! of one hand-off, IO with the GIL released and held, and the convoy.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use mastery_kit::narrator::millis;
use mastery_kit::stats::Spread;
use mastery_kit::{Area, Narrator, Topic, Unit};

use super::{
    DEFAULT_SWITCH_INTERVAL, Scheme, blocking_calls, condvar_pingpong, convoy, gil_pingpong,
    histogram_sequential, run_scheme,
};

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
    handoff_latency(n);
    io_released(n);
    convoy_effect(n);
    Ok(())
}

fn throughput_by_threads(n: &mut Narrator, cores: usize) -> anyhow::Result<()> {
    let units: u64 = n.mode().pick(40_000, 400_000);
    let samples = n.mode().pick(3, 7);
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
         one-thread reference. Median of {samples} runs, spread in brackets."
    ));
    let reference = histogram_sequential(units);
    let mut rows = Vec::new();
    for scheme in schemes {
        let mut cells = Vec::new();
        for &threads in &thread_counts {
            let mut rates = Vec::with_capacity(samples);
            black_box(run_scheme(scheme, threads, units)); // warm-up
            for _ in 0..samples {
                let started = Instant::now();
                let h = run_scheme(scheme, threads, units);
                let secs = started.elapsed().as_secs_f64();
                anyhow::ensure!(
                    h == reference,
                    "{} with {threads} threads lost or invented updates: {} units counted, {units} run",
                    scheme.name(),
                    h.iter().sum::<u64>()
                );
                rates.push(units as f64 / secs.max(1e-9));
            }
            let s = Spread::of(rates);
            n.record(
                &format!("{}, {threads} thread(s)", scheme.name()),
                s.median,
                Unit::OpsPerSec,
            );
            cells.push(s);
        }
        rows.push((scheme, cells));
    }
    n.show(format!(
        "{:<32}{:>15}{:>15}{:>15}",
        "units/s (min–max)", "1 thread", "2 threads", "4 threads"
    ));
    for (scheme, cells) in &rows {
        let mut line = format!("{:<32}", scheme.name());
        for c in cells {
            line.push_str(&format!("{:>15}", format!("{:.1}M", c.median / 1e6)));
        }
        n.show(line);
        let mut range = format!("{:<32}", "");
        for c in cells {
            range.push_str(&format!(
                "{:>15}",
                format!("({:.1}–{:.1})", c.min / 1e6, c.max / 1e6)
            ));
        }
        n.show(range);
    }
    let at = |row: usize, col: usize| rows[row].1[col].median;
    n.compare(
        "GIL: 2 threads (ours) against 1 thread (units/s)",
        at(0, 1),
        at(0, 0),
        "1 thread under the GIL",
        Unit::OpsPerSec,
    );
    n.compare(
        "2 threads: no lock (ours) against the GIL (units/s)",
        at(2, 1),
        at(0, 1),
        "GIL, 2 threads",
        Unit::OpsPerSec,
    );
    n.compare(
        "2 threads: fine-grained locks (ours) against no lock (units/s)",
        at(1, 1),
        at(2, 1),
        "no lock, 2 threads",
        Unit::OpsPerSec,
    );
    n.say(
        "Under the GIL more threads buy nothing: one runs bytecode while the others sleep in \
         the condition variable, and each hand-off adds a wake-up. Without a lock the work \
         scales up to the core count; 4 threads on fewer cores only add switching. \
         Fine-grained locks let the mixing run in parallel but pay for a lock and a shared \
         cache line on every increment.",
    );
    Ok(())
}

fn handoff_latency(n: &mut Narrator) {
    let handoffs: u64 = n.mode().pick(2_000, 5_000);
    n.section("The cost of one hand-off: GIL ping-pong");
    n.say(&format!(
        "Two threads pass the GIL back and forth {handoffs} times (yield_now: release with \
         forced switching, then queue again); the peer is the least a blocking hand-off can \
         cost, two threads taking turns through a bare Mutex and Condvar. Either way every \
         pass wakes a sleeping thread, so the figure is mostly the scheduler's wake-up \
         latency — microseconds on an idle machine, up to milliseconds on a loaded one, \
         whence the spread."
    ));
    let samples = n.mode().pick(3, 5);
    let mut gil_ns = Vec::new();
    let mut wake_ns = Vec::new();
    let mut condvar_ns = Vec::new();
    for _ in 0..samples {
        let run = gil_pingpong(handoffs);
        gil_ns.push(run.per_pass.as_secs_f64() * 1e9);
        wake_ns.extend(run.release_to_run.map(|d| d.as_secs_f64() * 1e9));
        condvar_ns.push(condvar_pingpong(handoffs).as_secs_f64() * 1e9);
    }
    let (g, c, w) = (
        Spread::of(gil_ns),
        Spread::of(condvar_ns),
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
    n.compare(
        "one GIL hand-off (ours) against one bare Condvar turn (ns)",
        g.median,
        c.median,
        "Mutex + Condvar ping-pong",
        Unit::NsPerOp,
    );
    n.say(
        "A GIL pass wakes two threads where a bare turn wakes one: the waiter, which runs \
         at once (the GIL's own release-to-run timing above), and then, because of forced \
         switching, the thread that dropped the GIL and slept until the switch, which must \
         wake to queue again. On a quiet machine that makes a pass dearer than a bare turn; \
         under load, scheduling noise dominates both. Either way a hand-off costs microseconds, a bytecode nanoseconds: that is why CPython switches \
         only every 5 ms instead of after every bytecode.",
    );
}

fn io_released(n: &mut Narrator) {
    let threads = 4;
    let calls: u32 = n.mode().pick(5, 20);
    let call = Duration::from_millis(n.mode().pick(2, 5));
    n.section("IO: threads help once the GIL is released around the blocking call");
    n.say(&format!(
        "{threads} threads each make {calls} blocking calls of {} ms (a sleep standing for a \
         read), first inside allow_threads (Py_BEGIN_ALLOW_THREADS), then holding the GIL \
         throughout, as a C extension that forgot to release it would.",
        call.as_millis()
    ));
    let released = blocking_calls(threads, calls, call, true);
    let held = blocking_calls(threads, calls, call, false);
    n.compare(
        &format!("{threads} threads × {calls} calls, GIL released (ours) (ms)"),
        millis(released),
        millis(held),
        "GIL held during the call",
        Unit::Millis,
    );
}

fn convoy_effect(n: &mut Narrator) {
    let calls: u32 = n.mode().pick(10, 40);
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
    n.section("The convoy effect: an IO thread next to a CPU-bound thread");
    n.say(&format!(
        "An IO thread makes {calls} calls of {} µs with the GIL released. Alone, each call \
         costs about its own length. Next to a CPU-bound thread, the CPU thread takes the GIL \
         during the call, and the IO thread must wait a switch interval to get it back — \
         unless the CPU thread has not even woken up by then (on a busy machine it may not \
         have), so some calls escape. Median call, and how many calls waited longer than half \
         an interval.",
        call.as_micros()
    ));
    let alone = convoy(calls, call, DEFAULT_SWITCH_INTERVAL, false);
    n.record_duration("IO call, alone (median ms per call)", alone.median_call());
    let mut at_default = None;
    for interval in intervals {
        let busy = convoy(calls, call, interval, true);
        let ms = millis(interval);
        n.record_duration(
            &format!("IO call next to a CPU thread, interval {ms} ms (median ms)"),
            busy.median_call(),
        );
        n.record_count(
            &format!("  calls that waited > {} ms, of {calls}", ms / 2.0),
            busy.calls_longer_than(interval / 2),
        );
        n.record(
            &format!("  CPU thread's units/s meanwhile (interval {ms} ms)"),
            busy.cpu_units as f64 / busy.elapsed.as_secs_f64().max(1e-9),
            Unit::OpsPerSec,
        );
        if interval == DEFAULT_SWITCH_INTERVAL {
            at_default = Some(busy.median_call());
        }
    }
    if let Some(busy) = at_default {
        n.compare(
            "median IO call: alone (ours) against next to a CPU-bound thread, 5 ms interval (ms)",
            millis(alone.median_call()),
            millis(busy),
            "with a CPU-bound thread",
            Unit::Millis,
        );
    }
    n.say(
        "A shorter interval shortens the convoy and costs the CPU thread more hand-offs; \
         a longer one the reverse. No interval fixes it: the fix is not to share one lock.",
    );
}
