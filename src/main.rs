//! `mastery`: parse the command line and hand it to the app. Everything else
//! lives in the crates; this file only wires them together.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use mastery_tooling::cli_tools::Cli;

// The area crates register their topics with `inventory`; naming each crate
// here makes sure the linker keeps their registrations.
use mastery_concurrency as _;
use mastery_core as _;
use mastery_interview as _;
use mastery_patterns as _;
use mastery_perf as _;
use mastery_testing as _;

// Heap figures (`mastery parse`, the streaming-parser demo) come from the
// kit's counting allocator: the system allocator plus process-wide atomic
// counters (see `mastery_kit::memory`).
#[global_allocator]
static ALLOC: &mastery_kit::memory::CountingAlloc = &mastery_kit::memory::COUNTING;

fn main() -> ExitCode {
    mastery_cli::main(Cli::parse())
}
