//! The interview answer to "order these tasks, or show me the cycle": what
//! a strong candidate writes in a few minutes, and the reference the `dag-order`
//! kata checks a reader's code against. [`Dag`](super::Dag) does the same
//! job with named tasks, every cycle (Tarjan) and each one's shortest path;
//! a property test checks the two agree.

use std::collections::VecDeque;

// ANCHOR: simple_order
/// An order of tasks `0..n` in which every edge `(before, after)` has
/// `before` first — or, when there is none, one cycle as a path along the
/// edges that starts and ends at the same task (`[a, b, c, a]` for
/// `a → b → c → a`; a task that depends on itself gives `[a, a]`).
///
/// Kahn's algorithm: count each task's unmet edges, start with the tasks
/// at zero (lowest index first), and count a task's successors down as it
/// is placed. Tasks never placed are on a cycle or behind one, and each of
/// them still has an unplaced predecessor (its count never reached zero),
/// so walking from any of them to an unplaced predecessor, again and again,
/// must revisit a task: the walk from that task back to itself, read
/// backwards, is a cycle. Both halves are loops — no recursion — so a long
/// chain cannot overflow the stack; O(n + edges) time.
///
/// # Panics
/// When an edge names a task `≥ n`.
pub fn simple_order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
    let mut successors = vec![Vec::new(); n];
    let mut predecessors = vec![Vec::new(); n];
    let mut unmet = vec![0usize; n];
    for &(before, after) in edges {
        assert!(
            before < n && after < n,
            "edge ({before}, {after}) names a task outside 0..{n}"
        );
        successors[before].push(after);
        predecessors[after].push(before);
        unmet[after] += 1;
    }
    let mut ready: VecDeque<usize> = (0..n).filter(|&t| unmet[t] == 0).collect();
    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while let Some(task) = ready.pop_front() {
        order.push(task);
        placed[task] = true;
        for &next in &successors[task] {
            unmet[next] -= 1;
            if unmet[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk backwards through unplaced predecessors until a task repeats.
    let mut step_of = vec![usize::MAX; n];
    let mut walk = Vec::new();
    let mut task = (0..n).find(|&t| !placed[t]).expect("some task is unplaced");
    while step_of[task] == usize::MAX {
        step_of[task] = walk.len();
        walk.push(task);
        task = *predecessors[task]
            .iter()
            .find(|&&p| !placed[p])
            .expect("an unplaced task keeps an unplaced predecessor");
    }
    let mut cycle = walk.split_off(step_of[task]);
    cycle.push(task);
    cycle.reverse();
    Err(cycle)
}
// ANCHOR_END: simple_order
