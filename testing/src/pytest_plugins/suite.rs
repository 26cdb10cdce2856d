//! A session fixture with a teardown that runs: setup before every trial,
//! teardown after the last, in a harness of our own.
//!
//! rstest's `#[once]` keeps its value in a `static`, and statics are never
//! dropped: a server it starts runs until the process exits, a temp dir it
//! makes is left on disk. A harness that owns `main` can do what pytest's
//! session scope does — build the fixture, run the trials, tear it down —
//! and report what the teardown found.

use std::sync::Arc;

use libtest_mimic::{Arguments, Conclusion, Trial};

/// A resource shared by every trial of a run, torn down after the last.
pub trait SuiteFixture: Send + Sync + 'static {
    /// What the teardown reports.
    type Report;
    /// Releases the resource (stops a server, removes a directory).
    fn teardown(self) -> Self::Report;
}

impl SuiteFixture for super::LoopbackServer {
    type Report = super::ServerReport;
    fn teardown(self) -> Self::Report {
        self.shutdown()
    }
}

/// What a run gave: the trials' tally and the teardown's report.
#[derive(Debug)]
pub struct SuiteOutcome<R> {
    /// Passed, failed, ignored, filtered out.
    pub conclusion: Conclusion,
    /// What the fixture's teardown said.
    pub teardown: R,
}

/// Why a suite could not tear its fixture down by hand.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A trial kept a handle on the fixture past the run (a thread it
    /// spawned still holds it): the fixture drops when that handle does.
    #[error(
        "a trial still holds the suite fixture after the run ({holders} handles): \
         join the threads a trial spawns before it returns"
    )]
    FixtureStillShared {
        /// Handles still alive, the suite's own included.
        holders: usize,
    },
}

/// Runs `trials` — made with a handle on `fixture` — under libtest's
/// arguments (filters, `--exact`, `--list`, threads), then tears the
/// fixture down. If anything panics on the way, the fixture still drops:
/// a fixture whose `Drop` releases the resource is released either way.
///
/// # Errors
/// [`SuiteError::FixtureStillShared`] when a trial outlived the run.
pub fn run_suite<F: SuiteFixture>(
    args: &Arguments,
    fixture: F,
    trials: impl FnOnce(&Arc<F>) -> Vec<Trial>,
) -> Result<SuiteOutcome<F::Report>, SuiteError> {
    let fixture = Arc::new(fixture);
    let trials = trials(&fixture);
    // `run` consumes the trials: when it returns, every closure — and its
    // clone of the Arc — is gone, run or filtered out.
    let conclusion = libtest_mimic::run(args, trials);
    let fixture = Arc::try_unwrap(fixture).map_err(|shared| SuiteError::FixtureStillShared {
        holders: Arc::strong_count(&shared),
    })?;
    Ok(SuiteOutcome {
        conclusion,
        teardown: fixture.teardown(),
    })
}
