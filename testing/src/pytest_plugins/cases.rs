//! The parsers' conformance folder as a test suite: one trial per case
//! file, with the loopback parse service as the session fixture.
//!
//! Each trial loads its file, runs it under every feeding
//! ([`ConformanceCase::check`]), then asks the shared [`LoopbackServer`]
//! for the same parse and checks the service answers what the library
//! does. A file that is not a valid case fails its own trial with the line
//! and what to fix; the other trials run.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Trial};
use mastery_interview::streaming_parsers::conformance::{
    CASE_EXTENSION, CaseFileError, ConformanceCase, describe,
};

use super::{
    LoopbackServer, ServerReport, SuiteError, SuiteOutcome, run_suite, trials_from_folder,
};

pub use mastery_interview::streaming_parsers::conformance::CASES_DIR;

/// Why the conformance suite could not run at all (a failing case is not
/// this: it fails its trial).
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The case folder could not be listed.
    #[error("cannot list the case files under {}: {source}", dir.display())]
    List {
        /// The folder.
        dir: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The folder holds no case file: a suite of nothing passes, so it is
    /// an error instead.
    #[error("no *.{CASE_EXTENSION} files under {}: is the path right?", dir.display())]
    NoCases {
        /// The folder.
        dir: PathBuf,
    },
    /// The session fixture would not start.
    #[error("cannot start the loopback parse service: {0}")]
    Fixture(io::Error),
    /// The teardown could not take the fixture back.
    #[error(transparent)]
    Suite(#[from] SuiteError),
}

/// Checks one case file: its own expectations under every feeding, then
/// the service's answer against the library's.
pub fn check_case_file(path: &Path, service: &LoopbackServer) -> Result<(), String> {
    let case = ConformanceCase::load(path).map_err(|e| match e {
        CaseFileError::Syntax { line, problem, .. } => format!("line {line}: {problem}"),
        CaseFileError::Read { source, .. } => format!("cannot read it: {source}"),
    })?;
    case.check().map_err(|mismatch| mismatch.to_string())?;
    let local = describe(&case.outcome());
    let remote = service
        .parse(case.format, &case.options_name, &case.input)
        .map_err(|e| format!("the loopback service failed: {e}"))?;
    if remote != local {
        return Err(format!(
            "the loopback service answered {remote:?}, the library {local:?}"
        ));
    }
    Ok(())
}

/// One trial per case file under `dir`, each checked with
/// [`check_case_file`] against `service`.
///
/// # Errors
/// [`HarnessError::List`] or [`HarnessError::NoCases`].
pub fn conformance_trials(
    dir: &Path,
    service: &Arc<LoopbackServer>,
) -> Result<Vec<Trial>, HarnessError> {
    let service = Arc::clone(service);
    let trials = trials_from_folder(dir, CASE_EXTENSION, move |path| {
        check_case_file(path, &service)
    })
    .map_err(|source| HarnessError::List {
        dir: dir.to_owned(),
        source,
    })?;
    if trials.is_empty() {
        return Err(HarnessError::NoCases {
            dir: dir.to_owned(),
        });
    }
    Ok(trials)
}

/// The whole harness: start the service, run one trial per case file
/// under `args`, stop the service and report what it served.
///
/// # Errors
/// [`HarnessError`] when the suite cannot run; failing cases are counted
/// in the outcome's conclusion instead.
pub fn run_conformance(
    args: &Arguments,
    dir: &Path,
) -> Result<SuiteOutcome<ServerReport>, HarnessError> {
    let service = LoopbackServer::start().map_err(HarnessError::Fixture)?;
    let mut listing = Ok(());
    let outcome = run_suite(args, service, |service| {
        conformance_trials(dir, service).unwrap_or_else(|e| {
            listing = Err(e);
            Vec::new()
        })
    })?;
    listing.map(|()| outcome)
}
