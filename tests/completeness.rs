//! The kit's honesty device: a topic that skips any part of the contract
//! fails `cargo test`. Every registered topic must have its Python and Rust
//! lines, a module doc with the lesson's sections and no machine figures, a
//! row in ROADMAP.md, a `path` that is really its source, the folder shape
//! (`mod.rs`, `demo.rs`, tests of their own), and a demo that runs in quick
//! mode and measures something. No source file outside the tests may grow
//! past a reader's patience.

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
        for (line, figure) in lesson::machine_figures(&doc) {
            problem(format!(
                "lesson line {line} prints a machine figure `{figure}`: say which comparison \
                 the demo measures instead (figures belong in measured output)"
            ));
        }
        match t.path.strip_suffix("/mod.rs") {
            None => problem(format!(
                "`path` {} is not a topic folder's mod.rs (see ARCHITECTURE.md, Adding a topic)",
                t.path
            )),
            Some(folder) => {
                let folder = std::path::Path::new(ROOT).join(folder);
                if !folder.join("demo.rs").is_file() {
                    problem(format!("{} has no demo.rs", folder.display()));
                }
                if !(folder.join("tests.rs").is_file() || folder.join("tests").is_dir()) {
                    problem(format!("{} has no tests.rs or tests/", folder.display()));
                }
            }
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

/// How many questions an interview lesson's "Follow-ups" section asks at
/// least: thread safety, memory, load, testing — and the topic's own.
const MIN_FOLLOW_UPS: usize = 4;

/// Every interview lesson (and the mini DAG, a kata too) ends with the
/// questions an interviewer asks next, each answered by pointing at a file
/// that shows it: the file must exist, so an answer cannot outlive its code.
#[test]
fn interview_lessons_answer_the_follow_up_questions() {
    let mut problems = Vec::new();
    for t in registry()
        .iter()
        .filter(|t| t.id.starts_with("interview/") || t.id == "patterns/mini-dag")
    {
        let doc = t.lesson();
        let Some(body) = lesson::section(&doc, "Follow-ups") else {
            problems.push(format!("{}: no `## Follow-ups` section", t.id));
            continue;
        };
        // Each question is a top-level bullet: "- **Question?** answer…".
        let body = format!("\n{body}");
        let questions: Vec<&str> = body.split("\n- ").skip(1).collect();
        if questions.len() < MIN_FOLLOW_UPS {
            problems.push(format!(
                "{}: {} follow-up questions, want at least {MIN_FOLLOW_UPS}",
                t.id,
                questions.len()
            ));
        }
        for q in &questions {
            let title = q.lines().next().unwrap_or_default();
            let files: Vec<&str> = q
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|span| span.ends_with(".rs") && span.contains('/'))
                .collect();
            if files.is_empty() {
                problems.push(format!("{}: `{title}` names no file that shows it", t.id));
            }
            for file in files {
                if !std::path::Path::new(ROOT).join(file).is_file() {
                    problems.push(format!(
                        "{}: `{title}` names {file}, which does not exist",
                        t.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "follow-ups:\n{}", problems.join("\n"));
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
        samples: None,
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
        // A budget on the run, not a performance claim: quick mode exists
        // so that this test can run every story, and a topic that takes
        // this long in a debug build has lost its quick sizes.
        if r.seconds > QUICK_BUDGET_SECONDS {
            problems.push(format!(
                "{}: the quick run took {:.1} s, over its {QUICK_BUDGET_SECONDS} s budget",
                r.id, r.seconds
            ));
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

/// Wall time one topic may take in quick mode under `cargo test` (a debug
/// build, other tests running beside it).
const QUICK_BUDGET_SECONDS: f64 = 10.0;

/// The most lines a source file may have, tests aside: past this a reader
/// cannot hold the file in their head (most files stay under ~600).
const MAX_LINES: usize = 1_000;

#[test]
fn no_source_file_outgrows_a_reader() {
    let mut too_long = Vec::new();
    for crate_dir in std::fs::read_dir(ROOT).expect("the repository root is readable") {
        let src = crate_dir.expect("a directory entry").path().join("src");
        if src.is_dir() {
            collect_long_files(&src, &mut too_long);
        }
    }
    // Crates one level further down (core/macros, perf/python).
    for nested in ["core/macros/src", "perf/python/src"] {
        collect_long_files(&std::path::Path::new(ROOT).join(nested), &mut too_long);
    }
    assert!(
        too_long.is_empty(),
        "split these by concern (tests and data tables go in files of their own):\n{}",
        too_long.join("\n")
    );
}

fn collect_long_files(dir: &std::path::Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "tests" {
                collect_long_files(&path, out);
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || name == "tests.rs" {
            continue;
        }
        let lines = std::fs::read_to_string(&path).map_or(0, |text| text.lines().count());
        if lines > MAX_LINES {
            out.push(format!("{}: {lines} lines", path.display()));
        }
    }
}
