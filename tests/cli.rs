//! The `mastery` binary end to end: exit codes, JSON shapes, reports and
//! configuration errors, as a user meets them.

use std::path::Path;
use std::process::{Command, Output};

fn mastery(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mastery"));
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTERY_")) {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the mastery binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn empty_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn list_shows_every_topic_and_json_parses() {
    let dir = empty_dir();
    let out = mastery(&["list"], dir.path(), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for id in [
        "interview/lru-cache",
        "tooling/cli-tools",
        "tooling/config-management",
        "tooling/logging-examples",
    ] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert!(stdout.contains("functools.lru_cache") && stdout.contains("→"));
    let out = mastery(&["list", "--json"], dir.path(), &[]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    assert!(
        rows.as_array()
            .is_some_and(|r| r.iter().any(|t| t["id"] == "interview/lru-cache"))
    );
}

#[test]
fn unknown_topic_exits_2_with_a_suggestion() {
    let dir = empty_dir();
    let out = mastery(&["run", "interview/lru-cahce"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `interview/lru-cache`"),
        "{}",
        text(&out.stderr)
    );
    let out = mastery(&["run", "no/such"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown topic `no/such`"));
    let out = mastery(&["explain", "no/such"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = mastery(&["frobnicate"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2 too");
}

#[test]
fn run_prints_the_comparison_with_the_lru_crate() {
    let dir = empty_dir();
    let out = mastery(&["run", "interview/lru-cache", "--quick"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("lru crate") && stdout.contains("ours"),
        "{stdout}"
    );
}

#[test]
fn tour_json_has_the_documented_shape_and_report_is_written() {
    let dir = empty_dir();
    let report = dir.path().join("results");
    let out = mastery(
        &[
            "tour",
            "--quick",
            "--json",
            "--report",
            report.to_str().expect("utf-8 temp path"),
        ],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("tour --json is one JSON document");
    assert!(doc["machine"]["cores"].as_u64().is_some_and(|c| c >= 1));
    assert!(
        doc["machine"]["rustc"]
            .as_str()
            .is_some_and(|v| v.starts_with("rustc"))
    );
    let topics = doc["topics"].as_array().expect("topics array");
    assert!(topics.len() >= 4);
    for t in topics {
        assert!(
            t["id"].is_string() && t["ok"] == true && t["seconds"].is_number(),
            "{t}"
        );
        assert!(
            t["measurements"].is_array() && t["comparisons"].is_array(),
            "{t}"
        );
    }
    let lru = topics
        .iter()
        .find(|t| t["id"] == "interview/lru-cache")
        .expect("lru topic");
    let c = &lru["comparisons"][0];
    for key in [
        "topic",
        "label",
        "ours",
        "peer",
        "peer_name",
        "unit",
        "speedup",
    ] {
        assert!(!c[key].is_null(), "comparison lacks {key}: {c}");
    }
    let md = std::fs::read_to_string(report.join("RESULTS.md")).expect("RESULTS.md written");
    assert!(md.contains("| cores |") && md.contains("interview/lru-cache"));

    let out = mastery(&["run", "tooling", "--quick", "--json"], dir.path(), &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("run --json is JSON");
    assert_eq!(
        doc["topics"].as_array().map(Vec::len),
        Some(3),
        "prefix `tooling` selects its three topics"
    );
}

#[test]
fn bad_configuration_names_the_key_and_exits_2() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("mastery.toml"), "sampels = 3\n").expect("write config");
    let out = mastery(&["list"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sampels") && stderr.contains("mastery.toml"),
        "{stderr}"
    );

    let clean = empty_dir();
    let out = mastery(&["list"], clean.path(), &[("MASTERY_SAMPLES", "many")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("MASTERY_SAMPLES"),
        "{}",
        text(&out.stderr)
    );

    let out = mastery(&["--config", "absent.toml", "list"], clean.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("absent.toml"));

    let out = mastery(&["list"], clean.path(), &[("RUST_LOG", "mastery=loud")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("RUST_LOG"));
}

#[test]
fn explain_prints_the_lesson() {
    let dir = empty_dir();
    let out = mastery(&["explain", "interview/lru-cache"], dir.path(), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for section in ["Python idiom", "Rust answer", "When to use which", "Run it"] {
        assert!(stdout.contains(section), "{section} missing:\n{stdout}");
    }
    assert!(!stdout.contains("//!"));
}

#[test]
fn logs_go_to_stderr_as_json_when_asked() {
    let dir = empty_dir();
    let out = mastery(
        &[
            "-v",
            "--log-format",
            "json",
            "run",
            "tooling/cli-tools",
            "--quick",
            "--json",
        ],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays pure JSON");
    let stderr = text(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("topic finished"))
        .expect("an info event about the topic");
    let event: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(event["span"]["id"], "tooling/cli-tools");
}
