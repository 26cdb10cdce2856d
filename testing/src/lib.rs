//! # mastery-testing — testing and debugging
//!
//! Hypothesis, pytest and profilers, answered with Rust's test ecosystem.
//!
//! # Layout (planned; see ROADMAP.md for status)
//! - `hypothesis_examples` — `proptest`: model-based tests, round-trips,
//!   shrinking shown (the LRU cache's model test is a live example today:
//!   `interview/src/lru_cache.rs`).
//! - `mocking_monkeypatch` — `mockall` on trait seams, a fake clock instead
//!   of monkeypatching time, environment and filesystem seams.
//! - `pytest_plugins` — fixtures with `rstest`, a data-driven harness with
//!   `libtest-mimic`, markers → `#[ignore]`, features and nextest filters.
//! - `profiling_demo` — `cProfile` / `line_profiler` → sampling profiles,
//!   callgrind instruction counts, criterion.
//!
//! Nothing is built here yet.

#![forbid(unsafe_code)]
