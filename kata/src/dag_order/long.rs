//! The long test: a chain of [`LONG`] tasks and the same chain closed into
//! a cycle. It catches what small graphs cannot: an answer that recurses
//! once per task (a depth-first search written recursively) overflows the
//! thread's stack, and one that rescans the edges for every task takes
//! `LONG²` steps.
//!
//! A stack overflow aborts the whole test binary rather than failing one
//! test, so this test is never in [`run_all`](crate::run_all) nor in the
//! starter's `tests/kata.rs`: `kata_tests!(dag_order_long, ..)` puts it in a
//! binary of its own (`tests/long_chain.rs`), whose abort leaves the other
//! tests' report intact.

use std::collections::HashSet;

use super::DagOrderKata;
use crate::failure::KataFailure;

/// Tasks in the long chain.
pub const LONG: usize = 100_000;

const TEST: &str = "a_long_chain_and_a_long_cycle";

/// The replay of the long graphs: the call, with the edges described (a
/// list of a hundred thousand would not help).
fn replay(closed: bool) -> Vec<String> {
    let mut lines = vec![format!(
        "let mut edges: Vec<(usize, usize)> = (1..{LONG}).map(|i| (i - 1, i)).collect(); // 0 → 1 → … → {}",
        LONG - 1
    )];
    if closed {
        lines.push(format!(
            "edges.push(({}, 0)); // closes the chain into one cycle",
            LONG - 1
        ));
    }
    lines.push(format!("order({LONG}, &edges)"));
    lines
}

/// An answer in a few words: its kind and length, never its contents.
fn brief(answer: &Result<Vec<usize>, Vec<usize>>) -> String {
    match answer {
        Ok(order) => format!("Ok(an order of {} tasks)", order.len()),
        Err(path) => format!("Err(a path of {} tasks)", path.len()),
    }
}

/// The chain of [`LONG`] tasks has one order, `0, 1, …`; closed into a
/// cycle, its only cycle runs through every task (`LONG + 1` entries, from
/// any start). Judged in linear time: a set of the edges, one pass.
pub fn a_long_chain_and_a_long_cycle<T: DagOrderKata>() -> Result<(), KataFailure> {
    let mut edges: Vec<(usize, usize)> = (1..LONG).map(|i| (i - 1, i)).collect();
    let answer = T::order(LONG, &edges);
    let in_order = matches!(&answer, Ok(order) if order.iter().copied().eq(0..LONG));
    if !in_order {
        let got = match &answer {
            Ok(order) => match order.iter().zip(0..).find(|(task, i)| **task != *i) {
                Some((task, i)) => format!("{}: task {task} at index {i}", brief(&answer)),
                None => brief(&answer),
            },
            Err(_) => brief(&answer),
        };
        return Err(KataFailure {
            test: TEST,
            expected: format!("Ok([0, 1, …, {}]): a chain has exactly one order", LONG - 1),
            got,
            replay: replay(false),
        });
    }

    edges.push((LONG - 1, 0));
    let answer = T::order(LONG, &edges);
    let ring: HashSet<(usize, usize)> = edges.iter().copied().collect();
    let closed = match &answer {
        Err(path) => {
            path.len() == LONG + 1
                && path.first() == path.last()
                && path.windows(2).all(|w| ring.contains(&(w[0], w[1])))
        }
        Ok(_) => false,
    };
    if closed {
        return Ok(());
    }
    Err(KataFailure {
        test: TEST,
        expected: format!(
            "Err(a closed path of {} tasks through every task, each step an edge): the only cycle is the whole ring",
            LONG + 1
        ),
        got: brief(&answer),
        replay: replay(true),
    })
}
