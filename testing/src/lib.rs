//! # mastery-testing — testing and debugging
//!
//! Hypothesis, pytest and profilers, answered with Rust's test ecosystem.
//!
//! # Layout (see ROADMAP.md for status)
//! - [`hypothesis_examples`] — `proptest`: composed, recursive, filtered and
//!   mapped strategies; round trips of the interview streaming parsers
//!   against `serde_json` and `csv`; a model-based test of the interview
//!   `LruCache`; three planted bugs found and shrunk by a seeded
//!   `TestRunner`; the same generator on raw bytes through `arbitrary`.
//!   Topic `testing/hypothesis-examples`.
//! - [`mocking_monkeypatch`] — a ladder of seams (a trait with `mockall`
//!   mocks and a hand-written fake, closures, `cfg(test)`, an injected and a
//!   paused clock, an env map and a temp dir) and the shortcuts the compiler
//!   refuses (`tests/ui/forbidden_patches`).
//! - [`pytest_plugins`] — `rstest` fixtures and `#[case]` tables; a
//!   `libtest-mimic` harness (`tests/conformance_cases.rs`) that makes one
//!   test per conformance case file of the interview parsers, with a
//!   session fixture (a loopback parse service) torn down after the last
//!   trial; markers → `#[ignore]`, the `slow-tests` feature, nextest
//!   filtersets and groups (`.config/nextest.toml`); `insta` snapshots of
//!   the CLI in the root `tests/cli_snapshots.rs`.
//! - [`profiling_demo`] — `cProfile` / `line_profiler` → callgrind
//!   instruction counts per function and line (its output file parsed
//!   here), an in-process sampler (`pprof`) and its flame graph; a planted
//!   hotspot both name, fixed and measured.

#![forbid(unsafe_code)]

pub mod hypothesis_examples;
pub mod mocking_monkeypatch;
pub mod profiling_demo;
pub mod pytest_plugins;
