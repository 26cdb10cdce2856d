//! The kit's honesty device: a topic that skips any part of the contract
//! fails `cargo test`. Every registered topic must have its Python and Rust
//! lines, a module doc with the lesson's sections, a row in ROADMAP.md, a
//! `path` that is really its source, and a demo that runs in quick mode and
//! measures something.

use mastery_kit::runner::{Narration, RunOptions, run_topics};
use mastery_kit::{Mode, lesson, registry};

// Link every area crate so their registrations are present.
use mastery_concurrency as _;
use mastery_core as _;
use mastery_interview as _;
use mastery_patterns as _;
use mastery_perf as _;
use mastery_testing as _;
use mastery_tooling as _;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn every_topic_keeps_the_contract() {
    let roadmap = std::fs::read_to_string(format!("{ROOT}/ROADMAP.md"))
        .expect("ROADMAP.md at the repository root");
    let topics = registry();
    assert!(
        !topics.is_empty(),
        "no topic is registered: are the area crates linked?"
    );
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for t in &topics {
        let mut problem = |what: String| problems.push(format!("{}: {what}", t.id));
        if !seen.insert(t.id) {
            problem("registered twice".into());
        }
        if t.id.split_once('/').map(|(area, _)| area) != Some(t.area.name()) {
            problem(format!("id must start with its area `{}/`", t.area.name()));
        }
        for (field, value) in [("title", t.title), ("python", t.python), ("rust", t.rust)] {
            if value.trim().is_empty() {
                problem(format!("empty `{field}` line"));
            }
        }
        match std::fs::read_to_string(format!("{ROOT}/{}", t.path)) {
            Ok(text) if text == t.source => {}
            Ok(_) => problem(format!("`source` is not the content of `{}`", t.path)),
            Err(e) => problem(format!("`path` {} cannot be read: {e}", t.path)),
        }
        let doc = t.lesson();
        if doc.trim().is_empty() {
            problem("no `//!` module doc (the lesson)".into());
        }
        let missing = lesson::missing_sections(&doc);
        if !missing.is_empty() {
            problem(format!("lesson lacks the sections {missing:?}"));
        }
        let row = roadmap
            .lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{}`", t.id)));
        match row {
            None => problem("no row in ROADMAP.md naming the id in backticks".into()),
            Some(row) if !row.contains(t.path) => {
                problem(format!("its ROADMAP.md row does not link {}", t.path))
            }
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "topics breaking the contract:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_demo_runs_in_quick_mode_and_measures() {
    // The settings `mastery` itself would hand the demos here (so
    // `MASTERY_REQUIRE_REDIS=1 cargo test` requires Redis), with the real
    // binary as the worker program: a test harness must never be re-run.
    let settings =
        mastery_cli::settings::from_environment(Some(env!("CARGO_BIN_EXE_mastery").into()))
            .expect("MASTERY_* variables and ./mastery.toml are valid");
    let topics = registry();
    let options = RunOptions {
        mode: Mode::Quick,
        samples: 1,
        narration: Narration::Silent,
        progress: false,
        settings,
    };
    let results = run_topics(&topics, options);
    let mut problems = Vec::new();
    for r in &results {
        if !r.ok {
            problems.push(format!(
                "{}: failed: {}",
                r.id,
                r.error.as_deref().unwrap_or("?")
            ));
        } else if r.measurements.is_empty() && r.comparisons.is_empty() {
            problems.push(format!("{}: the demo measured nothing", r.id));
        }
        for c in &r.comparisons {
            if !(c.ours.is_finite()
                && c.peer.is_finite()
                && c.speedup.is_finite()
                && c.speedup > 0.0)
            {
                problems.push(format!(
                    "{}: comparison `{}` is not a finite positive ratio",
                    r.id, c.label
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
