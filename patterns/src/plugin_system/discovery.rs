//! All three ways at once: what `mastery plugins [DIR]` lists and runs.
//! Compiled-in plugins first, then libraries, then executables; a
//! candidate that fails to load is kept, with its error, so the listing
//! shows it instead of hiding it.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    CompiledPlugin, Plugin, PluginError, compiled_plugins, executable_files, library_files,
    load_library, path_dirs, start_executable,
};

/// The three ways a plugin is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginKind {
    /// Registered at compile time with `inventory`.
    Compiled,
    /// A `cdylib` loaded with `libloading`.
    Library,
    /// A `mastery-<name>` executable speaking the line protocol.
    Executable,
}

impl PluginKind {
    /// The word used in listings and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PluginKind::Compiled => "compiled",
            PluginKind::Library => "library",
            PluginKind::Executable => "executable",
        }
    }
}

/// One candidate: a plugin that loaded, or why it did not.
pub struct Found {
    /// Which way found it.
    pub kind: PluginKind,
    /// Where it was found (`inventory`, or the file).
    pub from: String,
    /// The live plugin, or the error loading it.
    pub plugin: Result<Box<dyn Plugin>, PluginError>,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("kind", &self.kind)
            .field("from", &self.from)
            .field("plugin", &self.plugin.as_ref().map(|p| p.info().clone()))
            .finish()
    }
}

/// Where to look: the directories searched for libraries, those searched
/// for executables (in order; the first of a name wins), and how long an
/// executable may take to answer.
#[derive(Debug, Clone)]
pub struct SearchPath {
    /// Directories searched for plugin libraries.
    pub library_dirs: Vec<PathBuf>,
    /// Directories searched for `mastery-<name>` executables.
    pub executable_dirs: Vec<PathBuf>,
    /// How long an executable may take for its handshake and each answer.
    pub timeout: Duration,
}

impl SearchPath {
    /// `dirs` (the command's DIR, the `mastery` executable's directory …)
    /// for both kinds, then the `PATH` value for executables.
    pub fn new(dirs: &[PathBuf], path_var: Option<&OsStr>, timeout: Duration) -> Self {
        let mut executable_dirs = dirs.to_vec();
        executable_dirs.extend(path_dirs(path_var));
        SearchPath {
            library_dirs: dirs.to_vec(),
            executable_dirs,
            timeout,
        }
    }
}

/// Every plugin the three ways find, loaded (executables started).
pub fn discover(search: &SearchPath) -> Vec<Found> {
    let mut found: Vec<Found> = compiled_plugins()
        .into_iter()
        .map(|p| Found {
            kind: PluginKind::Compiled,
            from: "inventory (compiled in)".to_owned(),
            plugin: Ok(Box::new(CompiledPlugin::from(p))),
        })
        .collect();
    for dir in &search.library_dirs {
        for path in library_files(dir).unwrap_or_default() {
            found.push(Found {
                kind: PluginKind::Library,
                from: path.display().to_string(),
                plugin: load_library(&path).map(|p| Box::new(p) as Box<dyn Plugin>),
            });
        }
    }
    for path in executable_files(search.executable_dirs.iter().map(PathBuf::as_path)) {
        found.push(Found {
            kind: PluginKind::Executable,
            from: path.display().to_string(),
            plugin: start_executable(&path, search.timeout).map(|p| Box::new(p) as Box<dyn Plugin>),
        });
    }
    found
}

/// The first loaded plugin called `name` (of `kind`, when given), taken
/// out of `found`.
///
/// # Errors
/// [`PluginError::NotFound`] listing the names that were found.
pub fn take_plugin(
    found: Vec<Found>,
    name: &str,
    kind: Option<PluginKind>,
) -> Result<Box<dyn Plugin>, PluginError> {
    let mut known = Vec::new();
    for candidate in found {
        let Ok(plugin) = candidate.plugin else {
            continue;
        };
        if plugin.info().name == name && kind.is_none_or(|k| k == candidate.kind) {
            return Ok(plugin);
        }
        let label = format!("{} ({})", plugin.info().name, candidate.kind.name());
        known.push(label);
    }
    Err(PluginError::NotFound {
        name: name.to_owned(),
        known,
    })
}
