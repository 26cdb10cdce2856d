//! # Plugin systems (`entry_points`)
//!
//! ## Python idiom
//! A package advertises plugins in its metadata, and the host finds them at
//! run time without importing anything it does not use:
//!
//! ```python
//! # pyproject.toml of a plugin package
//! # [project.entry-points."mastery.plugins"]
//! # rot13 = "mastery_rot13:transform"
//!
//! from importlib.metadata import entry_points
//!
//! for ep in entry_points(group="mastery.plugins"):
//!     transform = ep.load()          # imports the module, returns the object
//!     print(ep.name, transform("hello"))
//! ```
//!
//! pytest, Flask and Datasette find their extensions this way. Everything
//! is checked when it runs: a plugin written for another version of the
//! host fails with whatever `AttributeError` its first mismatched call
//! raises, and a plugin that crashes the interpreter takes the host down.
//!
//! ## Rust answer
//! One small contract, [`Plugin`]: a name, a version, the ABI it speaks,
//! where it came from, and `call(&str) -> Result<String, PluginError>`.
//! Three ways to find implementations of it, from "linked in" to "another
//! process":
//!
//! - **Compile-time registration** with `inventory`: each crate linked into
//!   the program submits a [`StaticPlugin`] value, and [`compiled_plugins`]
//!   iterates them. This is how the kit finds its own topics (every demo
//!   submits a `Topic`; `mastery list` iterates them). Nothing can be added
//!   without rebuilding, and nothing can fail to load.
//! - **Dynamic libraries**: a plugin is a `cdylib` exporting two `extern "C"`
//!   functions, loaded with `libloading`. Rust has no stable ABI, so the
//!   contract crosses as a `#[repr(C)]` table of function pointers
//!   (`mastery-plugin-abi`, in `patterns/plugins/abi/`), and the host asks
//!   for the ABI version *before* it reads that table: a plugin built for
//!   another version, a file that is not a library and a library without
//!   the entry point are each a clear [`PluginError`]. A panic inside the
//!   plugin is caught inside the plugin, at the boundary, and comes back as
//!   an error: unwinding out of an `extern "C"` function aborts the process.
//!   The host never unloads a library it loaded (see "What it costs").
//! - **Executables** named `mastery-<name>` on `PATH`, speaking a line
//!   protocol over stdin and stdout — how `cargo`, `git` and `kubectl` find
//!   their subcommands. The plugin can be written in any language, and a
//!   crash or a hang is the plugin's: the host reports that it exited, or
//!   kills it after a timeout, and carries on.
//!
//! ## When to use which
//! - **`inventory`** when the plugins are yours and ship with the program:
//!   registration without a central list to edit, checked by the compiler,
//!   a call as cheap as any function call. A user cannot add one.
//! - **A `cdylib`** when users must add compiled plugins without rebuilding
//!   the host and each call must stay cheap (an editor's language support,
//!   a database extension). The price is the C ABI: only `#[repr(C)]` data
//!   crosses, every function is `unsafe` to call, the plugin must be built
//!   with a compatible ABI crate, a crash in it is a crash of the host, and
//!   it can never be unloaded.
//! - **An executable** when plugins come from anyone, in any language, and
//!   a call is worth a few context switches: the boundary is a pipe, so
//!   nothing about the host's memory is at the plugin's mercy.
//!
//! ## What it costs
//! The demo measures, with paired samples, one call of the same plugin
//! (ROT13 of a short line) through each way: an `inventory` function call,
//! a call through the dynamic library's function table, and a round trip
//! to a plugin process over its pipes.
//!
//! What is not measured: a dynamic library is never unloaded. A Rust
//! `cdylib` cannot be unloaded soundly on Linux — thread-local destructors
//! registered by it keep it mapped, and a thread that outlives `dlclose`
//! can run code that is no longer there — so the loader leaks the
//! `Library` on purpose: a plugin loaded once stays for the life of the
//! process.
//!
//! ## Run it
//! `mastery run patterns/plugin-system` (the three ways, their errors, the
//! cost of a call through each), `mastery plugins [DIR]` (what each way
//! finds, and `--run NAME ARG` to call one), and `cargo test -p
//! mastery-patterns plugin_system` (builds the example plugins in
//! `patterns/plugins/` with cargo first). The code: the core below (the
//! contract and the compile-time registry); `dylib.rs` (the loader: the
//! crate's only `unsafe`), `process.rs` (executables and their line
//! protocol), `discovery.rs` (all three at once, for `mastery plugins`), `example_plugins.rs` (finding and building the
//! examples), `error.rs`, `demo.rs`, `tests.rs`; the plugins themselves and
//! the ABI crate in `patterns/plugins/`.

mod demo;
mod discovery;
mod dylib;
mod error;
pub mod example_plugins;
mod process;
#[cfg(test)]
mod tests;

pub use discovery::{Found, PluginKind, SearchPath, discover, take_plugin};
pub use dylib::{LibraryPlugin, library_files, load_library};
pub use error::PluginError;
pub use process::{
    EXECUTABLE_PREFIX, PROTOCOL_VERSION, ProcessPlugin, executable_files, path_dirs, plugin_name,
    start_executable,
};

use std::fmt;
use std::path::PathBuf;

// ANCHOR: core
/// Where a plugin was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Linked into this program and registered with `inventory`.
    Compiled,
    /// A dynamic library loaded from this file.
    Library(PathBuf),
    /// An executable started from this file.
    Executable(PathBuf),
}

/// What every plugin says about itself, whichever way it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The name a user calls it by (`rot13`).
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The ABI version it speaks; `None` for compiled-in plugins, which
    /// share the host's types and need none.
    pub abi: Option<u32>,
    /// Where it came from.
    pub origin: Origin,
}

/// The contract: a named text transform. One call takes a line and
/// returns a line, or says why it could not.
pub trait Plugin {
    /// Name, version, ABI and origin.
    fn info(&self) -> &PluginInfo;

    /// Runs the plugin on `input`.
    ///
    /// # Errors
    /// [`PluginError`] when the plugin refuses the input, panics, exits,
    /// hangs or answers outside its protocol.
    fn call(&mut self, input: &str) -> Result<String, PluginError>;
}

/// A plugin compiled into the program. Crates register one with
/// `mastery_kit::inventory::submit!`, exactly as topics register a `Topic`.
#[derive(Debug)]
pub struct StaticPlugin {
    /// The name a user calls it by.
    pub name: &'static str,
    /// The plugin's own version.
    pub version: &'static str,
    /// The transform: `Err` carries the plugin's message.
    pub call: fn(&str) -> Result<String, String>,
}

mastery_kit::inventory::collect!(StaticPlugin);

/// Every plugin registered at compile time, sorted by name.
pub fn compiled_plugins() -> Vec<&'static StaticPlugin> {
    let mut plugins: Vec<_> = mastery_kit::inventory::iter::<StaticPlugin>
        .into_iter()
        .collect();
    plugins.sort_by_key(|p| p.name);
    plugins
}

/// A [`StaticPlugin`] behind the [`Plugin`] contract.
#[derive(Debug)]
pub struct CompiledPlugin {
    info: PluginInfo,
    call: fn(&str) -> Result<String, String>,
}

impl From<&'static StaticPlugin> for CompiledPlugin {
    fn from(plugin: &'static StaticPlugin) -> Self {
        CompiledPlugin {
            info: PluginInfo {
                name: plugin.name.to_owned(),
                version: plugin.version.to_owned(),
                abi: None,
                origin: Origin::Compiled,
            },
            call: plugin.call,
        }
    }
}

impl Plugin for CompiledPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn call(&mut self, input: &str) -> Result<String, PluginError> {
        (self.call)(input).map_err(|message| PluginError::Refused {
            plugin: self.info.name.clone(),
            message,
        })
    }
}

/// ROT13, the example plugins' transform: letters turned half the alphabet,
/// everything else kept. The `cdylib` and executable examples in
/// `patterns/plugins/rot13` do the same, so the three ways can be compared.
pub fn rot13(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

mastery_kit::inventory::submit! {
    StaticPlugin { name: "rot13", version: env!("CARGO_PKG_VERSION"), call: |s| Ok(rot13(s)) }
}
// ANCHOR_END: core

mastery_kit::inventory::submit! {
    StaticPlugin {
        name: "word-count",
        version: env!("CARGO_PKG_VERSION"),
        call: |s| Ok(s.split_whitespace().count().to_string()),
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Compiled => f.write_str("compiled in (inventory)"),
            Origin::Library(path) => write!(f, "library {}", path.display()),
            Origin::Executable(path) => write!(f, "executable {}", path.display()),
        }
    }
}
