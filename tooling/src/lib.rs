//! # mastery-tooling — packaging & tooling
//!
//! The roadmap's "Packaging & Tooling" rows. Three of them teach with the
//! kit's own machinery: each module is a lesson (a registered topic with a
//! demo) whose types the app crate (`cli/`, `mastery-cli`) uses — the clap
//! definitions, the layered settings, the log setup. This crate depends on
//! the kit only; the app depends on it.
//!
//! # Layout
//! - [`cli_tools`] — the `clap` definitions of `mastery` (click / typer).
//! - [`logging_examples`] — `tracing` setup: `-v`, `--log-format`, `RUST_LOG`
//!   (structlog / loguru).
//! - [`config_management`] — layered settings with `figment`
//!   (pydantic-settings).
//! - `cargo_setup.md` — Poetry / Hatch and `pip install -e` → Cargo
//!   workspaces, features, profiles, `cargo install --path`.

#![forbid(unsafe_code)]

pub mod cli_tools;
pub mod config_management;
pub mod logging_examples;
