//! What every topic's `demo_runs_in_quick_mode` test does first.
//!
//! The completeness test runs every demo in quick mode; each topic's own
//! test does the same for its demo alone (so `cargo test -p <crate> <topic>`
//! catches a broken demo without the whole tour), then checks what the demo
//! recorded — the comparisons it must make, the counts that must be zero.

use crate::narrator::{Mode, Narrator};

/// Runs `demo` in quick mode on a silent narrator and hands the narrator
/// back, so the test can check the records.
///
/// # Panics
/// With the demo's error when it fails, or when it recorded no figure at
/// all: in a test, that is the failure to report.
#[track_caller]
pub fn run_quick(topic: &str, demo: impl FnOnce(&mut Narrator) -> anyhow::Result<()>) -> Narrator {
    let mut n = Narrator::silent(topic, Mode::Quick);
    if let Err(e) = demo(&mut n) {
        panic!("the {topic} demo failed in quick mode: {e:#}");
    }
    assert!(
        !(n.measurements().is_empty() && n.comparisons().is_empty()),
        "the {topic} demo measured nothing"
    );
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrator::Unit;

    #[test]
    fn a_demo_that_measures_hands_back_its_records() {
        let n = run_quick("t/fine", |n| {
            n.record("answer", 42.0, Unit::Count);
            Ok(())
        });
        assert_eq!(n.measurements()[0].value, 42.0);
    }

    #[test]
    #[should_panic(expected = "the t/failing demo failed in quick mode: no luck")]
    fn a_failing_demo_fails_the_test_with_its_error() {
        run_quick("t/failing", |_| anyhow::bail!("no luck"));
    }

    #[test]
    #[should_panic(expected = "the t/silent demo measured nothing")]
    fn a_demo_that_measures_nothing_fails_the_test() {
        run_quick("t/silent", |_| Ok(()));
    }
}
