//! From the app's layered configuration to what demos read.
//!
//! `mastery_tooling::config_management` loads every key the reader may set
//! (sizes, logging, servers). Demos need only a few of them, as one typed
//! [`mastery_kit::Settings`] value; this is the one place that hands them
//! over, so a new demo setting is a new field here and there, checked by the
//! compiler on both sides.

use std::path::PathBuf;

use mastery_tooling::config_management::{self, ConfigError, Overrides, Sources};

/// The demo settings of `config`, with the executable that worker-process
/// demos may start (the `mastery` binary itself, when it is the caller).
pub fn for_demos(
    config: &config_management::Settings,
    worker_program: Option<PathBuf>,
) -> mastery_kit::Settings {
    mastery_kit::Settings {
        redis_url: config.redis_url.clone(),
        require_redis: config.require_redis,
        python: config.python.as_ref().map(PathBuf::from),
        require_python: config.require_python,
        require_valgrind: config.require_valgrind,
        worker_program,
        flamegraph: None,
    }
}

/// The demo settings this process's environment and `./mastery.toml` give,
/// with no flags: what a test harness that runs demos should hand them, so
/// that `MASTERY_REQUIRE_REDIS=1 cargo test` requires Redis as `mastery`
/// would.
///
/// # Errors
/// A bad key or value in the file or the environment, naming it.
pub fn from_environment(
    worker_program: Option<PathBuf>,
) -> Result<mastery_kit::Settings, ConfigError> {
    let sources = Sources::from_process(None, Overrides::default());
    let config = config_management::load(&sources)?;
    Ok(for_demos(&config, worker_program))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_key_is_handed_over() {
        let config = config_management::Settings {
            redis_url: Some("redis://127.0.0.1:7".to_owned()),
            require_redis: true,
            python: Some("/opt/py/bin/python".to_owned()),
            require_python: true,
            require_valgrind: true,
            ..config_management::Settings::default()
        };
        let demo = for_demos(&config, Some(PathBuf::from("/bin/mastery")));
        assert_eq!(
            demo,
            mastery_kit::Settings {
                redis_url: Some("redis://127.0.0.1:7".to_owned()),
                require_redis: true,
                python: Some(PathBuf::from("/opt/py/bin/python")),
                require_python: true,
                require_valgrind: true,
                worker_program: Some(PathBuf::from("/bin/mastery")),
                flamegraph: None,
            }
        );
    }
}
