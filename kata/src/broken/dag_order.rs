//! Broken answers to the `dag-order` kata: the textbook `simple_order` with
//! one plausible mistake each, so the bug is the only difference. Each is
//! caught by the kit test named in its doc.

use mastery_patterns::mini_dag::simple_order;

use crate::dag_order::DagOrderKata;

/// Broken: the cycle's path stops before coming back to its first task
/// (`[a, b, c]` for `a → b → c → a`), so the reader of the error cannot see
/// it is closed. Caught by `a_self_dependency_is_a_cycle`.
#[derive(Debug)]
pub struct CyclePathNotClosed;

impl DagOrderKata for CyclePathNotClosed {
    fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
        simple_order(n, edges).map_err(|mut path| {
            path.pop(); // BUG: drops the closing task.
            path
        })
    }
}

/// Broken: the order lists dependents first (a post-order read the wrong
/// way round). Caught by `a_chain_comes_out_in_order`.
#[derive(Debug)]
pub struct OrderReversed;

impl DagOrderKata for OrderReversed {
    fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
        simple_order(n, edges).map(|mut order| {
            order.reverse(); // BUG: dependents before what they depend on.
            order
        })
    }
}

/// Broken: only tasks some edge names are ordered, as when the graph is
/// built from the edges alone. Caught by `tasks_without_edges_are_all_ordered`.
#[derive(Debug)]
pub struct IsolatedTasksLeftOut;

impl DagOrderKata for IsolatedTasksLeftOut {
    fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
        simple_order(n, edges).map(|order| {
            // BUG: a task with no edge is dropped.
            order
                .into_iter()
                .filter(|&t| edges.iter().any(|&(a, b)| a == t || b == t))
                .collect()
        })
    }
}
