//! The property test: any sequence of `get`s and `put`s gives the same
//! answers, and the same length, as a `Vec` ordered from most to least
//! recently used — the obviously right model (the kit's own
//! `interview/src/lru_cache/tests/model.rs`, `get` and `put` only).
//!
//! It drives proptest's `TestRunner` directly, with a fixed seed, so that
//! the shrunk failing case comes back as a value and is printed as the
//! calls that reproduce it.

use std::num::NonZeroUsize;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use super::script::{get_line, new_line, put_line};
use super::{LruFamily, LruKata};
use crate::failure::KataFailure;

/// One call of the property test.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// `get(&key)`.
    Get(u8),
    /// `put(key, value)`.
    Put(u8, u32),
}

/// The reference: entries ordered most → least recently used.
#[derive(Debug)]
struct Model {
    entries: Vec<(u8, u32)>,
    capacity: usize,
}

impl Model {
    fn get(&mut self, key: u8) -> Option<u32> {
        let i = self.entries.iter().position(|(k, _)| *k == key)?;
        let entry = self.entries.remove(i);
        self.entries.insert(0, entry);
        Some(entry.1)
    }

    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        let displaced = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(i) => Some(self.entries.remove(i)),
            None if self.entries.len() == self.capacity => self.entries.pop(),
            None => None,
        };
        self.entries.insert(0, (key, value));
        displaced
    }
}

/// Runs `ops` on the cache and the model side by side; at the first
/// difference, the failure with the calls so far as its replay.
fn compare<C: LruKata<u8, u32>>(capacity: usize, ops: &[Op]) -> Result<(), KataFailure> {
    let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
    let mut cache = C::new(capacity);
    let mut model = Model {
        entries: Vec::new(),
        capacity: capacity.get(),
    };
    let mut replay = vec![new_line(capacity)];
    for op in ops {
        let (line, expected, got) = match *op {
            Op::Get(k) => (
                get_line(&k),
                format!("{:?}", model.get(k)),
                format!("{:?}", cache.get(&k).copied()),
            ),
            Op::Put(k, v) => (
                put_line(&k, &v),
                format!("{:?}", model.put(k, v)),
                format!("{:?}", cache.put(k, v)),
            ),
        };
        let (line, expected, got) = if expected == got && cache.len() != model.entries.len() {
            replay.push(line);
            let len = model.entries.len().to_string();
            ("c.len();".to_owned(), len, cache.len().to_string())
        } else {
            (line, expected, got)
        };
        if expected != got {
            let call = line.trim_end_matches(';').to_owned();
            replay.push(format!("{line} // expected {expected}, got {got}"));
            return Err(KataFailure {
                test: "behaves_like_the_vec_model",
                expected: format!(
                    "`{call}` returns {expected} (the Vec model, most recent first: {:?})",
                    model.entries
                ),
                got,
                replay,
            });
        }
        replay.push(line);
    }
    Ok(())
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..8;
    prop_oneof![
        2 => key.clone().prop_map(Op::Get),
        3 => (key, 0u32..100).prop_map(|(k, v)| Op::Put(k, v)),
    ]
}

/// Random capacities (1–5) and sequences of up to 60 calls on 8 keys,
/// against the `Vec` model; the shrunk failing case is the replay.
pub fn behaves_like_the_vec_model<F: LruFamily>() -> Result<(), KataFailure> {
    // A first call outside the runner: an unfinished `todo!()` fails here
    // with its own message, not after a few hundred shrinking panics.
    F::Of::<u8, u32>::new(NonZeroUsize::MIN).put(0, 0);
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (1usize..6, proptest::collection::vec(op(), 0..60));
    let result = runner.run(&strategy, |(capacity, ops)| {
        compare::<F::Of<u8, u32>>(capacity, &ops)
            .map_err(|failure| TestCaseError::fail(failure.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (capacity, ops))) => {
            match std::panic::catch_unwind(|| compare::<F::Of<u8, u32>>(capacity, &ops)) {
                Ok(Err(failure)) => Err(failure),
                // Passing on the rerun: the failure was a panic, or the
                // implementation is not deterministic.
                _ => Err(KataFailure {
                    test: "behaves_like_the_vec_model",
                    expected: "the same answers as the Vec model, without panicking".into(),
                    got: reason.to_string(),
                    replay: replay_of(capacity, &ops),
                }),
            }
        }
        Err(TestError::Abort(reason)) => Err(KataFailure {
            test: "behaves_like_the_vec_model",
            expected: "the property test to run".into(),
            got: format!("proptest aborted: {reason}"),
            replay: Vec::new(),
        }),
    }
}

fn replay_of(capacity: usize, ops: &[Op]) -> Vec<String> {
    let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
    std::iter::once(new_line(capacity))
        .chain(ops.iter().map(|op| match *op {
            Op::Get(k) => get_line(&k),
            Op::Put(k, v) => put_line(&k, &v),
        }))
        .collect()
}
