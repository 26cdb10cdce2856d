//! # mastery-kit — the topic contract
//!
//! Every roadmap item of the kit is a [`Topic`]: an id such as
//! `interview/lru-cache`, the Python idiom it answers, the Rust answer in one
//! line, its lesson (the module's `//!` doc), and a `run` function that tells
//! the story through a [`Narrator`]. Topics register themselves with
//! [`inventory`] — the Rust answer to "auto-registering subclasses" — so this
//! crate never names a topic: the binary links the area crates and
//! [`registry()`] finds whatever they submitted, in roadmap order.
//!
//! The narrator prints headings, prose and **measurements**, and records every
//! number it prints, so `mastery tour --json` and `--report DIR` can emit the
//! same figures the reader saw. Rule of the kit: a demo prints only numbers it
//! measured in that run.
//!
//! # Layout
//! - [`topic`] — `Topic`, `Area`, the registry in roadmap order.
//! - [`narrator`] — `Narrator`, `Mode`, `Unit`, `Measurement`.
//! - [`comparison`] — `Comparison` and its `Verdict`: ratios with a
//!   confidence interval, ties called as ties.
//! - [`select`] — turning `run` arguments into topics, with "did you mean".
//! - [`runner`] — running topics with a progress bar, isolating failures.
//! - [`report`] — the machine description, the JSON document, `RESULTS.md`.
//! - [`lesson`] — extracting and rendering a topic's lesson.
//! - [`ladder`] — timing every rung from textbook to peer in the same
//!   rounds, each step compared with the one below, a reader's rung placed.
//! - [`workload`] — seeded workloads shared by demos and benches (Zipf keys).
//! - [`settings`] — the typed settings a demo reads from the narrator.
//! - [`memory`] — the counting allocator: peak and retained heap per scope.
//! - [`stats`] — the median and spread of timed runs.
//! - [`python`] — a child interpreter timing the Python idiom as a rung,
//!   one call per request; the skip-or-fail rule without one.
//! - [`panics`] — a caught panic's message; deliberate panics kept quiet.
//! - [`net`] — a free loopback port for servers a demo or test starts.
//! - [`demo_test`] — running a demo in quick mode from its topic's tests.
//! - [`capture`] — a shared in-memory `Write`, for stories and logs.

#![forbid(unsafe_code)]

pub mod capture;
pub mod chart;
pub mod comparison;
pub mod demo_test;
pub mod ladder;
pub mod lesson;
pub mod memory;
pub mod narrator;
pub mod net;
pub mod panics;
pub mod python;
pub mod report;
pub mod runner;
pub mod select;
pub mod settings;
pub mod stats;
pub mod topic;
pub mod workload;

pub use comparison::{Comparison, Verdict, take_turns};
pub use inventory;
pub use narrator::{Measurement, Mode, Narrator, Timing, Unit};
pub use settings::Settings;
pub use topic::{Area, Topic, registry};
