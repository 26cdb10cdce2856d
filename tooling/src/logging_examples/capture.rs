//! Capturing log lines in memory, for the demo and the tests.

use mastery_kit::capture::SharedBuffer;
use tracing_subscriber::fmt::MakeWriter;

use super::{LogFormat, LogLevel, filter, subscriber};

/// A `MakeWriter` into a shared buffer: how the demo (and tests) capture logs.
#[derive(Debug, Clone, Default)]
pub struct Captured(SharedBuffer);

impl Captured {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        self.0.text()
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = SharedBuffer;
    fn make_writer(&'w self) -> Self::Writer {
        self.0.clone()
    }
}

/// Runs `work` with a JSON subscriber at `level` as this thread's default
/// and returns the events it logged, one JSON object each.
///
/// # Errors
/// When a logged line is not JSON (a bug in the subscriber set-up).
pub fn json_events_of(
    level: LogLevel,
    work: impl FnOnce(),
) -> anyhow::Result<Vec<serde_json::Value>> {
    let captured = Captured::default();
    let sub = subscriber(filter(level, None)?, LogFormat::Json, captured.clone());
    tracing::subscriber::with_default(sub, work);
    let events = captured
        .text()
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    Ok(events)
}
