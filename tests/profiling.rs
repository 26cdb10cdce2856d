//! `testing/profiling-demo` end to end, on the real `mastery` binary:
//! callgrind counts `mastery profile-workload` and names the same hotspot
//! as the in-process sampler, and `mastery run … --flamegraph FILE` writes
//! an SVG that shows it.
//!
//! Without valgrind the callgrind test is skipped with a message, unless
//! `MASTERY_REQUIRE_VALGRIND=1` (CI sets it after installing valgrind).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mastery_testing::profiling_demo::{
    CallgrindOptions, ROOT_PATTERN, SEED, StageCosts, Variant, agreed_hotspot, flamegraph_titles,
    is_root, order_log, run_callgrind, sample, summarize, valgrind_version, worker_line,
};

fn valgrind_installed() -> bool {
    if valgrind_version().is_some() {
        return true;
    }
    assert!(
        std::env::var("MASTERY_REQUIRE_VALGRIND").as_deref() != Ok("1"),
        "MASTERY_REQUIRE_VALGRIND=1 but valgrind is not installed: sudo apt-get install valgrind"
    );
    eprintln!("skipped: valgrind is not installed (sudo apt-get install valgrind)");
    false
}

#[test]
fn callgrind_and_the_sampler_name_the_same_hotspot() {
    if !valgrind_installed() {
        return;
    }
    // Small: a debug build under valgrind is slow.
    let (orders, customers) = (600, 150);
    let args: Vec<String> = [
        "profile-workload",
        "--variant",
        "planted",
        "--variant",
        "fixed",
        "--orders",
        &orders.to_string(),
        "--customers",
        &customers.to_string(),
    ]
    .map(str::to_owned)
    .into();
    let dir = tempfile::tempdir().expect("temp dir");
    let options = CallgrindOptions {
        collect_only: Some(ROOT_PATTERN),
        dump_after: Some(ROOT_PATTERN),
    };
    let run = run_callgrind(
        Path::new(env!("CARGO_BIN_EXE_mastery")),
        &args,
        options,
        dir.path(),
    )
    .expect("callgrind runs mastery profile-workload");
    let log = order_log(orders, customers, SEED);
    let expected: Vec<String> = [Variant::Planted, Variant::Fixed]
        .map(|v| worker_line(&summarize(&log, v).expect("valid log")))
        .into();
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
    let [planted, fixed] = &run.parts[..] else {
        panic!(
            "expected a profile per summarize() call, got {}",
            run.parts.len()
        );
    };
    assert!(
        fixed.total() < planted.total(),
        "the fix executes fewer instructions: {} vs {}",
        fixed.total(),
        planted.total()
    );
    let counted = StageCosts::from_callees("callgrind", "Ir", &planted.callees(is_root));

    let log = order_log(2_000, 400, SEED);
    let (all, _) = sample(997, Duration::from_millis(300), || {
        summarize(&log, Variant::Planted)
    })
    .expect("the sampler starts");
    let samples = all.through(is_root);
    let sampled = StageCosts::from_callees("sampler", "samples", &samples.callees(is_root));
    assert_eq!(
        agreed_hotspot(&[&counted, &sampled]),
        Some("unique_customers"),
        "callgrind: {counted:?}\nsampler: {sampled:?}"
    );
}

#[test]
fn run_with_flamegraph_writes_an_svg_naming_the_hotspot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let svg = dir.path().join("flame.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_mastery"))
        .args(["run", "testing/profiling-demo", "--quick", "--flamegraph"])
        .arg(&svg)
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("mastery runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("flame graph written to"), "{stdout}");
    assert!(stdout.contains("Skipped in quick mode"), "{stdout}");
    let titles = flamegraph_titles(&std::fs::read(&svg).expect("the SVG exists"))
        .expect("a well-formed SVG");
    assert!(
        titles
            .iter()
            .any(|t| t.contains("unique_customers_quadratic")),
        "the hotspot is missing from the flame graph: {titles:?}"
    );
}

#[test]
fn the_workload_command_rejects_an_unknown_variant() {
    let out = Command::new(env!("CARGO_BIN_EXE_mastery"))
        .args(["profile-workload", "--variant", "slow"])
        .output()
        .expect("mastery runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("planted") && stderr.contains("fixed"),
        "{stderr}"
    );
}
