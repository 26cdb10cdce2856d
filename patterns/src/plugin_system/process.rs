//! Plugins as executables: `mastery-<name>` files found on `PATH` (and in
//! a directory you name), the way `cargo foo` runs `cargo-foo` and `git
//! foo` runs `git-foo`. The host and the plugin speak lines over the
//! plugin's stdin and stdout:
//!
//! ```text
//! plugin → mastery-plugin 1 rot13 0.1.0     (handshake: ABI, name, version)
//! host   → call Hello                        (one request per line)
//! plugin → ok Uryyb                          (or: err <message>)
//! ```
//!
//! A plugin that exits is reported with its exit status; one that does not
//! answer within the timeout is killed. Either way the host carries on: the
//! process boundary is what isolates it.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use super::{Origin, Plugin, PluginError, PluginInfo};

/// The prefix every executable plugin's file name starts with.
pub const EXECUTABLE_PREFIX: &str = "mastery-";
/// The line protocol's version, the first word after `mastery-plugin`.
pub const PROTOCOL_VERSION: u32 = 1;

/// A running executable plugin.
#[derive(Debug)]
pub struct ProcessPlugin {
    info: PluginInfo,
    path: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    timeout: Duration,
}

/// Starts the executable at `path` and reads its handshake, waiting at
/// most `timeout` for each answer.
///
/// # Errors
/// [`PluginError::Spawn`] when it cannot start, [`PluginError::Exited`] or
/// [`PluginError::Timeout`] when no handshake comes,
/// [`PluginError::Contract`] for a malformed one and
/// [`PluginError::AbiMismatch`] for another protocol version.
pub fn start_executable(path: &Path, timeout: Duration) -> Result<ProcessPlugin, PluginError> {
    let mut child = Command::new(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| PluginError::Spawn {
            path: path.to_owned(),
            source,
        })?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().ok_or_else(|| PluginError::Contract {
        path: path.to_owned(),
        problem: "no stdout pipe".to_owned(),
    })?;
    // A thread reads the plugin's lines, so the host can wait with a
    // timeout; it ends when the plugin closes its stdout.
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut plugin = ProcessPlugin {
        info: PluginInfo {
            name: String::new(),
            version: String::new(),
            abi: None,
            origin: Origin::Executable(path.to_owned()),
        },
        path: path.to_owned(),
        child,
        stdin,
        lines,
        timeout,
    };
    let handshake = plugin.read_line()?;
    let (abi, name, version) = parse_handshake(&handshake).ok_or_else(|| {
        plugin.contract(format!(
            "expected the handshake `mastery-plugin {PROTOCOL_VERSION} NAME VERSION`, got {handshake:?}"
        ))
    })?;
    if abi != PROTOCOL_VERSION {
        return Err(PluginError::AbiMismatch {
            path: path.to_owned(),
            found: abi,
            expected: PROTOCOL_VERSION,
        });
    }
    plugin.info.name = name.to_owned();
    plugin.info.version = version.to_owned();
    plugin.info.abi = Some(abi);
    Ok(plugin)
}

/// `mastery-plugin <abi> <name> <version>` → its three parts.
fn parse_handshake(line: &str) -> Option<(u32, &str, &str)> {
    let mut words = line.split_whitespace();
    if words.next()? != "mastery-plugin" {
        return None;
    }
    let abi = words.next()?.parse().ok()?;
    let name = words.next()?;
    let version = words.next()?;
    words.next().is_none().then_some((abi, name, version))
}

impl ProcessPlugin {
    fn contract(&self, problem: String) -> PluginError {
        PluginError::Contract {
            path: self.path.clone(),
            problem,
        }
    }

    // ANCHOR: read_line_timeout
    /// The next line from the plugin, or why there is none.
    fn read_line(&mut self) -> Result<String, PluginError> {
        match self.lines.recv_timeout(self.timeout) {
            Ok(Ok(line)) => Ok(line),
            Ok(Err(e)) => Err(self.contract(format!("unreadable output: {e}"))),
            Err(RecvTimeoutError::Timeout) => {
                self.stop();
                Err(PluginError::Timeout {
                    path: self.path.clone(),
                    timeout: self.timeout,
                })
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.exited()),
        }
    }
    // ANCHOR_END: read_line_timeout

    /// The plugin closed its output: wait for it and say how it ended.
    fn exited(&mut self) -> PluginError {
        self.stdin = None;
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => format!("status unknown: {e}"),
        };
        PluginError::Exited {
            path: self.path.clone(),
            status,
        }
    }

    fn stop(&mut self) {
        self.stdin = None;
        // Already gone is fine: kill only fails for a reaped child.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Plugin for ProcessPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn call(&mut self, input: &str) -> Result<String, PluginError> {
        if input.contains(['\n', '\r']) {
            return Err(PluginError::BadInput {
                plugin: self.info.name.clone(),
                problem: "an executable plugin takes one line: the input holds a line break"
                    .to_owned(),
            });
        }
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.exited());
        };
        let sent = writeln!(stdin, "call {input}").and_then(|()| stdin.flush());
        if sent.is_err() {
            // A closed pipe: the plugin is gone; say how it ended.
            return Err(self.exited());
        }
        let line = self.read_line()?;
        if line == "ok" {
            return Ok(String::new());
        }
        if let Some(answer) = line.strip_prefix("ok ") {
            return Ok(answer.to_owned());
        }
        if let Some(message) = line.strip_prefix("err ") {
            return Err(PluginError::Refused {
                plugin: self.info.name.clone(),
                message: message.to_owned(),
            });
        }
        Err(self.contract(format!("expected `ok …` or `err …`, got {line:?}")))
    }
}

impl Drop for ProcessPlugin {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The executables named `mastery-<name>` in `dirs`, in order; for a name
/// found twice the first wins, as a shell's `PATH` lookup does. A file
/// counts when it is executable (any execute bit on Unix).
pub fn executable_files<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut here: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| plugin_name(path).is_some() && is_executable(path))
            .collect();
        here.sort();
        for path in here {
            if let Some(name) = plugin_name(&path) {
                if seen.insert(name.to_owned()) {
                    found.push(path);
                }
            }
        }
    }
    found
}

/// The directories of a `PATH`-style value (`std::env::var_os("PATH")`,
/// injected so tests need not change the environment).
pub fn path_dirs(path: Option<&OsStr>) -> Vec<PathBuf> {
    path.map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default()
}

/// `mastery-rot13` → `rot13`.
pub fn plugin_name(path: &Path) -> Option<&str> {
    let stem = path.file_name()?.to_str()?;
    let stem = stem
        .strip_suffix(std::env::consts::EXE_SUFFIX)
        .filter(|_| !std::env::consts::EXE_SUFFIX.is_empty())
        .unwrap_or(stem);
    stem.strip_prefix(EXECUTABLE_PREFIX)
        .filter(|n| !n.is_empty() && !n.contains('.'))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && path.extension().is_some_and(|e| e == "exe")
}
