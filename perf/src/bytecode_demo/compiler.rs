//! Running `rustc` on the snippet: find the compiler, run it under a
//! timeout, read back the assembly and the LLVM IR it wrote.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Why the compiler could not show its output.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// There is no compiler where we looked.
    #[error(
        "no Rust compiler: `{program}` could not be started ({source}); \
         put rustc on PATH or set RUSTC to its path"
    )]
    NotFound {
        /// The program we tried (`$RUSTC`, or `rustc`).
        program: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The compiler ran past its time limit and was killed.
    #[error("`{command}` did not finish within {timeout:?} and was killed")]
    TimedOut {
        /// The command line.
        command: String,
        /// The limit it ran past.
        timeout: Duration,
    },
    /// The compiler ran and failed (a bad snippet, a bad flag).
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A file or process operation around the compiler failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl CompileError {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> CompileError {
        let what = what.into();
        move |source| CompileError::Io { what, source }
    }
}

/// What a finished subprocess left behind.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to completion or kills it after `timeout`. Output goes
/// to files in `scratch` rather than pipes, so a chatty child can never
/// block on a full pipe while we wait for it.
pub(crate) fn run_with_timeout(
    mut command: Command,
    timeout: Duration,
    scratch: &Path,
) -> Result<Finished, CompileError> {
    let shown = describe(&command);
    let out_path = scratch.join("stdout.txt");
    let err_path = scratch.join("stderr.txt");
    let out = File::create(&out_path).map_err(CompileError::io("creating stdout.txt"))?;
    let err = File::create(&err_path).map_err(CompileError::io("creating stderr.txt"))?;
    let mut child = match command.stdin(Stdio::null()).stdout(out).stderr(err).spawn() {
        Ok(child) => child,
        Err(source) if source.kind() == io::ErrorKind::NotFound => {
            return Err(CompileError::NotFound {
                program: command.get_program().to_string_lossy().into_owned(),
                source,
            });
        }
        Err(source) => return Err(CompileError::io(format!("starting `{shown}`"))(source)),
    };
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(CompileError::io(format!("waiting for `{shown}`")))?
        {
            break status;
        }
        if started.elapsed() >= timeout {
            // Our own child, by its handle; then reap it.
            let _ = child.kill();
            let _ = child.wait();
            return Err(CompileError::TimedOut {
                command: shown,
                timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    Ok(Finished {
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
    })
}

fn describe(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// How to compile the snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileOptions {
    /// `-C opt-level` (3 is `-O` for the optimiser; cargo's release profile).
    pub opt_level: u8,
    /// `-C target-cpu`, e.g. `native`; `None` is the target's baseline
    /// (SSE2 on x86-64).
    pub target_cpu: Option<String>,
    /// How long the compiler may take before it is killed.
    pub timeout: Duration,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            opt_level: 3,
            target_cpu: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// What one compilation produced.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The assembly (`--emit=asm`), Intel syntax on x86.
    pub asm: String,
    /// The optimised LLVM IR (`--emit=llvm-ir`).
    pub llvm_ir: String,
    /// The command line that produced them, the temp dir shown as `$TMP`.
    pub command: String,
    /// How long the compiler took, wall clock.
    pub elapsed: Duration,
}

/// A Rust compiler we can run.
#[derive(Debug, Clone)]
pub struct Rustc {
    program: OsString,
    version: String,
}

impl Rustc {
    /// The compiler named by `$RUSTC`, else `rustc` on `PATH` (the same
    /// choice cargo makes).
    ///
    /// # Errors
    /// [`CompileError::NotFound`] when it cannot be started; other variants
    /// when `--version` fails or hangs.
    pub fn from_env() -> Result<Rustc, CompileError> {
        Rustc::at(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
    }

    /// The compiler at `program` (a path, or a name looked up on `PATH`);
    /// checks that `program --version` answers within ten seconds.
    ///
    /// # Errors
    /// As [`Rustc::from_env`].
    pub fn at(program: impl Into<OsString>) -> Result<Rustc, CompileError> {
        let program = program.into();
        let scratch = tempfile::tempdir().map_err(CompileError::io("creating a temp dir"))?;
        let mut command = Command::new(&program);
        command.arg("--version");
        let done = run_with_timeout(command, Duration::from_secs(10), scratch.path())?;
        if !done.status.success() {
            return Err(CompileError::Failed {
                command: format!("{} --version", program.to_string_lossy()),
                status: done.status.to_string(),
                stderr: done.stderr,
            });
        }
        Ok(Rustc {
            program,
            version: done.stdout.trim().to_owned(),
        })
    }

    /// What `--version` said, e.g. `rustc 1.95.0 (59807616e 2026-04-14)`.
    pub fn version(&self) -> &str {
        &self.version
    }

    // ANCHOR: compile
    /// Compiles `source` as a library crate named `snippet` and returns the
    /// assembly and LLVM IR. Works in a fresh temp dir, removed afterwards.
    ///
    /// # Errors
    /// [`CompileError::Failed`] with the compiler's message when the source
    /// does not compile; [`CompileError::TimedOut`] past `options.timeout`.
    pub fn compile(&self, source: &str, options: &CompileOptions) -> Result<Emitted, CompileError> {
        let dir = tempfile::tempdir().map_err(CompileError::io("creating a temp dir"))?;
        let src = dir.path().join("snippet.rs");
        std::fs::write(&src, source).map_err(CompileError::io("writing snippet.rs"))?;
        let mut command = Command::new(&self.program);
        command
            .args(["--crate-type=lib", "--crate-name=snippet", "--edition=2024"])
            .arg(format!("-Copt-level={}", options.opt_level))
            .args(["-Cdebuginfo=0", "--emit=asm,llvm-ir", "--out-dir"])
            .arg(dir.path());
        if cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
            // Intel syntax: `add eax, dword ptr [rdi + 4*rcx]` reads as the
            // CPU manuals do (destination first).
            command.arg("-Cllvm-args=-x86-asm-syntax=intel");
        }
        if let Some(cpu) = &options.target_cpu {
            command.arg(format!("-Ctarget-cpu={cpu}"));
        }
        command.arg(&src);
        // The temp dir's name changes every run; `$TMP` reads better.
        let shown = describe(&command).replace(&*dir.path().to_string_lossy(), "$TMP");
        let started = Instant::now();
        let done = run_with_timeout(command, options.timeout, dir.path())?;
        let elapsed = started.elapsed();
        if !done.status.success() {
            return Err(CompileError::Failed {
                command: shown,
                status: done.status.to_string(),
                stderr: done.stderr,
            });
        }
        let read = |name: &str| {
            std::fs::read_to_string(dir.path().join(name))
                .map_err(CompileError::io(format!("reading {name} written by rustc")))
        };
        Ok(Emitted {
            asm: read("snippet.s")?,
            llvm_ir: read("snippet.ll")?,
            command: shown,
            elapsed,
        })
    }
    // ANCHOR_END: compile
}
