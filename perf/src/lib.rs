//! # mastery-perf — performance and internals
//!
//! What Python hides behind the interpreter, looked at directly in Rust.
//!
//! # Layout
//! Each topic is a folder named after its roadmap file: `mod.rs` holds the
//! lesson and the core idea in code, then one file per part, `demo.rs` and
//! `tests.rs`.
//! - [`bytecode_demo`] — `dis` (specialized in place since 3.11) → the
//!   assembly and LLVM IR `rustc` emits, run at demo time: iterator chains
//!   vs hand loops, bounds checks appearing and vanishing. Topic
//!   `perf/bytecode-demo`.
//! - [`memory_profiling`] — `sys.getsizeof` / `tracemalloc` → `size_of`, the
//!   kit's counting allocator (calls, bytes, peak and retained per scope),
//!   `dhat` heap profiles; `Vec` growth, `String` vs `&str`, `Box<[T]>`, an
//!   inline small vector. Topic `perf/memory-profiling`.
//! - [`vectorization`] — Python loops vs NumPy vs Cython → scalar, iterator,
//!   auto-vectorized, explicit SIMD and rayon, against measured bandwidth;
//!   and a PyO3 extension (`perf/python/`) timed against a Python loop and
//!   NumPy. Topic `perf/vectorization`.
//! - [`concurrency_tradeoffs`] — threading vs multiprocessing vs asyncio →
//!   threads vs processes vs tokio tasks, CPU-bound and IO-bound, in one
//!   table; reuses `mastery-concurrency`'s map-reduce corpus and worker
//!   pool. Topic `perf/concurrency-tradeoffs`.
//! - [`gil_experiments`] — a toy GIL: one global lock with a switch
//!   interval vs fine-grained locks vs none; hand-off cost. Topic
//!   `perf/gil-experiments`.
//!
//! `paired` is what the demos that time their contenders themselves share:
//! rounds that take turns, and the words for a verdict ("faster" only when
//! it is decided).
//!
//! `unsafe` is denied crate-wide and allowed only for the explicit-SIMD
//! kernels in `vectorization`, each block with a `// SAFETY:` comment
//! (clippy's `undocumented_unsafe_blocks` is an error) and a test against
//! the scalar reference.

#![deny(unsafe_code)]

pub mod bytecode_demo;
pub mod concurrency_tradeoffs;
pub mod gil_experiments;
pub mod memory_profiling;
mod paired;
pub mod vectorization;
