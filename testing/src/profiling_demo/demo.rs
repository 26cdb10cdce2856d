//! The demo of `testing/profiling-demo`: the workload and its planted
//! hotspot, the sampler's view (and its flame graph), callgrind's view run
//! on the `mastery` binary, whether the two agree, then the fix measured in
//! time (paired samples) and in instructions (exact counts).

use std::path::Path;
use std::time::Duration;

use mastery_kit::{Area, Comparison, Narrator, Topic, Unit, Verdict};

use super::{
    CallgrindOptions, CallgrindRun, ROOT_PATTERN, SEED, STAGES, Samples, StageCosts, Variant,
    agreed_hotspot, is_root, order_log, run_callgrind, sample, stage_of, summarize,
    valgrind_version, worker_line,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "testing/profiling-demo",
        area: Area::Testing,
        rank: 4,
        title: "Profiling: cProfile and line_profiler, answered with callgrind and a sampler",
        python: "cProfile / line_profiler / py-spy: time per function and per line, sampled stacks and flame graphs",
        rust: "callgrind instruction counts per function and line (parsed from its file), an in-process SIGPROF sampler (pprof) with an inferno flame graph, and the fix measured in paired timings and exact instruction counts",
        path: "testing/src/profiling_demo/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The sampler's rate, in samples per CPU-second (a prime, so the timer
/// does not beat with a periodic part of the work).
const SAMPLE_HZ: u32 = 997;

/// What callgrind counts: only inside the pipeline, not the start-up of
/// the process that runs it; and where it writes a profile (after each
/// call of the pipeline).
const COLLECT_ONLY: &str = ROOT_PATTERN;

/// The input of one run: sizes of the generated order log.
#[derive(Debug, Clone, Copy)]
pub(super) struct Size {
    pub orders: usize,
    pub customers: usize,
}

impl Size {
    /// The arguments of `mastery profile-workload` for this size: the
    /// planted pipeline, then the fixed one.
    pub fn worker_args(self) -> Vec<String> {
        vec![
            "profile-workload".into(),
            "--variant".into(),
            Variant::Planted.name().into(),
            "--variant".into(),
            Variant::Fixed.name().into(),
            "--orders".into(),
            self.orders.to_string(),
            "--customers".into(),
            self.customers.to_string(),
        ]
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let size = n.mode().pick(
        Size {
            orders: 1_500,
            customers: 150,
        },
        Size {
            orders: 4_000,
            customers: 400,
        },
    );
    let log = order_log(size.orders, size.customers, SEED);
    workload(n, &log, size)?;
    let sampled = sampler_section(n, &log)?;
    let counted = callgrind_section(n, size)?;
    agreement(
        n,
        sampled.as_ref(),
        counted.as_ref().map(|c| &c.planted_stages),
    );
    fix(n, &log, size, counted.as_ref());
    Ok(())
}

fn workload(n: &mut Narrator, log: &str, size: Size) -> anyhow::Result<()> {
    n.section("The workload: an order summary with a planted hotspot");
    n.say(&format!(
        "summarize() reads an order log ({} orders from {} customers) in four stages: {}. \
         The customer stage, as a Python engineer writes it (`if c not in seen: \
         seen.append(c)`), scans a Vec for every order:",
        size.orders,
        size.customers,
        STAGES.join(" → ")
    ));
    n.show("    if !seen.contains(&order.customer) { seen.push(order.customer); }");
    let planted = summarize(log, Variant::Planted)?;
    let fixed = summarize(log, Variant::Fixed)?;
    anyhow::ensure!(
        planted == fixed,
        "the planted and the fixed pipeline disagree: {} vs {}",
        worker_line(&planted),
        worker_line(&fixed)
    );
    n.say(&format!(
        "The fix (a HashSet) gives the same summary — {} — checked here and by a \
         differential test. Which stage is slow is for the profilers to say.",
        worker_line(&fixed)
    ));
    Ok(())
}

/// What the sampler saw of the planted pipeline.
struct Sampled {
    stages: StageCosts,
}

fn sampler_section(n: &mut Narrator, log: &str) -> anyhow::Result<Option<Sampled>> {
    n.section("Tool 1: a sampler in the process (pprof, SIGPROF on CPU time)");
    if n.mode() == mastery_kit::Mode::Quick && n.settings().flamegraph.is_none() {
        n.say(
            "Skipped in quick mode: pprof sets up its sample table once per process, a \
             fixed cost above quick mode's budget. `mastery run testing/profiling-demo` \
             samples (add `--quick --flamegraph FILE` to sample briefly and draw); no \
             sampler figure here.",
        );
        return Ok(None);
    }
    let at_least = n
        .mode()
        .pick(Duration::from_millis(40), Duration::from_millis(400));
    let (all, run) = sample(SAMPLE_HZ, at_least, || summarize(log, Variant::Planted))?;
    let samples = all.through(is_root);
    n.say(&format!(
        "The planted pipeline ran {} times in {:.0} ms under a {SAMPLE_HZ} Hz CPU-time \
         timer; {} samples landed inside summarize() (the kernel delivers the timer at \
         its tick, so fewer than the rate asks).",
        run.runs,
        run.elapsed.as_secs_f64() * 1e3,
        samples.total()
    ));
    n.record_count("sampler: samples inside summarize()", samples.total());
    n.say("Where the samples were (the leaf frame: self time), top 5:");
    for (function, count) in samples.top_self(5) {
        n.show(format!("  {count:>6}  {}", short(&function)));
    }
    let stages = StageCosts::from_callees("sampler", "samples", &samples.callees(is_root));
    n.say("Per stage (samples under each function summarize() calls):");
    for row in stages.table() {
        n.show(format!("  {row}"));
    }
    flame_graph(n, &samples)?;
    Ok(Some(Sampled { stages }))
}

fn flame_graph(n: &mut Narrator, samples: &Samples) -> anyhow::Result<()> {
    let Some(path) = n.settings().flamegraph.clone() else {
        n.say(
            "`mastery run testing/profiling-demo --flamegraph flame.svg` also draws these \
             stacks as a flame graph (inferno): open the SVG in a browser, click a box to zoom.",
        );
        return Ok(());
    };
    let file = std::fs::File::create(&path)
        .map_err(|e| anyhow::anyhow!("cannot create the flame graph {}: {e}", path.display()))?;
    samples.write_flamegraph(
        "summarize() with the planted hotspot: sampled stacks",
        std::io::BufWriter::new(file),
    )?;
    n.show(format!(
        "flame graph written to {} ({} bytes): the widest box under summarize is the hotspot",
        path.display(),
        std::fs::metadata(&path)?.len()
    ));
    Ok(())
}

/// What callgrind counted of both pipelines.
pub(super) struct Counted {
    pub planted_stages: StageCosts,
    pub planted_total: u64,
    pub fixed_total: u64,
}

/// Why the callgrind section cannot run here, if it cannot.
///
/// # Errors
/// When valgrind is missing and the settings require it.
fn callgrind_skip(n: &Narrator) -> anyhow::Result<Option<String>> {
    if n.mode() == mastery_kit::Mode::Quick {
        return Ok(Some(
            "Skipped in quick mode: callgrind simulates the CPU, many times slower than the \
             real run. `mastery run testing/profiling-demo` runs it; no callgrind figure here."
                .into(),
        ));
    }
    if n.settings().worker_program.is_none() {
        return Ok(Some(
            "Skipped: callgrind runs the `mastery` binary as `mastery profile-workload`, and \
             this process is not it (a test harness, say). Run `mastery run \
             testing/profiling-demo`; no callgrind figure here."
                .into(),
        ));
    }
    if valgrind_version().is_none() {
        anyhow::ensure!(
            !n.settings().require_valgrind,
            "require_valgrind is set but valgrind is not installed: sudo apt-get install valgrind"
        );
        return Ok(Some(
            "Skipped: valgrind is not installed — `sudo apt-get install valgrind`, then run \
             this again. No callgrind figure here."
                .into(),
        ));
    }
    Ok(None)
}

fn callgrind_section(n: &mut Narrator, size: Size) -> anyhow::Result<Option<Counted>> {
    n.section("Tool 2: callgrind, instructions counted (valgrind)");
    if let Some(reason) = callgrind_skip(n)? {
        n.say(&reason);
        return Ok(None);
    }
    let Some(program) = n.settings().worker_program.clone() else {
        return Ok(None);
    };
    let dir = tempfile::tempdir()?;
    let run = counted_run(&program, size, dir.path())?;
    let [planted, fixed] = &run.parts[..] else {
        anyhow::bail!(
            "callgrind wrote {} profiles, expected one per summarize() call (2)",
            run.parts.len()
        );
    };
    n.say(&format!(
        "`valgrind --tool=callgrind --toggle-collect='{COLLECT_ONLY}' --dump-after='{COLLECT_ONLY}' \
         mastery profile-workload --variant planted --variant fixed`: the same log in a process \
         of its own, counted only inside summarize(), a profile per call. It printed the same \
         summaries as this process."
    ));
    n.record_duration("the callgrind run (valgrind's start included)", run.elapsed);
    n.say("Planted: functions by their own instructions (callgrind_annotate's table), top 5:");
    for (function, ir) in planted.top_self(5) {
        n.show(format!("  {ir:>12} Ir  {}", short(&function)));
    }
    let stages = StageCosts::from_callees("callgrind", "Ir", &planted.callees(is_root));
    n.say("Per stage (inclusive instructions of each call summarize() makes):");
    for row in stages.table() {
        n.show(format!("  {row}"));
    }
    if let Some(hot) = stages.hottest() {
        n.say(&format!(
            "Inside {hot}, the lines (line_profiler's view; inlined library code counts at \
             its own file and line), top 5:"
        ));
        let lines = planted.lines_in(|f| stage_of(f) == Some(hot), usize::MAX);
        for (key, ir) in lines.iter().take(5) {
            n.show(format!(
                "  {ir:>12} Ir  {}:{}{}",
                short_path(&key.file),
                key.line,
                source_line(&key.file, key.line)
            ));
        }
        let own: Vec<_> = lines
            .iter()
            .filter(|(key, _)| !source_line(&key.file, key.line).is_empty())
            .collect();
        let own_ir: u64 = own.iter().map(|(_, ir)| ir).sum();
        let all_ir: u64 = lines.iter().map(|(_, ir)| ir).sum();
        n.say(&format!(
            "{:.2} % of the stage's own instructions sit on lines of this topic's source; the \
             rest is library code inlined into it, which the line tables credit to the \
             library's lines, not to the line that called it. Read a per-line profile of \
             optimized Rust with inlining in mind. The topic's own lines, top 3:",
            100.0 * own_ir as f64 / all_ir.max(1) as f64
        ));
        for (key, ir) in own.into_iter().take(3) {
            n.show(format!(
                "  {ir:>12} Ir  {}:{}{}",
                short_path(&key.file),
                key.line,
                source_line(&key.file, key.line)
            ));
        }
    }
    Ok(Some(Counted {
        planted_stages: stages,
        planted_total: planted.total(),
        fixed_total: fixed.total(),
    }))
}

/// The callgrind run of the worker on both variants, its output checked
/// against this process's answers.
fn counted_run(program: &Path, size: Size, dir: &Path) -> anyhow::Result<CallgrindRun> {
    let options = CallgrindOptions {
        collect_only: Some(COLLECT_ONLY),
        dump_after: Some(COLLECT_ONLY),
    };
    let run = run_callgrind(program, &size.worker_args(), options, dir)?;
    let log = order_log(size.orders, size.customers, SEED);
    let expected = [Variant::Planted, Variant::Fixed]
        .map(|variant| summarize(&log, variant).map(|s| worker_line(&s)));
    let printed: Vec<&str> = run.stdout.lines().collect();
    for (printed, expected) in printed.iter().zip(&expected) {
        let expected = expected.as_ref().map_err(Clone::clone)?;
        anyhow::ensure!(
            printed == expected,
            "the profiled worker computed `{printed}`, this process `{expected}`"
        );
    }
    anyhow::ensure!(
        printed.len() == 2,
        "the profiled worker printed {} lines, expected 2: {:?}",
        printed.len(),
        run.stdout
    );
    Ok(run)
}

fn agreement(n: &mut Narrator, sampled: Option<&Sampled>, counted: Option<&StageCosts>) {
    n.section("Do the tools agree on the hotspot?");
    let (sampled, counted) = match (sampled, counted) {
        (Some(sampled), Some(counted)) => (sampled, counted),
        (Some(sampled), None) => {
            n.say(&format!(
                "Only the sampler ran; it names {}. Callgrind's vote is missing (see above).",
                name_or_none(sampled.stages.hottest())
            ));
            return;
        }
        (None, Some(counted)) => {
            n.say(&format!(
                "Only callgrind ran; it names {}. The sampler's vote is missing (see above).",
                name_or_none(counted.hottest())
            ));
            return;
        }
        (None, None) => {
            n.say("Neither tool ran in this mode, so there is nothing to compare (see above).");
            return;
        }
    };
    let sampler_says = sampled.stages.hottest();
    let callgrind_says = counted.hottest();
    match agreed_hotspot(&[&sampled.stages, counted]) {
        Some(stage) => {
            n.say(&format!(
                "Yes: both name {stage} — {:.0} % of the samples and {:.0} % of the \
                 instructions of summarize().",
                sampled.stages.percent(stage),
                counted.percent(stage)
            ));
            n.record_count("tools naming the same hotspot stage (of 2)", 2u64);
        }
        None => {
            n.say(&format!(
                "No: the sampler names {}, callgrind names {}. Samples measure time and \
                 instructions are not time (a cache miss costs no extra instruction); with \
                 few samples the sampler can also be off.",
                name_or_none(sampler_says),
                name_or_none(callgrind_says)
            ));
            n.record_count("tools naming the same hotspot stage (of 2)", 0u64);
        }
    }
}

fn fix(n: &mut Narrator, log: &str, size: Size, counted: Option<&Counted>) {
    n.section("The fix, measured: a HashSet for the Vec");
    n.say(
        "unique_customers() keeps a HashSet of the names seen: one hash and probe per order \
         instead of a scan. The whole pipeline, both versions, timed in interleaved pairs \
         (per order):",
    );
    let c = n.compare_timed(
        "summarize(): HashSet (the fix) vs Vec::contains (planted), per order",
        size.orders as u64,
        || summarize(log, Variant::Fixed),
        "planted Vec::contains",
        || summarize(log, Variant::Planted),
    );
    say_gain(n, &c);
    match counted {
        Some(counted) => {
            let ir = n.compare(
                "instructions executed by summarize() (callgrind)",
                counted.fixed_total as f64,
                counted.planted_total as f64,
                "planted Vec::contains",
                Unit::Count,
            );
            n.say(&format!(
                "Counted, not timed: {} instructions instead of {} — no noise band, the same \
                 figures on every run of this binary on this input{}.",
                counted.fixed_total,
                counted.planted_total,
                if ir.verdict == Verdict::Better {
                    ""
                } else {
                    " (and, unexpectedly, no fewer)"
                }
            ));
        }
        None => n.say("Without callgrind there is no instruction count to compare here."),
    }
}

fn say_gain(n: &mut Narrator, c: &Comparison) {
    let text = match c.verdict {
        Verdict::Better => format!(
            "The fixed pipeline is {:.1}× faster on this input; the gap grows with the \
             number of customers, since the scan is quadratic and the hash set linear.",
            c.speedup
        ),
        Verdict::Worse => format!(
            "The fix came out {:.1}× slower on this run: with this few customers a short \
             scan can beat hashing.",
            1.0 / c.speedup
        ),
        Verdict::Tie { within } => format!(
            "No difference this run can see between the two (within ±{:.1} %).",
            within * 100.0
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples in this mode for a verdict on the fix.".to_owned()
        }
    };
    n.say(&text);
}

fn name_or_none(stage: Option<&str>) -> String {
    stage.map_or_else(|| "no stage (it saw none)".to_owned(), str::to_owned)
}

/// A function name without the crate paths a reader does not need.
fn short(function: &str) -> String {
    function
        .replace("mastery_testing::profiling_demo::workload::", "")
        .replace("mastery_testing::profiling_demo::", "")
}

/// A source path from the repository or the toolchain, shortened.
fn short_path(file: &str) -> &str {
    ["/library/", "/testing/src/"]
        .iter()
        .find_map(|marker| file.find(marker).map(|at| &file[at + 1..]))
        .unwrap_or(file)
}

/// ` — the text` of a line of this topic's own files, for the line table.
fn source_line(file: &str, line: u64) -> String {
    let text = if file.ends_with("profiling_demo/mod.rs") {
        include_str!("mod.rs")
    } else if file.ends_with("profiling_demo/workload.rs") {
        include_str!("workload.rs")
    } else {
        return String::new();
    };
    usize::try_from(line)
        .ok()
        .and_then(|l| text.lines().nth(l.checked_sub(1)?))
        .map(|t| format!("  {}", t.trim()))
        .unwrap_or_default()
}
