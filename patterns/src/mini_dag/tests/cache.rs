//! The cache: unchanged tasks do not run again; a changed command, input or
//! dependency output does; `force` runs everything.

use std::fs;
use std::path::Path;

use super::super::*;

const PIPELINE: &str = r#"
[pipeline]
name = "cached"

[[task]]
id = "first-letter"
run = "mkdir -p out && cut -c1 in.txt > out/first.txt && echo x >> runs-first"
inputs = ["in.txt"]
outputs = ["out/first.txt"]

[[task]]
id = "shout"
run = "tr a-z A-Z < out/first.txt > out/shout.txt && echo x >> runs-shout"
deps = ["first-letter"]
outputs = ["out/shout.txt"]

[[task]]
id = "no-outputs"
run = "echo x >> runs-none"
deps = ["shout"]
"#;

fn setup(pipeline: &str) -> (tempfile::TempDir, Dag) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cached.toml");
    fs::write(&file, pipeline).expect("write a test file");
    fs::write(dir.path().join("in.txt"), "abc\n").expect("write a test file");
    let dag = load(&file).expect("a valid pipeline");
    (dir, dag)
}

fn go(dag: &Dag, force: bool) -> RunReport {
    let mut options = RunOptions::new(2);
    options.force = force;
    run(dag, &options, &mut |_| {}).expect("the run starts")
}

fn runs(dir: &Path, name: &str) -> usize {
    fs::read_to_string(dir.join(name)).map_or(0, |s| s.lines().count())
}

#[test]
fn an_unchanged_pipeline_is_all_cached_and_force_runs_it_again() {
    let (dir, dag) = setup(PIPELINE);
    let first = go(&dag, false);
    assert_eq!(first.count("ran"), 3, "{first:#?}");
    assert_eq!(
        fs::read_to_string(dir.path().join("out/shout.txt")).expect("read a test file"),
        "A\n"
    );
    let second = go(&dag, false);
    assert_eq!(second.count("cached"), 3, "{second:#?}");
    assert_eq!(runs(dir.path(), "runs-first"), 1);
    let forced = go(&dag, true);
    assert_eq!(forced.count("ran"), 3);
    assert_eq!(runs(dir.path(), "runs-none"), 2);
    assert_eq!(
        first.tasks[0].key, forced.tasks[0].key,
        "force keeps the key"
    );
}

#[test]
fn a_changed_input_reruns_only_while_outputs_change() {
    let (dir, dag) = setup(PIPELINE);
    go(&dag, false);
    // Same first letter: first-letter runs, writes the same byte, and the
    // tasks after it stay cached (early cutoff).
    fs::write(dir.path().join("in.txt"), "axe\n").expect("write a test file");
    let report = go(&dag, false);
    assert_eq!(report.ids("ran"), ["first-letter"]);
    assert_eq!(report.ids("cached"), ["shout", "no-outputs"]);
    // A new first letter flows all the way down.
    fs::write(dir.path().join("in.txt"), "zzz\n").expect("write a test file");
    let report = go(&dag, false);
    assert_eq!(report.count("ran"), 3);
    assert_eq!(
        fs::read_to_string(dir.path().join("out/shout.txt")).expect("read a test file"),
        "Z\n"
    );
}

#[test]
fn a_deleted_output_or_a_changed_command_reruns_the_task() {
    let (dir, dag) = setup(PIPELINE);
    go(&dag, false);
    fs::remove_file(dir.path().join("out/shout.txt")).expect("remove a test file");
    let report = go(&dag, false);
    assert_eq!(report.ids("ran"), ["shout"], "{report:#?}");
    let edited = PIPELINE.replace("echo x >> runs-none", "echo y >> runs-none");
    fs::write(dir.path().join("cached.toml"), edited).expect("write a test file");
    let dag = load(&dir.path().join("cached.toml")).expect("a valid pipeline");
    let report = go(&dag, false);
    assert_eq!(report.ids("ran"), ["no-outputs"]);
}

#[test]
fn missing_inputs_and_unwritten_outputs_fail_the_task_with_their_path() {
    let (dir, dag) = setup(PIPELINE);
    fs::remove_file(dir.path().join("in.txt")).expect("remove a test file");
    let report = go(&dag, false);
    assert!(
        matches!(&report.tasks[0].status, Status::Failed(e) if e.contains("input `in.txt` cannot be read"))
    );
    assert_eq!(report.count("skipped"), 2);
    let lazy = "[[task]]\nid = \"lazy\"\nrun = \"true\"\noutputs = [\"never.txt\"]\n";
    let (_dir, dag) = setup(lazy);
    let report = go(&dag, false);
    assert!(
        matches!(&report.tasks[0].status, Status::Failed(e) if e.contains("declared output `never.txt` was not written"))
    );
}

#[test]
fn records_and_logs_live_under_the_state_dir() {
    let (dir, dag) = setup(PIPELINE);
    let report = go(&dag, false);
    let state = dir.path().join(DEFAULT_STATE_DIR).join("cached");
    let record: cache::Record = serde_json::from_str(
        &fs::read_to_string(state.join("cache/shout.json")).expect("read a test file"),
    )
    .expect("read a test file");
    assert_eq!(Some(&record.key), report.tasks[1].key.as_ref());
    assert!(record.outputs.contains_key("out/shout.txt"));
    let log = fs::read_to_string(state.join("logs/shout.log")).expect("read a test file");
    assert!(log.starts_with("--- attempt 1: sh -c"), "{log}");
}
