//! `mastery plugins [DIR]`: the plugins each of the three ways finds —
//! compiled in (`inventory`), libraries (`libloading`, the versioned C ABI)
//! and `mastery-<name>` executables on `PATH` — and `--run NAME INPUT` to
//! call one. The lesson is `patterns/plugin-system`; this file only wires
//! it to the command line.
//!
//! Libraries and executables are looked for in DIR and in the directory of
//! the `mastery` executable (where `cargo build --workspace` puts the
//! example plugins); executables also on `PATH`. A candidate that fails to
//! load is listed with its error and makes the command exit 1.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use mastery_patterns::plugin_system::{
    Found, PluginError, PluginKind, SearchPath, discover, take_plugin,
};
use mastery_tooling::cli_tools::{PluginKindArg, PluginsArgs};

use crate::error::{AppError, EXIT_FAILURE};

/// Carries out `mastery plugins`; `Ok` holds the exit code. `this_binary`
/// is the `mastery` executable, whose directory is searched too.
///
/// # Errors
/// [`AppError::Usage`] for a DIR that is not a directory, a bad timeout or
/// an unknown plugin name; [`AppError::Failure`] when a plugin's call fails
/// or output cannot be written.
pub fn plugins(
    out: &mut impl Write,
    args: &PluginsArgs,
    this_binary: Option<&std::path::Path>,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<u8, AppError> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(AppError::usage(format!(
            "--timeout {}: give seconds between 0 and 3600",
            args.timeout
        )));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = &args.dir {
        if !dir.is_dir() {
            return Err(AppError::usage(format!(
                "{}: not a directory; name a directory holding plugin libraries or mastery-<name> executables",
                dir.display()
            )));
        }
        dirs.push(dir.clone());
    }
    if let Some(own_dir) = this_binary.and_then(std::path::Path::parent) {
        if !dirs.iter().any(|d| same_dir(d, own_dir)) {
            dirs.push(own_dir.to_owned());
        }
    }
    let search = SearchPath::new(&dirs, path_var, Duration::from_secs_f64(args.timeout));
    let found = discover(&search);
    match &args.run {
        Some(run) => {
            let [name, input] = run.as_slice() else {
                return Err(AppError::usage("--run takes NAME and INPUT"));
            };
            call(out, found, name, input, args.kind.map(kind))
        }
        None => list(out, &found),
    }
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn kind(arg: PluginKindArg) -> PluginKind {
    match arg {
        PluginKindArg::Compiled => PluginKind::Compiled,
        PluginKindArg::Library => PluginKind::Library,
        PluginKindArg::Executable => PluginKind::Executable,
    }
}

fn list(out: &mut impl Write, found: &[Found]) -> Result<u8, AppError> {
    writeln!(
        out,
        "{:<11} {:<12} {:<8} {:<4} FROM",
        "KIND", "NAME", "VERSION", "ABI"
    )?;
    let mut failed = 0;
    for candidate in found {
        match &candidate.plugin {
            Ok(plugin) => {
                let info = plugin.info();
                let abi = info.abi.map_or_else(|| "-".to_owned(), |v| v.to_string());
                writeln!(
                    out,
                    "{:<11} {:<12} {:<8} {:<4} {}",
                    candidate.kind.name(),
                    info.name,
                    info.version,
                    abi,
                    candidate.from
                )?;
            }
            Err(_) => failed += 1,
        }
    }
    if failed > 0 {
        writeln!(out, "\nnot loaded ({failed}):")?;
        for candidate in found {
            if let Err(e) = &candidate.plugin {
                writeln!(out, "{:<11} {e}", candidate.kind.name())?;
            }
        }
        return Ok(EXIT_FAILURE);
    }
    Ok(0)
}

fn call(
    out: &mut impl Write,
    found: Vec<Found>,
    name: &str,
    input: &str,
    kind: Option<PluginKind>,
) -> Result<u8, AppError> {
    let mut plugin = take_plugin(found, name, kind).map_err(|e| AppError::usage(e.to_string()))?;
    match plugin.call(input) {
        Ok(answer) => {
            writeln!(out, "{answer}")?;
            Ok(0)
        }
        Err(e @ PluginError::BadInput { .. }) => Err(AppError::usage(e.to_string())),
        Err(e) => Err(AppError::failure(e)),
    }
}
