//! Word count across processes, with the real `mastery` binary: the worker
//! processes and two timely processes on loopback give the single-thread
//! reference's answer; a worker that dies mid-job is named and nothing
//! hangs; bad cluster options exit 2 and an unreachable peer exits 1.
//!
//! Every child is started with a deadline and killed if it overstays, and
//! timely processes listen on 127.0.0.1 only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{
    CRASH_ENV, CorpusSpec, RunSummary, WORKER_ENV, WordCounts, WorkerPool, count_single,
    run_all_with_deadline,
};
use mastery_kit::net::free_loopback_port;

#[path = "mapreduce/inputs.rs"]
mod inputs;

const MASTERY: &str = env!("CARGO_BIN_EXE_mastery");
const DEADLINE: Duration = Duration::from_secs(120);

/// `mastery ARGS` with the kit's settings variables removed.
fn mastery(args: &[&str]) -> Command {
    let mut command = Command::new(MASTERY);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove(WORKER_ENV);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTERY_")) {
        command.env_remove(key);
    }
    command
}

/// Runs `commands` together; fails the test (after killing them) if they
/// are not all done by the deadline.
fn run(commands: Vec<Command>) -> Vec<Output> {
    run_all_with_deadline(commands, DEADLINE).unwrap_or_else(|e| panic!("{e}"))
}

/// `mastery mapreduce --engine timely` as process `i` of two on
/// `hostfile`, two worker threads each; the caller adds what it counts.
fn timely_process(hostfile: &Path, i: &str) -> Command {
    let mut command = mastery(&[
        "mapreduce",
        "--engine",
        "timely",
        "--processes",
        "2",
        "--process",
        i,
        "--workers",
        "2",
        "--connect-timeout",
        "60",
    ]);
    command.arg("--hostfile").arg(hostfile);
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn reference(bytes: usize, seed: u64) -> WordCounts {
    let text = CorpusSpec::new(bytes, seed)
        .generate()
        .expect("the default spec is valid");
    count_single(&text)
}

/// Reads a `--output` table back.
fn read_tsv(path: &Path) -> WordCounts {
    let tsv = std::fs::read_to_string(path).expect("the table was written");
    tsv.lines()
        .map(|line| {
            let (word, count) = line.split_once('\t').expect("word<TAB>count");
            (word.to_owned(), count.parse().expect("a count"))
        })
        .collect()
}

fn assert_same(got: &WordCounts, want: &WordCounts, what: &str) {
    if let Some(diff) = got.first_difference(want) {
        panic!("{what} differs from the single-thread reference: {diff}");
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

#[test]
fn the_worker_pool_matches_the_reference_job_after_job() {
    let spec = CorpusSpec::new(3_000_000, 11);
    let text = spec.generate().expect("valid");
    let want = count_single(&text);
    let mut pool = WorkerPool::spawn(Path::new(MASTERY), 3).expect("three workers start");
    assert_eq!(pool.len(), 3);
    for chunk in [40_000, 1 << 20] {
        let got = pool.count(&text, chunk).expect("the job succeeds");
        assert_same(&got, &want, &format!("3 workers, chunks of {chunk} bytes"));
    }
    let empty = pool.count("", 1024).expect("an empty job succeeds");
    assert_eq!(empty, WordCounts::new());
}

#[test]
fn the_processes_engine_on_the_command_line_matches_the_reference() {
    let dir = temp_dir();
    let table = dir.path().join("counts.tsv");
    let table_arg = table.to_str().expect("a UTF-8 temp path");
    let outputs = run(vec![mastery(&[
        "mapreduce",
        "--engine",
        "processes",
        "--workers",
        "2",
        "--bytes",
        "2MB",
        "--seed",
        "5",
        "--chunk-bytes",
        "50kB",
        "--top",
        "3",
        "--output",
        table_arg,
    ])]);
    let out = &outputs[0];
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let want = reference(2_000_000, 5);
    let summary = RunSummary::parse(&stdout).expect("a summary on stdout");
    assert_eq!(summary.engine, "2 worker processes");
    assert_eq!(
        (summary.words, summary.distinct as usize, summary.digest),
        (want.total(), want.distinct(), want.digest()),
        "{stdout}"
    );
    assert!(stdout.contains("top 3:"), "{stdout}");
    assert_same(&read_tsv(&table), &want, "the processes engine's table");
}

#[test]
fn a_worker_that_dies_mid_job_is_named_and_nothing_hangs() {
    let mut command = mastery(&[
        "mapreduce",
        "--engine",
        "processes",
        "--workers",
        "2",
        "--bytes",
        "2MB",
        "--chunk-bytes",
        "20kB",
    ]);
    command.env(CRASH_ENV, "1:3");
    let started = Instant::now();
    let outputs = run(vec![command]);
    let out = &outputs[0];
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: worker 1 (pid ") && stderr.contains("exit status: 3"),
        "the error names the worker and its exit status: {stderr}"
    );
    assert!(stderr.contains("died"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// A hostfile for two processes on free loopback ports.
fn loopback_hostfile(dir: &Path) -> PathBuf {
    let path = dir.join("hosts.txt");
    let ports = [free_loopback_port(), free_loopback_port()].map(|p| p.expect("a free port"));
    std::fs::write(
        &path,
        format!(
            "# two processes on this host\n127.0.0.1:{}\n127.0.0.1:{}\n",
            ports[0], ports[1]
        ),
    )
    .expect("write the hostfile");
    path
}

#[test]
fn two_timely_processes_on_loopback_match_the_reference() {
    let dir = temp_dir();
    let hostfile = loopback_hostfile(dir.path());
    let table = dir.path().join("counts.tsv");
    let process = |i: &str| {
        let mut command = timely_process(&hostfile, i);
        command
            .args(["--bytes", "3MB", "--seed", "8", "--chunk-bytes", "64KiB"])
            .arg("--output")
            .arg(&table);
        command
    };
    // Process 1 first: it must wait for process 0 to listen.
    let outputs = run(vec![process("1"), process("0")]);
    for (name, out) in ["process 1", "process 0"].iter().zip(&outputs) {
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
    let want = reference(3_000_000, 8);
    let stdout = text(&outputs[1].stdout);
    let summary = RunSummary::parse(&stdout).expect("process 0 prints the summary");
    assert_eq!(
        summary.engine, "timely, 2 processes × 2 worker threads",
        "{stdout}"
    );
    assert_eq!(
        (summary.words, summary.digest),
        (want.total(), want.digest()),
        "{stdout}"
    );
    assert_same(&read_tsv(&table), &want, "two timely processes' table");
    let other = text(&outputs[0].stdout);
    assert!(
        other.starts_with("process 1 of 2: counted its share"),
        "{other}"
    );
}

#[test]
fn an_unreachable_timely_peer_is_an_error_not_a_hang() {
    let dir = temp_dir();
    let hostfile = loopback_hostfile(dir.path());
    let mut command = mastery(&[
        "mapreduce",
        "--engine",
        "timely",
        "--processes",
        "2",
        "--process",
        "1",
        "--bytes",
        "100kB",
        "--connect-timeout",
        "1",
    ]);
    command.arg("--hostfile").arg(&hostfile);
    let outputs = run(vec![command]);
    let stderr = text(&outputs[0].stderr);
    assert_eq!(outputs[0].status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("process 1 could not reach process 0 at 127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn bad_cluster_options_exit_2_and_say_where() {
    let dir = temp_dir();
    let bad = dir.path().join("bad-hosts.txt");
    std::fs::write(&bad, "127.0.0.1:2101\nnot an address\n").expect("write");
    let bad_arg = bad.to_str().expect("a UTF-8 temp path");
    let missing = dir.path().join("missing.txt");
    let missing_arg = missing.to_str().expect("a UTF-8 temp path");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![
                "--engine",
                "timely",
                "-n",
                "2",
                "-p",
                "0",
                "--hostfile",
                bad_arg,
            ],
            format!("{bad_arg}:2: `not an address` is not an address of the form HOST:PORT"),
        ),
        (
            vec![
                "--engine",
                "timely",
                "-n",
                "3",
                "-p",
                "0",
                "--hostfile",
                bad_arg,
            ],
            format!("{bad_arg}:2: `not an address`"),
        ),
        (
            vec![
                "--engine",
                "timely",
                "-n",
                "2",
                "-p",
                "0",
                "--hostfile",
                missing_arg,
            ],
            format!("cannot read hostfile {missing_arg}"),
        ),
        (
            vec!["--engine", "timely", "-n", "2", "-p", "2"],
            "--process 2 is out of range: with --processes 2 it must be 0 to 1".into(),
        ),
        (
            vec!["--engine", "timely", "-n", "0"],
            "--processes must be at least 1".into(),
        ),
        (
            vec!["--engine", "rayon", "--processes", "2"],
            "--processes is for --engine timely".into(),
        ),
        (
            vec!["--engine", "rayon", "--workers", "0"],
            "--workers must be at least 1".into(),
        ),
        (
            vec!["--bytes", "12 parsecs"],
            "unknown unit `parsecs`".into(),
        ),
    ];
    let commands = cases
        .iter()
        .map(|(args, _)| {
            let mut command = mastery(&["mapreduce"]);
            command.args(args);
            if !args.contains(&"--bytes") {
                command.args(["--bytes", "10kB"]);
            }
            command
        })
        .collect();
    for ((args, want), out) in cases.iter().zip(run(commands)) {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want.as_str()), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_worker_whose_parent_closes_at_once_exits_cleanly() {
    let outputs = run(vec![mastery(&["worker", "--index", "4"])]);
    let out = &outputs[0];
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        out.stdout.starts_with(&[1]),
        "it said hello (a frame of kind 1) and nothing else went wrong"
    );
}

#[test]
fn every_engine_prints_the_same_digest() {
    let commands = ["single", "rayon", "processes", "timely"]
        .into_iter()
        .map(|engine| {
            mastery(&[
                "mapreduce",
                "--engine",
                engine,
                "--bytes",
                "1500kB",
                "--seed",
                "3",
                "--workers",
                "2",
                "--top",
                "0",
            ])
        })
        .collect();
    let want = reference(1_500_000, 3).digest();
    for out in run(commands) {
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let summary = RunSummary::parse(&stdout).expect("a summary");
        assert_eq!(summary.digest, want, "{stdout}");
        assert_eq!(summary.bytes, 1_500_000);
    }
}
