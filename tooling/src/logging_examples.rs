//! # Structured logging with `tracing`
//!
//! ## Python idiom
//! `structlog` or `loguru`: log calls carry key–value context
//! (`log.bind(request_id=7).info("batch processed", items=3)`), rendered as
//! text for people or JSON for machines; `logging.basicConfig(level=...)` and
//! per-logger levels choose what is kept.
//!
//! ## Rust answer
//! `tracing`: **events** (`info!(items = 3, "batch processed")`) carry typed
//! fields, and **spans** (`info_span!("request", id = 7)`) carry context that
//! every event inside them inherits — across `.await` points too, which
//! thread-local context in Python cannot follow without `contextvars`.
//! `tracing-subscriber` renders them as text or JSON and filters them with
//! `EnvFilter` (`RUST_LOG=mastery_kit=debug,warn`). The kit's own setup:
//! `-v` info, `-vv` debug, `-vvv` trace, `--log-format text|json`, and
//! `RUST_LOG`, when set, wins over both. Logs go to stderr, so stdout stays
//! clean for `--json` output.
//!
//! ## When to use which
//! - `tracing` for anything async or multi-threaded, or whenever context
//!   should flow into every line (request ids, topic ids) — the default today.
//! - `log` + `env_logger` for a small synchronous CLI or a library that must
//!   not pull in `tracing`; `tracing` can consume `log` records and vice versa.
//! - A disabled event costs a few nanoseconds (a level check against a
//!   cached maximum), so leave `debug!` in hot code; an enabled event costs
//!   formatting and I/O — the demo measures both.
//!
//! ## Run it
//! `mastery run tooling/logging-examples`; try
//! `mastery -vv --log-format json run interview/lru-cache` and
//! `RUST_LOG=mastery_kit=debug mastery tour --quick`.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use mastery_kit::{Area, Narrator, Topic};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the span context.
    Json,
}

/// The most detailed level that is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Errors only.
    Error,
    /// Warnings and errors (the default).
    #[default]
    Warn,
    /// Progress of the kit: topics started and finished.
    Info,
    /// Details useful when something looks wrong.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level `-v` flags ask for: none → `None` (keep the configured
    /// level), `-v` info, `-vv` debug, `-vvv` and more trace.
    pub fn from_verbosity(count: u8) -> Option<Self> {
        match count {
            0 => None,
            1 => Some(LogLevel::Info),
            2 => Some(LogLevel::Debug),
            _ => Some(LogLevel::Trace),
        }
    }

    fn directive(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// `RUST_LOG` was set to something `EnvFilter` cannot parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "RUST_LOG={value:?} is not a valid filter: {source} (example: RUST_LOG=info or RUST_LOG=mastery_kit=debug,warn)"
)]
pub struct BadFilter {
    value: String,
    #[source]
    source: tracing_subscriber::filter::ParseError,
}

/// The filter: `rust_log` (the `RUST_LOG` value) when set, else `level`.
///
/// # Errors
/// When `rust_log` does not parse.
pub fn filter(level: LogLevel, rust_log: Option<&str>) -> Result<EnvFilter, BadFilter> {
    match rust_log.filter(|v| !v.trim().is_empty()) {
        Some(value) => EnvFilter::builder()
            .parse(value)
            .map_err(|source| BadFilter {
                value: value.to_owned(),
                source,
            }),
        None => Ok(EnvFilter::new(level.directive())),
    }
}

/// Builds a subscriber that writes to `writer` in `format`, without colour
/// codes ([`init`] adds them when stderr is a terminal).
pub fn subscriber<W>(
    filter: EnvFilter,
    format: LogFormat,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber_with_ansi(filter, format, writer, false)
}

fn subscriber_with_ansi<W>(
    filter: EnvFilter,
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => Box::new(builder.with_target(true).finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}

/// Installs the kit's logging on stderr for the whole process, coloured when
/// stderr is a terminal.
///
/// # Errors
/// When `RUST_LOG` is invalid, or a global subscriber is already set.
pub fn init(level: LogLevel, format: LogFormat) -> anyhow::Result<()> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = filter(level, rust_log.as_deref())?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let subscriber = subscriber_with_ansi(filter, format, std::io::stderr, ansi);
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(())
}

/// A `MakeWriter` into a shared buffer: how the demo (and tests) capture logs.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/logging-examples",
        area: Area::Tooling,
        rank: 4,
        title: "Structured logging (structlog / loguru)",
        python: "structlog.get_logger().bind(request_id=7).info(\"done\", items=3)",
        rust: "tracing spans + events with typed fields; tracing-subscriber text/JSON, EnvFilter",
        path: "tooling/src/logging_examples.rs",
        source: include_str!("logging_examples.rs"),
        run: demo,
    }
}

/// What the demo logs: a request span with fields, and events inside it.
fn handle_request(id: u64, user: &str) {
    let span = tracing::info_span!("request", id, user);
    let _entered = span.enter();
    tracing::info!(items = 3, "batch processed");
    tracing::debug!("cache state dumped");
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("The same events, rendered two ways (level info: the debug event is filtered)");
    for format in [LogFormat::Text, LogFormat::Json] {
        let captured = Captured::default();
        let sub = subscriber(filter(LogLevel::Info, None)?, format, captured.clone());
        tracing::subscriber::with_default(sub, || handle_request(7, "ada"));
        n.say(&format!("{format:?}:"));
        for line in captured.text().lines() {
            n.show(line.trim_start());
        }
    }

    n.section("RUST_LOG wins over -v");
    let per_module = "mastery_tooling=debug,warn";
    let captured = Captured::default();
    let sub = subscriber(
        filter(LogLevel::Warn, Some(per_module))?,
        LogFormat::Text,
        captured.clone(),
    );
    tracing::subscriber::with_default(sub, || handle_request(8, "grace"));
    n.say(&format!(
        "With RUST_LOG={per_module} this crate's debug events appear ({} lines) although the level flag says warn.",
        captured.text().lines().count()
    ));
    let bad = filter(LogLevel::Warn, Some("mastery=loud"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    n.say(&format!(
        "A bad filter is an error, not a silent default: {bad}"
    ));

    n.section("What an event costs");
    let ops = n.mode().pick(20_000, 1_000_000);
    let sink = subscriber(
        filter(LogLevel::Info, None)?,
        LogFormat::Text,
        std::io::sink,
    );
    tracing::subscriber::with_default(sink, || {
        n.measure("debug! event, filtered out at level info", ops, || {
            for i in 0..ops {
                tracing::debug!(i, "not recorded");
            }
        });
        n.measure("info! event, formatted as text into a sink", ops, || {
            for i in 0..ops {
                tracing::info!(i, "recorded");
            }
        });
    });
    let sink = subscriber(
        filter(LogLevel::Info, None)?,
        LogFormat::Json,
        std::io::sink,
    );
    tracing::subscriber::with_default(sink, || {
        n.measure("info! event, formatted as JSON into a sink", ops, || {
            for i in 0..ops {
                tracing::info!(i, "recorded");
            }
        });
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;

    #[test]
    fn verbosity_maps_to_levels() {
        assert_eq!(LogLevel::from_verbosity(0), None);
        assert_eq!(LogLevel::from_verbosity(1), Some(LogLevel::Info));
        assert_eq!(LogLevel::from_verbosity(2), Some(LogLevel::Debug));
        assert_eq!(LogLevel::from_verbosity(9), Some(LogLevel::Trace));
    }

    #[test]
    fn json_lines_carry_span_fields() -> anyhow::Result<()> {
        let captured = Captured::default();
        let sub = subscriber(
            filter(LogLevel::Info, None)?,
            LogFormat::Json,
            captured.clone(),
        );
        tracing::subscriber::with_default(sub, || handle_request(7, "ada"));
        let text = captured.text();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        assert_eq!(lines.len(), 1, "debug is filtered at info: {text}");
        assert_eq!(lines[0]["fields"]["items"], 3);
        assert_eq!(lines[0]["span"]["id"], 7);
        assert_eq!(lines[0]["span"]["user"], "ada");
        Ok(())
    }

    #[test]
    fn rust_log_overrides_level_and_bad_values_are_errors() -> anyhow::Result<()> {
        let captured = Captured::default();
        let sub = subscriber(
            filter(LogLevel::Off, Some("debug"))?,
            LogFormat::Text,
            captured.clone(),
        );
        tracing::subscriber::with_default(sub, || handle_request(1, "x"));
        assert!(captured.text().contains("cache state dumped"));
        let err = filter(LogLevel::Warn, Some("mastery=loud")).expect_err("invalid level");
        assert!(
            err.to_string().contains("RUST_LOG=\"mastery=loud\""),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("tooling/logging-examples", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert_eq!(n.measurements().len(), 3);
    }
}
