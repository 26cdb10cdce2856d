//! What can go wrong finding, loading or calling a plugin: each message says
//! which plugin or file, what was wrong and what to do.

use std::path::PathBuf;
use std::time::Duration;

/// A plugin that could not be found, loaded or called.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The plugin ran and returned an error of its own.
    #[error("plugin `{plugin}` refused the input: {message}")]
    Refused {
        /// The plugin's name.
        plugin: String,
        /// What it said.
        message: String,
    },
    /// The plugin panicked; the panic was caught at its boundary.
    #[error("plugin `{plugin}` panicked (caught at the plugin boundary): {message}")]
    Panicked {
        /// The plugin's name.
        plugin: String,
        /// The panic's message.
        message: String,
    },
    /// The file could not be loaded as a dynamic library.
    #[error(
        "{}: not a loadable plugin library ({reason}); a plugin is a `cdylib` built against mastery-plugin-abi",
        path.display()
    )]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// The loader's words.
        reason: String,
    },
    /// The library lacks a symbol every plugin exports.
    #[error(
        "{}: no `{symbol}` symbol, so this is not a mastery plugin (export one with mastery_plugin_abi::export_plugin!)",
        path.display()
    )]
    MissingSymbol {
        /// The file.
        path: PathBuf,
        /// The symbol looked for.
        symbol: &'static str,
    },
    /// The plugin speaks another version of the ABI.
    #[error(
        "{}: plugin ABI version {found}, this program speaks {expected}; rebuild the plugin against mastery-plugin-abi {expected}",
        path.display()
    )]
    AbiMismatch {
        /// Where the plugin came from.
        path: PathBuf,
        /// The version the plugin reported.
        found: u32,
        /// The version this host speaks.
        expected: u32,
    },
    /// The plugin broke its side of the contract (a null table, a name that
    /// is not UTF-8, an unknown status, a malformed protocol line).
    #[error("{}: broke the plugin contract: {problem}", path.display())]
    Contract {
        /// Where the plugin came from.
        path: PathBuf,
        /// What was wrong.
        problem: String,
    },
    /// The input cannot be sent to this plugin.
    #[error("plugin `{plugin}`: {problem}")]
    BadInput {
        /// The plugin's name.
        plugin: String,
        /// Why not.
        problem: String,
    },
    /// An executable plugin could not be started.
    #[error("{}: cannot start the plugin: {source}", path.display())]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// An executable plugin exited instead of answering.
    #[error("{}: the plugin exited ({status}) before answering", path.display())]
    Exited {
        /// The executable.
        path: PathBuf,
        /// How it exited, as the OS reports it.
        status: String,
    },
    /// An executable plugin did not answer in time and was killed.
    #[error(
        "{}: no answer within {:.1} s, plugin killed (a hung plugin; raise --timeout if it is only slow)",
        path.display(),
        timeout.as_secs_f64()
    )]
    Timeout {
        /// The executable.
        path: PathBuf,
        /// How long the host waited.
        timeout: Duration,
    },
    /// No plugin of that name was found.
    #[error("no plugin named `{name}`{}; `mastery plugins [DIR]` lists what is found", suggestion(.known))]
    NotFound {
        /// The name asked for.
        name: String,
        /// The names that were found.
        known: Vec<String>,
    },
}

fn suggestion(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (found: {})", known.join(", "))
    }
}
