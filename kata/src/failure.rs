//! A kit test's failure, written for the reader who must fix their code:
//! which test, what the kit expected, what their code gave, and the failing
//! case replayed as the Rust calls that reproduce it.

use std::fmt;

/// Why a kit test failed. Its `Display` is the whole message the reader's
/// `cargo test` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KataFailure {
    /// The kit test's name, as `cargo test` lists it.
    pub test: &'static str,
    /// What the kit expected, e.g. `put(3, 30) returns Some((2, 20))`.
    pub expected: String,
    /// What the reader's code did instead.
    pub got: String,
    /// The calls that reproduce the failure, one per line, the failing call
    /// last; for a property test, the shrunk case.
    pub replay: Vec<String>,
}

/// The most replay lines a message prints.
const MAX_REPLAY_LINES: usize = 16;

impl fmt::Display for KataFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kata test `{}` failed", self.test)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  got:      {}", self.got)?;
        if !self.replay.is_empty() {
            write!(f, "\n  replay (paste into a test to reproduce):")?;
            // A long script keeps its first line and the calls before the
            // failure: enough to see what went wrong.
            let skipped = self.replay.len().saturating_sub(MAX_REPLAY_LINES);
            for (i, line) in self.replay.iter().enumerate() {
                if i == 0 || i > skipped {
                    write!(f, "\n      {line}")?;
                } else if i == 1 {
                    write!(
                        f,
                        "\n      // … {skipped} more calls: see the test's script"
                    )?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for KataFailure {}

/// One kit test of a kata, for a given implementation: its name and the
/// function that runs it.
#[derive(Debug, Clone, Copy)]
pub struct KitTest {
    /// The test's name (also the name of its `#[test]` in the reader's crate).
    pub name: &'static str,
    /// Runs the test: `Ok` when the implementation passes.
    pub run: fn() -> Result<(), KataFailure>,
}

/// What [`run_all`] found for one kit test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The kit test's name.
    pub test: &'static str,
    /// `Ok`, or the failure's message (a panic's message included).
    pub result: Result<(), String>,
}

/// Runs every test in-process, a panic in the implementation (a `todo!()`,
/// an index out of bounds) counting as that test's failure; panics from
/// `todo!()` are kept off stderr.
pub fn run_all(tests: &[KitTest]) -> Vec<Outcome> {
    mastery_kit::panics::quiet_panics_starting_with("not yet implemented");
    tests
        .iter()
        .map(|t| {
            let result = match std::panic::catch_unwind(t.run) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(failure)) => Err(failure.to_string()),
                Err(payload) => Err(format!(
                    "kata test `{}` panicked: {}",
                    t.name,
                    mastery_kit::panics::panic_message(&*payload)
                )),
            };
            Outcome {
                test: t.name,
                result,
            }
        })
        .collect()
}

/// The body of each `#[test]` that [`kata_tests!`](crate::kata_tests)
/// writes: runs the kit test and panics with its message when it fails.
///
/// # Panics
/// When the test fails: that panic *is* the failing test's report.
#[track_caller]
pub fn run_or_panic(run: fn() -> Result<(), KataFailure>) {
    if let Err(failure) = run() {
        panic!("{failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_test_what_was_expected_what_came_and_the_replay() {
        let failure = KataFailure {
            test: "get_refreshes_recency",
            expected: "put(3, 30) returns Some((2, 20))".into(),
            got: "Some((1, 10))".into(),
            replay: vec!["let mut c = Lru::new(n(2));".into(), "c.put(3, 30);".into()],
        };
        let text = failure.to_string();
        for part in [
            "`get_refreshes_recency` failed",
            "expected: put(3, 30) returns Some((2, 20))",
            "got:      Some((1, 10))",
            "\n      c.put(3, 30);",
        ] {
            assert!(text.contains(part), "{part:?} missing from:\n{text}");
        }
    }

    #[test]
    fn run_all_turns_panics_and_failures_into_outcomes() {
        fn passes() -> Result<(), KataFailure> {
            Ok(())
        }
        fn unfinished() -> Result<(), KataFailure> {
            panic!("not yet implemented")
        }
        let outcomes = run_all(&[
            KitTest {
                name: "passes",
                run: passes,
            },
            KitTest {
                name: "unfinished",
                run: unfinished,
            },
        ]);
        assert_eq!(outcomes[0].result, Ok(()));
        assert_eq!(
            outcomes[1].result,
            Err("kata test `unfinished` panicked: not yet implemented".into())
        );
    }
}
