//! The demo of `patterns/mini-dag`: a bad file with every problem, a run
//! with parallel branches, a retried flaky task and a contained failure,
//! the cache on a re-run, and the scheduling cost per task on four graph
//! shapes against Python's `graphlib` driving a thread pool.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mastery_kit::{Area, Mode, Narrator, Topic, Unit, Verdict, take_turns};
use serde::Deserialize;

use super::python_peer::PythonRunner;
use super::shapes::Shape;
use super::{Dag, RunOptions, Timeline, load_str, run};

mastery_kit::inventory::submit! {
    Topic {
        id: "patterns/mini-dag",
        area: Area::Patterns,
        rank: 4,
        title: "Mini DAG / pipeline framework",
        python: "Airflow/Make-style DAGs: graphlib.TopologicalSorter, a thread pool, retries and caching bolted on",
        rust: "a validated DAG (every problem with its line, cycles as paths), bounded worker threads, Backoff retries, a content-hash cache that resumes killed runs; `mastery dag`",
        path: "patterns/src/mini_dag/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Workers on both sides of the scheduling comparison.
const WORKERS: usize = 4;

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    // Python starts while the first sections run; the timings wait for it.
    // Quick mode leaves it out: the interpreter's start-up alone is over
    // the quick budget (a unit test drives the runner instead).
    let peer = match n.mode() {
        Mode::Quick => Err("quick mode times ours alone; full mode runs Python too".to_owned()),
        Mode::Full | Mode::Deep => PythonRunner::spawn(&python_path(n)),
    };
    validation(n)?;
    let dir = tempfile::tempdir()?;
    running(n, dir.path())?;
    scheduling_overhead(n, peer.and_then(PythonRunner::ready))?;
    Ok(())
}

const BAD: &str = r#"[pipeline]
concurency = 2

[[task]]
id = "fetch"
run = "curl -O https://example.com/data.csv"
deps = ["report"]

[[task]]
id = "clean"
run = "python clean.py"
deps = ["fetch"]
timout = "30s"

[[task]]
id = "report"
run = "python report.py"
deps = ["clean", "fecth"]

[[task]]
id = "clean"
builtin = "noop"
"#;

/// The same file read the usual serde way: typed structs that refuse
/// unknown keys, which stop at the first problem.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only parsed, to count what it reports
struct Strict {
    pipeline: Option<StrictPipeline>,
    task: Vec<StrictTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictPipeline {
    concurrency: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictTask {
    id: String,
    run: Option<String>,
    builtin: Option<String>,
    #[serde(default)]
    deps: Vec<String>,
}

fn validation(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A pipeline file, checked before anything runs");
    n.say(
        "Four tasks with five mistakes: a misspelt key in [pipeline] and in a task, a \
         misspelt dep, a duplicate id, and a cycle fetch → clean → report → fetch. \
         Validation reports all of them, each with its line:",
    );
    let problems = match load_str(BAD, Path::new("pipeline.toml")) {
        Ok(_) => anyhow::bail!("the bad pipeline was accepted"),
        Err(problems) => problems,
    };
    for line in problems.to_string().lines().skip(1) {
        n.show(line);
    }
    anyhow::ensure!(
        problems.mentions("dependency cycle: fetch → clean → report → fetch"),
        "the cycle was not reported as its path:\n{problems}"
    );
    let strict = usize::from(toml::from_str::<Strict>(BAD).is_err());
    let ours = n.record_count("problems reported for the bad file", problems.list.len());
    let first = n.record_count("problems reported by serde deny_unknown_fields", strict);
    n.say(&format!(
        "Typed serde structs with `deny_unknown_fields` report {first} (the first unknown \
         key) and know nothing of the graph; a reader fixing the file that way needs {ours} \
         round trips instead of one."
    ));
    Ok(())
}

/// The pipeline of the run and the cache sections, all built-ins so it
/// behaves the same on every machine; `SLEEP` is the work per task.
fn run_pipeline(sleep_ms: u64) -> String {
    format!(
        r#"[pipeline]
name = "demo"
concurrency = {WORKERS}

[[task]]
id = "fetch"
builtin = "sleep {sleep_ms}ms"

[[task]]
id = "parse"
builtin = "sleep {double}ms"
deps = ["fetch"]

[[task]]
id = "index"
builtin = "sleep {sleep_ms}ms"
deps = ["fetch"]

[[task]]
id = "upload"
builtin = "flaky 2"
retries = 3
backoff = "1ms"
deps = ["fetch"]

[[task]]
id = "report"
builtin = "noop"
deps = ["parse", "index", "upload"]

[[task]]
id = "broken"
builtin = "fail"

[[task]]
id = "after-broken"
builtin = "noop"
deps = ["broken"]
"#,
        double = sleep_ms * 2
    )
}

fn running(n: &mut Narrator, dir: &Path) -> anyhow::Result<()> {
    n.section("Running it: parallel branches, a retried task, a failure contained");
    let sleep_ms = n.mode().pick(2, 20);
    let file = dir.join("demo.toml");
    std::fs::write(&file, run_pipeline(sleep_ms))?;
    let dag = load_str(&run_pipeline(sleep_ms), &file).map_err(|p| anyhow::anyhow!("{p}"))?;
    let options = RunOptions::new(WORKERS);
    let mut retries = 0;
    let first = run(&dag, &options, &mut |e| {
        if let super::Event::Retrying { .. } = e {
            retries += 1;
        }
    })?;
    n.say(&format!(
        "parse, index and upload run side by side once fetch is done; upload fails twice and \
         passes on its third attempt ({retries} retries, each after a backoff from the \
         interview `Backoff`); broken fails, so after-broken is skipped — and report, on \
         another branch, still runs:"
    ));
    n.show_block(&Timeline::of(&dag, &first).render(40));
    anyhow::ensure!(
        first.ids("skipped") == ["after-broken"] && first.ids("failed") == ["broken"],
        "the failure was not contained as expected: {first:?}"
    );
    n.record_count("retries of the flaky task", retries);

    n.section("The cache: a re-run does only what changed or failed");
    let again = run(&dag, &options, &mut |_| {})?;
    let forced = {
        let mut force = options.clone();
        force.force = true;
        run(&dag, &force, &mut |_| {})?
    };
    n.say(&format!(
        "Run again unchanged, {} of {} tasks are cached (their key — action, env, input \
         hashes, deps' outputs — matches their record); only broken, which has no record, \
         runs again. `--force` runs everything.",
        again.count("cached"),
        dag.len()
    ));
    let c = n.compare(
        "tasks run by an unchanged re-run",
        again.count("ran") as f64 + again.count("failed") as f64,
        forced.count("ran") as f64 + forced.count("failed") as f64,
        "--force (no cache)",
        Unit::Count,
    );
    anyhow::ensure!(
        c.verdict == Verdict::Better,
        "the re-run ran as much as --force"
    );
    Ok(())
}

fn python_path(n: &Narrator) -> PathBuf {
    n.settings()
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from("python3"))
}

fn scheduling_overhead(n: &mut Narrator, peer: Result<PythonRunner, String>) -> anyhow::Result<()> {
    n.section("Scheduling overhead per task: ours vs graphlib + a thread pool");
    let tasks = n.mode().pick(20, 300);
    let mut peer = match peer {
        Ok(peer) => Some(peer),
        Err(why) if n.mode() == Mode::Quick => {
            n.say(&format!("Skipped the Python side: {why}."));
            None
        }
        Err(why) => {
            anyhow::ensure!(
                !n.settings().require_python,
                "require_python is set but the Python runner cannot start: {why}"
            );
            n.say(&format!(
                "Skipped the Python side: {why}. Ours alone below; install Python 3.9+ \
                 (or set `python` in mastery.toml) for the comparison."
            ));
            None
        }
    };
    n.say(&format!(
        "{tasks} no-op tasks per run on {WORKERS} worker threads, four shapes. Ours: build \
         the Dag (ids checked, cycles refused) and run it with the cache off. Python: \
         TopologicalSorter(graph).prepare() and a ThreadPoolExecutor fed from get_ready(), \
         timed inside the interpreter. One run of each per round, taking turns at going first."
    ));
    let dir = std::env::temp_dir();
    for shape in Shape::ALL {
        let pipeline = shape.pipeline(tasks, &dir);
        let mut options = RunOptions::new(WORKERS);
        options.use_cache = false;
        let ours_once = || -> anyhow::Result<f64> {
            let copy = pipeline.clone();
            let start = Instant::now();
            let dag = Dag::new(copy)?;
            let report = run(&dag, &options, &mut |_| {})?;
            let ns = start.elapsed().as_secs_f64() * 1e9 / dag.len() as f64;
            anyhow::ensure!(report.succeeded(), "a no-op task failed");
            Ok(ns)
        };
        let label = format!("scheduling {}, per task", shape.describe(tasks));
        let Some(peer) = peer.as_mut() else {
            let samples: Vec<f64> = (0..n.samples())
                .map(|_| ours_once())
                .collect::<anyhow::Result<_>>()?;
            let mut sorted = samples.clone();
            n.record(
                &label,
                mastery_kit::stats::median(&mut sorted),
                Unit::NsPerOp,
            );
            continue;
        };
        ours_once()?;
        peer.time(shape, tasks, WORKERS)?;
        let samples = take_turns(n.samples(), 2, |side| {
            if side == 0 {
                ours_once()
            } else {
                peer.time(shape, tasks, WORKERS)
            }
        })?;
        let c = n.compare_samples(
            &label,
            &samples[0],
            &samples[1],
            "graphlib + ThreadPoolExecutor",
            Unit::NsPerOp,
        );
        let verdict = c.in_words(
            &format!(
                "ours hands tasks out {} on this shape",
                c.faster_or_slower()
            ),
            &format!(
                "Python's runner is faster on this shape (ours {})",
                c.faster_or_slower()
            ),
        );
        n.say(&format!("{}: {verdict}.", shape.name()));
    }
    n.say(
        "What the numbers are: the cost of the machinery around a task that does nothing — \
         finding ready tasks, handing them to a thread, hearing back, releasing dependents. \
         A chain pays a full hand-off per task with no overlap; wide shapes let workers \
         overlap it. Real tasks (processes, I/O) cost far more than either scheduler.",
    );
    Ok(())
}
