//! Tests of the mini DAG: the file format and its problems, the graph, the
//! exports, the executor, the cache and the timeline.

use std::path::Path;

use super::*;

mod cache;
mod export;
mod run;
mod timeline;
mod validation;

/// Loads `text` as `dir/name.toml`, expecting it to be valid.
pub(super) fn dag(text: &str) -> Dag {
    match load_str(text, Path::new("p.toml")) {
        Ok(dag) => dag,
        Err(problems) => panic!("expected a valid pipeline:\n{problems}"),
    }
}

/// Loads `text`, expecting problems; returns them as printed.
pub(super) fn problems(text: &str) -> Problems {
    match load_str(text, Path::new("p.toml")) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(problems) => problems,
    }
}

#[test]
fn core_runs_each_task_after_its_deps_and_skips_behind_a_failure() {
    // 0 → 1 → 3, 0 → 2 → 3, 4 alone; 1 fails.
    let deps = vec![vec![], vec![0], vec![0], vec![1, 2], vec![]];
    let mut ran = Vec::new();
    let ended = run_in_order(&deps, |i| {
        ran.push(i);
        if i == 1 { Err(()) } else { Ok(()) }
    });
    assert_eq!(ran, [0, 4, 1, 2]);
    use Ended::*;
    assert_eq!(
        ended,
        [
            Some(Succeeded),
            Some(Failed),
            Some(Succeeded),
            Some(Skipped),
            Some(Succeeded)
        ]
    );
}

#[test]
fn core_leaves_a_cycle_unrun() {
    let deps = vec![vec![1], vec![0], vec![]];
    let ended = run_in_order(&deps, |_| Ok::<(), ()>(()));
    assert_eq!(ended, [None, None, Some(Ended::Succeeded)]);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("patterns/mini-dag", super::demo::demo);
    assert!(
        n.recorded("problems reported for the bad file")
            .is_some_and(|p| p >= 5.0)
    );
    let cache = n
        .comparison_with("--force (no cache)")
        .expect("the cache comparison ran");
    assert!(cache.ours < cache.peer);
}

#[test]
fn shapes_have_the_edges_they_are_named_for() {
    let edges = |s: Shape| s.deps(6).iter().map(Vec::len).sum::<usize>();
    assert_eq!(edges(Shape::Chain), 5);
    assert_eq!(edges(Shape::Diamond), 4 + 4);
    assert_eq!(edges(Shape::FanOut), 5);
    assert_eq!(edges(Shape::Independent), 0);
    let dag = Dag::new(Shape::Diamond.pipeline(6, Path::new("."))).expect("a valid graph");
    assert_eq!(dag.levels(), [0, 1, 1, 1, 1, 2]);
}

/// The demo's Python peer, driven directly (quick mode leaves it out):
/// when a `python3` with `graphlib` is installed, it answers for every
/// shape with a positive time per task; without one there is nothing to
/// check.
#[test]
fn the_graphlib_runner_times_every_shape_when_python_is_there() {
    let Ok(mut peer) = PythonRunner::spawn(Path::new("python3")).and_then(PythonRunner::ready)
    else {
        return;
    };
    for shape in Shape::ALL {
        let ns = peer.time(shape, 10, 2).expect("the runner answers");
        assert!(ns.is_finite() && ns > 0.0, "{shape:?}: {ns}");
    }
}
