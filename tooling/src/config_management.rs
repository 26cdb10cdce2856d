//! # Layered configuration
//!
//! ## Python idiom
//! `pydantic-settings`: a `BaseSettings` class whose fields are filled from
//! defaults, a config file, `APP_*` environment variables and finally
//! explicit arguments, validated on the way in, with an error that names the
//! field.
//!
//! ## Rust answer
//! A plain `serde` struct ([`Settings`], `deny_unknown_fields`) extracted
//! from a `figment` stack — defaults < `mastery.toml` (the current directory,
//! or `--config FILE`) < `MASTERY_*` environment variables < command-line
//! flags. Figment remembers which source gave each value, so an error says
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
//! ## Run it
//! `mastery run tooling/config-management` builds the layers in a temporary
//! directory and shows which one wins, then shows the errors. Try
//! `MASTERY_SAMPLES=many mastery list` or a `mastery.toml` with a typo.

use std::path::PathBuf;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use mastery_kit::{Area, Narrator, Topic};
use serde::{Deserialize, Serialize};

use crate::logging_examples::{LogFormat, LogLevel};

/// The kit's settings, after every layer has been applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Run demos in quick mode by default.
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub quick: bool,
    /// Timed samples per measurement in full mode (1–1000).
    pub samples: u32,
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            quick: false,
            samples: mastery_kit::narrator::DEFAULT_SAMPLES as u32,
            log_format: LogFormat::Text,
            log_level: LogLevel::Warn,
            redis_url: None,
            require_redis: false,
            python: None,
            require_python: false,
        }
    }
}

/// The file looked for in the current directory.
pub const FILE_NAME: &str = "mastery.toml";
/// The prefix of the environment variables that set keys.
pub const ENV_PREFIX: &str = "MASTERY_";
/// The allowed range of `samples`.
pub const SAMPLES_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

/// Values given on the command line: the top layer. `None` leaves a key to
/// the layers below.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Overrides {
    /// `--quick` / `--full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick: Option<bool>,
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

/// Builds the layers and extracts validated settings.
///
/// # Errors
/// See [`ConfigError`]; nothing is partially applied.
pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
    let figment = figment(sources)?;
    let settings: Settings = figment
        .extract()
        .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
    if !SAMPLES_RANGE.contains(&settings.samples) {
        return Err(out_of_range(
            &figment,
            "samples",
            settings.samples.to_string(),
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
    let file = match &sources.explicit_file {
        Some(path) if !path.is_file() => return Err(ConfigError::MissingFile(path.clone())),
        Some(path) => Some(path.clone()),
        None => Some(sources.dir.join(FILE_NAME)).filter(|p| p.is_file()),
    };
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

fn out_of_range(figment: &Figment, key: &str, value: String, reason: String) -> ConfigError {
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

fn describe(md: &Metadata) -> String {
    match &md.source {
        Some(source) => format!("{} {source}", md.name),
        None => md.name.to_string(),
    }
}

/// A provider under a plain name, so provenance reads "defaults" rather than
/// the Rust type the values were serialized from.
struct Named<P>(P, &'static str);

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.1)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.0.data()
    }
}

/// `MASTERY_*` variables as a figment provider: `MASTERY_LOG_FORMAT=json`
/// sets `log_format`. Values are parsed like TOML scalars (`5`, `true`),
/// falling back to strings; errors name the variable.
struct EnvVars(Vec<(String, String)>);

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable").interpolater(|_: &Profile, keys: &[&str]| {
            format!("{ENV_PREFIX}{}", keys.join("_").to_uppercase())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (name, value) in &self.0 {
            let Some(key) = name.strip_prefix(ENV_PREFIX).filter(|k| !k.is_empty()) else {
                continue;
            };
            let parsed: Value = match value.parse() {
                Ok(v) => v,
                Err(never) => match never {},
            };
            dict.insert(key.to_lowercase(), parsed);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// The config file a user can start from, every key at its default.
pub fn example_file() -> String {
    let defaults = Settings::default();
    format!(
        "# mastery.toml — every key, at its default\nquick = {}\nsamples = {}\nlog_format = \"text\"   # text | json\nlog_level = \"warn\"    # off | error | warn | info | debug | trace\nrequire_redis = {}\n# redis_url = \"redis://127.0.0.1:6379\"  # unset: spawn redis-server\nrequire_python = {}\n# python = \"perf/python/.venv/bin/python\"  # unset: that venv, else python3\n",
        defaults.quick, defaults.samples, defaults.require_redis, defaults.require_python
    )
}

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/config-management",
        area: Area::Tooling,
        rank: 5,
        title: "Config management (pydantic-settings)",
        python: "class Settings(BaseSettings): samples: int = 11  # file < APP_* env < args",
        rust: "serde struct + figment layers: defaults < mastery.toml < MASTERY_* env < flags; errors name key and source",
        path: "tooling/src/config_management.rs",
        source: include_str!("config_management.rs"),
        run: demo,
    }
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join(FILE_NAME),
        "samples = 21\nlog_format = \"json\"\n",
    )?;
    n.section("Four layers, each overriding the one below");
    n.show(format!(
        "{}/mastery.toml:  samples = 21, log_format = \"json\"",
        dir.path().display()
    ));
    n.show("environment:    MASTERY_SAMPLES=31");
    n.show("flags:          --quick");
    let layers: [(&str, Sources); 4] = [
        (
            "defaults only",
            Sources {
                dir: PathBuf::from("/nonexistent"),
                ..Sources::default()
            },
        ),
        (
            "+ file",
            Sources {
                dir: dir.path().to_path_buf(),
                ..Sources::default()
            },
        ),
        (
            "+ env",
            Sources {
                dir: dir.path().to_path_buf(),
                env: env(&[("MASTERY_SAMPLES", "31")]),
                ..Sources::default()
            },
        ),
        (
            "+ flags",
            Sources {
                dir: dir.path().to_path_buf(),
                env: env(&[("MASTERY_SAMPLES", "31")]),
                flags: Overrides {
                    quick: Some(true),
                    ..Overrides::default()
                },
                ..Sources::default()
            },
        ),
    ];
    for (name, sources) in &layers {
        let s = load(sources)?;
        let samples_from = figment(sources)?
            .find_metadata("samples")
            .map(describe)
            .unwrap_or_default();
        n.show(format!(
            "{name:<14} quick={:<5} samples={:<3} log_format={:?}  (samples from {samples_from})",
            s.quick, s.samples, s.log_format
        ));
    }

    n.section("Bad input: the error names the key and where it came from");
    let bad_file = dir.path().join("typo.toml");
    std::fs::write(&bad_file, "sampels = 5\n")?;
    let cases = [
        Sources {
            explicit_file: Some(bad_file),
            ..Sources::default()
        },
        Sources {
            dir: dir.path().to_path_buf(),
            env: env(&[("MASTERY_SAMPLES", "many")]),
            ..Sources::default()
        },
        Sources {
            dir: dir.path().to_path_buf(),
            env: env(&[("MASTERY_SAMPLES", "0")]),
            ..Sources::default()
        },
        Sources {
            explicit_file: Some(dir.path().join("absent.toml")),
            ..Sources::default()
        },
    ];
    let mut errors = 0;
    for sources in &cases {
        if let Err(e) = load(sources) {
            errors += 1;
            n.say(&e.to_string());
        }
    }
    anyhow::ensure!(errors == cases.len(), "every bad layer must be refused");

    n.section("What loading costs");
    let ops = n.mode().pick(200, 5_000);
    let sources = &layers[3].1;
    n.measure(
        "load all four layers (reads and parses the file)",
        ops,
        || (0..ops).filter(|_| load(sources).is_ok()).count(),
    );
    Ok(())
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;

    fn in_dir(file: Option<&str>) -> (tempfile::TempDir, Sources) {
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(text) = file {
            std::fs::write(dir.path().join(FILE_NAME), text).expect("write config");
        }
        let sources = Sources {
            dir: dir.path().to_path_buf(),
            ..Sources::default()
        };
        (dir, sources)
    }

    #[test]
    fn defaults_without_any_source() {
        let (_dir, sources) = in_dir(None);
        assert_eq!(load(&sources).expect("valid"), Settings::default());
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let (_dir, mut sources) =
            in_dir(Some("samples = 21\nquick = true\nlog_level = \"info\"\n"));
        assert_eq!(load(&sources).expect("valid").samples, 21);
        sources.env = env(&[
            ("MASTERY_SAMPLES", "31"),
            ("MASTERY_LOG_FORMAT", "json"),
            ("OTHER", "x"),
        ]);
        let s = load(&sources).expect("valid");
        assert_eq!(
            (s.samples, s.log_format, s.quick, s.log_level),
            (31, LogFormat::Json, true, LogLevel::Info)
        );
        sources.flags = Overrides {
            samples: Some(41),
            quick: Some(false),
            ..Overrides::default()
        };
        let s = load(&sources).expect("valid");
        assert_eq!(
            (s.samples, s.quick, s.log_format),
            (41, false, LogFormat::Json)
        );
    }

    #[test]
    fn unknown_key_in_file_is_named_with_the_file() {
        let (dir, sources) = in_dir(Some("sampels = 5\n"));
        let msg = load(&sources).expect_err("unknown key").to_string();
        assert!(msg.contains("sampels"), "{msg}");
        assert!(
            msg.contains(&dir.path().join(FILE_NAME).display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let (_dir, mut sources) = in_dir(None);
        sources.env = env(&[("MASTERY_SAMPLES", "many")]);
        let msg = load(&sources).expect_err("bad type").to_string();
        assert!(msg.contains("MASTERY_SAMPLES"), "{msg}");
        sources.env = env(&[("MASTERY_LOG_FORMAT", "xml")]);
        let msg = load(&sources).expect_err("bad variant").to_string();
        assert!(
            msg.contains("MASTERY_LOG_FORMAT") && msg.contains("xml"),
            "{msg}"
        );
        sources.env = env(&[("MASTERY_COLOUR", "red")]);
        let msg = load(&sources).expect_err("unknown variable").to_string();
        assert!(msg.contains("colour") || msg.contains("COLOUR"), "{msg}");
    }

    #[test]
    fn switches_accept_one_and_zero_and_redis_url_layers() {
        let (_dir, mut sources) = in_dir(Some("redis_url = \"redis://127.0.0.1:1\"\n"));
        sources.env = env(&[("MASTERY_REQUIRE_REDIS", "1"), ("MASTERY_QUICK", "0")]);
        let s = load(&sources).expect("valid");
        assert!(s.require_redis && !s.quick);
        assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:1"));
        sources.flags.redis_url = Some("redis://127.0.0.1:2".to_owned());
        let s = load(&sources).expect("valid");
        assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:2"));
        sources.env = env(&[("MASTERY_REQUIRE_REDIS", "maybe")]);
        let msg = load(&sources).expect_err("not a switch").to_string();
        assert!(msg.contains("MASTERY_REQUIRE_REDIS"), "{msg}");
    }

    #[test]
    fn out_of_range_names_key_and_source() {
        let (dir, sources) = in_dir(Some("samples = 0\n"));
        let msg = load(&sources).expect_err("out of range").to_string();
        assert!(
            msg.contains("samples = 0") && msg.contains("between 1 and 1000"),
            "{msg}"
        );
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        let (_dir, mut sources) = in_dir(None);
        sources.env = env(&[("MASTERY_SAMPLES", "5000")]);
        let msg = load(&sources).expect_err("out of range").to_string();
        assert!(
            msg.contains("MASTERY_SAMPLES = 5000") && msg.contains("environment"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_toml_and_missing_explicit_file_are_errors() {
        let (dir, sources) = in_dir(Some("samples = [\n"));
        let msg = load(&sources).expect_err("malformed").to_string();
        assert!(msg.contains(FILE_NAME), "{msg}");
        let missing = Sources {
            explicit_file: Some(dir.path().join("nope.toml")),
            ..Sources::default()
        };
        assert!(matches!(load(&missing), Err(ConfigError::MissingFile(_))));
    }

    #[test]
    fn the_example_file_loads_to_the_defaults() {
        let (_dir, sources) = in_dir(Some(&example_file()));
        assert_eq!(load(&sources).expect("valid"), Settings::default());
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("tooling/config-management", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
    }
}
