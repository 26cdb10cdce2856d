//! The host side of the dynamic-library boundary: the only `unsafe` in
//! this crate. [`load_library`] opens a file with `libloading`, asks its
//! ABI version first (the handshake), and only then reads its
//! `#[repr(C)]` table; [`LibraryPlugin::call`] crosses into the plugin and
//! copies its answer out before handing the bytes back to the plugin's own
//! `free`.
//!
//! A loaded library is never unloaded: the `Library` is leaked on purpose,
//! which also makes every pointer the plugin handed out valid for the rest
//! of the process (a Rust `cdylib` cannot be unloaded soundly — its
//! thread-local destructors keep it mapped, and a thread still running its
//! code after `dlclose` would crash).

#![allow(unsafe_code)]

use std::ffi::{CStr, c_char};
use std::path::{Path, PathBuf};

use libloading::Library;
use mastery_plugin_abi::{
    ABI_VERSION, AbiVersionFn, ENTRY_SYMBOL, EntryFn, Output, PluginV1, STATUS_OK, STATUS_PANICKED,
    STATUS_REFUSED, VERSION_SYMBOL,
};

use super::{Origin, Plugin, PluginError, PluginInfo};

/// A plugin loaded from a dynamic library.
#[derive(Debug)]
pub struct LibraryPlugin {
    info: PluginInfo,
    table: &'static PluginV1,
}

/// Loads the plugin library at `path`: open it, check its ABI version,
/// read its table. Loading runs the library's initialisers, so load only
/// files you trust, as you would run them.
///
/// # Errors
/// [`PluginError::NotALibrary`] for a file the loader cannot open,
/// [`PluginError::MissingSymbol`] for a library that is not a plugin,
/// [`PluginError::AbiMismatch`] for a plugin of another ABI version and
/// [`PluginError::Contract`] for a table that breaks the contract.
pub fn load_library(path: &Path) -> Result<LibraryPlugin, PluginError> {
    // SAFETY: opening a library runs its initialisers (ELF constructors,
    // DllMain), which may do anything; that is the trust a plugin host
    // extends to a plugin file it was pointed at. Nothing else is assumed.
    let library = unsafe { Library::new(path) }.map_err(|e| PluginError::NotALibrary {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    // Never unloaded (see the module doc): the symbols below stay valid.
    let library: &'static Library = Box::leak(Box::new(library));

    // ANCHOR: abi_check
    // SAFETY: every mastery plugin exports VERSION_SYMBOL with exactly the
    // AbiVersionFn signature, in every ABI version: it is the one thing
    // that never changes. A library exporting another thing under this
    // name is not one we can guard against — no loader can.
    let abi_version =
        unsafe { library.get::<AbiVersionFn>(VERSION_SYMBOL.as_bytes()) }.map_err(|_| {
            PluginError::MissingSymbol {
                path: path.to_owned(),
                symbol: VERSION_SYMBOL,
            }
        })?;
    // SAFETY: the handshake function takes nothing and returns a u32.
    let found = unsafe { abi_version() };
    if found != ABI_VERSION {
        return Err(PluginError::AbiMismatch {
            path: path.to_owned(),
            found,
            expected: ABI_VERSION,
        });
    }
    // ANCHOR_END: abi_check

    // SAFETY: a plugin of ABI version 1 exports ENTRY_SYMBOL as an EntryFn.
    let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL.as_bytes()) }.map_err(|_| {
        PluginError::MissingSymbol {
            path: path.to_owned(),
            symbol: ENTRY_SYMBOL,
        }
    })?;
    // SAFETY: the entry function takes nothing and returns a pointer to a
    // table in the library's static memory, or null.
    let table = unsafe { entry() };
    // SAFETY: a non-null pointer from a version-1 plugin points to a
    // PluginV1 that lives as long as the library, which is never unloaded.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return Err(contract(path, "its entry point returned a null table"));
    };
    let name = c_text(table.name, path, "name")?;
    let version = c_text(table.version, path, "version")?;
    Ok(LibraryPlugin {
        info: PluginInfo {
            name,
            version,
            abi: Some(found),
            origin: Origin::Library(path.to_owned()),
        },
        table,
    })
}

fn contract(path: &Path, problem: impl Into<String>) -> PluginError {
    PluginError::Contract {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

/// Copies a NUL-terminated string out of the plugin's table.
fn c_text(text: *const c_char, path: &Path, what: &str) -> Result<String, PluginError> {
    if text.is_null() {
        return Err(contract(path, format!("its {what} is a null pointer")));
    }
    // SAFETY: the ABI promises a NUL-terminated string valid for the life
    // of the library (forever: it is never unloaded); null was ruled out.
    let text = unsafe { CStr::from_ptr(text) };
    text.to_str()
        .map(str::to_owned)
        .map_err(|_| contract(path, format!("its {what} is not UTF-8")))
}

impl LibraryPlugin {
    fn path(&self) -> PathBuf {
        match &self.info.origin {
            Origin::Library(path) => path.clone(),
            Origin::Compiled | Origin::Executable(_) => PathBuf::new(),
        }
    }
}

impl Plugin for LibraryPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn call(&mut self, input: &str) -> Result<String, PluginError> {
        let mut out = Output::empty();
        // SAFETY: `call` comes from a table that passed the handshake; the
        // ABI asks for `len` readable bytes at `input` (a live &str) and a
        // writable Output (a local). A panic inside is caught by the
        // plugin's own guard (export_plugin!), so nothing unwinds here.
        let status = unsafe { (self.table.call)(input.as_ptr(), input.len(), &mut out) };
        let answer = if out.ptr.is_null() {
            String::new()
        } else {
            // SAFETY: the plugin filled `out` with `len` bytes it owns;
            // they are copied before being handed back below.
            let bytes = unsafe { std::slice::from_raw_parts(out.ptr, out.len) };
            String::from_utf8_lossy(bytes).into_owned()
        };
        // SAFETY: `out` was filled by this plugin's `call` and is returned
        // to its `free` once, after the copy above.
        unsafe { (self.table.free)(out) };
        let plugin = self.info.name.clone();
        match status {
            STATUS_OK => Ok(answer),
            STATUS_REFUSED => Err(PluginError::Refused {
                plugin,
                message: answer,
            }),
            STATUS_PANICKED => Err(PluginError::Panicked {
                plugin,
                message: answer,
            }),
            other => Err(contract(&self.path(), format!("unknown status {other}"))),
        }
    }
}

/// The files in `dir` named like a plugin library on this platform
/// (`libmastery_plugin_*.so`, `libmastery_plugin_*.dylib`,
/// `mastery_plugin_*.dll`), sorted. The name is the convention, as
/// `mastery-<name>` is for executables: loading a library runs its
/// initialisers, so discovery opens only files that claim to be plugins,
/// never every library that happens to sit in the directory.
///
/// # Errors
/// The directory cannot be read.
pub fn library_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let suffix = std::env::consts::DLL_SUFFIX;
    let prefix = format!("{}mastery_plugin_", std::env::consts::DLL_PREFIX);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_type()
                .is_ok_and(|t| t.is_file() || t.is_symlink())
        })
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(suffix))
        })
        .collect();
    files.sort();
    Ok(files)
}
