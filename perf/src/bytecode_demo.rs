//! # Bytecode inspection: what the compiler emits
//!
//! ## Python idiom
//! `dis.dis(f)` prints the bytecode CPython will interpret for `f`: one
//! instruction per line, the same instructions every time the function runs,
//! whatever the types of the values turn out to be.
//!
//! ```python
//! import dis
//! def total(xs):
//!     s = 0
//!     for x in xs:          # FOR_ITER, STORE_FAST, LOAD_FAST, BINARY_OP (+=), ...
//!         s += x
//!     return s
//! dis.dis(total)            # the loop is ~6 bytecodes per element, each a
//!                           # trip through the interpreter's dispatch loop
//! ```
//!
//! `sum(xs)` and the hand-written loop are *different* bytecode: `sum` runs
//! its loop in C, which is why it is faster — the shape of the source
//! decides the speed.
//!
//! ## Rust answer
//! There is no bytecode: `rustc` lowers the source to LLVM IR, optimises it,
//! and emits machine code. To look at it, ask the compiler — `rustc -O
//! --emit=asm,llvm-ir` (or `cargo rustc --release -- --emit=asm`, or
//! `cargo asm` from `cargo-show-asm`). This module does it at run time on a
//! small snippet ([`SNIPPET`]) and reads the result back:
//!
//! - [`Rustc`] finds the compiler (`$RUSTC`, else `rustc` on `PATH`) and
//!   runs it under a timeout; [`Rustc::compile`] returns the assembly and the
//!   LLVM IR as text. No compiler is a clear [`CompileError::NotFound`], and
//!   the demo says so and carries on.
//! - [`Assembly::parse`] splits the assembly into functions (symbols
//!   demangled, legacy and v0), [`AsmFunction::loops`] finds loops by their
//!   backward jumps, [`AsmFunction::hot_loop`] picks the one doing the work,
//!   and [`AsmFunction::panics`] lists every call into a panic — a bounds
//!   check is a compare, a branch, and a call to
//!   `core::panicking::panic_bounds_check` — and
//!   [`AsmFunction::checks_in_loops`] counts the branches to them that sit
//!   inside a loop.
//! - [`compare_code`] compares two instruction lists after renaming labels:
//!   identical, the same multiset in another order, or what differs.
//!
//! ```no_run
//! use mastery_perf::bytecode_demo::{Assembly, CompileOptions, Rustc, SNIPPET};
//!
//! let rustc = Rustc::from_env()?;
//! let emitted = rustc.compile(SNIPPET, &CompileOptions::default())?;
//! let asm = Assembly::parse(&emitted.asm);
//! let (iter, hand) = (asm.function("sum_iter").unwrap(), asm.function("sum_loop").unwrap());
//! let (a, b) = (iter.hot_loop().unwrap(), hand.hot_loop().unwrap());
//! assert!(mastery_perf::bytecode_demo::compare_code(
//!     &iter.normalized(a.range()),
//!     &hand.normalized(b.range()),
//! ).identical);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it shows on Rust 1.95 / LLVM 22 on x86-64 (the tests assert it, so a
//! new compiler that changes the story fails them):
//! - `v.iter().fold(0, |s, &x| s.wrapping_add(x))` and
//!   `for i in 0..v.len() { s = s.wrapping_add(v[i]) }` compile to the
//!   **same inner loop**, instruction for instruction: two SSE2 registers of
//!   four `u32` each (`paddd`), eight elements per trip, then a scalar tail.
//!   The index loop has no bounds check at all: `i < v.len()` is the loop
//!   condition, so LLVM proved every access in bounds.
//! - `for i in 0..n { s += v[i] }` with an unknown `n` keeps **one** call to
//!   `panic_bounds_check`, but *hoisted before the loop*: the sum has no side
//!   effect, so the check for the last index can run first. An
//!   `assert!(n <= v.len())` replaces it with the assert's own panic.
//! - When the loop *does* have a side effect — `out[i] = a[i] + b[i]` — the
//!   check cannot move. LLVM splits the loop: a vectorized part it proved in
//!   bounds, and a scalar part with two compare-and-branch checks per
//!   element. Zipping iterators, or re-slicing `a[..n]` once up front (one
//!   range check, outside the loop), leaves no check in any loop.
//! - A data-dependent index (`counts[byte]`) keeps a check per element —
//!   unless the type proves it: a `[u32; 256]` indexed by a `u8` has no
//!   check, and LLVM unrolls the loop four times.
//!
//! ## When to use which
//! - Write the clear version first (iterators, `zip`, `chunks_exact`), then
//!   **look** when a loop is hot: the asm tells you whether it vectorized and
//!   whether a check sits in the loop, which a profile alone does not.
//! - Remove a bounds check by giving the compiler the fact it lacks: iterate
//!   instead of indexing, re-slice to the length once (`let a = &a[..n]`),
//!   `assert!` the length up front, or use a type whose range is the index
//!   range. `get_unchecked` (unsafe) is the last resort, and rarely faster
//!   than the re-slice.
//! - Do not conclude from one compiler: the code below is what *this*
//!   toolchain emits for *this* target (`-C target-cpu=native` turns on AVX2
//!   and changes the loop); the demo prints the version it ran. Compile times
//!   are measured too: looking is cheap.
//!
//! Costs: [`Rustc::compile`] spawns a compiler (the demo times it);
//! the parser is text-based, x86-64 first (Intel syntax), with loop and
//! vector detection that also recognises AArch64 mnemonics and registers.
//!
//! ## Run it
//! `mastery run perf/bytecode-demo` (the compiler version and command, the
//! two inner loops side by side, a table of panics and loop checks per
//! function, the LLVM IR of the vector loop, compile time, and the run time
//! of each pair of variants compiled into the binary; full mode also
//! compiles for `-C target-cpu=native`), and
//! `cargo test -p mastery-perf bytecode` (the claims above asserted against
//! the installed compiler; skipped with a message when there is none).

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::hint::black_box;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use mastery_kit::narrator::millis;
use mastery_kit::{Area, Comparison, Narrator, Topic, Unit};

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/bytecode-demo",
        area: Area::Perf,
        rank: 1,
        title: "Bytecode inspection: what the compiler emits",
        python: "dis.dis(f): the bytecode CPython interprets, one dispatch per instruction",
        rust: "rustc -O --emit=asm,llvm-ir on a snippet, read back: iterator and hand loop give the same vectorized loop; bounds checks hoisted, kept, or gone",
        path: "perf/src/bytecode_demo.rs",
        source: include_str!("bytecode_demo.rs"),
        run: demo,
    }
}

// ---- the snippet ------------------------------------------------------------------

/// Compiles the functions into this crate (the demo times them) and keeps
/// their source as [`SNIPPET`] (the demo hands it to `rustc`): one text, so
/// what is timed is what is shown.
macro_rules! snippet {
    ($($item:item)*) => {
        /// The functions the demo compiles with `rustc` and times in process.
        /// (The index loops are the point, so clippy's advice against them
        /// is switched off.)
        #[allow(clippy::needless_range_loop)]
        mod snippet {
            $($item)*
        }

        /// The source handed to `rustc`: the functions of the private
        /// `snippet` module, as text. Each is `#[inline(never)]`, because
        /// `rustc` does not emit code for small functions it considers
        /// inlinable into other crates unless something calls them.
        pub const SNIPPET: &str = stringify!($($item)*);
    };
}

snippet! {
    #[inline(never)]
    pub fn sum_iter(v: &[u32]) -> u32 {
        v.iter().fold(0u32, |s, &x| s.wrapping_add(x))
    }

    #[inline(never)]
    pub fn sum_loop(v: &[u32]) -> u32 {
        let mut s = 0u32;
        for i in 0..v.len() {
            s = s.wrapping_add(v[i]);
        }
        s
    }

    #[inline(never)]
    pub fn sum_first_n(v: &[u32], n: usize) -> u32 {
        let mut s = 0u32;
        for i in 0..n {
            s = s.wrapping_add(v[i]);
        }
        s
    }

    #[inline(never)]
    pub fn sum_first_n_asserted(v: &[u32], n: usize) -> u32 {
        assert!(n <= v.len());
        let mut s = 0u32;
        for i in 0..n {
            s = s.wrapping_add(v[i]);
        }
        s
    }

    #[inline(never)]
    pub fn add_indexed(out: &mut [u32], a: &[u32], b: &[u32]) {
        for i in 0..out.len() {
            out[i] = a[i].wrapping_add(b[i]);
        }
    }

    #[inline(never)]
    pub fn add_zipped(out: &mut [u32], a: &[u32], b: &[u32]) {
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = x.wrapping_add(*y);
        }
    }

    #[inline(never)]
    pub fn add_resliced(out: &mut [u32], a: &[u32], b: &[u32]) {
        let n = out.len();
        let (a, b) = (&a[..n], &b[..n]);
        for i in 0..n {
            out[i] = a[i].wrapping_add(b[i]);
        }
    }

    #[inline(never)]
    pub fn histogram_slice(bytes: &[u8], counts: &mut [u32]) {
        for &b in bytes {
            counts[usize::from(b)] += 1;
        }
    }

    #[inline(never)]
    pub fn histogram_array(bytes: &[u8]) -> [u32; 256] {
        let mut counts = [0u32; 256];
        for &b in bytes {
            counts[usize::from(b)] += 1;
        }
        counts
    }
}

/// The functions of [`SNIPPET`] and what each one shows.
pub const SNIPPET_FUNCTIONS: [(&str, &str); 9] = [
    ("sum_iter", "iterator fold"),
    ("sum_loop", "index loop over 0..v.len()"),
    ("sum_first_n", "index loop over 0..n, n unknown"),
    (
        "sum_first_n_asserted",
        "the same after assert!(n <= v.len())",
    ),
    ("add_indexed", "out[i] = a[i] + b[i]"),
    ("add_zipped", "the same with zipped iterators"),
    ("add_resliced", "the same after a = &a[..n]"),
    ("histogram_slice", "counts[byte] += 1, counts: &mut [u32]"),
    ("histogram_array", "counts[byte] += 1, counts: [u32; 256]"),
];

// ---- running the compiler ---------------------------------------------------------

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
}

// ---- reading assembly -----------------------------------------------------------------

/// One line of a function's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmLine {
    /// A jump target, `.LBB0_7` (without the colon).
    Label(String),
    /// A machine instruction.
    Instruction(Instruction),
}

/// A machine instruction: `paddd xmm1, xmm2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// `paddd`, `jne`, `call`, ...
    pub mnemonic: String,
    /// Everything after the mnemonic, as printed (`xmm1, xmm2`).
    pub operands: String,
}

impl Instruction {
    fn parse(text: &str) -> Instruction {
        let (mnemonic, operands) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        Instruction {
            mnemonic: mnemonic.to_owned(),
            operands: operands.trim().to_owned(),
        }
    }

    /// Whether control may go elsewhere: `jne .LBB0_7`, `b.ne .LBB0_3`.
    pub fn is_jump(&self) -> bool {
        let m = self.mnemonic.as_str();
        m.starts_with('j')
            || m == "b"
            || m.starts_with("b.")
            || matches!(m, "cbz" | "cbnz" | "tbz" | "tbnz")
    }

    /// Whether it is a call.
    pub fn is_call(&self) -> bool {
        matches!(self.mnemonic.as_str(), "call" | "bl" | "blr")
    }

    /// Whether control never falls through to the next line.
    fn ends_block(&self) -> bool {
        matches!(self.mnemonic.as_str(), "ret" | "jmp" | "b" | "ud2" | "brk")
    }

    /// Whether it works on several lanes at once (SSE/AVX packed
    /// operations, NEON vector registers). Scalar floating point uses the
    /// same `xmm` registers, so `…ss`/`…sd` forms are excluded.
    pub fn is_vector(&self) -> bool {
        let ops = self.operands.as_str();
        let x86 = ["xmm", "ymm", "zmm"].iter().any(|r| ops.contains(r));
        if x86 {
            let m = self.mnemonic.as_str();
            let scalar = (m.ends_with("ss") || m.ends_with("sd")) && !m.starts_with('p');
            return !scalar && m != "movd" && m != "movq";
        }
        // AArch64: `add v0.4s, v0.4s, v1.4s`, `ldp q0, q1, [x8]`.
        ops.split([',', ' ', '[', ']'])
            .any(|t| is_arm_vector_register(t.trim()))
    }

    /// The label or symbol a jump or call names (its last operand word).
    fn target(&self) -> &str {
        self.operands
            .rsplit([' ', ','])
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
    }
}

fn is_arm_vector_register(token: &str) -> bool {
    let (reg, arrangement) = token.split_once('.').unwrap_or((token, ""));
    let numbered = |prefix: char| {
        reg.strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    (numbered('v') && !arrangement.is_empty()) || numbered('q')
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operands.is_empty() {
            f.write_str(&self.mnemonic)
        } else {
            write!(f, "{:<7} {}", self.mnemonic, self.operands)
        }
    }
}

/// What a call into a panic function is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PanicKind {
    /// `core::panicking::panic_bounds_check`: `v[i]` with `i >= v.len()`.
    BoundsCheck,
    /// `core::slice::index::slice_index_fail` and friends: `&v[a..b]` out
    /// of range (one check for a whole range).
    SliceRange,
    /// Anything else that panics: `assert!`, `unwrap`, overflow.
    Other,
}

impl PanicKind {
    fn of(callee: &str) -> Option<PanicKind> {
        if callee.contains("panic_bounds_check") {
            Some(PanicKind::BoundsCheck)
        } else if callee.contains("slice_index") || callee.contains("slice_end_index") {
            Some(PanicKind::SliceRange)
        } else if callee.contains("panic") {
            Some(PanicKind::Other)
        } else {
            None
        }
    }
}

/// A loop: the label its backward jump goes to, and that jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// Line index of the loop's head label.
    pub head: usize,
    /// Line index of the backward jump closing the loop.
    pub latch: usize,
}

impl Loop {
    /// The loop's lines, head label to backward jump inclusive.
    pub fn range(&self) -> Range<usize> {
        self.head..self.latch + 1
    }
}

/// One function of the assembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmFunction {
    /// The symbol as emitted (`_ZN7snippet8sum_iter17h…E`).
    pub symbol: String,
    /// The demangled path without the hash (`snippet::sum_iter`).
    pub name: String,
    /// Labels and instructions, in order; directives dropped.
    pub lines: Vec<AsmLine>,
}

impl AsmFunction {
    /// The instructions, without labels.
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.lines.iter().filter_map(|l| match l {
            AsmLine::Instruction(i) => Some(i),
            AsmLine::Label(_) => None,
        })
    }

    fn label_positions(&self) -> HashMap<&str, usize> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                AsmLine::Label(name) => Some((name.as_str(), i)),
                AsmLine::Instruction(_) => None,
            })
            .collect()
    }

    /// Every loop, found as a jump to a label above it.
    pub fn loops(&self) -> Vec<Loop> {
        let labels = self.label_positions();
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(at, line)| {
                let AsmLine::Instruction(i) = line else {
                    return None;
                };
                let head = *labels.get(i.target())?;
                (i.is_jump() && head < at).then_some(Loop { head, latch: at })
            })
            .collect()
    }

    /// How many of a range's instructions are vector instructions.
    pub fn vector_instructions(&self, range: Range<usize>) -> usize {
        self.lines[range]
            .iter()
            .filter(|l| matches!(l, AsmLine::Instruction(i) if i.is_vector()))
            .count()
    }

    /// The loop doing the work: the one with the most vector instructions,
    /// else the longest.
    pub fn hot_loop(&self) -> Option<Loop> {
        self.loops()
            .into_iter()
            .max_by_key(|l| (self.vector_instructions(l.range()), l.latch - l.head))
    }

    /// Every call into a panic function, by kind, with the callee demangled.
    pub fn panics(&self) -> Vec<(PanicKind, String)> {
        self.instructions()
            .filter(|i| i.is_call())
            .filter_map(|i| {
                let callee = demangle_operands(i.target());
                PanicKind::of(&callee).map(|kind| (kind, callee))
            })
            .collect()
    }

    /// How many calls of `kind` the function contains.
    pub fn panic_count(&self, kind: PanicKind) -> usize {
        self.panics().iter().filter(|(k, _)| *k == kind).count()
    }

    /// Whether the code starting at line `from` reaches a call of `kind`
    /// before it can leave (a return, an unconditional jump) — how a branch
    /// to an out-of-line panic block is recognised.
    fn reaches_panic(&self, from: usize, kind: PanicKind) -> bool {
        for line in self.lines.iter().skip(from).take(16) {
            let AsmLine::Instruction(i) = line else {
                continue;
            };
            if i.is_call() && PanicKind::of(&demangle_operands(i.target())) == Some(kind) {
                return true;
            }
            if i.ends_block() || i.is_jump() {
                return false;
            }
        }
        false
    }

    /// The checks of `kind` executed inside loops: branches from a loop body
    /// to a block that panics, plus panic calls inside the body itself.
    /// Counted once per branch, over every loop (nested loops counted once).
    pub fn checks_in_loops(&self, kind: PanicKind) -> usize {
        let mut in_loop = vec![false; self.lines.len()];
        for l in self.loops() {
            in_loop[l.range()].iter_mut().for_each(|x| *x = true);
        }
        (0..self.lines.len())
            .filter(|&at| in_loop[at] && self.is_check(at, kind))
            .count()
    }

    /// The checks of `kind` within one range of lines (one loop).
    pub fn checks_in(&self, range: Range<usize>, kind: PanicKind) -> usize {
        range.filter(|&at| self.is_check(at, kind)).count()
    }

    /// Whether line `at` is a branch to a panic of `kind`, or a call to one.
    fn is_check(&self, at: usize, kind: PanicKind) -> bool {
        let labels = self.label_positions();
        match &self.lines[at] {
            AsmLine::Instruction(i) if i.is_jump() => labels
                .get(i.target())
                .is_some_and(|&to| self.reaches_panic(to, kind)),
            AsmLine::Instruction(i) if i.is_call() => {
                PanicKind::of(&demangle_operands(i.target())) == Some(kind)
            }
            _ => false,
        }
    }

    /// The lines of `range` as comparable text: labels renamed `L0`, `L1`,
    /// ... in order of first mention (so two functions' `.LBB2_6` and
    /// `.LBB4_6` match), symbols demangled, registers kept.
    pub fn normalized(&self, range: Range<usize>) -> Vec<String> {
        let labels = self.label_positions();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut rename = |label: &str| {
            let next = format!("L{}", names.len());
            names.entry(label.to_owned()).or_insert(next).clone()
        };
        self.lines[range]
            .iter()
            .map(|line| match line {
                AsmLine::Label(l) => format!("{}:", rename(l)),
                AsmLine::Instruction(i) => {
                    let target = i.target();
                    let operands = if labels.contains_key(target) {
                        i.operands.replace(target, &rename(target))
                    } else {
                        demangle_operands(&i.operands)
                    };
                    Instruction {
                        mnemonic: i.mnemonic.clone(),
                        operands,
                    }
                    .to_string()
                }
            })
            .collect()
    }

    /// [`AsmFunction::normalized`] over the whole function.
    pub fn normalized_all(&self) -> Vec<String> {
        self.normalized(0..self.lines.len())
    }
}

/// A whole `.s` file, split into functions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assembly {
    /// The functions, in the order emitted.
    pub functions: Vec<AsmFunction>,
}

impl Assembly {
    /// Parses GNU-assembler text as LLVM prints it. A function starts at the
    /// label of a symbol declared `.type …,@function` or `.globl`, and ends
    /// at its `.Lfunc_end` label (or `.cfi_endproc`, or the next function).
    pub fn parse(text: &str) -> Assembly {
        let mut declared: Vec<&str> = Vec::new();
        let mut functions = Vec::new();
        let mut current: Option<AsmFunction> = None;
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(label) = line
                .strip_suffix(':')
                .filter(|l| !l.contains(char::is_whitespace))
            {
                if declared.contains(&label) {
                    functions.extend(current.take());
                    current = Some(AsmFunction {
                        symbol: label.to_owned(),
                        name: demangle(label).unwrap_or_else(|| label.to_owned()),
                        lines: Vec::new(),
                    });
                } else if label.starts_with(".Lfunc_end") {
                    functions.extend(current.take());
                } else if let Some(f) = current.as_mut() {
                    f.lines.push(AsmLine::Label(label.to_owned()));
                }
                continue;
            }
            if let Some(directive) = line.strip_prefix('.') {
                if let Some(symbol) = declared_function(directive) {
                    declared.push(symbol);
                } else if directive.starts_with("cfi_endproc") {
                    functions.extend(current.take());
                }
                continue;
            }
            if let Some(f) = current.as_mut() {
                f.lines.push(AsmLine::Instruction(Instruction::parse(line)));
            }
        }
        functions.extend(current);
        Assembly { functions }
    }

    /// The function whose demangled path is `name` or ends in `::name`.
    pub fn function(&self, name: &str) -> Option<&AsmFunction> {
        let suffix = format!("::{name}");
        self.functions
            .iter()
            .find(|f| f.name == name || f.name.ends_with(&suffix))
    }
}

/// The symbol a `.type sym,@function` or `.globl sym` directive declares.
fn declared_function(directive: &str) -> Option<&str> {
    if let Some(rest) = directive.strip_prefix("type") {
        let (symbol, kind) = rest.trim().split_once(',')?;
        return kind.contains("function").then_some(symbol.trim());
    }
    directive
        .strip_prefix("globl")
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Drops an end-of-line comment: `#` with a space before it on x86 (so
/// AArch64's `#imm` survives), `//` on AArch64.
fn strip_comment(line: &str) -> &str {
    let mut cut = line.len();
    if let Some(at) = line.find("//") {
        cut = cut.min(at);
    }
    if let Some(at) = line.find(" #").or_else(|| line.find("\t#")) {
        cut = cut.min(at);
    }
    if line.trim_start().starts_with('#') {
        return "";
    }
    &line[..cut]
}

// ---- symbols ---------------------------------------------------------------------------

/// Demangles a Rust symbol, legacy (`_ZN…E`) or v0 (`_R…`), to its path
/// without the hash: `core::panicking::panic_bounds_check`. Returns `None`
/// for anything else, and for the v0 forms this reader does not cover
/// (generics, impls, back-references) — enough for plain functions.
pub fn demangle(symbol: &str) -> Option<String> {
    let symbol = symbol.split('@').next().unwrap_or(symbol);
    // Mach-O prefixes every symbol with one more underscore.
    let symbol = symbol
        .strip_prefix('_')
        .filter(|s| s.starts_with('_'))
        .unwrap_or(symbol);
    if let Some(rest) = symbol.strip_prefix("_ZN") {
        return demangle_legacy(rest);
    }
    let rest = symbol.strip_prefix("_R")?;
    let mut reader = V0 {
        bytes: rest.as_bytes(),
        at: 0,
    };
    let path = reader.path()?;
    Some(path.join("::"))
}

fn demangle_legacy(mut rest: &str) -> Option<String> {
    let mut parts = Vec::new();
    while !rest.starts_with('E') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let len: usize = rest.get(..digits)?.parse().ok()?;
        let part = rest.get(digits..digits + len)?;
        rest = &rest[digits + len..];
        parts.push(part);
    }
    // The last part is the hash `h0123456789abcdef`: not part of the name.
    if parts
        .last()
        .is_some_and(|p| p.len() == 17 && p.starts_with('h'))
    {
        parts.pop();
    }
    let unescape = |p: &str| {
        [
            ("$LT$", "<"),
            ("$LP$", "("),
            ("$RP$", ")"),
            ("$GT$", ">"),
            ("$RF$", "&"),
            ("$BP$", "*"),
            ("$C$", ","),
            ("$u20$", " "),
            ("$u7b$", "{"),
            ("$u7d$", "}"),
            ("$u5b$", "["),
            ("$u5d$", "]"),
            ("..", "::"),
        ]
        .iter()
        .fold(p.to_owned(), |s, (from, to)| s.replace(from, to))
    };
    (!parts.is_empty()).then(|| {
        parts
            .iter()
            .map(|p| unescape(p))
            .collect::<Vec<_>>()
            .join("::")
    })
}

/// A reader for the subset of v0 mangling that names plain paths:
/// `C` crate roots and `N` nested paths.
struct V0<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl V0<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn path(&mut self) -> Option<Vec<String>> {
        match self.next()? {
            b'C' => Some(vec![self.identifier()?]),
            b'N' => {
                let namespace = self.next()?;
                let mut parent = self.path()?;
                let ident = self.identifier()?;
                parent.push(match namespace {
                    b'C' => "{closure}".to_owned(),
                    b'S' => "{shim}".to_owned(),
                    _ => ident,
                });
                Some(parent)
            }
            _ => None,
        }
    }

    fn identifier(&mut self) -> Option<String> {
        if self.bytes.get(self.at) == Some(&b's') {
            // A disambiguator, `s<base62>_`: not part of the name.
            self.at += 1;
            while self.next()? != b'_' {}
        }
        if self.bytes.get(self.at) == Some(&b'u') {
            return None; // punycode: not needed for the snippet
        }
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let len: usize = std::str::from_utf8(&self.bytes[start..self.at])
            .ok()?
            .parse()
            .ok()?;
        if self.bytes.get(self.at) == Some(&b'_') {
            self.at += 1;
        }
        let ident = self.bytes.get(self.at..self.at + len)?;
        self.at += len;
        String::from_utf8(ident.to_vec()).ok()
    }
}

/// Replaces every mangled symbol in an operand string by its demangled
/// path: `qword ptr [rip + core::panicking::panic_bounds_check]`.
pub fn demangle_operands(operands: &str) -> String {
    let mut out = String::with_capacity(operands.len());
    let mut rest = operands;
    while let Some(at) = rest.find("_ZN").or_else(|| rest.find("_R")) {
        let end = rest[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'))
            .map_or(rest.len(), |e| at + e);
        let symbol = &rest[at..end];
        out.push_str(&rest[..at]);
        match demangle(symbol) {
            Some(name) => out.push_str(&name),
            None => out.push_str(symbol),
        }
        // `@GOTPCREL` and `@PLT` say how the call is linked, not what it calls.
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix('@') {
            let skip = after
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(after.len());
            rest = &after[skip..];
        }
    }
    out.push_str(rest);
    out
}

// ---- comparing code --------------------------------------------------------------------

/// How two instruction lists compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeComparison {
    /// Same instructions in the same order.
    pub identical: bool,
    /// Same instructions, counted with multiplicity, in any order.
    pub same_multiset: bool,
    /// Instructions (with multiplicity) only on the left.
    pub only_left: Vec<String>,
    /// Instructions (with multiplicity) only on the right.
    pub only_right: Vec<String>,
}

/// Compares two normalized instruction lists ([`AsmFunction::normalized`]).
pub fn compare_code(left: &[String], right: &[String]) -> CodeComparison {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in left {
        *counts.entry(l).or_default() += 1;
    }
    for r in right {
        *counts.entry(r).or_default() -= 1;
    }
    let repeat = |s: &str, n: i64| std::iter::repeat_n(s.to_owned(), n.unsigned_abs() as usize);
    let only_left: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .flat_map(|(s, n)| repeat(s, *n))
        .collect();
    let only_right: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n < 0)
        .flat_map(|(s, n)| repeat(s, *n))
        .collect();
    CodeComparison {
        identical: left == right,
        same_multiset: only_left.is_empty() && only_right.is_empty(),
        only_left,
        only_right,
    }
}

// ---- reading LLVM IR -------------------------------------------------------------------

/// The text of the IR function whose demangled name is `name` or ends in
/// `::name`: from its `define` line to the closing `}`.
pub fn ir_function<'a>(ir: &'a str, name: &str) -> Option<&'a str> {
    let suffix = format!("::{name}");
    let mut offset = 0;
    for line in ir.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if !line.starts_with("define ") {
            continue;
        }
        let symbol = line
            .split('@')
            .nth(1)
            .and_then(|s| s.split('(').next())
            .unwrap_or("")
            .trim_matches('"');
        let Some(found) = demangle(symbol) else {
            continue;
        };
        if found == name || found.ends_with(&suffix) {
            let end = ir[start..].find("\n}").map_or(ir.len(), |e| start + e + 2);
            return Some(&ir[start..end]);
        }
    }
    None
}

/// The basic block `label` (`vector.body`) of an IR function: its label
/// line to the blank line that ends it.
pub fn ir_block<'a>(function: &'a str, label: &str) -> Option<&'a str> {
    let head = format!("\n{label}:");
    let start = function.find(&head)? + 1;
    let end = function[start..]
        .find("\n\n")
        .map_or(function.len(), |e| start + e);
    Some(&function[start..end])
}

// ---- the demo ------------------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    n.say(
        "Python's `dis` shows the bytecode the interpreter will dispatch. Rust has none: the \
         compiler emits machine code. So we ask it — rustc on a small snippet, now — and read \
         the assembly back.",
    );
    match inspect(n) {
        Ok(()) => {}
        Err(e @ (CompileError::NotFound { .. } | CompileError::TimedOut { .. })) => {
            n.section("No compiler to ask");
            n.say(&format!(
                "{e}. The assembly part of this topic needs a Rust toolchain; the run-time \
                 part below does not."
            ));
        }
        Err(e) => {
            n.section("The compiler failed");
            n.say(&format!(
                "{e}\nThe assembly part is skipped; please report this with the compiler version."
            ));
        }
    }
    runtime(n);
    Ok(())
}

/// The compiler part: compile, show the loops, the checks and the IR.
fn inspect(n: &mut Narrator) -> Result<(), CompileError> {
    let rustc = Rustc::from_env()?;
    let options = CompileOptions::default();
    n.section("The compiler");
    let rounds = n.mode().pick(1, 5);
    let mut times = Vec::with_capacity(rounds);
    let mut emitted = rustc.compile(SNIPPET, &options)?;
    times.push(emitted.elapsed);
    for _ in 1..rounds {
        emitted = rustc.compile(SNIPPET, &options)?;
        times.push(emitted.elapsed);
    }
    times.sort();
    n.show(rustc.version());
    n.show(&emitted.command);
    n.record(
        &format!(
            "rustc: compile the {}-function snippet (median of {rounds})",
            SNIPPET_FUNCTIONS.len()
        ),
        millis(times[times.len() / 2]),
        Unit::Millis,
    );
    let asm = Assembly::parse(&emitted.asm);
    n.record(
        "assembly: lines written",
        emitted.asm.lines().count() as f64,
        Unit::Count,
    );
    iterator_vs_loop(n, &asm);
    bounds_checks(n, &asm);
    llvm_ir(n, &emitted.llvm_ir);
    if n.mode() == mastery_kit::Mode::Full {
        native(n, &rustc);
    }
    Ok(())
}

fn find<'a>(asm: &'a Assembly, name: &str) -> Result<&'a AsmFunction, CompileError> {
    asm.function(name).ok_or_else(|| CompileError::Failed {
        command: "reading the assembly".to_owned(),
        status: "no such function".to_owned(),
        stderr: format!("`{name}` is not in the compiler's output"),
    })
}

fn iterator_vs_loop(n: &mut Narrator, asm: &Assembly) {
    n.section("Iterator vs hand loop: the inner loop");
    let (Ok(iter), Ok(hand)) = (find(asm, "sum_iter"), find(asm, "sum_loop")) else {
        n.say("The compiler's output lacks sum_iter or sum_loop; nothing to compare.");
        return;
    };
    n.show("sum_iter: v.iter().fold(0, |s, &x| s.wrapping_add(x))");
    n.show("sum_loop: for i in 0..v.len() { s = s.wrapping_add(v[i]) }");
    let (Some(a), Some(b)) = (iter.hot_loop(), hand.hot_loop()) else {
        n.say("One of them has no loop in this compiler's output.");
        return;
    };
    let (left, right) = (iter.normalized(a.range()), hand.normalized(b.range()));
    n.show(format!("{:<44} {}", "-- sum_iter --", "-- sum_loop --"));
    for i in 0..left.len().max(right.len()) {
        let cell = |side: &[String]| side.get(i).map_or(String::new(), |s| clip(s, 43));
        let mark = if left.get(i) == right.get(i) {
            ' '
        } else {
            '≠'
        };
        n.show(format!("{:<44}{mark}{}", cell(&left), cell(&right)));
    }
    let inner = compare_code(&left, &right);
    let whole = compare_code(&iter.normalized_all(), &hand.normalized_all());
    n.record(
        "sum_iter: instructions in the inner loop",
        a.range().len() as f64 - 1.0,
        Unit::Count,
    );
    n.record(
        "sum_iter: vector instructions in it",
        iter.vector_instructions(a.range()) as f64,
        Unit::Count,
    );
    n.record(
        "inner loops identical (1 = yes)",
        f64::from(u8::from(inner.identical)),
        Unit::Count,
    );
    let iter_count = iter.instructions().count();
    let hand_count = hand.instructions().count();
    n.record(
        "sum_iter: instructions in the function",
        iter_count as f64,
        Unit::Count,
    );
    n.record(
        "sum_loop: instructions in the function",
        hand_count as f64,
        Unit::Count,
    );
    let verdict = if whole.identical {
        "The whole functions are identical, label for label.".to_owned()
    } else if whole.same_multiset {
        "The whole functions hold the same instructions, in a slightly different order \
         (register set-up before the loop)."
            .to_owned()
    } else {
        format!(
            "Outside the loop they differ: only in sum_iter {:?}; only in sum_loop {:?}.",
            inner_list(&whole.only_left),
            inner_list(&whole.only_right)
        )
    };
    let inner_verdict = if inner.identical {
        "The inner loops are identical after renaming labels"
    } else {
        "The inner loops differ (≠ marks the lines)"
    };
    n.say(&format!(
        "{inner_verdict}: the iterator is not an abstraction you pay for, and the index loop \
         carries no bounds check — `i < v.len()` is its condition, so every `v[i]` is proven in \
         bounds. {verdict}"
    ));
}

fn inner_list(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).take(6).collect()
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

fn bounds_checks(n: &mut Narrator, asm: &Assembly) {
    n.section("Where bounds checks appear and vanish");
    n.show(format!(
        "{:<22} {:>6} {:>6} {:>6} {:>7} {:>6}  {}",
        "function", "bounds", "range", "other", "in-loop", "vector", "what it is"
    ));
    for (name, what) in SNIPPET_FUNCTIONS {
        let Ok(f) = find(asm, name) else {
            n.show(format!("{name:<22} (not in the compiler's output)"));
            continue;
        };
        let vector = f.hot_loop().map_or(0, |l| f.vector_instructions(l.range()));
        n.show(format!(
            "{name:<22} {:>6} {:>6} {:>6} {:>7} {:>6}  {what}",
            f.panic_count(PanicKind::BoundsCheck),
            f.panic_count(PanicKind::SliceRange),
            f.panic_count(PanicKind::Other),
            f.checks_in_loops(PanicKind::BoundsCheck),
            if vector > 0 { "yes" } else { "no" },
        ));
    }
    n.say(
        "bounds/range/other: calls to panic_bounds_check, to a slice-range failure, to any \
         other panic (the assert). in-loop: branches to a bounds-check panic from inside a \
         loop. vector: whether the hottest loop uses SIMD registers.",
    );
    for (name, label) in [
        ("sum_first_n", "sum_first_n: bounds checks inside loops"),
        ("add_indexed", "add_indexed: bounds checks inside loops"),
        ("add_zipped", "add_zipped: bounds checks inside loops"),
        (
            "histogram_slice",
            "histogram_slice: bounds checks inside loops",
        ),
        (
            "histogram_array",
            "histogram_array: bounds checks inside loops",
        ),
    ] {
        if let Ok(f) = find(asm, name) {
            n.record(
                label,
                f.checks_in_loops(PanicKind::BoundsCheck) as f64,
                Unit::Count,
            );
        }
    }
    if let Ok(f) = find(asm, "add_indexed") {
        if let Some(l) = f
            .loops()
            .into_iter()
            .find(|l| f.checks_in(l.range(), PanicKind::BoundsCheck) > 0)
        {
            n.say("add_indexed's scalar loop — each `je` leads to panic_bounds_check:");
            for line in f.normalized(l.range()) {
                n.show(line);
            }
        }
    }
    n.say(
        "sum_first_n keeps one check, hoisted out of the loop (a sum has no side effect, so the \
         last index can be checked first); assert! turns it into the assert's panic. \
         add_indexed writes as it goes, so its checks cannot move: LLVM vectorizes the part it \
         can prove in bounds and leaves a checked scalar loop for the rest. Zipping, or \
         re-slicing once, removes the checks from every loop; a [u32; 256] indexed by a u8 \
         needs none at all.",
    );
}

fn llvm_ir(n: &mut Narrator, ir: &str) {
    n.section("The same loop in LLVM IR");
    let Some(body) = ir_function(ir, "sum_iter").and_then(|f| ir_block(f, "vector.body")) else {
        n.say("sum_iter has no `vector.body` block in this compiler's IR: it did not vectorize.");
        return;
    };
    n.say(
        "Before instruction selection the loop is LLVM IR: `<4 x i32>` is one SSE register of \
         four lanes, and there are two accumulators (the loop is unrolled twice).",
    );
    for line in body.lines().take(14) {
        n.show(clip(&demangle_operands(line.trim_end()), 74));
    }
    n.record(
        "sum_iter: IR lines in vector.body",
        body.lines().count() as f64,
        Unit::Count,
    );
}

fn native(n: &mut Narrator, rustc: &Rustc) {
    n.section("The same snippet for this CPU (-C target-cpu=native)");
    let options = CompileOptions {
        target_cpu: Some("native".to_owned()),
        ..CompileOptions::default()
    };
    let emitted = match rustc.compile(SNIPPET, &options) {
        Ok(e) => e,
        Err(e) => {
            n.say(&format!("Not compiled: {e}"));
            return;
        }
    };
    let asm = Assembly::parse(&emitted.asm);
    let Some((f, l)) = asm
        .function("sum_iter")
        .and_then(|f| f.hot_loop().map(|l| (f, l)))
    else {
        n.say("sum_iter has no loop in this output.");
        return;
    };
    for line in f.normalized(l.range()) {
        n.show(clip(&line, 74));
    }
    let uses = |register: &str| {
        f.lines[l.range()]
            .iter()
            .filter(|x| matches!(x, AsmLine::Instruction(i) if i.operands.contains(register)))
            .count()
    };
    let (zmm, ymm) = (uses("zmm"), uses("ymm"));
    n.record(
        "sum_iter (native): instructions on 512-bit registers (zmm)",
        zmm as f64,
        Unit::Count,
    );
    n.record(
        "sum_iter (native): instructions on 256-bit registers (ymm)",
        ymm as f64,
        Unit::Count,
    );
    let which = if zmm > 0 {
        "it has AVX-512, so the loop adds sixteen u32 per instruction in zmm registers"
    } else if ymm > 0 {
        "it has AVX2, so the loop adds eight u32 per instruction in ymm registers"
    } else {
        "it offers nothing wider than the baseline here, so the loop is unchanged"
    };
    n.say(&format!(
        "Compiled for this CPU: {which}. A binary built this way runs only on CPUs like \
         this one — which is why the default target is the baseline, and why explicit SIMD \
         uses run-time feature detection."
    ));
}

/// Times the snippet's variants, compiled into this binary.
fn runtime(n: &mut Narrator) {
    let len = n.mode().pick(4_096, 1 << 20);
    // Several passes per timed sample, so a quick-mode sample is tens of
    // microseconds rather than a few timer ticks.
    let passes = n.mode().pick(64, 8);
    let a: Vec<u32> = (0..len as u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect();
    let b: Vec<u32> = a.iter().map(|x| x.rotate_left(7)).collect();
    let bytes: Vec<u8> = a.iter().map(|x| (x >> 24) as u8).collect();
    n.section(&format!(
        "Run time of the variants ({len} elements, compiled into this binary)"
    ));
    let agree = variants_agree(&a, &b, &bytes);
    n.record(
        "variants agreeing on every result (of 4 groups)",
        agree as f64,
        Unit::Count,
    );
    let ops = (len * passes) as u64;
    let sums = n.compare_timed(
        "sum: iterator vs index loop (ns per element)",
        ops,
        repeated(passes, || snippet::sum_iter(black_box(&a))),
        "index loop (sum_loop)",
        repeated(passes, || snippet::sum_loop(black_box(&a))),
    );
    let mut out = vec![0u32; len];
    let mut out2 = vec![0u32; len];
    let adds = n.compare_timed(
        "out = a + b: zipped iterators vs indexing (ns per element)",
        ops,
        repeated(passes, || {
            snippet::add_zipped(black_box(&mut out), black_box(&a), black_box(&b));
            out[0]
        }),
        "indexing (add_indexed)",
        repeated(passes, || {
            snippet::add_indexed(black_box(&mut out2), black_box(&a), black_box(&b));
            out2[0]
        }),
    );
    let mut counts = vec![0u32; 256];
    let histogram = n.compare_timed(
        "histogram: [u32; 256] vs &mut [u32] (ns per byte)",
        ops,
        repeated(passes, || snippet::histogram_array(black_box(&bytes))[0]),
        "slice, checked per byte",
        repeated(passes, || {
            snippet::histogram_slice(black_box(&bytes), black_box(&mut counts));
            counts[0]
        }),
    );
    let offsets = (
        offset_in_line(snippet::sum_iter as fn(&[u32]) -> u32 as usize),
        offset_in_line(snippet::sum_loop as fn(&[u32]) -> u32 as usize),
    );
    n.record(
        "sum_iter: where its code starts in a 64-byte line",
        offsets.0 as f64,
        Unit::Bytes,
    );
    n.record(
        "sum_loop: where its code starts in a 64-byte line",
        offsets.1 as f64,
        Unit::Bytes,
    );
    n.say(&runtime_verdict(&sums, offsets, &adds, &histogram));
}

/// `f` called `passes` times per call (results folded, so none is optimised away).
fn repeated(passes: usize, mut f: impl FnMut() -> u32) -> impl FnMut() -> u32 {
    move || (0..passes).fold(0u32, |acc, _| acc.wrapping_add(f()))
}

/// Where a function's code starts within a 64-byte line (a cache line, and
/// the unit AMD's and Intel's front ends fetch and cache decoded code in).
/// ASLR moves code by whole pages, so this is the same on every run of one
/// binary.
fn offset_in_line(address: usize) -> usize {
    address % 64
}

/// What the three timings say, in words that follow the figures.
fn runtime_verdict(
    sums: &Comparison,
    offsets: (usize, usize),
    adds: &Comparison,
    histogram: &Comparison,
) -> String {
    let close = |c: &Comparison| (1.0 / 1.15..=1.15).contains(&c.speedup);
    let ratio = |c: &Comparison| c.speedup.max(1.0 / c.speedup);
    let sum = if close(sums) {
        "The iterator sum and the index loop ran at the same speed (within 15%), as their \
         identical machine code predicts."
            .to_owned()
    } else {
        format!(
            "The iterator sum and the index loop differed by {:.2}×, although their hot loop is \
             the same machine code. What differs is where it sits: sum_iter starts at byte {} of \
             a 64-byte line and sum_loop at byte {}, so the loop meets the CPU's fetch \
             and op-cache lines differently. That is code alignment, not the source — the same \
             loop moved by an unrelated edit can gain or lose this much (LLVM's \
             `-align-loops=64` is the knob).",
            ratio(sums),
            offsets.0,
            offsets.1
        )
    };
    let add = if close(adds) {
        "The zipped and the indexed addition ran at the same speed (within 15%): the indexed \
         one spends its time in its unchecked vector loop."
            .to_owned()
    } else {
        format!(
            "The zipped and the indexed addition differed by {:.2}× in this run.",
            ratio(adds)
        )
    };
    let hist = if histogram.speedup > 1.15 {
        format!(
            "The unchecked, unrolled histogram was {:.2}× faster: there the check did cost.",
            histogram.speedup
        )
    } else {
        "The histogram's per-byte check cost little here: both versions wait on the increments \
         of the same counters."
            .to_owned()
    };
    format!("{sum} {add} {hist}")
}

/// How many of the four groups of variants give the same answers.
fn variants_agree(a: &[u32], b: &[u32], bytes: &[u8]) -> usize {
    let len = a.len();
    let sums = snippet::sum_iter(a) == snippet::sum_loop(a);
    let firsts = snippet::sum_first_n(a, len / 2) == snippet::sum_first_n_asserted(a, len / 2);
    let (mut x, mut y, mut z) = (vec![0u32; len], vec![0u32; len], vec![0u32; len]);
    snippet::add_indexed(&mut x, a, b);
    snippet::add_zipped(&mut y, a, b);
    snippet::add_resliced(&mut z, a, b);
    let adds = x == y && y == z;
    let mut counts = vec![0u32; 256];
    snippet::histogram_slice(bytes, &mut counts);
    let histograms = counts[..] == snippet::histogram_array(bytes)[..];
    [sums, firsts, adds, histograms]
        .iter()
        .filter(|ok| **ok)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The installed compiler, or `None` with a message saying the test
    /// was skipped (a machine without rustc is allowed).
    fn rustc_or_skip() -> Option<Rustc> {
        match Rustc::from_env() {
            Ok(rustc) => Some(rustc),
            Err(e) => {
                eprintln!("skipping: {e}");
                None
            }
        }
    }

    /// The snippet compiled once per test binary: its assembly and IR.
    fn compiled_once() -> Option<&'static (Assembly, String)> {
        static OUTPUT: std::sync::OnceLock<Option<(Assembly, String)>> = std::sync::OnceLock::new();
        OUTPUT
            .get_or_init(|| {
                let rustc = rustc_or_skip()?;
                let emitted = rustc
                    .compile(SNIPPET, &CompileOptions::default())
                    .expect("the snippet compiles");
                Some((Assembly::parse(&emitted.asm), emitted.llvm_ir))
            })
            .as_ref()
    }

    fn compiled() -> Option<&'static Assembly> {
        compiled_once().map(|(asm, _)| asm)
    }

    fn ir() -> Option<&'static str> {
        compiled_once().map(|(_, ir)| ir.as_str())
    }

    fn on_x86_64() -> bool {
        cfg!(target_arch = "x86_64")
    }

    #[test]
    fn every_snippet_function_is_in_the_assembly() {
        let Some(asm) = compiled() else { return };
        for (name, _) in SNIPPET_FUNCTIONS {
            let f = asm
                .function(name)
                .unwrap_or_else(|| panic!("{name} emitted"));
            assert_eq!(f.name, format!("snippet::{name}"));
            assert!(f.instructions().count() > 3, "{name} has a body");
        }
    }

    #[test]
    fn iterator_and_hand_loop_compile_to_the_same_inner_loop() {
        let Some(asm) = compiled() else { return };
        let iter = asm.function("sum_iter").expect("sum_iter");
        let hand = asm.function("sum_loop").expect("sum_loop");
        let (a, b) = (
            iter.hot_loop().expect("a loop"),
            hand.hot_loop().expect("a loop"),
        );
        let inner = compare_code(&iter.normalized(a.range()), &hand.normalized(b.range()));
        assert!(inner.identical, "{inner:?}");
        let whole = compare_code(&iter.normalized_all(), &hand.normalized_all());
        assert!(whole.same_multiset, "same instructions overall: {whole:?}");
        if on_x86_64() {
            assert!(
                iter.vector_instructions(a.range()) >= 4,
                "vectorized: {:?}",
                iter.normalized(a.range())
            );
            assert!(
                iter.normalized(a.range())
                    .iter()
                    .any(|l| l.starts_with("paddd")),
                "four u32 lanes added at once"
            );
        }
    }

    #[test]
    fn bounds_checks_appear_move_and_vanish() {
        let Some(asm) = compiled() else { return };
        // (function, panic_bounds_check calls, bounds checks inside loops,
        //  slice-range calls, other panics)
        let cases = [
            ("sum_iter", 0, 0, 0, 0),
            ("sum_loop", 0, 0, 0, 0),
            ("sum_first_n", 1, 0, 0, 0), // hoisted before the loop
            ("sum_first_n_asserted", 0, 0, 0, 1),
            ("add_zipped", 0, 0, 0, 0),
            ("add_resliced", 0, 0, 2, 0), // one range check per input, up front
            ("histogram_slice", 1, 1, 0, 0),
            ("histogram_array", 0, 0, 0, 0),
        ];
        for (name, bounds, in_loop, range, other) in cases {
            let f = asm.function(name).expect(name);
            let got = (
                f.panic_count(PanicKind::BoundsCheck),
                f.checks_in_loops(PanicKind::BoundsCheck),
                f.panic_count(PanicKind::SliceRange),
                f.panic_count(PanicKind::Other),
            );
            assert_eq!(
                got,
                (bounds, in_loop, range, other),
                "{name}: {:#?}",
                f.normalized_all()
            );
        }
        // Writing as it goes, add_indexed cannot hoist its two checks: they
        // stay in a loop, while a split-off vector loop runs unchecked.
        let f = asm.function("add_indexed").expect("add_indexed");
        assert_eq!(f.panic_count(PanicKind::BoundsCheck), 2);
        assert!(f.checks_in_loops(PanicKind::BoundsCheck) >= 2);
        if on_x86_64() {
            let hot = f.hot_loop().expect("a loop");
            assert!(
                f.vector_instructions(hot.range()) > 0,
                "the unchecked part is vectorized"
            );
        }
    }

    #[test]
    fn llvm_ir_shows_the_vector_loop() {
        let Some(ir) = ir() else { return };
        let f = ir_function(ir, "sum_iter").expect("sum_iter in the IR");
        assert!(f.starts_with("define "));
        let body = ir_block(f, "vector.body").expect("vectorized");
        if on_x86_64() {
            assert!(body.contains("<4 x i32>"), "{body}");
        }
        assert!(ir_function(ir, "no_such_function").is_none());
    }

    #[test]
    fn a_missing_compiler_is_a_clear_error() {
        let err = Rustc::at("/nonexistent/rustc-for-this-test").expect_err("no such file");
        assert!(matches!(err, CompileError::NotFound { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("RUSTC") && message.contains("PATH"),
            "{message}"
        );
    }

    #[test]
    fn a_source_that_does_not_compile_reports_the_compiler_message() {
        let Some(rustc) = rustc_or_skip() else { return };
        let err = rustc
            .compile("pub fn broken( {", &CompileOptions::default())
            .expect_err("not Rust");
        let CompileError::Failed { stderr, .. } = &err else {
            panic!("expected Failed, got {err:?}");
        };
        assert!(stderr.contains("error"), "{stderr}");
    }

    #[cfg(unix)]
    #[test]
    fn a_hanging_process_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut sleep = Command::new("sleep");
        sleep.arg("10");
        let started = Instant::now();
        let err =
            run_with_timeout(sleep, Duration::from_millis(100), dir.path()).expect_err("killed");
        assert!(matches!(err, CompileError::TimedOut { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    const LEGACY: &str = "_ZN7snippet8sum_iter17hff2edf6c80872945E";
    const V0: &str = "_RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check";

    #[test]
    fn symbols_are_demangled() {
        let part =
            "drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$";
        let generic = format!("_ZN4core3ptr{}{part}17h1234567890abcdefE", part.len());
        let cases = [
            (LEGACY, Some("snippet::sum_iter")),
            (V0, Some("core::panicking::panic_bounds_check")),
            ("_RNvCs1234_7snippet8sum_loop", Some("snippet::sum_loop")),
            ("__ZN3foo3bar17h0123456789abcdefE", Some("foo::bar")),
            (
                &generic,
                Some("core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"),
            ),
            ("memset", None),
            ("_RINvNtCs1_4core3ptr13drop_in_placeE", None),
        ];
        for (symbol, want) in cases {
            let symbol: &str = symbol;
            assert_eq!(demangle(symbol).as_deref(), want, "{symbol}");
        }
        assert_eq!(
            demangle_operands(&format!("qword ptr [rip + {V0}@GOTPCREL]")),
            "qword ptr [rip + core::panicking::panic_bounds_check]"
        );
    }

    const FIXTURE: &str = "\t.intel_syntax noprefix
\t.globl\tf
\t.type\tf,@function
f:
\t.cfi_startproc
\txor\teax, eax            # zero the sum
.LBB0_2:
\tcmp\trcx, rsi
\tjae\t.LBB0_5
\tpaddd\txmm0, xmm1
\tadd\teax, dword ptr [rdi + 4*rcx]
\tinc\trcx
\tcmp\trcx, rdx
\tjne\t.LBB0_2
\tret
.LBB0_5:
\tlea\trdx, [rip + .Lanon.1]
\tcall\tqword ptr [rip + _RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check@GOTPCREL]
.Lfunc_end0:
\t.size\tf, .Lfunc_end0-f
\t.cfi_endproc
\t.type\tg,@function
g:
\tret
.Lfunc_end1:
";

    #[test]
    fn the_parser_finds_functions_loops_and_checks() {
        let asm = Assembly::parse(FIXTURE);
        assert_eq!(asm.functions.len(), 2);
        let f = asm.function("f").expect("f");
        assert_eq!(f.instructions().count(), 11);
        assert_eq!(f.loops(), vec![Loop { head: 1, latch: 8 }]);
        assert_eq!(f.hot_loop(), Some(Loop { head: 1, latch: 8 }));
        assert_eq!(
            f.vector_instructions(f.hot_loop().expect("loop").range()),
            1
        );
        assert_eq!(f.panic_count(PanicKind::BoundsCheck), 1);
        assert_eq!(f.checks_in_loops(PanicKind::BoundsCheck), 1);
        assert_eq!(
            f.normalized(1..4),
            vec!["L0:", "cmp     rcx, rsi", "jae     L1"],
            "labels renamed in order of mention, comments dropped"
        );
        assert_eq!(asm.function("g").map(|g| g.instructions().count()), Some(1));
    }

    #[test]
    fn vector_instructions_are_told_from_scalar_ones() {
        let cases = [
            ("paddd", "xmm1, xmm2", true),
            ("vpaddd", "ymm0, ymm0, ymmword ptr [rdi]", true),
            ("addps", "xmm0, xmm1", true),
            ("addss", "xmm0, dword ptr [rdi]", false),
            ("movd", "eax, xmm0", false),
            ("add", "eax, dword ptr [rdi + 4*rcx]", false),
            ("add", "v0.4s, v0.4s, v1.4s", true),
            ("ldp", "q0, q1, [x8, #32]", true),
            ("add", "w8, w8, #1", false),
        ];
        for (mnemonic, operands, vector) in cases {
            let i = Instruction {
                mnemonic: mnemonic.into(),
                operands: operands.into(),
            };
            assert_eq!(i.is_vector(), vector, "{i}");
        }
    }

    #[test]
    fn code_comparison_tells_order_from_content() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let same = compare_code(&s(&["a", "b"]), &s(&["a", "b"]));
        assert!(same.identical && same.same_multiset);
        let reordered = compare_code(&s(&["a", "b", "b"]), &s(&["b", "a", "b"]));
        assert!(!reordered.identical && reordered.same_multiset);
        let different = compare_code(&s(&["a", "b", "b"]), &s(&["a", "c"]));
        assert_eq!(different.only_left, s(&["b", "b"]));
        assert_eq!(different.only_right, s(&["c"]));
    }

    #[test]
    fn the_variants_compute_the_same_results() {
        let a: Vec<u32> = (0..1_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let b: Vec<u32> = a.iter().map(|x| x ^ 0x5555).collect();
        let bytes: Vec<u8> = a.iter().map(|x| (x >> 3) as u8).collect();
        assert_eq!(variants_agree(&a, &b, &bytes), 4);
        let empty: [u32; 0] = [];
        assert_eq!(snippet::sum_iter(&empty), 0);
        assert!(std::panic::catch_unwind(|| snippet::sum_first_n(&a, 1_001)).is_err());
    }

    #[test]
    fn the_snippet_is_the_source_of_the_compiled_functions() {
        for (name, _) in SNIPPET_FUNCTIONS {
            assert!(SNIPPET.contains(&format!("pub fn {name}(")), "{name}");
        }
        assert_eq!(
            SNIPPET.matches("#[inline(never)]").count(),
            SNIPPET_FUNCTIONS.len()
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("perf/bytecode-demo", mastery_kit::Mode::Quick);
        let started = Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "quick means quick"
        );
        assert_eq!(n.comparisons().len(), 3);
        let agree = n
            .measurements()
            .iter()
            .find(|m| m.label.starts_with("variants agreeing"))
            .map(|m| m.value);
        assert_eq!(agree, Some(4.0));
        if Rustc::from_env().is_ok() {
            let identical = n
                .measurements()
                .iter()
                .find(|m| m.label.starts_with("inner loops identical"))
                .map(|m| m.value);
            assert_eq!(identical, Some(1.0));
        }
    }
}
