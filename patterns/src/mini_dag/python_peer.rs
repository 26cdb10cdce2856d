//! The Python side of the scheduling timings: `graphlib_runner.py` in a
//! child interpreter, asked for one timed run at a time so that its rounds
//! pair with ours.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::shapes::Shape;

/// The runner script, passed to the interpreter with `-c`.
pub const SCRIPT: &str = include_str!("graphlib_runner.py");

/// A running `graphlib_runner.py`.
#[derive(Debug)]
pub struct PythonRunner {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    python: PathBuf,
}

impl PythonRunner {
    /// Starts the runner under `python` without waiting for it: the
    /// interpreter's start-up (a good part of a tenth of a second) can
    /// overlap other work; [`PythonRunner::ready`] waits for it.
    /// `-S` skips `site`: the runner needs only the standard library.
    ///
    /// # Errors
    /// When the interpreter cannot be started, in a sentence for the skip line.
    pub fn spawn(python: &Path) -> Result<PythonRunner, String> {
        let mut child = Command::new(python)
            .arg("-S")
            .arg("-c")
            .arg(SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("`{}` cannot be started: {e}", python.display()))?;
        let to = child.stdin.take().expect("stdin was piped");
        let from = BufReader::new(child.stdout.take().expect("stdout was piped"));
        Ok(PythonRunner {
            child,
            to,
            from,
            python: python.to_path_buf(),
        })
    }

    /// Waits for the runner's `ready`.
    ///
    /// # Errors
    /// When it never says so: an interpreter without `graphlib` (Python
    /// 3.9+), or not Python at all.
    pub fn ready(mut self) -> Result<PythonRunner, String> {
        match self.line() {
            Ok(line) if line == "ready" => Ok(self),
            _ => Err(format!(
                "`{}` could not run the graphlib runner (it needs Python 3.9 or later)",
                self.python.display()
            )),
        }
    }

    /// One timed run of `shape` with `n` tasks on `workers` threads: the
    /// nanoseconds per task Python measured.
    ///
    /// # Errors
    /// When the runner died or answered something that is not a number.
    pub fn time(&mut self, shape: Shape, n: usize, workers: usize) -> anyhow::Result<f64> {
        writeln!(self.to, "{} {n} {workers}", shape.name())?;
        self.to.flush()?;
        let line = self.line()?;
        line.parse().map_err(|_| {
            anyhow::anyhow!(
                "the graphlib runner under {} answered {line:?}, not nanoseconds",
                self.python.display()
            )
        })
    }

    fn line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        if self.from.read_line(&mut line)? == 0 {
            anyhow::bail!("the graphlib runner under {} exited", self.python.display());
        }
        Ok(line.trim().to_owned())
    }
}

impl Drop for PythonRunner {
    fn drop(&mut self) {
        // Its stdin closes with `self.to`; the loop ends and so does Python.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
