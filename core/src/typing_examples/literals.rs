//! Literal → enum: exactly the allowed names, in JSON and through
//! `FromStr`, and an exhaustive `match` in place of `assert_never`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

// ANCHOR: log_level
/// `Literal["error", "warn", "info", "debug", "trace"]`: exactly these
/// names, in JSON and through [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// The usual level.
    Info,
    /// Diagnostics for developers.
    Debug,
    /// Everything.
    Trace,
}
// ANCHOR_END: log_level

impl LogLevel {
    /// Every level, most severe first.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    /// The level's name, as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A name that is not one of the allowed literals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant `{given}`, expected one of {}", quoted(.expected))]
pub struct UnknownVariant {
    /// What was given.
    pub given: String,
    /// The allowed names.
    pub expected: &'static [&'static str],
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for LogLevel {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const NAMES: &[&str] = &["error", "warn", "info", "debug", "trace"];
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                given: s.to_owned(),
                expected: NAMES,
            })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
