//! The two figment providers the kit adds: a renamed one (so provenance
//! reads "defaults", not a Rust type name) and `MASTERY_*` variables.

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

use super::ENV_PREFIX;

/// A provider under a plain name, so provenance reads "defaults" rather than
/// the Rust type the values were serialized from.
pub(super) struct Named<P>(pub(super) P, pub(super) &'static str);

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.1)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.0.data()
    }
}

// ANCHOR: env_prefix
/// `MASTERY_*` variables as a figment provider: `MASTERY_LOG_FORMAT=json`
/// sets `log_format`. Values are parsed like TOML scalars (`5`, `true`),
/// falling back to strings; errors name the variable.
pub(super) struct EnvVars(pub(super) Vec<(String, String)>);

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
// ANCHOR_END: env_prefix
