//! # Kata `dag-order`: order tasks by their dependencies, or show the cycle
//!
//! The reader writes `order(n, edges)`: tasks `0..n`, an edge `(before,
//! after)` says `before` runs first. The answer is `Ok(order)` — every task
//! once, each edge's `before` ahead of its `after` — or, when no order
//! exists, `Err(path)`: one cycle as a closed walk along the edges
//! (`[a, b, c, a]`; a task that depends on itself is `[a, a]`).
//!
//! Many orders can be right, so the tests judge an answer by its
//! properties rather than compare it with one ([`judge`]); whether an order
//! exists at all is decided by the kit's textbook `simple_order`
//! (`patterns/mini-dag`), itself checked against the production
//! `topological_order`/`find_cycles` by a property test of that topic.

use mastery_patterns::mini_dag::simple_order;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use crate::failure::{KataFailure, KitTest};

pub mod long;

pub use long::{LONG, a_long_chain_and_a_long_cycle};

/// What the reader implements (`kata_tests!` writes the impl that calls
/// their `order` function).
pub trait DagOrderKata {
    /// An order of tasks `0..n` that puts each edge's first task before its
    /// second, or one cycle as a closed path when there is none.
    fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>>;
}

/// Whether `answer` is right for the graph, given whether it has a cycle:
/// `Err((expected, got))` in words when it is not.
pub fn judge(
    n: usize,
    edges: &[(usize, usize)],
    has_cycle: bool,
    answer: &Result<Vec<usize>, Vec<usize>>,
) -> Result<(), (String, String)> {
    match (answer, has_cycle) {
        (Ok(order), false) => judge_order(n, edges, order),
        (Err(path), true) => judge_cycle(edges, path),
        (Ok(order), true) => Err((
            "Err(a cycle): these edges form one, so no order exists".into(),
            format!("Ok({order:?})"),
        )),
        (Err(path), false) => Err((
            "Ok(an order): these edges form no cycle".into(),
            format!("Err({path:?})"),
        )),
    }
}

fn judge_order(
    n: usize,
    edges: &[(usize, usize)],
    order: &[usize],
) -> Result<(), (String, String)> {
    let expected =
        || format!("Ok(each of the {n} tasks once, each edge's first task before its second)");
    let mut position = vec![None; n];
    for (i, &task) in order.iter().enumerate() {
        let Some(slot) = position.get_mut(task) else {
            return Err((
                expected(),
                format!("Ok({order:?}): task {task} is not in 0..{n}"),
            ));
        };
        if slot.is_some() {
            return Err((
                expected(),
                format!("Ok({order:?}): task {task} appears twice"),
            ));
        }
        *slot = Some(i);
    }
    if let Some(missing) = position.iter().position(Option::is_none) {
        return Err((
            expected(),
            format!("Ok({order:?}): task {missing} is missing from the order"),
        ));
    }
    for &(before, after) in edges {
        if position[before] > position[after] {
            return Err((
                expected(),
                format!(
                    "Ok({order:?}): task {after} comes before task {before}, but the edge ({before}, {after}) puts {before} first"
                ),
            ));
        }
    }
    Ok(())
}

fn judge_cycle(edges: &[(usize, usize)], path: &[usize]) -> Result<(), (String, String)> {
    let expected =
        || "Err(a cycle as a closed path: first task = last task, each step an edge)".to_owned();
    let (Some(first), Some(last)) = (path.first(), path.last()) else {
        return Err((expected(), "Err([]): an empty path".into()));
    };
    if path.len() < 2 || first != last {
        return Err((
            expected(),
            format!(
                "Err({path:?}): the path must start and end at the same task (it starts at {first}, ends at {last})"
            ),
        ));
    }
    let edges: std::collections::HashSet<(usize, usize)> = edges.iter().copied().collect();
    if let Some(pair) = path.windows(2).find(|w| !edges.contains(&(w[0], w[1]))) {
        return Err((
            expected(),
            format!("Err({path:?}): {} → {} is not an edge", pair[0], pair[1]),
        ));
    }
    Ok(())
}

/// Runs one graph through the reader's `order` and judges the answer.
fn case<T: DagOrderKata>(
    test: &'static str,
    n: usize,
    edges: &[(usize, usize)],
) -> Result<(), KataFailure> {
    let has_cycle = simple_order(n, edges).is_err();
    let answer = T::order(n, edges);
    judge(n, edges, has_cycle, &answer).map_err(|(expected, got)| KataFailure {
        test,
        expected,
        got,
        replay: vec![format!("order({n}, &{edges:?}) // got {answer:?}")],
    })
}

/// No tasks, and tasks with no edges: every task is in the order.
pub fn tasks_without_edges_are_all_ordered<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "tasks_without_edges_are_all_ordered";
    case::<T>(test, 0, &[])?;
    case::<T>(test, 1, &[])?;
    case::<T>(test, 3, &[])
}

/// A chain comes out in its one possible order.
pub fn a_chain_comes_out_in_order<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "a_chain_comes_out_in_order";
    case::<T>(test, 4, &[(0, 1), (1, 2), (2, 3)])?;
    case::<T>(test, 4, &[(3, 2), (2, 1), (1, 0)])
}

/// A diamond and a wider graph: every edge respected.
pub fn every_edge_is_respected<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "every_edge_is_respected";
    case::<T>(test, 4, &[(0, 1), (0, 2), (1, 3), (2, 3)])?;
    case::<T>(test, 6, &[(5, 0), (4, 0), (5, 2), (2, 3), (3, 1), (4, 1)])
}

/// Tasks no edge names are still tasks: they belong in the order.
pub fn isolated_tasks_are_in_the_order<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "isolated_tasks_are_in_the_order";
    case::<T>(test, 5, &[(3, 1)])?;
    case::<T>(test, 4, &[(0, 1), (0, 1)])
}

/// A task that depends on itself is a cycle of one: `[a, a]`.
pub fn a_self_dependency_is_a_cycle<T: DagOrderKata>() -> Result<(), KataFailure> {
    case::<T>("a_self_dependency_is_a_cycle", 3, &[(0, 1), (2, 2)])
}

/// A cycle with a task hanging off it, and two separate cycles: the path
/// returned is a real, closed cycle.
pub fn a_cycle_comes_back_as_a_closed_path<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "a_cycle_comes_back_as_a_closed_path";
    case::<T>(test, 4, &[(0, 1), (1, 2), (2, 0), (2, 3)])?;
    case::<T>(test, 5, &[(4, 0), (0, 1), (1, 0), (2, 3), (3, 2)])
}

/// Random graphs of up to 8 tasks and 12 edges: an order exactly when the
/// textbook finds one, and every answer judged as above. The shrunk
/// failing graph is the replay.
pub fn any_graph_gets_a_right_answer<T: DagOrderKata>() -> Result<(), KataFailure> {
    let test = "any_graph_gets_a_right_answer";
    // An unfinished `todo!()` fails here, with its own message.
    T::order(0, &[]).ok();
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let graphs = (0usize..8).prop_flat_map(|n| {
        let edge = (0..n.max(1), 0..n.max(1));
        (
            Just(n),
            proptest::collection::vec(edge, if n == 0 { 0..1 } else { 0..12 }),
        )
    });
    let result = runner.run(&graphs, |(n, edges)| {
        case::<T>(test, n, &edges).map_err(|f| TestCaseError::fail(f.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (n, edges))) => {
            match std::panic::catch_unwind(|| case::<T>(test, n, &edges)) {
                Ok(Err(failure)) => Err(failure),
                _ => Err(KataFailure {
                    test,
                    expected: "a right answer, without panicking".into(),
                    got: reason.to_string(),
                    replay: vec![format!("order({n}, &{edges:?})")],
                }),
            }
        }
        Err(TestError::Abort(reason)) => Err(KataFailure {
            test,
            expected: "the property test to run".into(),
            got: format!("proptest aborted: {reason}"),
            replay: Vec::new(),
        }),
    }
}

/// Every kit test of this kata, for the implementation `T`.
pub fn tests<T: DagOrderKata>() -> Vec<KitTest> {
    crate::__kata_dag_order!(table, T)
}

/// The list of kit tests, written once (see `lru_cache`'s).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_dag_order {
    ($mode:ident, $imp:ty) => {
        $crate::__kata_emit! {$mode, dag_order, $imp;
            tasks_without_edges_are_all_ordered,
            a_chain_comes_out_in_order,
            every_edge_is_respected,
            isolated_tasks_are_in_the_order,
            a_self_dependency_is_a_cycle,
            a_cycle_comes_back_as_a_closed_path,
            any_graph_gets_a_right_answer,
        }
    };
}

/// The ladder binary of the `dag-order` starter. `patterns/mini-dag` has no
/// ladder on the kit's main branch yet (its demo times Python's graphlib
/// against the production `Dag`, not a textbook → production climb), so
/// this says so instead of timing anything.
pub fn ladder() -> std::process::ExitCode {
    println!(
        "no ladder for this kata yet: patterns/mini-dag has no textbook-to-production \
         ladder in the kit (its demo, `mastery run patterns/mini-dag`, times graphlib \
         against the production Dag). Your order passed every kit test."
    );
    std::process::ExitCode::SUCCESS
}
