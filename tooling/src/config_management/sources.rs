//! Where settings come from: the directory, the environment and the flags.

use std::path::PathBuf;

use mastery_kit::Mode;
use serde::Serialize;

use crate::logging_examples::{LogFormat, LogLevel};

/// The file looked for in the current directory.
pub const FILE_NAME: &str = "mastery.toml";
/// The prefix of the environment variables that set keys.
pub const ENV_PREFIX: &str = "MASTERY_";

/// Values given on the command line: the top layer. `None` leaves a key to
/// the layers below.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Overrides {
    /// `--quick` / `--full` / `--deep`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `--samples N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<u32>,
    /// `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// `-v`, `-vv`, `-vvv`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// `--redis URL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
}

/// Where settings come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--config FILE`: must exist. Without it, `dir/mastery.toml` is used
    /// when present.
    pub explicit_file: Option<PathBuf>,
    /// Directory searched for `mastery.toml` (the current directory).
    pub dir: PathBuf,
    /// Environment variables; only `MASTERY_*` ones are read.
    pub env: Vec<(String, String)>,
    /// Command-line flags.
    pub flags: Overrides,
}

impl Sources {
    /// The real sources: the current directory and the process environment.
    pub fn from_process(explicit_file: Option<PathBuf>, flags: Overrides) -> Self {
        Sources {
            explicit_file,
            dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .filter(|(k, _)| k.starts_with(ENV_PREFIX))
                .collect(),
            flags,
        }
    }
}
