//! The timeline and its critical path, on a run laid out by hand.

use std::time::Duration;

use super::super::*;
use super::dag;

const DIAMOND: &str = r#"
[pipeline]
name = "diamond"
[[task]]
id = "a"
builtin = "noop"
[[task]]
id = "short"
builtin = "noop"
deps = ["a"]
[[task]]
id = "long"
builtin = "noop"
deps = ["a"]
[[task]]
id = "d"
builtin = "noop"
deps = ["short", "long"]
[[task]]
id = "cached"
builtin = "noop"
"#;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn report() -> RunReport {
    let row = |id: &str, status: Status, start, end, attempts| TaskRun {
        id: id.to_owned(),
        status,
        attempts,
        start: ms(start),
        end: ms(end),
        key: None,
        log: None,
    };
    RunReport {
        tasks: vec![
            row("a", Status::Succeeded, 0, 20, 1),
            row("short", Status::Succeeded, 20, 40, 1),
            row("long", Status::Failed("boom".into()), 20, 80, 2),
            row("d", Status::Skipped("long".into()), 80, 80, 0),
            row("cached", Status::Cached, 0, 0, 0),
        ],
        total: ms(80),
        concurrency: 2,
    }
}

#[test]
fn the_critical_path_is_the_chain_with_the_most_work() {
    let dag = dag(DIAMOND);
    let t = Timeline::of(&dag, &report());
    // `d` was skipped: no work, so the chain ends at the failure.
    assert_eq!(t.critical_ids(), ["a", "long"]);
    assert_eq!(t.critical_work, ms(80));
    let marked: Vec<bool> = t.rows.iter().map(|r| r.critical).collect();
    assert_eq!(marked, [true, false, true, false, false]);
}

#[test]
fn render_snapshot() {
    let expected = "\
timeline of `diamond`: 80 ms in all, up to 2 at once; * marks the critical path
critical path: a → long (80 ms of work; the run cannot be shorter)
  * a      |█████               |     0 ms →    20 ms  ran
    short  |     █████          |    20 ms →    40 ms  ran
  * long   |     ▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒|    20 ms →    80 ms  failed
    d      |                   ·|    80 ms →    80 ms  skipped
    cached |·                   |     0 ms →     0 ms  cached
";
    assert_eq!(Timeline::of(&dag(DIAMOND), &report()).render(20), expected);
}

#[test]
fn json_carries_times_statuses_and_the_path() {
    let j = Timeline::of(&dag(DIAMOND), &report()).to_json();
    assert_eq!(j["critical_path"], serde_json::json!(["a", "long"]));
    assert_eq!(j["total_ms"], 80.0);
    assert_eq!(j["tasks"][2]["error"], "boom");
    assert_eq!(j["tasks"][2]["attempts"], 2);
    assert_eq!(j["tasks"][3]["skipped_because"], "long");
    assert_eq!(j["tasks"][3]["deps"], serde_json::json!(["short", "long"]));
    assert_eq!(j["tasks"][1]["critical"], false);
}

#[test]
fn a_real_run_marks_the_sleeping_branch() {
    let dag = dag(&DIAMOND.replacen(
        "id = \"long\"\nbuiltin = \"noop\"",
        "id = \"long\"\nbuiltin = \"sleep 30ms\"",
        1,
    ));
    let mut options = RunOptions::new(2);
    options.use_cache = false;
    let report = run(&dag, &options, &mut |_| {}).expect("the run starts");
    let t = Timeline::of(&dag, &report);
    assert_eq!(t.critical_ids()[..2], ["a", "long"]);
    assert!(t.critical_work >= ms(30));
}

#[test]
fn a_run_with_nothing_run_has_no_critical_path() {
    let mut all_cached = report();
    for t in &mut all_cached.tasks {
        t.status = Status::Cached;
    }
    let t = Timeline::of(&dag(DIAMOND), &all_cached);
    assert!(t.critical_path.is_empty());
    assert!(t.render(20).contains("critical path: none, no task ran"));
}
