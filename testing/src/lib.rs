//! # mastery-testing — testing and debugging
//!
//! Hypothesis, pytest and profilers, answered with Rust's test ecosystem.
//!
//! # Layout (see ROADMAP.md for status)
//! - `hypothesis_examples` — `proptest`: model-based tests, round-trips,
//!   shrinking shown (the LRU cache's model test is a live example today:
//!   `interview/src/lru_cache.rs`).
//! - `mocking_monkeypatch` — built: a ladder of seams (a trait with `mockall`
//!   mocks and a hand-written fake, closures, `cfg(test)`, an injected and a
//!   paused clock, an env map and a temp dir) and the shortcuts the compiler
//!   refuses (`tests/ui/forbidden_patches`).
//! - `pytest_plugins` — fixtures with `rstest`, a data-driven harness with
//!   `libtest-mimic`, markers → `#[ignore]`, features and nextest filters.
//! - `profiling_demo` — `cProfile` / `line_profiler` → sampling profiles,
//!   callgrind instruction counts, criterion.
//!
//! The others are not built yet.

#![forbid(unsafe_code)]

pub mod mocking_monkeypatch;
