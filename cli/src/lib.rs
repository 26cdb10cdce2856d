//! # mastery-cli — the `mastery` app
//!
//! The commands a reader types, and nothing a lesson teaches: the lessons
//! live in the area crates, and this crate depends on them, never the other
//! way round. `tooling`'s lessons on clap, figment and tracing teach with
//! the very types this crate uses ([`mastery_tooling::cli_tools::Cli`], the
//! layered `Settings`, the log setup).
//!
//! # Layout
//! - [`app`] — the entry point: settings, logging, dispatch.
//! - [`error`] — [`AppError`] and the exit codes (0 ok, 1 failure, 2 usage).
//! - [`settings`] — the typed settings handed to every demo.
//! - [`list`], [`explain`] — the roadmap tree and a topic's lesson.
//! - [`run`] — `mastery run` and `mastery tour`: demos, JSON, the report.
//! - [`parse`] — `mastery parse`: the interview section's streaming parsers
//!   over a file or stdin.
//! - [`mapreduce`] — `mastery mapreduce` (word count with one thread,
//!   rayon, worker processes or timely dataflow) and the hidden
//!   `mastery worker` its process engine starts.
//! - [`dag`] — `mastery dag`: validate, draw (DOT, Mermaid) and run a
//!   pipeline file with `patterns/mini-dag`.
//! - [`plugins`] — `mastery plugins [DIR]`: the plugins found compiled in,
//!   as libraries and as `mastery-<name>` executables; `--run` calls one.
//! - [`book`] — `mastery book`: the book's topic pages generated from the
//!   lessons, every code include resolved, `mdbook build`.
//! - [`profile_workload`] — the hidden `mastery profile-workload`: the
//!   workload `testing/profiling-demo` runs under callgrind.
//! - [`cheatsheet`] — `mastery cheatsheet [NAME]`: a cheat sheet in the
//!   terminal; every row's `path:anchor` checked against the code.
//! - [`kata`] — `mastery kata list | new ID [DIR] | check [DIR]`: a
//!   starter crate whose `cargo test` runs the kit's own tests on the
//!   reader's code, then the reader's code on the kit's ladder.
//! - [`setup`] — `mastery setup python`: the venv, NumPy and the PyO3
//!   extension that `perf/vectorization` times against.

#![forbid(unsafe_code)]

pub mod app;
pub mod book;
pub mod cheatsheet;
pub mod dag;
pub mod error;
pub mod explain;
pub mod kata;
pub mod list;
pub mod mapreduce;
pub mod parse;
pub mod plugins;
pub mod profile_workload;
pub mod run;
pub mod settings;
pub mod setup;

pub use app::{execute, main};
pub use error::{AppError, EXIT_FAILURE, EXIT_USAGE};
