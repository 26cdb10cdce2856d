//! `mastery dag` end to end, as a user meets it: an invalid file exits 2
//! with every problem, a cyclic one with its whole cycle; a run that fails
//! exits 1 and names what it skipped; the example pipeline runs, then finds
//! everything cached; and a run killed with SIGKILL resumes with only the
//! tasks that had not finished.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const MASTERY: &str = env!("CARGO_BIN_EXE_mastery");

fn mastery(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(MASTERY);
    command.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTERY_")) {
        command.env_remove(key);
    }
    command
}

fn output(args: &[&str], dir: &Path) -> Output {
    mastery(args, dir)
        .output()
        .expect("the mastery binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/dags")
}

#[test]
fn the_cyclic_example_prints_its_whole_cycle_and_exits_2() {
    let file = examples().join("cyclic.toml");
    let out = output(
        &["dag", file.to_str().expect("a UTF-8 path")],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("dependency cycle: extract → transform → report → extract"),
        "{stderr}"
    );
    assert!(stderr.contains("cyclic.toml:11:8:"), "{stderr}");
}

#[test]
fn validation_problems_exit_2_with_file_line_and_suggestions() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(
        dir.path().join("bad.toml"),
        "[[task]]\nid = \"a\"\nrun = \"true\"\ntimout = \"1s\"\n\n[[task]]\nid = \"b\"\nrun = \"true\"\ndeps = [\"aa\"]\n",
    )
    .expect("write a test file");
    let out = output(&["dag", "bad.toml", "--run"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains("bad.toml:4:1: unknown key `timout` in a [[task]] (did you mean `timeout`?)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.toml:9:8: task `b` depends on unknown task `aa` (did you mean `a`?)"),
        "{stderr}"
    );
    assert!(!dir.path().join(".mastery-dag").exists(), "nothing ran");
    let out = output(&["dag", "missing.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the pipeline file missing.toml"));
}

#[test]
fn a_failed_task_exits_1_and_its_dependents_are_skipped() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(
        dir.path().join("p.toml"),
        "[[task]]\nid = \"broken\"\nrun = \"exit 4\"\n[[task]]\nid = \"after\"\nrun = \"true\"\ndeps = [\"broken\"]\n[[task]]\nid = \"other\"\nrun = \"true\"\n",
    )
    .expect("write a test file");
    let out = output(&["dag", "p.toml", "--run"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("✗ broken  failed: exited with status 4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- after  skipped: it needs `broken`, which failed"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ other  ran"), "{stdout}");
}

#[test]
fn the_build_example_runs_in_parallel_retries_and_is_cached_the_second_time() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::create_dir(dir.path().join("data")).expect("create a test dir");
    fs::copy(examples().join("build.toml"), dir.path().join("build.toml"))
        .expect("copy an example");
    fs::copy(
        examples().join("data/input.txt"),
        dir.path().join("data/input.txt"),
    )
    .expect("create a test dir");
    let out = output(&["dag", "build.toml", "--run"], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("↻ flaky-upload: attempt 2 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✓ flaky-upload  ran in") && stdout.contains("3 attempts"),
        "{stdout}"
    );
    assert!(stdout.contains("6 ran, 0 cached"), "{stdout}");
    assert_eq!(
        fs::read_to_string(dir.path().join("out/uploaded.txt")).expect("read a test file"),
        "words 16\nlines 3\n"
    );
    assert!(stdout.contains("critical path: fetch → "), "{stdout}");
    assert!(stdout.contains("  * flaky-upload |"), "{stdout}");
    let again = text(&output(&["dag", "build.toml", "--run"], dir.path()).stdout);
    assert!(again.contains("0 ran, 6 cached"), "{again}");
    let json = output(
        &["dag", "build.toml", "--run", "--force", "--json"],
        dir.path(),
    );
    let timeline: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("--json prints JSON");
    assert_eq!(timeline["tasks"].as_array().map(Vec::len), Some(6));
    assert_eq!(timeline["tasks"][5]["attempts"], 3);
    assert!(
        text(&json.stderr).contains("6 ran"),
        "progress goes to stderr"
    );
    let forced = text(&output(&["dag", "build.toml", "--run", "--force"], dir.path()).stdout);
    assert!(forced.contains("6 ran, 0 cached"), "{forced}");
}

#[test]
fn dot_and_mermaid_print_the_example_graph() {
    let file = examples().join("build.toml");
    let dot = text(
        &output(
            &["dag", file.to_str().expect("a UTF-8 path"), "--dot"],
            Path::new("."),
        )
        .stdout,
    );
    assert!(
        dot.starts_with("digraph \"build\" {") && dot.contains("\"fetch\" -> \"words\";"),
        "{dot}"
    );
    let mermaid = text(
        &output(
            &["dag", file.to_str().expect("a UTF-8 path"), "--mermaid"],
            Path::new("."),
        )
        .stdout,
    );
    assert!(
        mermaid.starts_with("flowchart LR\n") && mermaid.contains("t0 --> t1"),
        "{mermaid}"
    );
}

/// The pipeline of the resume test: every task appends its name to
/// `ran.log`; `slow` sleeps the first time only, long enough to be killed,
/// and starts only once the three others have finished (and been recorded).
const RESUMABLE: &str = r#"
[pipeline]
concurrency = 2
[[task]]
id = "a"
run = "echo a >> ran.log"
[[task]]
id = "b"
run = "echo b >> ran.log"
deps = ["a"]
[[task]]
id = "side"
run = "echo side >> ran.log"
[[task]]
id = "slow"
run = "echo slow-start >> ran.log; if [ ! -f slept ]; then touch slept; echo $$ > slow.pid; sleep 60; fi; echo slow >> ran.log"
deps = ["b", "side"]
[[task]]
id = "after"
run = "echo after >> ran.log"
deps = ["slow"]
"#;

#[test]
fn a_run_killed_with_sigkill_resumes_with_only_the_unfinished_tasks() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(dir.path().join("p.toml"), RESUMABLE).expect("write a test file");
    let mut child = mastery(&["dag", "p.toml", "--run"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mastery starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid_file = dir.path().join("slow.pid");
    while !fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n')) {
        assert!(Instant::now() < deadline, "slow never started");
        assert!(
            child.try_wait().expect("reap the run").is_none(),
            "the run ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("kill the run"); // SIGKILL: no chance to clean up
    child.wait().expect("reap the run");
    // The orphaned `sh` of `slow` and its `sleep` are one process group.
    let group = format!(
        "-{}",
        fs::read_to_string(&pid_file)
            .expect("read a test file")
            .trim()
    );
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let log = |d: &Path| fs::read_to_string(d.join("ran.log")).expect("read a test file");
    let mut before: Vec<String> = log(dir.path()).lines().map(str::to_owned).collect();
    before.sort();
    assert_eq!(before, ["a", "b", "side", "slow-start"]);
    let out = output(&["dag", "p.toml", "--run"], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let after: Vec<String> = log(dir.path()).lines().skip(4).map(str::to_owned).collect();
    assert_eq!(after, ["slow-start", "slow", "after"], "{stdout}");
    assert!(
        stdout.contains("3 cached") && stdout.contains("2 ran"),
        "{stdout}"
    );
}
