//! The hidden `mastery profile-workload`: the workload of
//! `testing/profiling-demo`, run once in a process of its own so that the
//! demo (and a reader) can run it under `valgrind --tool=callgrind`. It
//! prints a line per `--variant` — the counts and the report's
//! fingerprint — which the demo compares with its own run.

use std::io::Write;

use mastery_testing::profiling_demo::{Variant, run_workload};
use mastery_tooling::cli_tools::ProfileWorkloadArgs;

use crate::error::AppError;

/// Runs the workload as `args` say and prints its line.
///
/// # Errors
/// A usage error for an unknown variant; a failure when stdout cannot be
/// written.
pub fn profile_workload(args: &ProfileWorkloadArgs) -> Result<u8, AppError> {
    let variants = args
        .variants
        .iter()
        .map(|v| v.parse::<Variant>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::usage(e.to_string()))?;
    let lines = run_workload(&variants, args.orders, args.customers, args.repeat)
        .map_err(AppError::failure)?;
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(0)
}
