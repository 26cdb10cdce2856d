//! Environment and files as seams. Settings are read through a lookup the
//! caller passes — [`process_env`] in `main`, an [`EnvMap`] in tests — so no
//! test needs `std::env::set_var`, which edition 2024 makes `unsafe` (on
//! Unix another thread's `getenv` may read the environment while it is
//! rewritten) and which races between tests running in parallel. Files go
//! under a directory the caller passes, a `tempfile::tempdir()` in tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A stand-in environment: what `monkeypatch.setenv` would have set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvMap(HashMap<String, String>);

impl EnvMap {
    /// An environment holding exactly `pairs`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        EnvMap(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The value of `key`, as `std::env::var(key).ok()` would give it.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

/// The process environment, as a lookup (values that are not UTF-8 read
/// as absent).
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// A service's settings from `APP_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `APP_PORT`, default 8080; 1–65535.
    pub port: u16,
    /// `APP_DATA_DIR`, required.
    pub data_dir: PathBuf,
    /// `APP_VERBOSE`: `1`/`true` or `0`/`false`, default false.
    pub verbose: bool,
}

/// A variable that is missing or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is not set.
    #[error("environment variable {key} is not set: set it to {expected}")]
    Missing {
        /// The variable.
        key: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
    /// A variable holds something unusable.
    #[error("environment variable {key}={value:?} is not {expected}: fix or unset it")]
    Invalid {
        /// The variable.
        key: &'static str,
        /// What it held.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
}

impl Settings {
    /// Reads the settings through `lookup`: pass [`process_env`] in
    /// production and `|k| env.get(k)` on an [`EnvMap`] in tests.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first variable that is missing or bad.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        const PORT: &str = "a port number from 1 to 65535";
        const BOOL: &str = "one of 1, true, 0, false";
        let port = match lookup("APP_PORT") {
            None => 8080,
            Some(value) => match value.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(invalid("APP_PORT", value, PORT)),
            },
        };
        let data_dir = match lookup("APP_DATA_DIR") {
            Some(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
            _ => {
                return Err(SettingsError::Missing {
                    key: "APP_DATA_DIR",
                    expected: "a writable directory",
                });
            }
        };
        let verbose = match lookup("APP_VERBOSE").as_deref().map(str::trim) {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => return Err(invalid("APP_VERBOSE", other.to_owned(), BOOL)),
        };
        Ok(Settings {
            port,
            data_dir,
            verbose,
        })
    }
}

fn invalid(key: &'static str, value: String, expected: &'static str) -> SettingsError {
    SettingsError::Invalid {
        key,
        value,
        expected,
    }
}

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report {path}: {source}")]
pub struct ReportError {
    /// The file it tried to write.
    pub path: PathBuf,
    /// Why it failed.
    pub source: std::io::Error,
}

/// Writes `body` to `dir/name` whole or not at all (a temporary file in
/// `dir`, then a rename), and returns the path.
///
/// # Errors
/// [`ReportError`] with the path when `dir` is missing or not writable.
pub fn write_report(dir: &Path, name: &str, body: &str) -> Result<PathBuf, ReportError> {
    let path = dir.join(name);
    let partial = dir.join(format!(".{name}.partial"));
    let fail = |source| ReportError {
        path: path.clone(),
        source,
    };
    std::fs::write(&partial, body).map_err(fail)?;
    std::fs::rename(&partial, &path).map_err(fail)?;
    Ok(path)
}
