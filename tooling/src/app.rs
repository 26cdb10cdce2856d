//! The commands behind the CLI: `list`, `run`, `tour`, `explain` (and
//! `parse`, in [`crate::parse_command`]; `mapreduce` and the hidden
//! `worker`, in [`crate::mapreduce_command`]).
//!
//! `src/main.rs` parses a [`Cli`] and calls [`main`]; this module loads the
//! settings, starts logging and carries the command out over the topic
//! registry. Exit codes: 0 ok, 1 a topic failed (or output could not be
//! written), 2 usage or configuration error.

use std::io::Write;
use std::process::ExitCode;

use mastery_kit::report::{Document, Machine};
use mastery_kit::runner::{Narration, RunOptions, run_topics};
use mastery_kit::{Area, Mode, Topic, lesson, registry, select};

use crate::cli_tools::{Cli, Command};
use crate::config_management::{self, Settings, Sources};
use crate::logging_examples;

/// Exit code for a failed topic or an I/O error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

/// What went wrong, and therefore which exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The user asked for something that does not exist or is misconfigured.
    #[error("{0}")]
    Usage(String),
    /// Something failed while doing what was asked.
    #[error("{0:#}")]
    Failure(anyhow::Error),
}

impl AppError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Usage(_) => EXIT_USAGE,
            AppError::Failure(_) => EXIT_FAILURE,
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Failure(e.into())
    }
}

/// Runs a parsed command line to completion and returns the exit code.
///
/// This is the `mastery` binary's entry point (`src/main.rs` calls nothing
/// else), so the current executable is known to be `mastery`: it is
/// registered as the program the word-count process engine may start as
/// `mastery worker`. Nothing else registers it — re-running an unknown
/// executable (a test harness) as a worker would be a fork bomb.
pub fn main(cli: Cli) -> ExitCode {
    if let Ok(exe) = std::env::current_exe() {
        mastery_concurrency::mapreduce_demo::set_worker_program(exe);
    }
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(AppError::Failure(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Loads settings, starts logging and carries out the command; `Ok` holds
/// the exit code (1 when a topic failed).
///
/// # Errors
/// Usage errors (unknown topic, bad configuration) and failures to write.
pub fn execute(cli: Cli) -> Result<u8, AppError> {
    // A worker's stdout belongs to the protocol, and it must start even
    // where a broken ./mastery.toml would stop every other command: it
    // reads no settings and starts no logging.
    if let Command::Worker(args) = &cli.command {
        return crate::mapreduce_command::worker(args);
    }
    let sources = Sources::from_process(cli.global.config.clone(), cli.overrides());
    let settings = config_management::load(&sources).map_err(|e| AppError::Usage(e.to_string()))?;
    logging_examples::init(settings.log_level, settings.log_format)
        .map_err(|e| AppError::Usage(format!("{e:#}")))?;
    tracing::debug!(?settings, "settings loaded");
    let topics = registry();
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::List { json } => list(&mut out, &topics, json).map(|()| 0),
        Command::Explain { id } => explain(&mut out, &topics, &id).map(|()| 0),
        Command::Run {
            topics: patterns,
            json,
            ..
        } => {
            let chosen =
                select::resolve(&patterns, &topics).map_err(|e| AppError::Usage(e.to_string()))?;
            drop(out);
            let narration = if json {
                Narration::Silent
            } else {
                Narration::Stream
            };
            run(&chosen, &settings, narration, json, None)
        }
        Command::Parse(args) => {
            drop(out);
            crate::parse_command::parse(&args)
        }
        Command::Mapreduce(args) => {
            drop(out);
            crate::mapreduce_command::mapreduce(&args)
        }
        Command::Worker(args) => {
            drop(out);
            crate::mapreduce_command::worker(&args)
        }
        Command::Tour { json, report, .. } => {
            drop(out);
            let narration = if json {
                Narration::Silent
            } else {
                Narration::PerTopic
            };
            run(&topics, &settings, narration, json, report.as_deref())
        }
    }
}

fn mode(settings: &Settings) -> Mode {
    if settings.quick {
        Mode::Quick
    } else {
        Mode::Full
    }
}

fn run(
    topics: &[&'static Topic],
    settings: &Settings,
    narration: Narration,
    json: bool,
    report: Option<&std::path::Path>,
) -> Result<u8, AppError> {
    let mode = mode(settings);
    let options = RunOptions {
        mode,
        samples: settings.samples as usize,
        narration,
        progress: narration == Narration::PerTopic || (json && topics.len() > 1),
        settings: demo_settings(settings),
    };
    let started = std::time::Instant::now();
    let results = run_topics(topics, options);
    let document = Document {
        machine: Machine::detect(mode),
        topics: results,
    };
    if json {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", document.to_json())?;
        out.flush()?;
    }
    if let Some(dir) = report {
        let path = document.write_report(dir).map_err(AppError::Failure)?;
        eprintln!("report written to {}", path.display());
    }
    let failed: Vec<&str> = document
        .topics
        .iter()
        .filter(|t| !t.ok)
        .map(|t| t.id.as_str())
        .collect();
    if topics.len() > 1 || !failed.is_empty() {
        eprintln!(
            "{} topics in {:.1} s ({:?} mode): {} ok, {} failed{}",
            topics.len(),
            started.elapsed().as_secs_f64(),
            mode,
            topics.len() - failed.len(),
            failed.len(),
            if failed.is_empty() {
                String::new()
            } else {
                format!(": {}", failed.join(", "))
            }
        );
    }
    Ok(if failed.is_empty() { 0 } else { EXIT_FAILURE })
}

/// `mastery list`: the roadmap tree, or JSON.
///
/// # Errors
/// When stdout cannot be written.
pub fn list(out: &mut impl Write, topics: &[&'static Topic], json: bool) -> Result<(), AppError> {
    if json {
        let rows: Vec<serde_json::Value> = topics
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id, "area": t.area, "title": t.title,
                    "python": t.python, "rust": t.rust, "path": t.path,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| AppError::Failure(e.into()))?
        )?;
        return Ok(());
    }
    for area in Area::ALL {
        let in_area: Vec<_> = topics.iter().filter(|t| t.area == area).collect();
        writeln!(out, "{} ({}/)", area.heading(), area.name())?;
        if in_area.is_empty() {
            writeln!(out, "  (not built yet: see ROADMAP.md)")?;
        }
        for t in in_area {
            writeln!(out, "  {:<28} {}", t.id, t.python)?;
            writeln!(out, "  {:<28} → {}", "", t.rust)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} topics. `mastery run <id>` runs one; `mastery explain <id>` shows its lesson.",
        topics.len()
    )?;
    Ok(())
}

/// `mastery explain ID`: the topic's lesson, rendered for a terminal.
///
/// # Errors
/// An unknown id (with a suggestion), or stdout failing.
pub fn explain(out: &mut impl Write, topics: &[&'static Topic], id: &str) -> Result<(), AppError> {
    let Some(topic) = topics.iter().find(|t| t.id == id) else {
        let err = select::UnknownTopic {
            pattern: id.to_owned(),
            suggestion: select::closest(id, topics.iter().map(|t| t.id)),
        };
        return Err(AppError::Usage(err.to_string()));
    };
    writeln!(out, "{} — {}\n", topic.id, topic.title)?;
    writeln!(out, "Python: {}\nRust:   {}\n", topic.python, topic.rust)?;
    write!(out, "{}", lesson::render_for_terminal(&topic.lesson()))?;
    writeln!(
        out,
        "\nSource: {}   Run: mastery run {}",
        topic.path, topic.id
    )?;
    Ok(())
}

/// The settings demos may read through `Narrator::setting`.
fn demo_settings(settings: &Settings) -> mastery_kit::narrator::Settings {
    let mut map = std::collections::BTreeMap::new();
    if let Some(url) = &settings.redis_url {
        map.insert("redis_url".to_owned(), url.clone());
    }
    map.insert(
        "require_redis".to_owned(),
        settings.require_redis.to_string(),
    );
    if let Some(python) = &settings.python {
        map.insert("python".to_owned(), python.clone());
    }
    map.insert(
        "require_python".to_owned(),
        settings.require_python.to_string(),
    );
    std::sync::Arc::new(map)
}
