//! Running one attempt of a task: a shell command under a timeout with its
//! environment and a log file, or a built-in.
//!
//! A command's output goes to a log file, not a pipe: a pipe must be read
//! while the child runs (or the child blocks when it fills), and a
//! grandchild that outlives a killed `sh` would hold it open. The command
//! runs in a process group of its own so that a timeout kills the whole
//! group — `sh -c "sleep 60"` leaves no `sleep` behind.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::spec::{Action, Builtin, TaskSpec};

/// What an attempt needs beyond the task.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The directory commands run in.
    pub base_dir: &'a Path,
    /// Variables every command gets (under the task's own `env`).
    pub env: &'a BTreeMap<String, String>,
    /// Where the command's stdout and stderr go (appended).
    pub log: Option<&'a Path>,
    /// This attempt's number, from 1.
    pub number: u32,
}

/// Runs one attempt of `task`.
///
/// # Errors
/// What failed, in a sentence: the exit status, the signal, the timeout,
/// or why the command could not start.
pub fn run_attempt(task: &TaskSpec, attempt: Attempt<'_>) -> Result<(), String> {
    match &task.action {
        Action::Builtin(b) => run_builtin(*b, task.timeout, attempt.number),
        Action::Shell(command) => run_shell(task, command, attempt),
    }
}

fn run_builtin(builtin: Builtin, timeout: Option<Duration>, attempt: u32) -> Result<(), String> {
    match builtin {
        Builtin::Noop => Ok(()),
        Builtin::Fail => Err("the builtin `fail` always fails".into()),
        Builtin::Flaky(n) if attempt <= n => Err(format!(
            "the builtin `flaky {n}` fails its first {n} attempt(s); this was attempt {attempt}"
        )),
        Builtin::Flaky(_) => Ok(()),
        Builtin::Sleep(d) => match timeout {
            Some(limit) if limit < d => {
                std::thread::sleep(limit);
                Err(format!("timed out after {}", show(limit)))
            }
            _ => {
                std::thread::sleep(d);
                Ok(())
            }
        },
    }
}

fn run_shell(task: &TaskSpec, command: &str, attempt: Attempt<'_>) -> Result<(), String> {
    let (stdout, stderr) = match attempt.log {
        Some(path) => {
            let log = open_log(path, attempt.number, command)
                .map_err(|e| format!("cannot write the log {}: {e}", path.display()))?;
            let copy = log
                .try_clone()
                .map_err(|e| format!("cannot share the log {}: {e}", path.display()))?;
            (Stdio::from(log), Stdio::from(copy))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(attempt.base_dir)
        .envs(attempt.env)
        .envs(&task.env)
        .env("DAG_TASK", &task.id)
        .env("DAG_ATTEMPT", attempt.number.to_string())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start `sh -c {command:?}`: {e}"))?;
    let status = match task.timeout {
        None => child.wait().map_err(|e| format!("lost the command: {e}"))?,
        Some(limit) => match wait_at_most(&mut child, limit)? {
            Some(status) => status,
            None => {
                kill_group(&mut child);
                return Err(format!("timed out after {}", show(limit)));
            }
        },
    };
    if status.success() {
        return Ok(());
    }
    let log = attempt
        .log
        .map(|p| format!(" (output in {})", p.display()))
        .unwrap_or_default();
    Err(match status.code() {
        Some(code) => format!("exited with status {code}{log}"),
        None => format!("was killed by a signal{log}"),
    })
}

fn open_log(path: &Path, attempt: u32, command: &str) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut log = OpenOptions::new()
        .create(true)
        .write(true)
        .append(attempt > 1)
        .truncate(attempt == 1)
        .open(path)?;
    writeln!(log, "--- attempt {attempt}: sh -c {command:?}")?;
    Ok(log)
}

/// Waits for `child` up to `limit`; `None` when it is still running.
/// std has no wait-with-timeout, so this polls, sleeping 1 ms at first and
/// doubling up to 20 ms: a quick command is noticed quickly, a long one
/// costs a few wake-ups a second.
fn wait_at_most(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>, String> {
    let deadline = Instant::now() + limit;
    let mut nap = Duration::from_millis(1);
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("lost the command: {e}"))?
        {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(nap.min(deadline - now));
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// Kills the command's process group (the `sh` and whatever it started),
/// then reaps the `sh`. `kill(1)` does the group kill, which std cannot
/// without `unsafe` libc calls; the direct kill is the fallback.
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// A duration for a message: `250ms`, `1.5s`.
pub fn show(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
