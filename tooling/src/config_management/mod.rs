//! # Layered configuration
//!
//! ## Python idiom
//! `pydantic-settings`: a `BaseSettings` class whose fields are validated on
//! the way in, with an error that names the field. Its sources, highest
//! priority first: arguments passed to the initializer, environment
//! variables (`model_config = SettingsConfigDict(env_prefix="APP_")` sets
//! the prefix), a dotenv file, a secrets directory, then the field
//! defaults. A TOML (or YAML, JSON) file is not a source by default: you add
//! one by overriding `settings_customise_sources` to return, say, a
//! `TomlConfigSettingsSource` in the order you want.
//!
//! ## Rust answer
//! A plain `serde` struct ([`Settings`], `deny_unknown_fields`) extracted
//! from a `figment` stack — defaults < `mastery.toml` (the current directory,
//! or `--config FILE`) < `MASTERY_*` environment variables < command-line
//! flags. The order is written out once, in [`figment`], where a reader sees
//! it. Figment remembers which source gave each value, so an error says
//! *what* key is wrong and *where* it came from:
//! `invalid type: found string "many", expected u32 for key "MASTERY_SAMPLES"
//! in environment variable`. Range checks the type system cannot express
//! (samples between 1 and 1000) run after extraction and report the source
//! the same way.
//!
//! The environment is passed in as a list of pairs rather than read inside
//! [`load`], so tests and the demo can show every layer without mutating the
//! process environment (which is `unsafe` in Rust 2024 for good reason: other
//! threads may be reading it).
//!
//! ## When to use which
//! - `figment` when provenance in errors matters and layers are many (it is
//!   what Rocket uses); `config` is the older alternative with a similar
//!   shape; `clap`'s `env = "..."` attribute alone is enough for a CLI with a
//!   handful of settings and no file.
//! - Keep the settings struct plain: no `Option` soup — defaults live in
//!   `Default`, so the rest of the program never asks "was it set?".
//!
//! ## What it costs
//! The demo times [`load`] with all four layers present: it reads and parses
//! the file, scans the environment list and merges the dictionaries — a cost
//! paid once at start-up. What you pay beyond that is in dependencies and
//! discipline: figment and its TOML parser in the build, and one struct that
//! every setting must be added to (the compiler then checks every use).
//!
//! ## Run it
//! `mastery run tooling/config-management` builds the layers in a temporary
//! directory and shows which one wins, then shows the errors. Try
//! `MASTERY_SAMPLES=many mastery list` or a `mastery.toml` with a typo.

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use mastery_kit::Mode;

use crate::logging_examples::{LogFormat, LogLevel};

mod demo;
mod error;
mod providers;
mod sources;
#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use sources::{ENV_PREFIX, FILE_NAME, Overrides, Sources};

use providers::{EnvVars, Named};

// ANCHOR: core
/// The kit's settings, after every layer has been applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// How long demos run: `quick` (a smoke run), `full` (about a minute
    /// for the tour) or `deep` (the largest inputs, many samples).
    pub mode: Mode,
    /// Timed samples per measurement in full and deep mode (1–1000); unset,
    /// each mode's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u32>,
    /// Log rendering.
    pub log_format: LogFormat,
    /// Log level when neither `-v` nor `RUST_LOG` says otherwise.
    pub log_level: LogLevel,
    /// An existing Redis server for the demos that use one
    /// (`redis://127.0.0.1:6379`); unset, they spawn their own
    /// `redis-server` when it is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    /// Make a missing or unreachable Redis a failure instead of a skip
    /// (CI sets `MASTERY_REQUIRE_REDIS=1`; `true`/`false`/`1`/`0`).
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub require_redis: bool,
    /// The Python interpreter for the demos that time Python (with numpy
    /// and the kit's extension module); unset, they look for
    /// `perf/python/.venv`, then `python3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// Make a missing Python comparison a failure instead of a note (CI
    /// sets `MASTERY_REQUIRE_PYTHON=1`; `true`/`false`/`1`/`0`).
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub require_python: bool,
    /// Make a missing valgrind a failure of the profiling demo instead of
    /// a skip (CI sets `MASTERY_REQUIRE_VALGRIND=1`).
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub require_valgrind: bool,
    /// Where `mastery kata check` builds katas (`MASTERY_KATA_TARGET_DIR`),
    /// each in a directory of its own; unset, the kata's own `target/`. Never an inherited
    /// `CARGO_TARGET_DIR`: the kit's target has other features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kata_target_dir: Option<String>,
    /// The kit's checkout that `mastery kata new` points a starter at
    /// (`MASTERY_KIT_DIR`); unset, the checkout the binary was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kit_dir: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Full,
            samples: None,
            log_format: LogFormat::Text,
            log_level: LogLevel::Warn,
            redis_url: None,
            require_redis: false,
            python: None,
            require_python: false,
            require_valgrind: false,
            kata_target_dir: None,
            kit_dir: None,
        }
    }
}

/// The allowed range of `samples`.
pub const SAMPLES_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

/// Builds the layers and extracts validated settings.
///
/// # Errors
/// See [`ConfigError`]; nothing is partially applied.
pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
    let figment = figment(sources)?;
    let settings: Settings = figment
        .extract()
        .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
    if let Some(samples) = settings.samples.filter(|s| !SAMPLES_RANGE.contains(s)) {
        return Err(error::out_of_range(
            &figment,
            "samples",
            samples.to_string(),
            format!(
                "must be between {} and {}",
                SAMPLES_RANGE.start(),
                SAMPLES_RANGE.end()
            ),
        ));
    }
    Ok(settings)
}

/// The layered figment, before extraction (the demo asks it for provenance).
///
/// # Errors
/// [`ConfigError::MissingFile`] when `--config` names no file.
pub fn figment(sources: &Sources) -> Result<Figment, ConfigError> {
    // A file the user named must exist: silently falling back to the
    // defaults would run with settings nobody asked for. The default file
    // is optional, since most runs have none.
    let file = match &sources.explicit_file {
        Some(path) if !path.is_file() => return Err(ConfigError::MissingFile(path.clone())),
        Some(path) => Some(path.clone()),
        None => Some(sources.dir.join(FILE_NAME)).filter(|p| p.is_file()),
    };
    // `merge` lets a later provider win for every key it sets, so the order
    // of these lines *is* the precedence: defaults < file < env < flags.
    // Flags that were not given are `None` and skipped when serialized, so
    // they set nothing and leave the key to the layers below.
    let defaults = Named(Serialized::defaults(Settings::default()), "defaults");
    let mut figment = Figment::from(defaults);
    if let Some(file) = file {
        figment = figment.merge(Toml::file_exact(file));
    }
    Ok(figment.merge(EnvVars(sources.env.clone())).merge(Named(
        Serialized::defaults(&sources.flags),
        "command-line flag",
    )))
}
// ANCHOR_END: core

/// The config file a user can start from, every key at its default.
pub fn example_file() -> String {
    use mastery_kit::narrator::{DEEP_SAMPLES, DEFAULT_SAMPLES, QUICK_SAMPLES};
    let defaults = Settings::default();
    let mode = match defaults.mode {
        Mode::Quick => "quick",
        Mode::Full => "full",
        Mode::Deep => "deep",
    };
    [
        "# mastery.toml — every key, at its default".to_owned(),
        format!("mode = \"{mode}\"   # quick | full | deep"),
        format!(
            "# samples = {DEEP_SAMPLES}   # 1–1000; unset: quick {QUICK_SAMPLES}, full {DEFAULT_SAMPLES}, deep {DEEP_SAMPLES}"
        ),
        "log_format = \"text\"   # text | json".to_owned(),
        "log_level = \"warn\"    # off | error | warn | info | debug | trace".to_owned(),
        format!("require_redis = {}", defaults.require_redis),
        "# redis_url = \"redis://127.0.0.1:6379\"  # unset: spawn redis-server".to_owned(),
        format!("require_python = {}", defaults.require_python),
        "# python = \"perf/python/.venv/bin/python\"  # unset: that venv, else python3".to_owned(),
        format!("require_valgrind = {}", defaults.require_valgrind),
        "# kata_target_dir = \"/tmp/kata-target\"  # unset: the kata's own target/".to_owned(),
        "# kit_dir = \"/path/to/the/kit\"  # unset: the checkout mastery was built from".to_owned(),
    ]
    .join("\n")
        + "\n"
}
