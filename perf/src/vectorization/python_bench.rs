//! Python on the same kernels: find an interpreter, and either run
//! `bench_kernels.py` with NumPy and the `mastery_kernels` extension
//! (`perf/python/`) and read its JSON report, or — on a bare Python —
//! drive the script's pure-Python loop one call at a time with
//! [`LoopServer`].

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use mastery_kit::Narrator;
use serde::Deserialize;

/// The extension module's folder, `perf/python` in the source tree this
/// binary was built from.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The interpreter the demo uses for the Python comparison: the `python`
/// setting when given (`override_python`), else the
/// project's venv at `python_dir/.venv/bin/python` when it exists, else
/// `python3` on `PATH`.
pub fn locate_python(override_python: Option<OsString>, python_dir: &Path) -> PathBuf {
    if let Some(python) = override_python.filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = python_dir.join(".venv").join("bin").join("python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// The interpreter asked for by the `python` setting, if any.
pub(super) fn python_override(n: &Narrator) -> Option<OsString> {
    n.settings().python.clone().map(OsString::from)
}

/// The commands, from the repository root, that add NumPy and the
/// extension (a venv in `perf/python/.venv`) and run the demo again.
pub const ENABLE_PYTHON: [&str; 2] = [
    "cargo run --release -- setup python",
    "cargo run --release -- run perf/vectorization",
];

/// What the interpreter found can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PythonSide {
    /// NumPy and the built extension import: the full comparison.
    Full,
    /// A working Python without them: the pure-Python loop only, and why
    /// the rest is missing (the interpreter's own import error).
    LoopOnly { missing: String },
}

/// What the interpreter can run, or why it cannot run the script at all.
pub(super) fn probe_python(python: &Path, script: &Path) -> Result<PythonSide, String> {
    if !script.exists() {
        return Err(format!(
            "the script {} is not there (this binary was built from another source tree)",
            script.display()
        ));
    }
    let run = |code: &str| {
        Command::new(python)
            .args(["-c", code])
            .output()
            .map_err(|e| format!("cannot start {}: {e}", python.display()))
    };
    let last_line = |stderr: &[u8]| {
        let stderr = String::from_utf8_lossy(stderr);
        stderr
            .lines()
            .last()
            .unwrap_or("no error message")
            .trim()
            .to_owned()
    };
    // The script's loop-only mode needs nothing beyond the standard library
    // of a Python 3; an interpreter that is Python 2 (or broken) stops here.
    let python3 = run("import sys; assert sys.version_info >= (3, 8), sys.version")?;
    if !python3.status.success() {
        return Err(format!(
            "{} is not a Python 3.8 or newer: {}",
            python.display(),
            last_line(&python3.stderr)
        ));
    }
    let full = run("import numpy, mastery_kernels")?;
    if full.status.success() {
        Ok(PythonSide::Full)
    } else {
        Ok(PythonSide::LoopOnly {
            missing: last_line(&full.stderr),
        })
    }
}

/// The script's pure-Python loop in a child process (`--serve`), timed
/// one call per request, so that the demo can take turns with its own
/// kernels: a round's two timings then run back to back. The child ends
/// when this is dropped (its stdin closes).
pub(super) struct LoopServer {
    child: Child,
    requests: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
    /// The interpreter's version, as the script reports it.
    pub(super) python_version: String,
}

/// One timed call of the pure-Python loop.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct LoopCall {
    pub(super) ns_per_element: f64,
    pub(super) value: f64,
}

impl LoopServer {
    /// Starts the script on `n` values of `sample_data(n, seed)` (and
    /// `seed + 1` for the dot product's second vector) and waits until it
    /// has made them.
    pub(super) fn start(python: &Path, script: &Path, n: usize, seed: u32) -> anyhow::Result<Self> {
        let mut child = Command::new(python)
            .arg(script)
            .args([
                "--serve",
                "--n",
                &n.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", python.display()))?;
        let requests = child.stdin.take();
        let replies = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut server = LoopServer {
            child,
            requests,
            replies,
            python_version: String::new(),
        };
        #[derive(Deserialize)]
        struct Ready {
            n: usize,
            python_version: String,
        }
        let ready: Ready = server.reply()?;
        anyhow::ensure!(ready.n == n, "the script made {} values, not {n}", ready.n);
        server.python_version = ready.python_version;
        Ok(server)
    }

    /// Times one call of the loop: `op` is `"sum"` or `"dot"`.
    pub(super) fn time(&mut self, op: &str) -> anyhow::Result<LoopCall> {
        let stdin = self.requests.as_mut().expect("open until drop");
        if let Err(e) = writeln!(stdin, "{op}").and_then(|()| stdin.flush()) {
            return Err(self.failure(&format!("cannot send it {op:?}: {e}")));
        }
        self.reply()
    }

    fn reply<T: serde::de::DeserializeOwned>(&mut self) -> anyhow::Result<T> {
        let mut line = String::new();
        match self.replies.read_line(&mut line) {
            Ok(0) => Err(self.failure("it stopped without answering")),
            Ok(_) => serde_json::from_str(&line).map_err(|e| {
                anyhow::anyhow!(
                    "bench_kernels.py --serve answered {:?}: {e}",
                    line.trim_end()
                )
            }),
            Err(e) => Err(self.failure(&format!("cannot read its answer: {e}"))),
        }
    }

    /// The error for a child that stopped answering, with its stderr.
    fn failure(&mut self, what: &str) -> anyhow::Error {
        drop(self.requests.take());
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        let status = self
            .child
            .wait()
            .map_or("unknown".to_owned(), |s| s.to_string());
        anyhow::anyhow!(
            "bench_kernels.py --serve: {what} (exit {status}): {}",
            stderr.trim()
        )
    }
}

impl Drop for LoopServer {
    fn drop(&mut self) {
        // End of input ends the script's request loop; kill it only if it
        // does not end soon (a stuck child must not outlive the demo).
        drop(self.requests.take());
        for _ in 0..40 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One method's figures in the script's JSON.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PyTiming {
    pub(super) value: f64,
    /// Nanoseconds per element in each round; the methods take turns, so
    /// round `r` of two methods pairs up.
    pub(super) samples: Vec<f64>,
}

/// One operation (sum or dot) in the script's JSON.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PyOperation {
    pub(super) python_loop: PyTiming,
    pub(super) numpy: PyTiming,
    pub(super) rust_loop: PyTiming,
    pub(super) rust_simd: PyTiming,
    pub(super) exact: f64,
    pub(super) bound: f64,
}

/// What `bench_kernels.py` prints.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PyReport {
    pub(super) n: usize,
    pub(super) python_version: String,
    pub(super) numpy_version: String,
    pub(super) simd: String,
    pub(super) sum: PyOperation,
    pub(super) dot: PyOperation,
}

pub(super) fn run_python_bench(
    python: &Path,
    script: &Path,
    n: usize,
    repeats: usize,
) -> anyhow::Result<PyReport> {
    let out = Command::new(python)
        .arg(script)
        .args(["--n", &n.to_string(), "--repeats", &repeats.to_string()])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", python.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} {} failed ({}): {}",
        python.display(),
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_python_report(&String::from_utf8_lossy(&out.stdout))
}

pub(super) fn parse_python_report(stdout: &str) -> anyhow::Result<PyReport> {
    serde_json::from_str(stdout.trim()).map_err(|e| {
        anyhow::anyhow!(
            "bench_kernels.py printed something that is not its JSON report ({e}): {stdout:.200}"
        )
    })
}
