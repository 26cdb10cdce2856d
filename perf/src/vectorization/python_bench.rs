//! Python on the same kernels: find an interpreter with numpy and the
//! `mastery_kernels` extension (`perf/python/`), run `bench_kernels.py`,
//! read its JSON report.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The commands that build the extension, printed when it is missing.
pub const ENABLE_PYTHON: [&str; 5] = [
    "cd perf/python",
    "python3 -m venv .venv",
    ".venv/bin/pip install maturin numpy",
    "VIRTUAL_ENV=\"$PWD/.venv\" .venv/bin/maturin develop --release",
    "cd ../.. && cargo run --release -- run perf/vectorization",
];

/// Why the Python comparison cannot run, or `Ok` when the interpreter
/// imports numpy and the built extension.
pub(super) fn probe_python(python: &Path, script: &Path) -> Result<(), String> {
    if !script.exists() {
        return Err(format!(
            "the script {} is not there (this binary was built from another source tree)",
            script.display()
        ));
    }
    let out = Command::new(python)
        .args(["-c", "import numpy, mastery_kernels"])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("no error message").trim();
    Err(format!("{} cannot import them: {last}", python.display()))
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
