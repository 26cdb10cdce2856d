//! Why settings could not be loaded, always naming the key and its source.

use std::path::PathBuf;

use figment::{Figment, Metadata, Profile};

/// Why settings could not be loaded. Every variant names the key or file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist.
    #[error("config file {} does not exist (given with --config)", .0.display())]
    MissingFile(PathBuf),
    /// A key is unknown, has the wrong type, or a file does not parse.
    #[error("bad configuration: {}", join_errors(.0))]
    Invalid(Box<figment::Error>),
    /// A value has the right type but is out of range.
    #[error("bad configuration: {key} = {value} (from {origin}): {reason}")]
    OutOfRange {
        /// The key as its source spells it (`samples`, `MASTERY_SAMPLES`).
        key: String,
        /// The offending value.
        value: String,
        /// Which layer gave it.
        origin: String,
        /// What is allowed.
        reason: String,
    },
}

fn join_errors(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn out_of_range(
    figment: &Figment,
    key: &str,
    value: String,
    reason: String,
) -> ConfigError {
    let (key, origin) = match figment.find_metadata(key) {
        Some(md) => (md.interpolate(&Profile::Default, &[key]), describe(md)),
        None => (key.to_owned(), "defaults".to_owned()),
    };
    ConfigError::OutOfRange {
        key,
        value,
        origin,
        reason,
    }
}

pub(super) fn describe(md: &Metadata) -> String {
    match &md.source {
        Some(source) => format!("{} {source}", md.name),
        None => md.name.to_string(),
    }
}
