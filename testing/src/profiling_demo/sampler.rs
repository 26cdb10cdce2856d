//! The in-process sampler: `pprof` (pprof-rs) arms a CPU-time interval
//! timer (`setitimer(ITIMER_PROF)`): after every `1/frequency` seconds of
//! CPU the process uses, the kernel sends `SIGPROF`, and the handler walks
//! the interrupted thread's stack and counts it. Nothing needs perf events,
//! hardware counters or privileges, so it works on a VM at any
//! `perf_event_paranoid` level — the software clock `py-spy` and
//! `cProfile`'s successors rely on too.
//!
//! [`Samples`] keeps each distinct stack (root first, inlined frames
//! included) with its count; [`Samples::write_flamegraph`] hands them to
//! inferno (through pprof's `flamegraph` feature), which draws the SVG.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// pprof's profiler is one per process: two samplers at once (two tests)
/// would fail to start, so they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Shared objects a sample is dropped in: the unwinder itself (`libgcc`,
/// whose locks an interrupted unwind may hold) and the vDSO (no unwind
/// tables). pprof's documentation also lists `libc`; that would drop every
/// sample taken inside `memcmp` — most of this workload's hotspot — and
/// bias the profile towards Rust code. The unwinder takes only a recursive
/// lock in libc (`dl_iterate_phdr`), so interrupting libc is safe for it.
const BLOCKLIST: [&str; 2] = ["libgcc", "vdso"];

/// Why sampling failed.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// pprof could not start or report.
    #[error("the sampling profiler failed: {0}")]
    Profiler(String),
    /// The flame graph could not be drawn or written.
    #[error("cannot write the flame graph: {0}")]
    FlameGraph(String),
}

/// Sampled stacks, each root first, with how many samples hit it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples {
    /// Samples per CPU-second the timer was set to.
    pub frequency: u32,
    stacks: Vec<(Vec<String>, u64)>,
}

/// What [`sample`] measured besides the stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampledRun {
    /// Times the work ran.
    pub runs: u64,
    /// Wall time of the sampled loop.
    pub elapsed: Duration,
}

/// Runs `work` again and again for at least `at_least` (at least once)
/// under the sampler at `frequency` samples per CPU-second, and returns
/// what it saw (every thread of the process: filter with
/// [`Samples::through`]).
///
/// # Errors
/// [`SamplerError::Profiler`] when pprof cannot start or report.
pub fn sample<R>(
    frequency: u32,
    at_least: Duration,
    mut work: impl FnMut() -> R,
) -> Result<(Samples, SampledRun), SamplerError> {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let hz = i32::try_from(frequency).unwrap_or(i32::MAX);
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(hz)
        .blocklist(&BLOCKLIST)
        .build()
        .map_err(|e| SamplerError::Profiler(e.to_string()))?;
    let started = Instant::now();
    let mut runs = 0;
    while runs == 0 || started.elapsed() < at_least {
        std::hint::black_box(work());
        runs += 1;
    }
    let elapsed = started.elapsed();
    let report = guard
        .report()
        .build()
        .map_err(|e| SamplerError::Profiler(e.to_string()))?;
    drop(guard);
    let stacks = report
        .data
        .iter()
        .map(|(frames, &count)| {
            // pprof keeps the leaf first, and in each frame the innermost
            // inlined function first.
            let mut stack: Vec<String> = frames
                .frames
                .iter()
                .rev()
                .flat_map(|frame| frame.iter().rev().map(|symbol| symbol.name()))
                .collect();
            // The sampler's own frames (the stack walk in the signal
            // handler) are not the program's.
            while stack.last().is_some_and(|f| is_sampler_frame(f)) {
                stack.pop();
            }
            (stack, u64::try_from(count).unwrap_or(0))
        })
        .collect();
    Ok((Samples { frequency, stacks }, SampledRun { runs, elapsed }))
}

impl Samples {
    /// Samples from stacks given root first (for tests and other sources).
    pub fn from_stacks(frequency: u32, stacks: Vec<(Vec<String>, u64)>) -> Samples {
        Samples { frequency, stacks }
    }

    /// How many samples in all.
    pub fn total(&self) -> u64 {
        self.stacks.iter().map(|(_, c)| c).sum()
    }

    /// Only the stacks that pass through a frame `root` accepts, each cut
    /// to start at its outermost such frame: the workload's samples, not
    /// the test harness's or the demo's.
    pub fn through(&self, root: impl Fn(&str) -> bool) -> Samples {
        let stacks = self
            .stacks
            .iter()
            .filter_map(|(stack, count)| {
                let at = stack.iter().position(|f| root(f))?;
                Some((stack[at..].to_vec(), *count))
            })
            .collect();
        Samples {
            frequency: self.frequency,
            stacks,
        }
    }

    /// The `n` functions that were running (the leaf frame) most often,
    /// highest first: self time.
    pub fn top_self(&self, n: usize) -> Vec<(String, u64)> {
        let mut by_leaf: HashMap<&str, u64> = HashMap::new();
        for (stack, count) in &self.stacks {
            if let Some(leaf) = stack.last() {
                *by_leaf.entry(leaf).or_default() += count;
            }
        }
        ranked(by_leaf, n)
    }

    /// Samples per function called by a frame `caller` accepts (the frame
    /// just below it; samples in the caller's own code count under the
    /// caller's name): the callees' cumulative time.
    pub fn callees(&self, caller: impl Fn(&str) -> bool) -> Vec<(String, u64)> {
        let mut by_callee: HashMap<&str, u64> = HashMap::new();
        for (stack, count) in &self.stacks {
            let Some(at) = stack.iter().position(|f| caller(f)) else {
                continue;
            };
            let callee = stack.get(at + 1).unwrap_or(&stack[at]);
            *by_callee.entry(callee).or_default() += count;
        }
        ranked(by_callee, usize::MAX)
    }

    /// The stacks as inferno's folded lines, `root;child;leaf count`.
    pub fn folded(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .stacks
            .iter()
            .filter(|(stack, count)| !stack.is_empty() && *count > 0)
            .map(|(stack, count)| {
                let frames: Vec<String> = stack.iter().map(|f| f.replace(';', ",")).collect();
                format!("{} {count}", frames.join(";"))
            })
            .collect();
        lines.sort();
        lines
    }

    /// Draws the samples as a flame graph (SVG) into `out`: one box per
    /// function per stack, as wide as its share of the samples.
    ///
    /// # Errors
    /// [`SamplerError::FlameGraph`] when there is nothing to draw or
    /// writing fails.
    pub fn write_flamegraph(&self, title: &str, out: impl Write) -> Result<(), SamplerError> {
        let lines = self.folded();
        if lines.is_empty() {
            return Err(SamplerError::FlameGraph(
                "no samples to draw (the sampled work ran too briefly)".into(),
            ));
        }
        let mut options = pprof::flamegraph::Options::default();
        options.title = title.to_owned();
        options.count_name = "samples".to_owned();
        pprof::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), out)
            .map_err(|e| SamplerError::FlameGraph(e.to_string()))
    }
}

fn is_sampler_frame(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    ["pprof::", "backtrace::"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

fn ranked(counts: HashMap<&str, u64>, n: usize) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = counts.into_iter().map(|(f, c)| (f.to_owned(), c)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(n);
    all
}

/// Reads a flame graph back: checks the SVG is well-formed XML with an
/// `<svg>` root (with the interview crate's streaming XML parser) and
/// returns the text of its `<title>` elements — one per box, inferno's
/// `name (N samples, P%)` — so a test can ask which functions it shows.
///
/// # Errors
/// The parser's error (with line and column) for malformed XML, or a
/// message when the root element is not `svg`.
pub fn flamegraph_titles(svg: &[u8]) -> Result<Vec<String>, String> {
    use mastery_interview::streaming_parsers::for_each_event;
    use mastery_interview::streaming_parsers::xml::{XmlEvent, XmlOptions, XmlParser};

    let mut parser = XmlParser::new(XmlOptions::default());
    let mut root = None;
    let mut titles = Vec::new();
    let mut in_title = false;
    for_each_event(&mut parser, svg, |event| match event {
        XmlEvent::StartElement(start) => {
            root.get_or_insert_with(|| start.name.to_owned());
            in_title = start.name == "title";
            if in_title {
                titles.push(String::new());
            }
        }
        XmlEvent::EndElement { .. } => in_title = false,
        XmlEvent::Text(text) | XmlEvent::CData(text) if in_title => {
            if let Some(title) = titles.last_mut() {
                title.push_str(text);
            }
        }
        _ => {}
    })
    .map_err(|e| format!("the flame graph is not well-formed XML: {e}"))?;
    match root.as_deref() {
        Some("svg") => Ok(titles),
        other => Err(format!(
            "the flame graph's root element is {other:?}, not `svg`"
        )),
    }
}
