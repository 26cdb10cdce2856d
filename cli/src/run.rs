//! `mastery run` and `mastery tour`: run demos, then print or write what they
//! measured.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use mastery_kit::Topic;
use mastery_kit::report::{Document, Machine};
use mastery_kit::runner::{Narration, RunOptions, run_topics};
use mastery_tooling::config_management;

use crate::error::{AppError, EXIT_FAILURE};

/// Where a run's story and figures go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The story straight to stdout as it is told (`mastery run`).
    Stream,
    /// Each topic's story printed when it ends, under a progress bar
    /// (`mastery tour`).
    PerTopic,
    /// No story: one JSON document with every figure (`--json`).
    Json,
}

/// Runs `topics` in the given order with the configured mode and samples,
/// prints the outcome, writes `report/RESULTS.md` when asked, and returns
/// exit code 1 when any topic failed.
///
/// # Errors
/// When stdout or the report cannot be written.
pub fn run(
    topics: &[&'static Topic],
    config: &config_management::Settings,
    settings: mastery_kit::Settings,
    output: Output,
    report: Option<&Path>,
) -> Result<u8, AppError> {
    let mode = config.mode;
    let narration = match output {
        Output::Stream => Narration::Stream,
        Output::PerTopic => Narration::PerTopic,
        Output::Json => Narration::Silent,
    };
    let options = RunOptions {
        mode,
        samples: config.samples.map(|n| n as usize),
        narration,
        // A bar for the tour, and for a JSON run of several topics (which
        // prints nothing else until the end); never for one streamed topic.
        progress: output == Output::PerTopic || (output == Output::Json && topics.len() > 1),
        settings,
    };
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let results = run_topics(topics, options);
    let document = Document::new(started_at, Machine::detect(mode), results);
    if output == Output::Json {
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
        let names = if failed.is_empty() {
            String::new()
        } else {
            format!(": {}", failed.join(", "))
        };
        eprintln!(
            "{} topics in {:.1} s ({mode:?} mode): {} ok, {} failed{names}",
            topics.len(),
            started.elapsed().as_secs_f64(),
            topics.len() - failed.len(),
            failed.len(),
        );
    }
    Ok(if failed.is_empty() { 0 } else { EXIT_FAILURE })
}
