//! # mastery-perf — performance and internals
//!
//! What Python hides behind the interpreter, looked at directly in Rust.
//!
//! # Layout (planned; see ROADMAP.md for status)
//! - `bytecode_demo` — `dis` → the assembly and LLVM IR `rustc` emits:
//!   iterator chains vs hand loops, bounds checks appearing and vanishing.
//! - `memory_profiling` — `sys.getsizeof` / `tracemalloc` → `size_of`, a
//!   counting global allocator, `dhat` heap profiles.
//! - `vectorization` — Python loops vs NumPy vs Cython → scalar, iterator,
//!   auto-vectorized, explicit SIMD and rayon, against measured bandwidth.
//! - `gil_experiments` — a toy GIL: one global lock vs fine-grained vs none;
//!   and threads vs processes vs async tasks for CPU- and IO-bound work.
//!
//! Nothing is built here yet; the explicit-SIMD module will be this crate's
//! only `unsafe`, each block with a `// SAFETY:` comment and a test.

#![forbid(unsafe_code)]
