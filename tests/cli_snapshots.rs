//! Snapshot tests of the `mastery` binary's deterministic output (insta):
//! each `assert_snapshot!` compares with a file under `tests/snapshots/`,
//! committed next to this file. A change to the output fails the test with
//! a diff; `cargo insta review` (or `INSTA_UPDATE=always cargo test --test
//! cli_snapshots`) accepts it. Only output without timings, paths or
//! machine facts is snapshotted. See `testing/pytest-plugins`.

use std::path::Path;
use std::process::Command;

/// Runs `mastery` from the workspace root with a fixed terminal width and
/// no `MASTERY_*` settings; its stdout, checked to have succeeded.
fn mastery(args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mastery"));
    cmd.args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("COLUMNS", "100")
        .env_remove("RUST_LOG");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTERY_")) {
        cmd.env_remove(key);
    }
    let out = cmd.output().expect("the mastery binary runs");
    assert!(
        out.status.success(),
        "mastery {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn help() {
    insta::assert_snapshot!(mastery(&["--help"]));
}

/// The topics of one area of `mastery list`: the lines from its heading to
/// the next. One area per snapshot, so a topic added elsewhere does not
/// change this one.
fn listed_area(list: &str, area: &str) -> String {
    let heading = format!("({area}/)");
    let mut lines = list.lines().skip_while(|l| !l.ends_with(&heading));
    let mut out = lines.next().map(str::to_owned).unwrap_or_default();
    for line in lines.take_while(|l| l.starts_with(' ')) {
        out.push('\n');
        out.push_str(line);
    }
    out
}

#[test]
fn list_interview_topics() {
    let list = mastery(&["list"]);
    let area = listed_area(&list, "interview");
    assert!(area.contains("interview/lru-cache"), "{list}");
    insta::assert_snapshot!(area);
}

#[test]
fn kata_list() {
    insta::assert_snapshot!(mastery(&["kata", "list"]));
}

#[test]
fn kata_help() {
    insta::assert_snapshot!(mastery(&["kata", "--help"]));
}

#[test]
fn dag_mermaid() {
    insta::assert_snapshot!(mastery(&["dag", "--mermaid", "patterns/dags/build.toml"]));
}
