//! Python as a rung: a child interpreter that times the reader's own idiom
//! on the same workload, one call per request, so its samples take turns
//! with ours in the same rounds.
//!
//! The protocol is one JSON object per line each way. The script prints
//! `{"ready": "<python version>"}` once it has imported what it needs; then,
//! for every request the demo writes, it runs the call, timing it **itself**
//! with `time.perf_counter_ns()` around the work only (the pipe's latency
//! and the JSON are not in the figure), and answers
//! `{"ns_per_op": <f64>, "check": <u64>}` — `check` being a count the demo
//! compares with its own (hits, records, a total), so a Python rung that
//! did other work than ours is an error, not a timing. A call that raised
//! answers `{"error": "<message>"}` and the child keeps serving.
//!
//! The script is passed with `-S -c` (no `site`: stdlib only, and a faster
//! start), so a topic keeps it next to its demo and `include_str!`s it. The
//! kit knows no script; [`skip_or_fail`] is the one rule every topic
//! follows when there is no usable interpreter: one skip line, or an error
//! when the reader set `require_python`.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::narrator::Narrator;
use crate::settings::Settings;

/// Why the Python side cannot run or stopped answering.
#[derive(Debug, thiserror::Error)]
pub enum ServedError {
    /// The interpreter could not be started (not installed, not executable).
    #[error("`{python}` cannot be started: {source}")]
    Spawn {
        /// The interpreter that was tried.
        python: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The interpreter started but never said `ready`: not a Python 3, or
    /// the script failed at import.
    #[error("`{python}` could not run the script: {detail}")]
    NotReady {
        /// The interpreter.
        python: PathBuf,
        /// What it printed instead (its last line of stderr when it died).
        detail: String,
    },
    /// The child exited or its pipe broke in the middle of the run.
    #[error("the Python side under `{python}` stopped: {detail}")]
    Stopped {
        /// The interpreter.
        python: PathBuf,
        /// The I/O error, its exit status and last line of stderr.
        detail: String,
    },
    /// A line that is not the protocol's JSON.
    #[error("the Python side under `{python}` answered {line:?}, not a reply: {why}")]
    BadReply {
        /// The interpreter.
        python: PathBuf,
        /// The line it printed.
        line: String,
        /// Why it does not parse.
        why: String,
    },
    /// The call raised in Python; the child is still serving.
    #[error("the Python side failed on {request}: {message}")]
    Failed {
        /// The request, as sent.
        request: String,
        /// The exception, as Python printed it.
        message: String,
    },
}

/// What one timed call answers.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Reply {
    /// Nanoseconds per operation, measured inside the interpreter.
    pub ns_per_op: f64,
    /// The call's count (hits, records …) for the demo to check.
    pub check: u64,
}

/// A child interpreter serving timed calls (see the [module docs](self)).
/// Dropping it closes the child's stdin, which ends its loop; the child is
/// then killed and reaped, so it never outlives the demo.
#[derive(Debug)]
pub struct Served {
    child: Child,
    requests: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
    python: PathBuf,
    version: String,
    /// Requests sent and not yet answered, oldest first.
    pending: VecDeque<String>,
}

/// A line from the child: the ready line, a reply, or a failed call.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Ready { ready: String },
    Reply(Reply),
    Error { error: String },
}

impl Served {
    /// Starts `script` under `python -S -c` with `args`, without waiting for
    /// it: the interpreter's start-up can overlap the demo's own warm-up;
    /// [`Served::ready`] waits for it.
    ///
    /// # Errors
    /// [`ServedError::Spawn`] when the interpreter cannot be started.
    pub fn spawn(python: &Path, script: &str, args: &[&str]) -> Result<Served, ServedError> {
        let mut child = Command::new(python)
            .args(["-S", "-c", script])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ServedError::Spawn {
                python: python.to_path_buf(),
                source,
            })?;
        let requests = child.stdin.take();
        let replies = BufReader::new(child.stdout.take().expect("stdout was piped"));
        Ok(Served {
            child,
            requests,
            replies,
            python: python.to_path_buf(),
            version: String::new(),
            pending: VecDeque::new(),
        })
    }

    /// Waits for the script's ready line.
    ///
    /// # Errors
    /// [`ServedError::NotReady`] when the first line is anything else or
    /// the child died first (with its last line of stderr).
    pub fn ready(mut self) -> Result<Served, ServedError> {
        let detail = match self.line() {
            Ok(Some(Line::Ready { ready })) => {
                self.version = ready;
                return Ok(self);
            }
            Ok(Some(_)) => "its first line was a reply, not the ready line".to_owned(),
            // It died, or printed something else (an error message).
            Ok(None) | Err(_) => self.last_words(),
        };
        Err(ServedError::NotReady {
            python: self.python.clone(),
            detail,
        })
    }

    /// The interpreter's version, as its ready line gave it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// One timed call: writes `request` as a JSON line and reads the reply.
    ///
    /// # Errors
    /// [`ServedError::Failed`] when the call raised in Python (the child
    /// keeps serving), [`ServedError::Stopped`] when the child is gone,
    /// [`ServedError::BadReply`] for a line outside the protocol.
    pub fn call(&mut self, request: &impl Serialize) -> Result<Reply, ServedError> {
        self.send(request)?;
        self.receive()
    }

    /// Sends `request` without waiting for its reply, so the child works on
    /// it while the demo does something else (an untimed warm-up on the
    /// other core); [`Served::receive`] reads the replies in the order the
    /// requests were sent.
    ///
    /// # Errors
    /// [`ServedError::Stopped`] when the child is gone.
    pub fn send(&mut self, request: &impl Serialize) -> Result<(), ServedError> {
        let request = serde_json::to_string(request).map_err(|e| ServedError::Failed {
            request: "a request".into(),
            message: format!("it does not serialize: {e}"),
        })?;
        let sent = match self.requests.as_mut() {
            Some(pipe) => writeln!(pipe, "{request}").and_then(|()| pipe.flush()),
            None => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        };
        if let Err(e) = sent {
            return Err(self.stopped(&format!("cannot send {request}: {e}")));
        }
        self.pending.push_back(request);
        Ok(())
    }

    /// The reply to the oldest request sent and not yet answered.
    ///
    /// # Errors
    /// As [`Served::call`]; also when no request is waiting for a reply.
    pub fn receive(&mut self) -> Result<Reply, ServedError> {
        let Some(request) = self.pending.pop_front() else {
            return Err(ServedError::Failed {
                request: "nothing".into(),
                message: "no request is waiting for a reply".into(),
            });
        };
        match self.line() {
            Ok(Some(Line::Reply(reply))) => Ok(reply),
            Ok(Some(Line::Error { error })) => Err(ServedError::Failed {
                request,
                message: error,
            }),
            Ok(Some(Line::Ready { .. }) | None) => {
                Err(self.stopped(&format!("no reply to {request}")))
            }
            Err(e) => Err(e),
        }
    }

    /// The next line as protocol JSON; `None` at end of output.
    fn line(&mut self) -> Result<Option<Line>, ServedError> {
        let mut line = String::new();
        match self.replies.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => serde_json::from_str(line.trim_end())
                .map(Some)
                .map_err(|e| ServedError::BadReply {
                    python: self.python.clone(),
                    line: line.trim_end().to_owned(),
                    why: e.to_string(),
                }),
            Err(e) => Err(self.stopped(&format!("cannot read its reply: {e}"))),
        }
    }

    fn stopped(&mut self, what: &str) -> ServedError {
        let words = self.last_words();
        ServedError::Stopped {
            python: self.python.clone(),
            detail: format!("{what}; {words}"),
        }
    }

    /// Closes the child's stdin, waits for it, and says how it ended: its
    /// exit status and last line of stderr (a traceback's last line names
    /// the exception).
    fn last_words(&mut self) -> String {
        drop(self.requests.take());
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = self
            .child
            .wait()
            .map_or_else(|e| format!("unknown exit ({e})"), |s| s.to_string());
        match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{status}: {}", last.trim()),
            None => status,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        drop(self.requests.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The interpreter a demo times: the `python` setting when the reader gave
/// one, else `python3` on `PATH`.
pub fn interpreter(settings: &Settings) -> PathBuf {
    settings
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The rule for a Python side that cannot run: with `require_python` set,
/// an error naming `what` and why; otherwise one skip line and `None`, so
/// the demo goes on with its Rust rungs. `started` is one [`Served`], or
/// whatever the demo started (several, side by side).
///
/// # Errors
/// When `require_python` is set and `started` is an error.
pub fn skip_or_fail<T>(
    n: &mut Narrator,
    what: &str,
    started: Result<T, ServedError>,
) -> anyhow::Result<Option<T>> {
    match started {
        Ok(served) => Ok(Some(served)),
        Err(why) => {
            anyhow::ensure!(
                !n.settings().require_python,
                "require_python is set but {what} cannot run: {why}"
            );
            n.say(&format!(
                "Skipped {what}: {why}. Install Python 3 (or set `python` in mastery.toml) to \
                 time it."
            ));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script that doubles `n` as its check and raises on a negative one.
    const ECHO: &str = r#"
import json, sys, time
print(json.dumps({"ready": sys.version.split()[0]}), flush=True)
for line in sys.stdin:
    try:
        n = json.loads(line)["n"]
        if n < 0:
            raise ValueError(f"negative n: {n}")
        start = time.perf_counter_ns()
        check = n * 2
        ns = time.perf_counter_ns() - start
        print(json.dumps({"ns_per_op": ns / max(n, 1), "check": check}), flush=True)
    except Exception as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
"#;

    fn python3() -> Option<Served> {
        Served::spawn(Path::new("python3"), ECHO, &[])
            .and_then(Served::ready)
            .ok()
    }

    #[test]
    fn calls_are_answered_and_a_raising_call_keeps_the_child_serving() {
        let Some(mut served) = python3() else {
            eprintln!("no python3: the protocol test is skipped");
            return;
        };
        assert!(served.version().starts_with('3'), "{}", served.version());
        let reply = served
            .call(&serde_json::json!({"n": 21}))
            .expect("a good call");
        assert_eq!(reply.check, 42);
        assert!(reply.ns_per_op >= 0.0);
        let err = served
            .call(&serde_json::json!({"n": -1}))
            .expect_err("it raises");
        assert!(
            err.to_string().contains("ValueError: negative n: -1"),
            "{err}"
        );
        let again = served.call(&serde_json::json!({"n": 1})).expect("serving");
        assert_eq!(again.check, 2);
        // Sent ahead, answered in order.
        for n in [3, -4, 5] {
            served.send(&serde_json::json!({ "n": n })).expect("sent");
        }
        assert_eq!(served.receive().expect("3").check, 6);
        assert!(served.receive().is_err(), "-4 raises");
        assert_eq!(served.receive().expect("5").check, 10);
        assert!(served.receive().is_err(), "nothing is waiting");
    }

    #[test]
    fn a_missing_interpreter_or_a_dying_script_is_a_clear_error() {
        let err =
            Served::spawn(Path::new("/no/such/python3"), ECHO, &[]).expect_err("no such file");
        assert!(err.to_string().contains("/no/such/python3"), "{err}");
        let Some(_) = python3() else {
            return;
        };
        let dies = "import sys\nraise SystemExit('no graphlib here')";
        let err = Served::spawn(Path::new("python3"), dies, &[])
            .and_then(Served::ready)
            .expect_err("it exits before ready");
        assert!(err.to_string().contains("no graphlib here"), "{err}");
    }

    #[test]
    fn without_python_a_demo_skips_unless_python_is_required() {
        let missing = || Served::spawn(Path::new("/no/such/python3"), ECHO, &[]);
        let mut n = Narrator::silent("area/topic", crate::Mode::Quick);
        assert!(
            skip_or_fail(&mut n, "the Python rung", missing())
                .expect("skipped")
                .is_none()
        );
        let required = Settings {
            require_python: true,
            ..Settings::default()
        };
        let mut n = Narrator::silent("area/topic", crate::Mode::Quick).with_settings(required);
        let err = skip_or_fail(&mut n, "the Python rung", missing()).expect_err("required");
        assert!(err.to_string().contains("require_python"), "{err}");
    }
}
