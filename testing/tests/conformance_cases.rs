//! The data-driven harness (`harness = false`): one test per case file
//! under `interview/conformance/`, named by its path there
//! (`json/accepted/numbers-kept-as-written-01`).
//!
//! It speaks libtest's command line, so both runners drive it:
//! `cargo test -p mastery-testing --test conformance_cases [FILTER]` runs
//! every trial in this process; `cargo nextest run -p mastery-testing`
//! lists them with `--list --format terse` and runs each as `--exact NAME`
//! in a process of its own — so the session fixture (the loopback parse
//! service) starts once per process: once in all under `cargo test`, once
//! per test under nextest.

use std::path::Path;
use std::process::ExitCode;

use libtest_mimic::Arguments;
use mastery_testing::pytest_plugins::{CASES_DIR, run_conformance};

fn main() -> ExitCode {
    let args = Arguments::from_args();
    match run_conformance(&args, Path::new(CASES_DIR)) {
        Ok(outcome) => {
            if !args.list {
                // On stderr: nextest reads the listing from stdout.
                let report = outcome.teardown;
                eprintln!(
                    "suite fixture torn down: the parse service on {} answered {} requests \
                     ({} bad)",
                    report.addr, report.requests, report.bad_requests
                );
            }
            outcome.conclusion.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
