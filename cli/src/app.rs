//! The entry point: load the settings, start logging, dispatch the command.
//!
//! `src/main.rs` parses a [`Cli`] and calls [`main`]. Each command lives in a
//! file of its own and returns `Result<u8, AppError>`: `Ok` carries the exit
//! code (a tour with a failed topic is a completed command that exits 1), and
//! `Err` says which kind of failure, so the exit code is decided in one place.

use std::path::PathBuf;
use std::process::ExitCode;

use mastery_kit::registry;
use mastery_tooling::cli_tools::{Cli, Command};
use mastery_tooling::config_management::{self, Sources};
use mastery_tooling::logging_examples;

use crate::error::AppError;
use crate::run::Output;
use crate::{
    book, cheatsheet, dag, explain, kata, list, mapreduce, parse, plugins, profile_workload, run,
    settings, setup,
};

/// Runs a parsed command line to completion and returns the exit code.
///
/// This is the `mastery` binary's entry point (`src/main.rs` calls nothing
/// else), so the current executable is known to be `mastery`: it is handed
/// to demos and to `mastery mapreduce` as the program they may start as
/// `mastery worker`. Nothing else hands it over — re-running an unknown
/// executable (a test harness) as a worker would start copies of the harness.
pub fn main(cli: Cli) -> ExitCode {
    let this_binary = std::env::current_exe().ok();
    match execute(cli, this_binary) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Loads settings, starts logging and carries out the command; `Ok` holds
/// the exit code (1 when a topic failed). `worker_program` is the `mastery`
/// executable, when the caller is it.
///
/// # Errors
/// Usage errors (unknown topic, bad configuration) and failures to write.
pub fn execute(cli: Cli, worker_program: Option<PathBuf>) -> Result<u8, AppError> {
    // A worker's stdout belongs to the protocol, and it must start even
    // where a broken ./mastery.toml would stop every other command: it
    // reads no settings and starts no logging.
    if let Command::Worker(args) = &cli.command {
        return mapreduce::worker(args);
    }
    // Likewise the profiled workload: under valgrind, its start-up is
    // simulated too, and its stdout is the line the demo checks.
    if let Command::ProfileWorkload(args) = &cli.command {
        return profile_workload::profile_workload(args);
    }
    let sources = Sources::from_process(cli.global.config.clone(), cli.overrides());
    let config = config_management::load(&sources).map_err(|e| AppError::usage(e.to_string()))?;
    logging_examples::init(config.log_level, config.log_format)
        .map_err(|e| AppError::usage(format!("{e:#}")))?;
    tracing::debug!(?config, "settings loaded");
    let mut demo_settings = settings::for_demos(&config, worker_program.clone());
    let topics = registry();
    match cli.command {
        Command::List { json } => list::list(&mut std::io::stdout().lock(), &topics, json),
        Command::Explain { id } => explain::explain(&mut std::io::stdout().lock(), &topics, &id),
        Command::Run {
            topics: patterns,
            json,
            flamegraph,
            ..
        } => {
            demo_settings.flamegraph = flamegraph;
            let chosen = mastery_kit::select::resolve(&patterns, &topics)
                .map_err(|e| AppError::usage(e.to_string()))?;
            let output = if json { Output::Json } else { Output::Stream };
            run::run(&chosen, &config, demo_settings, output, None)
        }
        Command::Tour { json, report, .. } => {
            let output = if json { Output::Json } else { Output::PerTopic };
            run::run(&topics, &config, demo_settings, output, report.as_deref())
        }
        Command::Parse(args) => parse::parse(&args),
        Command::Mapreduce(args) => mapreduce::mapreduce(&args, worker_program.as_deref()),
        Command::Dag(args) => dag::dag(&args),
        Command::Book(args) => book::book(&mut std::io::stdout().lock(), &topics, &args),
        Command::Cheatsheet { name } => {
            cheatsheet::cheatsheet(&mut std::io::stdout().lock(), name.as_deref())
        }
        Command::Kata(command) => kata::kata(&mut std::io::stdout().lock(), &command, &config),
        Command::Setup(command) => setup::setup(&command, demo_settings.python.as_deref()),
        Command::Worker(args) => mapreduce::worker(&args),
        Command::ProfileWorkload(args) => profile_workload::profile_workload(&args),
        Command::Plugins(args) => plugins::plugins(
            &mut std::io::stdout().lock(),
            &args,
            worker_program.as_deref(),
            std::env::var_os("PATH").as_deref(),
        ),
    }
}
