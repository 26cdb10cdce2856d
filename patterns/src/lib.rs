//! # mastery-patterns — software engineering patterns
//!
//! Decorators, dependency injection, plugins and pipelines, the Rust way.
//!
//! # Layout (see ROADMAP.md for status)
//! - [`decorator_factories`] — functions wrapping functions (logging, timing,
//!   retry, caching), one retry + cache wrapper written as a closure, a
//!   generic struct and `tower` layers, and a single-flight cache.
//! - [`dependency_injection`] — one notifier wired four ways: generic
//!   parameters, `&dyn`, `Arc<dyn>` and a `TypeId`-keyed service locator;
//!   a missing dependency as a compile error or an `Err` naming its type;
//!   test doubles injected per way (trybuild cases in
//!   `tests/ui/dependency_injection/`).
//! - [`plugin_system`] — `entry_points` → one plugin contract found three
//!   ways: `inventory` at compile time, `cdylib` plugins loaded with
//!   `libloading` behind a versioned C ABI (the only `unsafe` of the
//!   crate, in `plugin_system/dylib.rs`), and `mastery-<name>` executables
//!   over a line protocol (`mastery plugins`); example plugins in
//!   `patterns/plugins/`.
//! - [`mini_dag`] — tasks with dependencies: validation, parallel execution,
//!   retries, caching, DOT and Mermaid export (`mastery dag`).

#![deny(unsafe_code)]

pub mod decorator_factories;
pub mod dependency_injection;
pub mod mini_dag;
pub mod plugin_system;
