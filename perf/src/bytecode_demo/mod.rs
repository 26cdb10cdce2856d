//! # Bytecode inspection: what the compiler emits
//!
//! ## Python idiom
//! `dis.dis(f)` prints the bytecode CPython compiled `f` to, one
//! instruction per line. Since CPython 3.11 that bytecode is not fixed: the
//! *specializing adaptive interpreter* (PEP 659) rewrites instructions in
//! place once a function has warmed up, into variants for the types it has
//! seen — `BINARY_OP` becomes `BINARY_OP_ADD_INT` while both operands keep
//! being `int`s — each guarded by a cheap type check that falls back to the
//! generic instruction when the guess stops holding.
//! `dis.dis(f, adaptive=True)` shows the specialized form:
//!
//! ```python
//! import dis
//! def total(xs):
//!     s = 0
//!     for x in xs:          # FOR_ITER, STORE_FAST, LOAD_FAST, BINARY_OP (+=), ...
//!         s += x
//!     return s
//! dis.dis(total)            # the generic bytecode: a handful of instructions
//!                           # per element, each a trip through the dispatch loop
//! for _ in range(100):
//!     total(list(range(100)))        # warm-up: the interpreter watches the types
//! dis.dis(total, adaptive=True)      # BINARY_OP_ADD_INT where BINARY_OP was
//! ```
//!
//! Specialization makes each dispatch cheaper; it does not remove it: every
//! element still passes through the loop's instructions one at a time, and
//! every `int` is still an object. `sum(xs)` runs its loop in C, which is
//! why it is faster — the shape of the source still decides the speed.
//!
//! ## Rust answer
//! There is no bytecode: `rustc` lowers the source to LLVM IR, optimises it,
//! and emits machine code, once, before the program runs. To look at it,
//! ask the compiler — `rustc -O --emit=asm,llvm-ir` (or `cargo rustc
//! --release -- --emit=asm`, or `cargo asm` from `cargo-show-asm`). This
//! module does it at run time on a small snippet ([`SNIPPET`]) and reads
//! the result back:
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
//!   identical, the same multiset in another order, or what differs;
//!   [`compare_hot_loops`] (the core below) does it for two functions' hot
//!   loops.
//!
//! ```no_run
//! use mastery_perf::bytecode_demo::{Assembly, CompileOptions, Rustc, SNIPPET, compare_hot_loops};
//!
//! let rustc = Rustc::from_env()?;
//! let emitted = rustc.compile(SNIPPET, &CompileOptions::default())?;
//! let asm = Assembly::parse(&emitted.asm);
//! let inner = compare_hot_loops(&asm, "sum_iter", "sum_loop").expect("both have a loop");
//! assert!(inner.identical);
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
//!   and changes the loop); the demo prints the version it ran.
//!
//! ## What it costs
//! The demo measures, in the run:
//! - **compile time**: `rustc -O` on the nine-function snippet (the median
//!   of several runs in full mode) — what one look at the assembly costs;
//! - **the iterator sum against the index loop** (`sum_iter` vs `sum_loop`,
//!   time per element): the same machine code, so any gap is where the code
//!   sits in memory (the demo prints each function's offset in its 64-byte
//!   line), not the source;
//! - **zipped against indexed addition** (`add_zipped` vs `add_indexed`):
//!   the indexed one runs its checked scalar loop only for the tail;
//! - **a `[u32; 256]` histogram against a `&mut [u32]` one**: what the
//!   per-byte bounds check costs when it cannot be removed.
//!
//! Looking costs a compiler run per question, and it answers for one
//! toolchain on one target. The reader here is text-based and x86-64 first
//! (Intel syntax), with loop and vector detection that also recognises
//! AArch64 mnemonics and registers. Taking a check out with `get_unchecked`
//! costs an `unsafe` block and the proof in its `// SAFETY:` comment.
//!
//! ## Run it
//! `mastery run perf/bytecode-demo` (the compiler version and command, the
//! two inner loops side by side, a table of panics and loop checks per
//! function, the LLVM IR of the vector loop, compile time, and the run time
//! of each pair of variants compiled into the binary; full mode also
//! compiles for `-C target-cpu=native`), and
//! `cargo test -p mastery-perf bytecode` (the claims above asserted against
//! the installed compiler; skipped with a message when there is none).

mod assembly;
mod compiler;
mod demo;
mod llvm_ir;
mod snippet;
mod symbols;
#[cfg(test)]
mod tests;

pub use assembly::{
    AsmFunction, AsmLine, Assembly, CodeComparison, Instruction, Loop, PanicKind, compare_code,
};
pub(crate) use compiler::run_with_timeout;
pub use compiler::{CompileError, CompileOptions, Emitted, Rustc};
pub(crate) use demo::clip;
pub use llvm_ir::{ir_block, ir_function};
pub use snippet::{SNIPPET, SNIPPET_FUNCTIONS};
pub use symbols::{demangle, demangle_operands};

// ANCHOR: core
/// The question this topic asks the compiler, in one function: take the
/// hottest loop of the functions `left` and `right` in the assembly, and
/// compare them instruction by instruction with their labels renamed.
/// `None` when either function, or its loop, is not in the output.
///
/// A loop is a jump back to a label above it; the hottest is the one with
/// the most vector instructions (else the longest), because that is where
/// a vectorized function spends its time — the scalar tail after it runs
/// for a few elements at most.
pub fn compare_hot_loops(asm: &Assembly, left: &str, right: &str) -> Option<CodeComparison> {
    let (left, right) = (asm.function(left)?, asm.function(right)?);
    let (left_loop, right_loop) = (left.hot_loop()?, right.hot_loop()?);
    Some(compare_code(
        &left.normalized(left_loop.range()),
        &right.normalized(right_loop.range()),
    ))
}
// ANCHOR_END: core
