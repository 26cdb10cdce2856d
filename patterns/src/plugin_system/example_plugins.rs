//! Where the example plugins of `patterns/plugins/` are, and building them
//! with cargo when they are not: the tests, the demo and `mastery plugins`
//! share this. Nothing prebuilt is kept in the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The good example plugin's crate.
pub const ROT13_CRATE: &str = "mastery-plugin-rot13";
/// A plugin built for ABI version 99.
pub const FUTURE_ABI_CRATE: &str = "mastery-plugin-future-abi";
/// A library without the entry point.
pub const NO_ENTRY_CRATE: &str = "mastery-plugin-no-entry";
/// Every example plugin crate.
pub const ALL_CRATES: [&str; 3] = [ROT13_CRATE, FUTURE_ABI_CRATE, NO_ENTRY_CRATE];

/// The file cargo writes for the `cdylib` of `crate_name` in `dir`
/// (`libmastery_plugin_rot13.so` on Linux).
pub fn library_file(dir: &Path, crate_name: &str) -> PathBuf {
    dir.join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        crate_name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ))
}

/// The `mastery-rot13` executable in `dir`.
pub fn rot13_executable(dir: &Path) -> PathBuf {
    dir.join(format!("mastery-rot13{}", std::env::consts::EXE_SUFFIX))
}

/// The cargo profile directory this program runs from: the directory of
/// the running executable (`target/release` for `mastery`), or its parent
/// when that is `deps/` (a test binary). Cargo puts the example plugins
/// there when it builds them for the same profile.
pub fn profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().map(Path::to_owned)
    } else {
        Some(dir.to_owned())
    }
}

/// Whether `profile_dir` is a profile directory of a cargo target
/// directory whose workspace sources are still here: only then can the
/// examples be built into it.
pub fn can_build_into(profile_dir: &Path) -> bool {
    let is_target = profile_dir
        .parent()
        .is_some_and(|t| t.join("CACHEDIR.TAG").exists() || t.join(".rustc_info.json").exists());
    is_target && workspace_manifest().exists()
}

fn workspace_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")
}

/// A command as one would type it: `cargo build -p …`.
pub fn shown(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command that builds `crates` into `profile_dir` (the target
/// directory is its parent; `debug` is the `dev` profile).
pub fn build_command(profile_dir: &Path, crates: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    command
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace_manifest())
        .arg("--profile")
        .arg(profile);
    if let Some(target) = profile_dir.parent() {
        command.arg("--target-dir").arg(target);
    }
    for name in crates {
        command.arg("-p").arg(name);
    }
    command
}

/// Builds `crates` with cargo into [`profile_dir`] and returns that
/// directory.
///
/// # Errors
/// A message naming the command when there is no profile directory, cargo
/// cannot start or the build fails.
pub fn build(crates: &[&str]) -> Result<PathBuf, String> {
    let dir = profile_dir().ok_or("cannot tell where this program runs from")?;
    let mut command = build_command(&dir, crates);
    let shown = shown(&command);
    if !can_build_into(&dir) {
        return Err(format!(
            "{} is not a cargo target directory of this workspace; run mastery from target/<profile> after `cargo build --workspace`",
            dir.display()
        ));
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(dir)
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
