//! The kit's logging setup: the level and format types the settings use,
//! the filter (`RUST_LOG` or the level), and the subscriber on stderr.

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

// ANCHOR: env_filter
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
// ANCHOR_END: env_filter

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

// ANCHOR: json_or_text
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
// ANCHOR_END: json_or_text

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
