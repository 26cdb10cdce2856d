//! `mastery setup python`: the Python side of `perf/vectorization` in one
//! command — a venv, maturin and NumPy in it, and the kit's PyO3 extension
//! built into it.
//!
//! Each step is a child process whose output goes to a log file; the
//! reader sees one progress line per step (a spinner on a terminal, a plain
//! line in CI), and when a step fails, its last lines and the log's path.
//! Steps that are already done (a venv that works, packages installed) are
//! cheap to repeat, so running the command twice is safe.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mastery_tooling::cli_tools::{SetupCommand, SetupPythonArgs};

use crate::error::AppError;

/// The oldest Python the venv, maturin and the extension support.
const MIN_PYTHON: (u32, u32) = (3, 9);

/// Carries out `mastery setup …`; `Ok` holds the exit code.
///
/// # Errors
/// [`AppError::Usage`] when no usable Python or no `perf/python` folder is
/// found; [`AppError::Failure`] when a step fails (the message holds its
/// last output lines and the log's path).
pub fn setup(command: &SetupCommand, python_setting: Option<&Path>) -> Result<u8, AppError> {
    match command {
        SetupCommand::Python(args) => python(args, python_setting),
    }
}

fn python(args: &SetupPythonArgs, python_setting: Option<&Path>) -> Result<u8, AppError> {
    let project = mastery_perf::vectorization::python_dir();
    if !project.join("pyproject.toml").is_file() {
        return Err(AppError::usage(format!(
            "{} is not the kit's Python project (no pyproject.toml): `mastery setup python` \
             builds from the source tree this binary was built from — run it from a checkout",
            project.display()
        )));
    }
    let interpreter = args
        .python
        .clone()
        .or_else(|| python_setting.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let version = python_version(&interpreter)?;
    eprintln!(
        "Setting up Python for perf/vectorization in {} (with {}, Python {}.{})",
        project.display(),
        interpreter.display(),
        version.0,
        version.1
    );

    let venv = project.join(".venv");
    let log_path = project.join("setup.log");
    let log = Log::create(&log_path)?;
    if args.fresh && venv.exists() {
        std::fs::remove_dir_all(&venv)
            .map_err(|e| AppError::failure(anyhow::anyhow!("removing {}: {e}", venv.display())))?;
    }
    let venv_python = venv.join("bin").join("python");
    if !venv_python.is_file() || python_version(&venv_python).is_err() {
        let mut make_venv = Command::new(&interpreter);
        make_venv.arg("-m").arg("venv").arg(&venv);
        run_step("create the venv", make_venv, &log)?;
    }

    let mut pip = Command::new(&venv_python);
    pip.args(["-m", "pip", "install", "--upgrade", "maturin", "numpy"]);
    run_step("install maturin and numpy from PyPI", pip, &log).map_err(|e| {
        AppError::failure(anyhow::anyhow!(
            "{e:#}\nhint: pip needs network access to PyPI (or PIP_INDEX_URL set to a mirror)"
        ))
    })?;

    let mut maturin = Command::new(venv.join("bin").join("maturin"));
    maturin
        .args(["develop", "--release"])
        .current_dir(&project)
        .env("VIRTUAL_ENV", &venv);
    run_step(
        "build the mastery_kernels extension (cargo, release)",
        maturin,
        &log,
    )?;

    let mut check = Command::new(&venv_python);
    check.args([
        "-c",
        "import numpy, mastery_kernels; print(numpy.__version__, mastery_kernels.simd_level())",
    ]);
    let report = run_step("check that numpy and mastery_kernels import", check, &log)?;
    eprintln!(
        "Python is ready: numpy and mastery_kernels ({}) in {}\nNext: mastery run perf/vectorization",
        report.trim(),
        venv.display()
    );
    Ok(0)
}

/// The `(major, minor)` version of `python`, checked against [`MIN_PYTHON`].
fn python_version(python: &Path) -> Result<(u32, u32), AppError> {
    let output = Command::new(python)
        .arg("--version")
        .output()
        .map_err(|e| {
            AppError::usage(format!(
                "cannot run `{}`: {e} — install Python 3 (e.g. `apt-get install python3 \
                 python3-venv`) or name an interpreter with --python PATH",
                python.display()
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let version = parse_version(&text).ok_or_else(|| {
        AppError::usage(format!(
            "`{} --version` printed {:?}, not a Python version",
            python.display(),
            text.trim()
        ))
    })?;
    if version < MIN_PYTHON {
        return Err(AppError::usage(format!(
            "{} is Python {}.{}; the extension needs {}.{} or newer (--python PATH names another)",
            python.display(),
            version.0,
            version.1,
            MIN_PYTHON.0,
            MIN_PYTHON.1
        )));
    }
    Ok(version)
}

/// `(3, 11)` from `Python 3.11.7`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix("Python ")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// Where every step's output goes.
struct Log {
    path: PathBuf,
    file: File,
}

impl Log {
    fn create(path: &Path) -> Result<Log, AppError> {
        let file = File::create(path).map_err(|e| {
            AppError::failure(anyhow::anyhow!(
                "cannot write the log {}: {e}",
                path.display()
            ))
        })?;
        Ok(Log {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The last `n` lines of the log.
    fn tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// Runs one step with a spinner, its output appended to the log; returns
/// what it printed on stdout when it succeeded.
fn run_step(title: &str, mut command: Command, log: &Log) -> Result<String, AppError> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
            .expect("the template is a constant known to parse"),
    );
    spinner.set_message(title.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(120));
    if spinner.is_hidden() {
        // Not a terminal (CI, a pipe): one plain line per step instead.
        eprintln!("==> {title}");
    }
    let started = Instant::now();
    let stderr = log.file.try_clone().map_err(AppError::failure)?;
    let result = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .output();
    spinner.finish_and_clear();
    let output = result.map_err(|e| {
        AppError::failure(anyhow::anyhow!(
            "{title}: cannot start {:?}: {e}",
            command.get_program()
        ))
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // Keep stdout in the log too, in order after the step's stderr.
    use std::io::Write as _;
    let _ = (&log.file).write_all(stdout.as_bytes());
    if !output.status.success() {
        return Err(AppError::failure(anyhow::anyhow!(
            "{title} failed ({}); its last lines:\n{}\n(the whole log: {})",
            output.status,
            log.tail(20),
            log.path.display()
        )));
    }
    eprintln!("  ✓ {title} ({:.1} s)", started.elapsed().as_secs_f64());
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_python_s_banner() {
        assert_eq!(parse_version("Python 3.11.7\n"), Some((3, 11)));
        assert_eq!(parse_version("Python 3.13.0rc1"), Some((3, 13)));
        assert_eq!(parse_version("Python 2.7.18"), Some((2, 7)));
        assert_eq!(parse_version("bash: python3: command not found"), None);
    }

    #[test]
    fn a_missing_interpreter_is_a_usage_error_that_says_what_to_do() {
        let err = python_version(Path::new("/nonexistent/python3")).expect_err("no such file");
        assert_eq!(err.exit_code(), crate::EXIT_USAGE);
        let text = err.to_string();
        assert!(
            text.contains("/nonexistent/python3") && text.contains("--python"),
            "{text}"
        );
    }

    #[test]
    fn a_failing_step_shows_its_output_and_the_log() -> Result<(), AppError> {
        let dir = tempfile::tempdir().map_err(AppError::failure)?;
        let log = Log::create(&dir.path().join("setup.log"))?;
        let mut failing = Command::new("sh");
        failing.args([
            "-c",
            "echo 'resolving numpy' >&2; echo 'no network' >&2; exit 3",
        ]);
        let err = run_step("install", failing, &log).expect_err("exit 3");
        let text = err.to_string();
        assert!(text.contains("install failed"), "{text}");
        assert!(
            text.contains("no network") && text.contains("setup.log"),
            "{text}"
        );
        let mut ok = Command::new("sh");
        ok.args(["-c", "echo 3.11 portable"]);
        assert_eq!(run_step("check", ok, &log)?.trim(), "3.11 portable");
        Ok(())
    }
}
