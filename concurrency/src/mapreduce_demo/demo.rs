//! The demo: one corpus, every engine checked against one thread and
//! timed against it.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use mastery_kit::net::free_loopback_port;
use mastery_kit::{Area, Comparison, Mode, Narrator, Topic, Unit, Verdict};

use super::*;

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/mapreduce",
        area: Area::Concurrency,
        rank: 4,
        title: "Parallel MapReduce: word count three ways",
        python: "multiprocessing.Pool().imap_unordered(count, chunks) summed into a Counter; Ray / Dask / Spark across hosts",
        rust: "rayon fold/reduce over whitespace-split chunks; the binary re-run as worker processes over framed pipes; timely dataflow across processes and hosts",
        path: "concurrency/src/mapreduce_demo/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Corpus sizes. Full mode's corpus is large enough next to its
/// vocabulary for a table per thread to beat one thread, and small enough
/// to generate and count many times in seconds;
/// quick mode's only checks that every engine runs, and deep mode's is the
/// long measurement.
const QUICK_BYTES: usize = 1_000_000;
const FULL_BYTES: usize = 8_000_000;
const DEEP_BYTES: usize = 100_000_000;
/// Vocabularies: a small one in quick mode, where every table learns it
/// again and the run only checks that every engine agrees; about a novel's
/// in full mode; natural language's everyday one (the CLI's default) in
/// deep mode.
const QUICK_VOCABULARY: usize = 2_000;
const FULL_VOCABULARY: usize = 10_000;
const DEEP_VOCABULARY: usize = CorpusSpec::DEFAULT_VOCABULARY;
/// Rounds of fresh `mastery mapreduce` processes in full mode: each round
/// starts three processes that each generate their corpus, so full mode
/// takes the fewest rounds that can give a verdict; deep mode takes every
/// configured sample, quick mode one round.
const FULL_PROCESS_ROUNDS: usize = 5;
const DEMO_SEED: u64 = 42;

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let corpus = corpus_section(n)?;
    rayon_section(n, &corpus)?;
    processes_section(n, &corpus)?;
    timely_section(n, &corpus)
}

/// The corpus every engine counts, the reference table, and how to cut it.
struct DemoCorpus {
    spec: CorpusSpec,
    text: Arc<String>,
    reference: WordCounts,
    cores: usize,
    chunk: usize,
}

impl DemoCorpus {
    /// An engine's table must equal one thread's, word for word.
    fn agree(&self, engine: &str, counts: &WordCounts) -> anyhow::Result<()> {
        match self.reference.first_difference(counts) {
            None => Ok(()),
            Some(diff) => anyhow::bail!("{engine} disagrees with one thread: {diff}"),
        }
    }

    fn bytes(&self) -> u64 {
        self.spec.bytes as u64
    }
}

fn corpus_section(n: &mut Narrator) -> anyhow::Result<DemoCorpus> {
    let mode = n.mode();
    let bytes = mode.pick_deep(QUICK_BYTES, FULL_BYTES, DEEP_BYTES);
    let mut spec = CorpusSpec::new(bytes, DEMO_SEED);
    spec.vocabulary = mode.pick_deep(QUICK_VOCABULARY, FULL_VOCABULARY, DEEP_VOCABULARY);
    let cores = thread::available_parallelism().map_or(1, usize::from);
    n.section("The corpus: seeded, Zipf-distributed words");
    let deeper = match mode {
        Mode::Deep => String::new(),
        Mode::Quick | Mode::Full => format!(
            " (`mastery run concurrency/mapreduce --deep` counts {DEEP_BYTES} bytes over \
             {DEEP_VOCABULARY} words)"
        ),
    };
    n.say(&format!(
        "{bytes} bytes drawn from a vocabulary of {} generated words with Zipf \
         exponent {}{deeper}; seed {DEMO_SEED}, so every run and every process builds \
         the same text. This machine has {cores} cores.",
        spec.vocabulary, spec.exponent
    ));
    let started = Instant::now();
    let text = Arc::new(spec.generate()?);
    n.record_duration(
        "generate the corpus (rayon, in 1 MiB blocks)",
        started.elapsed(),
    );
    let reference = count_single(&text);
    n.record_count("words in the corpus", reference.total());
    n.record_count("distinct words", reference.distinct());
    for (word, count) in reference.top(5) {
        n.show(format!("{count:>10}  {word}"));
    }
    Ok(DemoCorpus {
        spec,
        text,
        reference,
        cores,
        chunk: default_chunk_bytes(bytes, cores),
    })
}

/// A rayon engine as the demo runs it: what it says before, the name it
/// checks under, the comparison's label, and the engine.
struct RayonEngine {
    intro: String,
    name: &'static str,
    label: String,
    count: fn(&str, usize) -> WordCounts,
}

fn rayon_section(n: &mut Narrator, c: &DemoCorpus) -> anyhow::Result<()> {
    let (cores, chunk, text) = (c.cores, c.chunk, &c.text);
    n.section("1. rayon: threads on one machine");
    let engines = [
        RayonEngine {
            intro: format!(
                "Chunks of about {chunk} bytes cut at whitespace. The textbook version: \
                 par_iter().fold(new table, count).reduce(new table, merge), a table per \
                 rayon piece:"
            ),
            name: "rayon fold/reduce",
            label: format!("word count: rayon fold/reduce on {cores} threads vs one thread"),
            count: count_rayon_fold,
        },
        RayonEngine {
            intro: "One table per thread instead (rayon::broadcast: each thread pulls chunks \
                    from a shared counter into its own table; the tables are merged at the \
                    end):"
                .to_owned(),
            name: "rayon per-thread tables",
            label: format!("word count: rayon, a table per thread, {cores} threads vs one thread"),
            count: count_rayon,
        },
    ];
    let mut comparisons = Vec::with_capacity(engines.len());
    for engine in &engines {
        n.say(&engine.intro);
        c.agree(engine.name, &(engine.count)(text, chunk))?;
        n.show(format!("{} == one thread  ✓", engine.name));
        let comparison = n.compare_throughput(
            &engine.label,
            c.bytes(),
            || (engine.count)(text, chunk),
            "one thread",
            || count_single(text),
        );
        comparisons.push(comparison);
    }
    n.say(&format!(
        "Parallel counting pays a fixed cost that one thread does not: every table \
         learns the vocabulary on its own, and the tables are merged at the end — work \
         that grows with distinct words × tables, not with the text. The fold version \
         builds a table per rayon piece, one table per thread pays the cost once per \
         thread, and either pays off only when the corpus is much larger than its \
         vocabulary (here {} bytes over {} words). In this run the fold version was {}; \
         a table per thread was {}.",
        c.spec.bytes,
        c.spec.vocabulary,
        against_one_thread(&comparisons[0]),
        against_one_thread(&comparisons[1])
    ));
    Ok(())
}

/// How an engine fared against one thread, in words the verdict allows.
fn against_one_thread(c: &Comparison) -> String {
    match c.verdict {
        Verdict::Better => format!("{:.2}× as fast as one thread", c.speedup),
        Verdict::Worse => format!("slower than one thread ({:.2}× its throughput)", c.speedup),
        Verdict::Tie { within } => format!(
            "neither faster nor slower than one thread as far as this run can tell \
             (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => format!(
            "at {:.2}× one thread's throughput, on too few samples for a verdict",
            c.speedup
        ),
    }
}

fn processes_section(n: &mut Narrator, c: &DemoCorpus) -> anyhow::Result<()> {
    let (cores, chunk, text) = (c.cores, c.chunk, &c.text);
    n.section("2. worker processes: the multiprocessing analogue");
    let Some(program) = n.settings().worker_program.clone() else {
        n.say(
            "Skipped: this engine re-runs the `mastery` binary as `mastery worker`, \
             and this process is not it (a test harness, say). Run `mastery run \
             concurrency/mapreduce` to see it; no figure is printed for it here.",
        );
        return Ok(());
    };
    let started = Instant::now();
    let mut pool = WorkerPool::spawn(&program, cores)?;
    n.record_duration(
        &format!("start {cores} worker processes and shake hands"),
        started.elapsed(),
    );
    c.agree("the worker processes", &pool.count(text, chunk)?)?;
    n.show(format!(
        "{cores} workers (pids {:?}) == one thread  ✓",
        pool.pids()
    ));
    // The timed closure cannot return a Result: it keeps the first error,
    // which ends the demo once the comparison is done.
    let mut failure = None;
    let comparison = n.compare_throughput(
        &format!("word count: {cores} worker processes over pipes vs one thread"),
        c.bytes(),
        || match pool.count(text, chunk) {
            Ok(counts) => counts.total(),
            Err(e) => {
                failure.get_or_insert(e);
                0
            }
        },
        "one thread",
        || count_single(text),
    );
    if let Some(e) = failure {
        return Err(e.into());
    }
    n.say(&format!(
        "In this run the worker processes were {}. Every byte is copied through a \
         pipe (into the kernel and out again) and checked as UTF-8 by the worker: \
         that is what the processes pay over rayon's threads, which read the text \
         in place.",
        against_one_thread(&comparison)
    ));
    Ok(())
}

fn timely_section(n: &mut Narrator, c: &DemoCorpus) -> anyhow::Result<()> {
    let (cores, text) = (c.cores, &c.text);
    n.section("3. timely dataflow: the same dataflow, threads or processes");
    let setup = TimelySetup {
        threads: cores,
        cluster: None,
        chunk_bytes: c.chunk,
    };
    let run = count_timely(Arc::clone(text), &setup)?;
    let counts = run
        .counts
        .ok_or_else(|| anyhow::anyhow!("timely returned no table from worker 0"))?;
    c.agree("timely", &counts)?;
    n.show(format!("timely, {cores} worker threads == one thread  ✓"));
    let mut failure = None;
    let comparison = n.compare_throughput(
        &format!("word count: timely, {cores} worker threads in-process vs one thread"),
        c.bytes(),
        || match count_timely(Arc::clone(text), &setup) {
            Ok(run) => run.count,
            Err(e) => {
                failure.get_or_insert(e);
                Duration::ZERO
            }
        },
        "one thread",
        || count_single(text),
    );
    if let Some(e) = failure {
        return Err(e.into());
    }
    n.say(&format!(
        "In this run timely's worker threads were {}: the same counting, plus \
         operators, progress tracking and an exchange of (word, count) pairs by word.",
        against_one_thread(&comparison)
    ));
    let Some(program) = n.settings().worker_program.clone() else {
        n.say(
            "Two timely processes over loopback TCP need the `mastery` binary to \
             launch; skipped here, as above (the in-process run used the same \
             dataflow).",
        );
        return Ok(());
    };
    timely_processes(n, c, &program)
}

/// Two timely processes on loopback against one thread, each side run as a
/// fresh `mastery mapreduce` process that times its own counting phase —
/// a fair pair per round, the order alternating between rounds.
fn timely_processes(n: &mut Narrator, c: &DemoCorpus, program: &Path) -> anyhow::Result<()> {
    let rounds = n
        .mode()
        .pick_deep(1, FULL_PROCESS_ROUNDS.min(n.samples()), n.samples());
    let (mut timely_mb_s, mut single_mb_s) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let engines = if round % 2 == 0 {
            ["single", "timely"]
        } else {
            ["timely", "single"]
        };
        for engine in engines {
            let summary = match engine {
                "single" => mapreduce_children(program, &c.spec, &[&["--engine", "single"]])?,
                _ => timely_on_loopback(program, &c.spec)?,
            };
            anyhow::ensure!(
                summary.digest == c.reference.digest() && summary.words == c.reference.total(),
                "`mastery mapreduce --engine {engine}` disagrees with one thread: {summary:?}"
            );
            let mb_s = c.bytes() as f64 / 1e6 / summary.seconds.max(f64::MIN_POSITIVE);
            match engine {
                "single" => single_mb_s.push(mb_s),
                _ => timely_mb_s.push(mb_s),
            }
        }
    }
    n.show("timely, 2 processes × 1 worker thread on 127.0.0.1 == one thread  ✓");
    let comparison = n.compare_samples(
        "word count: timely, 2 processes on loopback vs one thread, each run as \
         `mastery mapreduce` (counting phase)",
        &timely_mb_s,
        &single_mb_s,
        "one thread (--engine single)",
        Unit::MegabytesPerSec,
    );
    n.say(&format!(
        "Each timely process generated only its half of the corpus (alternate \
         1 MiB blocks), connected to the other over TCP, counted, and \
         exchanged (word, count) pairs by word; process 0 gathered the table. \
         Both sides are fresh `mastery mapreduce` processes timing only their \
         counting — not starting, generating or connecting — the figure a \
         long-running cluster job would see; {rounds} round{} of them, as each \
         process generates its corpus first. In this run the two processes were {}.",
        if rounds == 1 { "" } else { "s" },
        against_one_thread(&comparison)
    ));
    Ok(())
}

/// Runs `program mapreduce` with the corpus options of `spec` plus each
/// of `extra`, all at once, and returns the first one's summary.
fn mapreduce_children(
    program: &Path,
    spec: &CorpusSpec,
    extra: &[&[&str]],
) -> anyhow::Result<RunSummary> {
    let commands = extra
        .iter()
        .map(|args| {
            let mut command = Command::new(program);
            command
                .arg("mapreduce")
                .args(*args)
                .args(["--bytes", &spec.bytes.to_string()])
                .args(["--seed", &spec.seed.to_string()])
                .args(["--vocabulary", &spec.vocabulary.to_string()])
                .args(["--top", "0"]);
            command
        })
        .collect();
    let outputs = run_all_with_deadline(commands, Duration::from_secs(300))
        .map_err(|e| anyhow::anyhow!("`{} mapreduce`: {e}", program.display()))?;
    for (args, output) in extra.iter().zip(&outputs) {
        anyhow::ensure!(
            output.status.success(),
            "`mastery mapreduce {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&outputs[0].stdout);
    RunSummary::parse(&stdout).ok_or_else(|| {
        anyhow::anyhow!(
            "`mastery mapreduce {}` printed no summary:\n{stdout}",
            extra[0].join(" ")
        )
    })
}

/// Launches `program mapreduce --engine timely` as processes 0 and 1 on
/// two free loopback ports and returns process 0's summary.
fn timely_on_loopback(program: &Path, spec: &CorpusSpec) -> anyhow::Result<RunSummary> {
    let hostfile = TempFile::new("hosts")?;
    let ports = [free_loopback_port()?, free_loopback_port()?];
    std::fs::write(
        &hostfile.0,
        format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1]),
    )?;
    let path = hostfile.0.to_string_lossy().into_owned();
    let process = |i: &'static str| -> [&str; 12] {
        [
            "--engine",
            "timely",
            "--processes",
            "2",
            "--process",
            i,
            "--workers",
            "1",
            "--hostfile",
            &path,
            "--connect-timeout",
            "20",
        ]
    };
    let (p0, p1) = (process("0"), process("1"));
    mapreduce_children(program, spec, &[&p0, &p1])
}

/// A file in the temporary directory, removed on drop.
pub(super) struct TempFile(pub(super) PathBuf);

impl TempFile {
    pub(super) fn new(what: &str) -> io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "mastery-mapreduce-{}-{nanos}.{what}",
            std::process::id()
        ));
        std::fs::File::create(&path)?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
