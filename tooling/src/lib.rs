//! # mastery-tooling — packaging & tooling, and the kit's own plumbing
//!
//! The roadmap's "Packaging & Tooling" rows. Three of them are the kit's own
//! machinery, so each module is both a lesson (a registered topic with a
//! demo) and the code the `mastery` binary runs:
//!
//! # Layout
//! - [`cli_tools`] — the `clap` definitions of `mastery` (click / typer).
//! - [`logging_examples`] — `tracing` setup: `-v`, `--log-format`, `RUST_LOG`
//!   (structlog / loguru).
//! - [`config_management`] — layered settings with `figment`
//!   (pydantic-settings).
//! - [`app`] — the commands behind the CLI (`list`, `run`, `tour`,
//!   `explain`); not a topic.
//! - [`parse_command`] — `mastery parse <json|csv|xml>`: the interview
//!   section's streaming parsers over a file or stdin; not a topic.
//! - [`mapreduce_command`] — `mastery mapreduce` (word count with one
//!   thread, rayon, worker processes or timely dataflow across processes)
//!   and the hidden `mastery worker`; not a topic.
//! - `cargo_setup.md` — Poetry / Hatch and `pip install -e` → Cargo
//!   workspaces, features, profiles, `cargo install --path`.

#![forbid(unsafe_code)]

pub mod app;
pub mod cli_tools;
pub mod config_management;
pub mod logging_examples;
pub mod mapreduce_command;
pub mod parse_command;
